"""The artefacts people pass around: the standalone HTML map, the figure (PNG, SVG, PDF)
and the one-page region profile, each checked for what it shows, not only that it exists.

The offline browser test (opening the HTML with every network route aborted) is in
``test_export_browser.py``.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader

from metacluster import settings
from metacluster.cli import main
from metacluster.export import FORMATS, check_export, render
from metacluster.export.html import deck_bundle
from metacluster.filter import Filters
from metacluster.links import merge_with_links, partner_regions
from metacluster.merge import merge
from metacluster.schema import HELICES, HELIX_COLOURS, HELIX_LABELS
from tests.conftest import PROJECT_ROOT
from tests.countries_fixture import write_countries

MANIFEST = PROJECT_ROOT / "layers" / "metacluster.toml"
WHEN = "2024-05-01T12:00:00Z"


@pytest.fixture(scope="module")
def europe(mirror: None) -> gpd.GeoDataFrame:
    return merge(MANIFEST).actors


def _page_without_bundle(page: str) -> str:
    """The HTML page with the inlined deck.gl library taken out (its own text mentions
    URLs, e.g. the map providers' attribution links it never loads)."""
    return page.replace(deck_bundle(), "")


# --- standalone HTML --------------------------------------------------------------------


def test_html_holds_the_data_the_bundle_and_no_external_reference(
    europe: gpd.GeoDataFrame,
) -> None:
    filters = Filters(countries=("IT",))
    page = render(europe, filters, fmt="html", what="map", generated_at=WHEN).decode()
    italy = europe[europe["nuts0"] == "IT"]
    assert 0 < len(italy) < len(europe)

    assert "createDeck" in page and len(page) > 3_000_000  # deck.gl is inside the file
    rest = _page_without_bundle(page)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", rest)
    assert not re.search(r"https?://", rest)
    assert "@import" not in rest and "url(" not in rest

    spec = json.loads(re.search(r'<script type="application/json" id="deck-spec">(.*?)</script>',
                                page, re.S).group(1))  # fmt: skip
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert list(layers) == ["countries", "borders", "regions", "region-outlines", "actors"]
    assert len(layers["borders"]["data"]) > 1000  # Europe's borders as segments
    assert {len(segment) for segment in layers["borders"]["data"]} == {4}
    assert "mapProvider" not in spec and "//" not in str(spec["mapStyle"])  # no tile server
    assert {row["id"] for row in layers["actors"]["data"]} == set(italy["actor_id"])
    tips = [row["tip"] for row in layers["actors"]["data"]]
    assert all(tip.split("\n")[0] in set(italy["name"]) for tip in tips)
    regions = {f["properties"]["id"] for f in layers["regions"]["data"]["features"]}
    assert regions == set(italy["nuts2"].dropna())

    assert "<title>SmartCulture European Meta-Cluster</title>" in page
    assert f"country IT · {len(italy)} of {len(europe)} actors" in rest
    assert "© EuroGeographics for the administrative boundaries" in rest
    assert "Generated 2024-05-01" in rest
    for helix in HELICES:
        count = int((italy["helix"] == helix).sum())
        assert f"{HELIX_LABELS[helix].replace('&', '&amp;')} ({count})" in rest


def test_html_hides_the_layers_the_view_hides_and_escapes_names(
    europe: gpd.GeoDataFrame,
) -> None:
    hostile = europe.copy()
    hostile.loc[hostile.index[0], "name"] = "</script><script>alert(1)</script>"
    page = render(hostile, fmt="html", what="map", layers=("actors",), generated_at=WHEN).decode()
    spec = json.loads(re.search(r'id="deck-spec">(.*?)</script>', page, re.S).group(1))
    assert [layer["id"] for layer in spec["layers"]] == ["actors"]
    assert "<script>alert(1)" not in page and "</script><script>" not in page
    assert spec["layers"][0]["data"][0]["tip"].startswith("</script><script>alert(1)")


def test_sample_html_is_within_the_size_budget(europe: gpd.GeoDataFrame) -> None:
    page = render(europe, fmt="html", what="map", generated_at=WHEN)
    assert len(page) < 5_000_000


# --- figure -----------------------------------------------------------------------------


def _sea_pixels(png: bytes) -> int:
    return _pixels_near(np.asarray(Image.open(io.BytesIO(png)).convert("RGB")), (214, 226, 236))


def test_map_artefacts_draw_gisco_countries_when_they_can_be_had(
    europe: gpd.GeoDataFrame,
    tmp_path: Path,
    nuts_mirror: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Offline (the mirror has no countries file) land outside NUTS is not drawn as sea;
    with GISCO's countries the HTML and the figure draw Ukraine as land, and the sea."""
    monkeypatch.setattr(settings, "countries_source", "")
    offline_page = render(europe, fmt="html", what="map", generated_at=WHEN).decode()
    offline_png = render(europe, fmt="png", what="map", generated_at=WHEN)

    write_countries(tmp_path / "countries", nuts_mirror)
    monkeypatch.setattr(settings, "countries_source", str(tmp_path / "countries"))
    page = render(europe, fmt="html", what="map", generated_at=WHEN).decode()
    png = render(europe, fmt="png", what="map", generated_at=WHEN)

    ukraine_vertex = "[33.5,44.4]"  # a vertex of the stand-in Ukraine outline
    sea_fill = "[214, 226, 236, 255]"
    assert ukraine_vertex in _page_without_bundle(page) and sea_fill in page
    assert ukraine_vertex not in _page_without_bundle(offline_page)
    assert sea_fill not in offline_page
    sea, offline_sea = _sea_pixels(png), _sea_pixels(offline_png)
    assert sea > 10_000  # the seas between the eight regions
    assert offline_sea * 20 < sea  # offline: a neutral ground (only stray anti-aliased pixels)


def _pixels_near(image: np.ndarray, colour: tuple[int, int, int], tolerance: int = 6) -> int:
    return int((np.abs(image[:, :, :3].astype(int) - colour).max(axis=2) <= tolerance).sum())


def test_png_is_300_dpi_and_draws_every_helix_present(europe: gpd.GeoDataFrame) -> None:
    data = render(europe, fmt="png", what="map", generated_at=WHEN)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.size == (3000, 2400)  # 10 × 8 inches
    assert tuple(round(v) for v in image.info["dpi"]) == (300, 300)
    pixels = np.asarray(image.convert("RGB"))
    for helix in HELICES:
        assert _pixels_near(pixels, HELIX_COLOURS[helix]) > 200, helix


def test_png_of_one_helix_has_only_that_helix_colour(europe: gpd.GeoDataFrame) -> None:
    data = render(
        europe, Filters(helix=("business",)), fmt="png", what="map", generated_at=WHEN,
        layers=("countries", "actors"),
    )  # fmt: skip
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert _pixels_near(pixels, HELIX_COLOURS["business"]) > 200
    # not even in the legend: it lists the helices drawn
    for helix in ("academia", "government", "civil_society"):
        assert _pixels_near(pixels, HELIX_COLOURS[helix]) == 0, helix


def test_svg_parses_and_names_the_view(europe: gpd.GeoDataFrame) -> None:
    data = render(europe, Filters(countries=("IT",)), fmt="svg", what="map", generated_at=WHEN)
    root = ET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = data.decode()
    assert "<dc:date>2024-05-01T12:00:00+00:00</dc:date>" in text
    # matplotlib writes text as glyph paths: the words are in comments and titles
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 50


def test_svg_draws_each_helix_with_its_own_marker_shape(europe: gpd.GeoDataFrame) -> None:
    """Greyscale prints lose the colours: each helix must also have its own shape."""
    root = ET.fromstring(render(europe, fmt="svg", what="map", generated_at=WHEN))
    svg, xlink = "{http://www.w3.org/2000/svg}", "{http://www.w3.org/1999/xlink}href"
    paths = {p.get("id"): p.get("d") for p in root.iter(f"{svg}path") if p.get("id")}
    uses: dict[str, list[str]] = {}  # fill colour -> marker ids, one per drawn marker
    for use in root.iter(f"{svg}use"):
        fill = re.search(r"fill: (#[0-9a-f]{6})", use.get("style", ""))
        if fill:
            uses.setdefault(fill.group(1), []).append(use.get(xlink, "").lstrip("#"))
    counts = europe["helix"].value_counts()
    shapes = set()
    for helix in HELICES:
        markers = uses["#{:02x}{:02x}{:02x}".format(*HELIX_COLOURS[helix])]
        assert len(markers) == counts[helix] + 1  # every actor, and its legend entry
        actor_marker = max(set(markers), key=markers.count)
        shapes.add(paths[actor_marker])
    assert len(shapes) == len(HELICES)  # four different outlines


def test_pdf_map_is_one_page_with_title_summary_and_attribution(
    europe: gpd.GeoDataFrame,
) -> None:
    data = render(europe, Filters(helix=("academia",)), fmt="pdf", what="map", generated_at=WHEN)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "SmartCulture European Meta-Cluster" in text
    assert "Academia & research" in text
    assert "© EuroGeographics for the administrative boundaries" in text
    assert str(reader.metadata.creation_date.date()) == "2024-05-01"


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf", "html"])
def test_same_view_and_time_give_the_same_bytes(europe: gpd.GeoDataFrame, fmt: str) -> None:
    filters = Filters(countries=("ES",))
    first = render(europe, filters, fmt=fmt, what="map", generated_at=WHEN, metric="balance")
    second = render(europe, filters, fmt=fmt, what="map", generated_at=WHEN, metric="balance")
    assert first == second
    if fmt == "html":  # and the view does matter
        other = render(europe, filters, fmt=fmt, what="map", generated_at=WHEN, metric="actors")
        assert other != first


# --- CLI --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "png", "svg", "pdf"])
def test_cli_writes_the_same_bytes_as_the_library(
    europe: gpd.GeoDataFrame, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"map.{fmt}"
    result = CliRunner().invoke(
        main,
        ["export", str(MANIFEST), "--helix", "academia", "--level", "1", "--metric",
         "academia", "--hide", "countries", "--generated-at", WHEN, "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    expected = render(
        europe, Filters(helix=("academia",)), fmt=fmt, what="map", level=1,
        metric="academia", layers=("actors", "regions"), generated_at=WHEN,
    )  # fmt: skip
    assert out.read_bytes() == expected


def test_cli_refuses_map_options_for_data_and_data_for_images(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["export", str(MANIFEST), "--metric", "balance",
                                  "-o", str(tmp_path / "a.csv")])  # fmt: skip
    assert result.exit_code == 2 and "--metric and --hide apply to maps" in result.output
    result = runner.invoke(main, ["export", str(MANIFEST), "--what", "actors",
                                  "-o", str(tmp_path / "a.png")])  # fmt: skip
    assert result.exit_code == 2 and "png cannot export actors" in result.output
    assert not (tmp_path / "a.png").exists()


def test_every_format_in_the_registry_has_a_writer_per_export() -> None:
    for name, export_format in FORMATS.items():
        for what in export_format.exports:
            assert check_export(name, what) is export_format
            assert callable(export_format.writers[what])
    assert settings.attribution.startswith("© EuroGeographics for the administrative boundaries")


# --- region profile ---------------------------------------------------------------------


def _pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), reader.pages[0].extract_text()


def test_region_profile_is_one_page_about_the_region(europe: gpd.GeoDataFrame) -> None:
    data = render(europe, Filters(nuts=("ITI1",)), fmt="pdf", what="profile", generated_at=WHEN)
    pages, text = _pdf_text(data)
    assert pages == 1
    tuscany = europe[europe["nuts2"] == "ITI1"]
    assert "Toscana (ITI1)" in text
    assert f"Actors ({len(tuscany)})" in text
    assert "All four helices present" in text
    # the actor list: names, types and websites of the region's actors, no one else's
    for name, kind in tuscany[["name", "organisation_type"]].head(5).itertuples(index=False):
        assert name[:20] in text and str(kind)[:12] in text
    assert "https://www.unifi.it" in text
    outside = europe[europe["nuts0"] != "IT"]["name"]
    assert not any(name in text for name in outside if len(name) > 12)
    assert "Partner regions" in text


def test_profile_names_the_missing_helices(europe: gpd.GeoDataFrame) -> None:
    # the other filters narrow the region's actors: here to two helices
    filters = Filters(nuts=("UKG3",), helix=("academia", "business"))
    data = render(europe, filters, fmt="pdf", what="profile", generated_at=WHEN)
    _, text = _pdf_text(data)
    words = " ".join(text.split())
    assert "West Midlands (UKG3)" in words
    assert "Missing helices: Government & public bodies, Civil society & culture" in words


def test_cluster_profile_and_partner_regions_from_shared_projects(
    europe: gpd.GeoDataFrame,
) -> None:
    # two actors of Toscana share a project with one of Yugozapaden: partners appear
    linked = europe.copy()
    tuscan = linked.index[linked["nuts2"] == "ITI1"][:2]
    bulgarian = linked.index[linked["nuts2"] == "BG41"][:1]
    linked["projects"] = [[] for _ in range(len(linked))]
    for row in (*tuscan, *bulgarian):
        linked.at[row, "projects"] = ["HERIT-AGE"]
    data = render(linked, Filters(nuts=("ITI1",)), fmt="pdf", what="profile", generated_at=WHEN)
    _, text = _pdf_text(data)
    assert "Yugozapaden (BG41): 2 links" in " ".join(text.split())

    cluster = europe["regional_cluster"].map(lambda c: c[0]).iloc[0]
    data = render(europe, Filters(clusters=(cluster,)), fmt="pdf", what="profile",
                  generated_at=WHEN)  # fmt: skip
    pages, text = _pdf_text(data)
    assert pages == 1 and f"{cluster} — regional cluster" in text


def test_profile_needs_one_place(tmp_path: Path, europe: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="one NUTS region"):
        render(europe, Filters(countries=("IT",)), fmt="pdf", what="profile")
    result = CliRunner().invoke(
        main, ["export", str(MANIFEST), "--what", "profile", "--nuts", "ITI1", "--nuts", "ES21",
               "-o", str(tmp_path / "p.pdf")],
    )  # fmt: skip
    assert result.exit_code == 2 and "exactly one NUTS region" in result.output
    assert not (tmp_path / "p.pdf").exists()


def test_cli_profile_lists_partner_regions_from_the_manifest_links(tmp_path: Path) -> None:
    linked = merge_with_links(MANIFEST)
    partners = partner_regions(linked.edges, "ITI1")
    assert len(partners) > 0
    top = partners.sort_values(["links", "region"], ascending=[False, True]).iloc[0]
    out = tmp_path / "toscana.pdf"
    result = CliRunner().invoke(main, ["export", str(MANIFEST), "--what", "profile",
                                       "--nuts", "ITI1", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    _, text = _pdf_text(out.read_bytes())
    assert f"({top['region']}): {top['links']} links" in " ".join(text.split())
