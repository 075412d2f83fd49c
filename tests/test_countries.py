"""GISCO's country outlines for the basemap: same source, cache and mirror rules as NUTS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely

from metacluster import countries, settings
from tests.countries_fixture import served, write_countries


@pytest.fixture
def countries_folder(tmp_path: Path, nuts_mirror: Path) -> Path:
    write_countries(tmp_path / "countries", nuts_mirror)
    return tmp_path / "countries"


@pytest.fixture
def countries_server(countries_folder: Path) -> Iterator[str]:
    with served(countries_folder) as url:
        yield url


def test_countries_come_from_a_folder_and_cover_land_outside_nuts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, countries_folder: Path
) -> None:
    monkeypatch.setattr(settings, "countries_source", str(countries_folder))
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    world = countries.load_countries("20M")
    assert world is not None
    kyiv = shapely.Point(30.52, 50.45)
    assert world.loc[world.contains(kyiv), "CNTR_ID"].tolist() == ["UA"]
    assert not (tmp_path / "cache").exists()  # a folder source is read in place


def test_countries_are_downloaded_once_then_read_from_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, countries_server: str, countries_folder: Path
) -> None:
    monkeypatch.setattr(settings, "countries_source", countries_server)
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    monkeypatch.setattr(countries, "_frames", {})
    assert countries.load_countries("20M") is not None
    cached = tmp_path / "cache" / countries.file_name("20M")
    assert cached.read_bytes() == (countries_folder / countries.file_name("20M")).read_bytes()
    (countries_folder / countries.file_name("20M")).unlink()  # the server has it no more
    monkeypatch.setattr(countries, "_frames", {})
    assert countries.load_countries("20M") is not None  # from the cache


def test_a_mirror_without_countries_gives_none_and_a_bad_file_is_not_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, nuts_mirror: Path
) -> None:
    monkeypatch.setattr(settings, "countries_source", "")
    monkeypatch.setattr(settings, "nuts_source", str(nuts_mirror))
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    assert countries.source() == str(nuts_mirror)  # the NUTS mirror folder is looked at
    assert countries.load_countries("20M") is None  # ../shared/nuts has no countries file
    for number, body in enumerate(['{"type": "FeatureCollection"}', "[" * 100_000]):
        broken = tmp_path / f"broken{number}"
        broken.mkdir()
        (broken / countries.file_name("20M")).write_text(body)  # nested too deep: no traceback
        monkeypatch.setattr(settings, "countries_source", str(broken))
        assert countries.load_countries("20M") is None


def test_gisco_nuts_source_means_gisco_countries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "countries_source", "")
    monkeypatch.setattr(settings, "nuts_source", settings.gisco_url)
    assert countries.source() == countries.GISCO_COUNTRIES_URL
