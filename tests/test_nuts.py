"""The NUTS geometry service: sources, disk and memory caches, validation, code lookups."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import pytest

from metacluster import nuts, settings
from metacluster._errors import NutsCodeError, NutsUnavailableError

LEVEL0_2021 = "NUTS_RG_20M_2021_4326_LEVL_0.geojson"


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    nuts.clear_memory_cache()
    yield
    nuts.clear_memory_cache()


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs the NUTS service downloads, in order (the downloads still happen)."""
    urls: list[str] = []
    real_get = nuts._http.get_bytes

    def counting_get(url: str, **kwargs: int | None) -> bytes:
        urls.append(url)
        return real_get(url, **kwargs)

    monkeypatch.setattr(nuts._http, "get_bytes", counting_get)
    return urls


@pytest.fixture
def closed_port_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A URL source on 127.0.0.1 where nothing listens (offline), and an empty cache."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cache = tmp_path / "nuts-cache"
    monkeypatch.setattr(settings, "nuts_source", f"http://127.0.0.1:{port}/nuts/")
    monkeypatch.setattr(settings, "cache_folder", cache)
    monkeypatch.setattr(settings, "http_backoff", 0.0)
    return cache


# --- loading -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "level", "scale", "regions"),
    [
        (2021, 3, "20M", 1512),
        (2021, 3, "10M", 1514),  # adds Svalbard and Jan Mayen
        (2024, 3, "20M", 1345),
        (2021, 0, "20M", 37),
        (2024, 0, "20M", 39),
    ],
)
def test_load_nuts_from_a_mirror_folder(
    nuts_from_mirror: Path, year: int, level: int, scale: str, regions: int
) -> None:
    frame = nuts.load_nuts(year, level, scale)
    assert list(frame.columns) == [*nuts.NUTS_FIELDS, "geometry"]
    assert len(frame) == regions
    assert frame.crs.to_epsg() == 4326
    assert set(frame["LEVL_CODE"]) == {level}
    assert frame["NUTS_ID"].is_monotonic_increasing
    assert not nuts_from_mirror.exists()  # a folder source is read in place, not copied


def test_defaults_come_from_the_settings(
    nuts_from_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "nuts_year", 2024)
    assert len(nuts.load_nuts()) == 1345  # 2024, level 3, display scale 20M
    monkeypatch.setattr(settings, "display_scale", "10M")
    with pytest.raises(NutsUnavailableError, match="NUTS_RG_10M_2024_4326_LEVL_3"):
        nuts.load_nuts()


def test_other_crs(nuts_from_mirror: Path) -> None:
    projected = nuts.load_nuts(2021, 0, crs=3035)
    assert projected.crs.to_epsg() == 3035
    france = projected.set_index("NUTS_ID").geometry["FR"]
    assert france.equals(nuts.load_nuts(2021, 0).to_crs(3035).set_index("NUTS_ID").geometry["FR"])
    assert 2_000_000 < france.centroid.x < 5_000_000  # metres east in ETRS89-LAEA


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"year": 2016}, "NUTS version 2016 is not available: use one of 2021, 2024"),
        ({"level": 4}, "NUTS level 4 does not exist: use 0, 1, 2 or 3"),
        ({"scale": "5M"}, "NUTS scale '5M' does not exist: use one of 01M, 03M, 10M, 20M, 60M"),
    ],
)
def test_bad_arguments_are_refused(
    nuts_from_mirror: Path, arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(NutsCodeError) as caught:
        nuts.load_nuts(**arguments)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


def test_memory_cache_serves_repeated_loads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, nuts_mirror: Path
) -> None:
    folder = tmp_path / "mirror"
    folder.mkdir()
    shutil.copy(nuts_mirror / LEVEL0_2021, folder)
    monkeypatch.setattr(settings, "nuts_source", str(folder))
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    first = nuts.load_nuts(2021, 0)
    (folder / LEVEL0_2021).unlink()
    assert nuts.load_nuts(2021, 0).equals(first)  # from memory: the file is gone
    nuts.clear_memory_cache()
    with pytest.raises(NutsUnavailableError):
        nuts.load_nuts(2021, 0)


