"""Loaders' pure parts: upload names, filter options, the tour's steps."""

from __future__ import annotations

import pytest

from metacluster.ui import data, deck
from metacluster.ui.present import tour_step
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
    options = data.build_filter_options(sample_actors(), ["Toscana", "Nord-Pas de Calais"])
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
    options = data.build_filter_options(sample_actors(), ["Lazio"])
    assert options.clusters == ("Nord-Pas de Calais", "Toscana")


def test_slug_makes_file_name_parts() -> None:
    assert data.slug("SmartCulture") == "smartculture"
    assert data.slug("SMART SPACE") == "smart-space"
    assert data.slug("***") == "metacluster"


def test_tour_steps_through_the_clusters_and_zooms_on_each() -> None:
    actors = sample_actors()
    clusters = ("Toscana", "Nord-Pas de Calais")
    first = tour_step(actors, clusters, 1)
    assert first is not None
    assert first.label == "1 / 2 — Toscana"
    assert first.actors == 4  # three in Florence, EuraTechnologies is on both maps
    expected = deck.view_for_points(
        actors[actors["regional_cluster"].map(lambda c: "Toscana" in c)].geometry,
        width=1400,
        height=760,
    )
    assert first.view == expected
    second = tour_step(actors, clusters, 2)
    assert second is not None and second.label == "2 / 2 — Nord-Pas de Calais"
    assert 2.9 < second.view.longitude < 3.2 and 50.5 < second.view.latitude < 50.7
    assert tour_step(actors, clusters, 0) is None
    assert tour_step(actors, clusters, 3) is None
