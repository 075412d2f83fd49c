"""Loaders' pure parts: upload names, filter options, the tour's steps."""

from __future__ import annotations

import socket
from pathlib import Path

import geopandas as gpd
import pytest

from metacluster import framing, settings
from metacluster._errors import ManifestError
from metacluster.filter import offered_values
from metacluster.ui import data
from metacluster.ui.mapview import PRESENT_HEIGHT, PRESENT_WIDTH
from metacluster.ui.present import TOUR_MAX_ZOOM, tour_step
from tests.ui_sample import sample_actors


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ana\\Île-de-France.KML", "Île-de-France.kml"),
        ("/tmp/a b.csv", "a b.csv"),
        ("..", "upload"),
        ("x.kml", "x-2.kml"),  # taken
        ("weird$name!.geo json", "weird_name.geojson"),
    ],
)
def test_safe_name_keeps_only_a_plain_base_name(name: str, safe: str) -> None:
    assert data.safe_name(name, {"x.kml"}) == safe


def test_filter_options_come_from_the_data_in_manifest_order() -> None:
    options = offered_values(sample_actors(), ["Toscana", "Nord-Pas de Calais"])
    assert options.clusters == ("Toscana", "Nord-Pas de Calais")
    assert options.countries == ("FR", "IT")
    assert options.nuts == {
        "FR": "France",
        "FRE": "Hauts-de-France",
        "FRE1": "Nord-Pas de Calais",
        "FRE11": "Nord",
        "IT": "Italia",
        "ITI": "Centro (IT)",
        "ITI1": "Toscana",
        "ITI14": "Firenze",
    }
    assert options.themes == ("digital", "heritage")


def test_filter_options_add_clusters_missing_from_the_manifest() -> None:
    options = offered_values(sample_actors(), ["Lazio"])
    assert options.clusters == ("Nord-Pas de Calais", "Toscana")


def test_slug_makes_file_name_parts() -> None:
    assert data.slug("SmartCulture") == "smartculture"
    assert data.slug("SMART SPACE") == "smart-space"
    assert data.slug("***") == "metacluster"


def _fit(points: gpd.GeoSeries) -> framing.ViewState:
    return framing.view_for_points(
        points, width=PRESENT_WIDTH, height=PRESENT_HEIGHT, max_zoom=TOUR_MAX_ZOOM
    )


def test_tour_steps_through_the_clusters_and_zooms_on_each_home_region() -> None:
    actors = sample_actors()
    clusters = ("Toscana", "Nord-Pas de Calais")
    first = tour_step(actors, clusters, 1)
    assert first is not None
    assert first.label == "1 / 2 — Toscana"
    assert first.actors == 4  # three in Florence, EuraTechnologies (Lille) is on both maps
    florence = actors[actors["city"] == "Firenze"].geometry
    assert first.view == _fit(florence)  # the partner in Lille does not pull it to France
    assert first.view.zoom == TOUR_MAX_ZOOM  # three actors within 1.5 km: the region around
    assert (round(first.view.longitude, 2), round(first.view.latitude, 2)) == (11.26, 43.77)
    second = tour_step(actors, clusters, 2)
    assert second is not None and second.label == "2 / 2 — Nord-Pas de Calais"
    assert 2.9 < second.view.longitude < 3.2 and 50.5 < second.view.latitude < 50.7
    assert tour_step(actors, clusters, 0) is None
    assert tour_step(actors, clusters, 3) is None


def test_the_tour_looks_at_the_manifests_home_region_when_it_is_given() -> None:
    actors = sample_actors()
    lille = _fit(actors[actors["actor_id"] == "mc-a5"].geometry)
    at_home = tour_step(actors, ("Toscana",), 1, homes={"Toscana": "FRE11"})
    assert at_home is not None and at_home.view == lille and at_home.actors == 4
    members = actors[actors["regional_cluster"].map(lambda c: "Toscana" in c)]
    nowhere = tour_step(actors, ("Toscana",), 1, homes={"Toscana": "DE1"})  # no actor there
    assert nowhere is not None
    assert nowhere.view == _fit(members.geometry)


def test_auto_basemap_is_online_only_when_the_tiles_answer(
    monkeypatch: pytest.MonkeyPatch, nuts_http_server: str
) -> None:
    monkeypatch.setattr(settings, "basemap", "auto")
    monkeypatch.setattr(data, "BASEMAP_PROBE_URL", nuts_http_server)
    data._answers.clear()
    assert data.online_basemap_default() is True
    with socket.socket() as closed:  # a port that nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        monkeypatch.setattr(data, "BASEMAP_PROBE_URL", f"http://127.0.0.1:{port}/")
        assert data.online_basemap_default() is False
    monkeypatch.setattr(settings, "basemap", "online")
    assert data.online_basemap_default() is True


def test_an_edited_manifest_is_read_again(tmp_path: Path) -> None:
    """The app caches parsed manifests: an edit (a new title, a map removed) shows at the
    next rerun, and a map file that disappeared is named rather than cached away."""
    (tmp_path / "nord.csv").write_text("name,lat,lon\nA,50.6,3.1\n", encoding="utf-8")
    manifest = tmp_path / "partnership.toml"

    def write(title: str, *, map_file: str = "nord.csv") -> None:
        manifest.write_text(
            f'[partnership]\nname = "P"\ntitle = "{title}"\n\n'
            f'[[maps]]\nfile = "{map_file}"\ncluster = "Nord"\n',
            encoding="utf-8",
        )

    write("First title")
    assert list(data.manifests(tmp_path)) == ["First title"]
    write("A second, longer title")
    assert list(data.manifests(tmp_path)) == ["A second, longer title"]
    assert data.load_manifest_dataset(manifest).clusters == ("Nord",)
    (tmp_path / "nord.csv").unlink()
    with pytest.raises(ManifestError, match=r"nord\.csv"):
        data.load_manifest_dataset(manifest)