def test_callers_cannot_change_the_cached_frame(nuts_from_mirror: Path) -> None:
    frame = nuts.load_nuts(2021, 0)
    frame["NAME_LATN"] = "changed"
    frame.loc[0, "NUTS_ID"] = "ZZ"
    frame.loc[1, "geometry"] = None
    again = nuts.load_nuts(2021, 0)
    assert again["NUTS_ID"].iloc[0] == "AL"
    assert again.geometry.notna().all()
    assert "changed" not in set(again["NAME_LATN"])


def test_a_broken_file_in_the_source_folder_is_reported_not_deleted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / LEVEL0_2021).write_text('{"type": "FeatureCollection", "features": [')
    monkeypatch.setattr(settings, "nuts_source", str(tmp_path))
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    with pytest.raises(NutsUnavailableError, match=r"is not a usable NUTS file .*not valid JSON"):
        nuts.load_nuts(2021, 0)
    assert (tmp_path / LEVEL0_2021).exists()


# --- download and disk cache ---------------------------------------------------------------


def test_download_lands_in_the_cache_and_is_then_read_from_it(
    nuts_from_http: Path,
    nuts_mirror: Path,
    downloads: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    downloaded = nuts.load_nuts(2021, 0)
    assert downloads == [settings.nuts_source + LEVEL0_2021]
    cached = nuts_from_http / LEVEL0_2021
    assert cached.read_bytes() == (nuts_mirror / LEVEL0_2021).read_bytes()
    assert [p.name for p in nuts_from_http.iterdir()] == [LEVEL0_2021]  # no temporary left
    size = f"{cached.stat().st_size:,} bytes"
    assert any("downloaded" in r.message and size in r.message for r in caplog.records)

    nuts.clear_memory_cache()
    assert nuts.load_nuts(2021, 0).equals(downloaded)
    assert len(downloads) == 1  # the second load made no request
    assert any(r.message == f"NUTS cache hit: {cached}" for r in caplog.records)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda good, other_level: good[: len(good) // 2],  # truncated download
        lambda good, other_level: b"<html><body>502 Bad Gateway</body></html>",
        lambda good, other_level: other_level,  # a valid file of another level
        lambda good, other_level: b'{"type": "FeatureCollection", "features": []}',
    ],
    ids=["truncated", "html", "wrong-level", "empty"],
)
def test_a_corrupt_cache_file_is_replaced(
    nuts_from_http: Path,
    nuts_mirror: Path,
    downloads: list[str],
    corrupt: Callable[[bytes, bytes], bytes],
) -> None:
    good = (nuts_mirror / LEVEL0_2021).read_bytes()
    other_level = (nuts_mirror / "NUTS_RG_20M_2021_4326_LEVL_1.geojson").read_bytes()
    nuts_from_http.mkdir()
    (nuts_from_http / LEVEL0_2021).write_bytes(corrupt(good, other_level))
    assert len(nuts.load_nuts(2021, 0)) == 37
    assert len(downloads) == 1
    assert (nuts_from_http / LEVEL0_2021).read_bytes() == good


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (b"<html>maintenance</html>", "not valid JSON"),
        (b'{"type": "Feature", "properties": {}, "geometry": null}', "not a GeoJSON Feature"),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", '
            b'"properties": {"NUTS_ID": "FR"}, "geometry": null}]}',
            "features lack the properties NUTS_ID, LEVL_CODE",
        ),
    ],
)
def test_an_unusable_download_is_never_cached(
    nuts_from_http: Path, monkeypatch: pytest.MonkeyPatch, answer: bytes, problem: str
) -> None:
    monkeypatch.setattr(nuts._http, "get_bytes", lambda url, **kwargs: answer)
    with pytest.raises(NutsUnavailableError, match=f"did not answer with a usable .*{problem}"):
        nuts.load_nuts(2021, 0)
    assert not nuts_from_http.exists() or not list(nuts_from_http.iterdir())


def test_a_file_the_source_lacks_is_reported_without_retries(
    nuts_from_http: Path, downloads: list[str]
) -> None:
    with pytest.raises(NutsUnavailableError, match=r"NUTS_RG_01M_2021_4326_LEVL_3.* HTTP 404"):
        nuts.load_nuts(2021, 3, "01M")
    assert len(downloads) == 1


def test_no_network_and_no_cache_says_what_to_do(closed_port_source: Path) -> None:
    with pytest.raises(NutsUnavailableError) as caught:
        nuts.load_nuts(2024, 2)
    message = str(caught.value)
    assert "NUTS_RG_20M_2024_4326_LEVL_2.geojson" in message
    assert "could not be reached" in message
    assert "metacluster nuts fetch --year 2024 --level 2 --scale 20M" in message
    assert "METACLUSTER_NUTS_SOURCE" in message
    assert isinstance(caught.value, OSError)


def test_no_network_but_a_cache_works(closed_port_source: Path, nuts_mirror: Path) -> None:
    closed_port_source.mkdir()
    shutil.copy(nuts_mirror / LEVEL0_2021, closed_port_source)
    assert len(nuts.load_nuts(2021, 0)) == 37


def test_without_the_cache_nothing_is_written(
    nuts_from_http: Path, monkeypatch: pytest.MonkeyPatch, downloads: list[str]
) -> None:
    monkeypatch.setattr(settings, "use_cache", False)
    assert len(nuts.load_nuts(2021, 0)) == 37
    nuts.clear_memory_cache()
    assert len(nuts.load_nuts(2021, 0)) == 37
    assert len(downloads) == 2
    assert not nuts_from_http.exists()


# --- fetch ---------------------------------------------------------------------------------


def test_fetch_fills_the_cache_once(
    nuts_from_http: Path, nuts_mirror: Path, downloads: list[str]
) -> None:
    stored = nuts.fetch([2021], [0, 1], "20M")
    names = ["NUTS_RG_20M_2021_4326_LEVL_0.geojson", "NUTS_RG_20M_2021_4326_LEVL_1.geojson"]
    assert [item.path for item in stored] == [nuts_from_http / name for name in names]
    assert [item.size for item in stored] == [(nuts_mirror / n).stat().st_size for n in names]
    assert all(item.downloaded for item in stored)
    assert len(downloads) == 2

    again = nuts.fetch([2021], [0, 1], "20M")
    assert [item.downloaded for item in again] == [False, False]
    assert len(downloads) == 2


def test_fetch_defaults_to_all_levels_of_the_configured_year(nuts_from_mirror: Path) -> None:
    stored = nuts.fetch()
    assert [item.path.name for item in stored] == [
        f"NUTS_RG_20M_2021_4326_LEVL_{level}.geojson" for level in range(4)
    ]
    assert sorted(p.name for p in nuts_from_mirror.iterdir()) == [s.path.name for s in stored]


# --- scale for the join --------------------------------------------------------------------


def test_best_scale_is_the_finest_the_mirror_has(nuts_from_mirror: Path) -> None:
    assert nuts.best_scale(2021) == "10M"
    assert nuts.best_scale(2024) == "20M"
    assert nuts.best_scale(2021, preferred="20M") == "20M"


def test_best_scale_probes_a_url_source_finest_first(
    nuts_from_http: Path, downloads: list[str]
) -> None:
    assert nuts.best_scale(2021) == "10M"
    assert [url.rsplit("/", 1)[1] for url in downloads] == [
        "NUTS_RG_01M_2021_4326_LEVL_3.geojson",
        "NUTS_RG_03M_2021_4326_LEVL_3.geojson",
        "NUTS_RG_10M_2021_4326_LEVL_3.geojson",
    ]
    assert nuts.best_scale(2021) == "10M"  # remembered: no new probe
    assert len(downloads) == 3


def test_best_scale_offline_uses_the_cache(closed_port_source: Path, nuts_mirror: Path) -> None:
    closed_port_source.mkdir()
    for level in range(4):
        shutil.copy(nuts_mirror / f"NUTS_RG_20M_2021_4326_LEVL_{level}.geojson", closed_port_source)
    assert nuts.best_scale(2021) == "20M"
    with pytest.raises(NutsUnavailableError, match="no scale of NUTS 2024"):
        nuts.best_scale(2024)


# --- lookup --------------------------------------------------------------------------------


def test_lookup_gives_name_level_country_and_parents(nuts_from_mirror: Path) -> None:
    region = nuts.lookup(" fre11 ")
    assert (region.code, region.name_latn, region.level, region.country, region.year) == (
        "FRE11",
        "Nord",
        3,
        "FR",
        2021,
    )
    assert region.parents == (
        ("FR", "France"),
        ("FRE", "Hauts-de-France"),
        ("FRE1", "Nord-Pas de Calais"),
    )
    assert region.note is None
    assert region.equivalents == ()
    assert region.geometry.contains(gpd.points_from_xy([3.06], [50.63])[0])  # Lille
    with pytest.raises(dataclasses.FrozenInstanceError):
        region.code = "FRE12"  # type: ignore[misc]


def test_lookup_keeps_national_and_latin_names(nuts_from_mirror: Path) -> None:
    attiki = nuts.lookup("EL30")
    assert (attiki.name, attiki.name_latn) == ("Aττική", "Attiki")
    assert nuts.lookup("FR").parents == ()


def test_a_code_of_the_other_version_gets_a_note_and_its_equivalents(
    nuts_from_mirror: Path,
) -> None:
    region = nuts.lookup("PT18", year=2024)
    assert (region.code, region.name_latn, region.year) == ("PT18", "Alentejo", 2021)
    assert region.note is not None
    assert region.note.startswith("PT18 (Alentejo) is a NUTS 2021 code, not NUTS 2024")
    assert "PT1C Alentejo (86%)" in region.note

    # independently: the areas of the overlay of PT18 with the 2024 regions, in EPSG:3035
    alentejo = nuts.load_nuts(2021, 2, crs=3035).query("NUTS_ID == 'PT18'")
    pieces = gpd.overlay(alentejo, nuts.load_nuts(2024, 2, crs=3035), how="intersection")
    shares = pieces.area / alentejo.area.iloc[0]
    expected = sorted(
        (
            (code, share)
            for code, share in zip(pieces["NUTS_ID_2"], shares, strict=True)
            if share > 0.01
        ),
        key=lambda pair: -pair[1],
    )
    assert [code for code, _, _ in region.equivalents] == [code for code, _ in expected]
    assert [code for code, _ in expected] == ["PT1C", "PT1D"]
    for (_, _, share), (_, overlay_share) in zip(region.equivalents, expected, strict=True):
        assert share == pytest.approx(overlay_share, rel=1e-6)
    assert region.equivalents[0][1] == "Alentejo"


def test_a_region_gone_from_the_requested_version_has_no_equivalents(
    nuts_from_mirror: Path,
) -> None:
    region = nuts.lookup("UK", year=2024)
    assert region.year == 2021
    assert region.equivalents == ()
    assert region.note == (
        "UK (United Kingdom) is a NUTS 2021 code, not NUTS 2024; no NUTS 2024 region "
        "covers its area"
    )


def test_a_2024_code_looked_up_in_2021(nuts_from_mirror: Path) -> None:
    region = nuts.lookup("PT1C", year=2021)
    assert region.year == 2024
    assert [code for code, _, _ in region.equivalents] == ["PT18"]


def test_an_unknown_code_names_the_code_and_the_versions(nuts_from_mirror: Path) -> None:
    with pytest.raises(NutsCodeError, match=r"^FRZ99 is not a NUTS 2021 code, nor a NUTS 2024"):
        nuts.lookup("FRZ99")


@pytest.mark.parametrize("code", ["F", "FRANCE", "FR-1", "", "1R", "FRE1 1"])
def test_a_malformed_code_says_what_a_nuts_code_looks_like(
    nuts_from_mirror: Path, code: str
) -> None:
    with pytest.raises(NutsCodeError, match="is not a NUTS code: a NUTS code is a two-letter"):
        nuts.lookup(code)
