"""The map's deck.gl JSON: plain-text tooltips, spliced subsets, view fitting, colours, layers."""

from __future__ import annotations

import json
import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import pyproj
import pytest
import shapely

from metacluster import framing
from metacluster.schema import HELIX_COLOURS, HELIX_LABELS
from metacluster.ui import deck
from tests.ui_sample import XSS_NAME, sample_actors


def test_join_lists_joins_list_cells_and_keeps_scalars() -> None:
    values = pd.Series([["a", "b"], (), np.array(["x"]), "plain", None, float("nan")], dtype=object)
    assert deck.join_lists(values).tolist() == ["a; b", "", "x", "plain", "", ""]


def test_actor_rows_hold_rounded_positions_colours_and_plain_text_tooltips() -> None:
    actors = sample_actors()
    rows = [json.loads(row) for row in deck.actor_rows(actors)]
    assert [r["id"] for r in rows] == actors["actor_id"].tolist()
    first = rows[0]
    assert set(first) == {"id", "lon", "lat", "c", "tip"}
    assert (first["lon"], first["lat"]) == (11.25581, 43.77315)
    assert first["c"] == list(HELIX_COLOURS["academia"])
    # the NUTS-3 name (Firenze) is left out where it repeats the city
    assert first["tip"] == (
        f"Università di Firenze\n{HELIX_LABELS['academia']} · University\n"
        "Firenze, Toscana\nRegional cluster: Toscana"
    )
    assert rows[1]["tip"].split("\n")[0] == XSS_NAME  # as written: innerText shows it as text
    assert rows[4]["tip"].endswith("\nRegional cluster: Nord-Pas de Calais; Toscana")
    # no city, no type: those parts and nothing else are left out
    assert rows[5]["tip"] == (
        f"Mystery {{t}} org\n{HELIX_LABELS['unknown']}\nNord, Nord-Pas de Calais\n"
        "Regional cluster: Nord-Pas de Calais"
    )
    assert rows[5]["c"] == list(HELIX_COLOURS["unknown"])


def test_tooltip_is_plain_text_with_one_placeholder() -> None:
    # "text" is set with innerText by deck.gl (never parsed as HTML); with one placeholder
    # a value holding "{...}" cannot be filled with another placeholder's text.
    assert set(deck.TOOLTIP) == {"text", "style"}
    assert re.findall(r"{(.*?)}", deck.TOOLTIP["text"]) == ["tip"]


def test_actor_rows_of_no_actors_is_empty() -> None:
    assert deck.actor_rows(sample_actors().iloc[:0]).tolist() == []
    assert deck.rows_json(np.array([], dtype=object)) == "[]"


def test_rows_json_splices_the_rows_at_the_given_positions() -> None:
    rows = deck.actor_rows(sample_actors())
    subset = json.loads(deck.rows_json(rows, np.array([4, 0])))
    assert [r["id"] for r in subset] == ["mc-a5", "mc-a1"]
    assert len(json.loads(deck.rows_json(rows))) == 6


def _zoom_from_pyproj(bounds, width, height, padding):
    """The fitting zoom computed independently, from Web Mercator metres."""
    to_3857 = pyproj.Transformer.from_crs(4326, 3857, always_xy=True)
    x0, y0 = to_3857.transform(bounds[0], bounds[1])
    x1, y1 = to_3857.transform(bounds[2], bounds[3])
    world = 2 * math.pi * 6378137.0
    usable = 1 - 2 * padding
    zoom_x = math.log2(usable * width * world / (512 * (x1 - x0)))
    zoom_y = math.log2(usable * height * world / (512 * (y1 - y0)))
    centre = pyproj.Transformer.from_crs(3857, 4326, always_xy=True).transform(
        (x0 + x1) / 2, (y0 + y1) / 2
    )
    return min(zoom_x, zoom_y), centre


@pytest.mark.parametrize(
    ("bounds", "width", "height", "padding"),
    [
        ((-10.0, 40.0, 10.0, 60.0), 1024, 1024, 0.0),
        ((2.0, 41.0, 12.0, 51.0), 1000, 600, 0.1),
        ((11.0, 43.5, 11.5, 43.9), 800, 800, 0.05),
        ((-25.0, 34.0, 45.0, 71.0), 1400, 760, 0.1),
    ],
)
def test_view_for_bounds_fits_the_box(bounds, width, height, padding) -> None:
    view = framing.view_for_bounds(bounds, width=width, height=height, padding=padding, max_zoom=20)
    zoom, (lon, lat) = _zoom_from_pyproj(bounds, width, height, padding)
    assert view.zoom == pytest.approx(zoom, abs=1e-6)
    assert (view.longitude, view.latitude) == (pytest.approx(lon), pytest.approx(lat))


def test_view_for_bounds_of_the_whole_world_is_zoom_zero() -> None:
    view = framing.view_for_bounds((-180, -85, 180, 85), width=512, height=4096, padding=0)
    assert view.zoom == pytest.approx(0.0, abs=1e-9)


def test_view_for_points_handles_one_point_and_none() -> None:
    one = gpd.GeoSeries([shapely.Point(11.25, 43.77)], crs=4326)
    view = framing.view_for_points(one, width=800, height=600)
    assert (view.longitude, view.latitude, view.zoom) == (
        11.25,
        pytest.approx(43.77),
        framing.MAX_ZOOM,
    )  # in the middle: at the closest zoom, views are not snapped
    assert framing.view_for_points(
        gpd.GeoSeries([], crs=4326), width=800, height=600
    ) == framing.ViewState(**framing.EUROPE_VIEW)
    missing = gpd.GeoSeries([None, shapely.Point()], crs=4326)
    assert framing.view_for_points(missing, width=800, height=600) == framing.ViewState(
        **framing.EUROPE_VIEW
    )


@pytest.mark.parametrize(
    ("n", "box", "width", "height"),
    [
        (3, (11.0, 43.5, 11.6, 43.9), 560, 560),
        (60, (-9.5, 36.0, 28.0, 60.0), 578, 560),
        (2_000, (-25.0, 34.0, 45.0, 71.0), 1200, 320),
        (5_000, (2.0, 50.0, 3.5, 51.0), 806, 560),
    ],
)
def test_snapped_views_keep_the_points_inside_half_the_padding(n, box, width, height) -> None:
    rng = np.random.default_rng(n)
    lon, lat = rng.uniform(box[0], box[2], n), rng.uniform(box[1], box[3], n)
    view = framing.view_for_points(
        gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326), width=width, height=height
    )
    assert (view.zoom / framing.ZOOM_STEP).is_integer()
    share = 0.01 if n >= 100 else 0.0  # the outliers view_for_points leaves out
    kept = (
        (lon >= np.quantile(lon, share))
        & (lon <= np.quantile(lon, 1 - share))
        & (lat >= np.quantile(lat, share))
        & (lat <= np.quantile(lat, 1 - share))
    )
    xy = np.array(
        [
            framing.project(x, y, view, width=width, height=height)
            for x, y in zip(lon[kept], lat[kept], strict=True)
        ]
    )
    margin = framing.PADDING * min(width, height) / 2
    assert xy[:, 0].min() >= margin - 1e-6 and xy[:, 0].max() <= width - margin + 1e-6
    assert xy[:, 1].min() >= margin - 1e-6 and xy[:, 1].max() <= height - margin + 1e-6


def test_a_filter_that_barely_moves_the_extent_keeps_the_view() -> None:
    """One helix of many actors spread over Europe spans what all of them span: the map
    stays where it is (and the browser draws it once)."""
    rng = np.random.default_rng(7)
    lon, lat = rng.normal(12.0, 9.0, 40_000), rng.normal(49.0, 6.0, 40_000)
    helix = rng.integers(0, 4, 40_000)
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326)
    everyone = framing.view_for_points(points, width=560, height=560)
    for one in range(4):
        assert framing.view_for_points(points[helix == one], width=560, height=560) == everyone


def test_view_for_points_stops_at_the_given_zoom() -> None:
    town = gpd.GeoSeries(gpd.points_from_xy([11.25, 11.26], [43.77, 43.78]), crs=4326)
    assert framing.view_for_points(town, width=800, height=600).zoom == framing.MAX_ZOOM
    assert framing.view_for_points(town, width=800, height=600, max_zoom=8.0).zoom == 8.0


def test_view_for_points_ignores_a_far_outlier_among_many() -> None:
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(10, 12, 199), rng.uniform(43, 44, 199)
    points = gpd.GeoSeries(gpd.points_from_xy([*lon, -16.0], [*lat, 28.0]), crs=4326)
    view = framing.view_for_points(points, width=1000, height=600)
    assert 10 < view.longitude < 12 and 43 < view.latitude < 44
    assert view.zoom > 6  # fitted to Tuscany, not stretched to the Canaries


def test_ramp_colours_interpolates_from_near_white_to_the_colour() -> None:
    colours = deck.ramp_colours(
        np.array([0.0, 5.0, 10.0, 20.0, np.nan]), colour=(0, 100, 200), vmin=0, vmax=10, alpha=99
    )
    assert colours.tolist() == [
        [247, 247, 247, 99],
        [124, 174, 224, 99],  # halfway, rounded: (247+0)/2, (247+100)/2, (247+200)/2
        [0, 100, 200, 99],
        [0, 100, 200, 99],  # clipped at vmax
        [200, 200, 200, 60],  # no value
    ]


def test_metric_range_is_zero_to_one_for_balance_and_zero_to_max_for_counts() -> None:
    assert deck.metric_range("balance", np.array([0.2, 0.5])) == (0.0, 1.0)
    assert deck.metric_range("actors", np.array([3.0, 12.0, np.nan])) == (0.0, 12.0)
    assert deck.metric_range("actors", np.array([])) == (0.0, 1.0)


def _regions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "NUTS_ID": ["FRE1", "ITI1", "XX99"],
            "NAME_LATN": ["Nord-Pas de Calais", "Tos<cana>", "Nowhere"],
            "n_academia": [1, 1, 0],
            "n_business": [1, 0, 0],
            "n_government": [0, 1, 0],
            "n_civil_society": [0, 1, 0],
            "n_unknown": [1, 0, 1],
            "n_total": [3, 3, 1],
            "helix_balance": [0.5, 0.79248, np.nan],
            "missing_helices": [["government", "civil_society"], [], list(HELIX_COLOURS)[:4]],
        }
    )


def test_region_features_colour_each_region_and_describe_it() -> None:
    square = shapely.to_geojson(shapely.box(0, 0, 1, 1))
    collection = json.loads(
        deck.region_features(_regions(), {"FRE1": square, "ITI1": square}, "academia")
    )
    features = collection["features"]
    assert [f["properties"]["id"] for f in features] == ["FRE1", "ITI1"]  # XX99: no geometry
    first, second = (f["properties"] for f in features)
    assert first["fill"] == second["fill"] == [0, 114, 178, 190]  # 1 of max 1: full colour
    assert first["tip"].split("\n") == [
        "Nord-Pas de Calais (FRE1)",
        "3 actors: 1 academia · 1 business · 0 government · 0 civil society",
        "Missing: government, civil society",
        "Academia & research actors: 1",
    ]
    assert second["tip"].split("\n")[:3] == [
        "Tos<cana> (ITI1)", "3 actors: 1 academia · 0 business · 1 government · 1 civil society",
        "All four helices present",
    ]  # fmt: skip
    assert features[0]["geometry"]["type"] == "Polygon"


def test_region_features_of_the_balance_index() -> None:
    square = shapely.to_geojson(shapely.box(0, 0, 1, 1))
    collection = json.loads(
        deck.region_features(_regions(), {"FRE1": square, "ITI1": square}, "balance")
    )
    first, second = (f["properties"] for f in collection["features"])
    assert first["tip"].endswith("\nHelix balance index: 0.50")
    assert second["tip"].endswith("\nHelix balance index: 0.79")
    expected = deck.ramp_colours(np.array([0.5]), colour=(84, 39, 143), vmin=0, vmax=1)
    assert first["fill"] == expected[0].tolist()


def test_countries_features_draw_land_over_the_sea_a_neutral_ground_or_nothing() -> None:
    square = shapely.to_geojson(shapely.box(0, 0, 1, 1))
    countries = {"FR": square, "IT": square}
    world = json.loads(deck.countries_features(countries, backdrop="sea"))
    nuts_only = json.loads(deck.countries_features(countries, backdrop="neutral"))
    online = json.loads(deck.countries_features(countries, backdrop="none"))
    assert len(world["features"]) == len(nuts_only["features"]) == 3
    assert world["features"][0]["geometry"]["coordinates"][0][2] == [180, 85]
    sea, neutral = (
        world["features"][0]["properties"]["fill"],
        nuts_only["features"][0]["properties"]["fill"],
    )
    r, g, b, _ = neutral
    assert b <= r and b <= g  # a warm grey, not the sea's blue: land outside NUTS is not water
    assert sea[2] > sea[0]  # the sea is blue
    assert len(online["features"]) == 2
    assert online["features"][0]["properties"]["fill"][3] == 0  # outlines over the tiles
    with pytest.raises(ValueError, match="backdrop"):
        deck.countries_features(countries, backdrop="ocean")


def test_border_segments_are_every_edge_of_every_ring_holes_included() -> None:
    square = shapely.box(0, 0, 1, 1)
    holed = shapely.Polygon([(2, 0), (5, 0), (5, 3), (2, 3)], [[(3, 1), (4, 1), (4, 2), (3, 2)]])
    two_parts = shapely.MultiPolygon([shapely.box(10, 0, 11, 1), shapely.box(12, 0, 13, 1)])
    outlines = {code: shapely.to_geojson(g) for code, g in (("A", square), ("B", holed),
                                                               ("C", two_parts))}  # fmt: skip
    segments = json.loads(deck.border_segments(outlines))
    assert len(segments) == 4 + 8 + 8  # a segment never joins two rings or two countries
    assert [0.0, 0.0, 1.0, 0.0] in segments and [3.0, 1.0, 4.0, 1.0] in segments
    assert all(abs(x2 - x1) + abs(y2 - y1) == 1 or x1 in (2, 5) or y1 in (0, 3)
               for x1, y1, x2, y2 in segments)  # fmt: skip
    assert deck.border_segments({}) == "[]"
    layer = deck.borders_layer(deck.border_segments(outlines))
    assert (layer.kind, layer.id, layer.style["pickable"]) == ("LineLayer", "borders", False)
    regions = deck.region_outlines_layer(deck.border_segments(outlines))
    assert (regions.kind, regions.id, regions.style["pickable"]) == (
        "LineLayer", "region-outlines", False
    )  # fmt: skip
    assert sum(regions.style["getColor"][:3]) < sum(layer.style["getColor"][:3])  # darker


def _layers(point_radius: float = deck.POINT_RADIUS_PX) -> list[deck.Layer]:
    rows = deck.actor_rows(sample_actors())
    return [
        deck.countries_layer(deck.countries_features({}, backdrop="sea")),
        deck.regions_layer(deck.region_features(_regions(), {}, "actors")),
        deck.actors_layer(deck.rows_json(rows), point_radius=point_radius),
    ]


def _spec(layers: list[deck.Layer] | None = None, **options) -> dict:
    view = framing.ViewState(latitude=45.0, longitude=8.0, zoom=4.0)
    return json.loads(deck.deck_spec(_layers() if layers is None else layers, view=view, **options))


def test_deck_spec_stacks_pickable_layers_over_the_offline_basemap() -> None:
    spec = _spec()
    assert [layer["id"] for layer in spec["layers"]] == ["countries", "regions", "actors"]
    countries, regions, actors = spec["layers"]
    assert countries["pickable"] is False
    assert regions["pickable"] is actors["pickable"] is True
    assert actors["@@type"] == "ScatterplotLayer"
    assert actors["radiusUnits"] == "pixels"
    assert actors["radiusMinPixels"] <= actors["getRadius"] <= actors["radiusMaxPixels"]
    assert 2 * actors["radiusMinPixels"] >= 7  # dots stay clickable on a laptop
    assert [row["id"] for row in actors["data"]] == sample_actors()["actor_id"].tolist()
    assert regions["data"]["type"] == "FeatureCollection"
    assert spec["initialViewState"] == {"latitude": 45.0, "longitude": 8.0, "zoom": 4.0}
    # The arrow keys are the presentation clicker's, not the map's.
    assert spec["views"][0]["controller"]["keyboard"] is False
    # No tiles: pydeck's "no style" marker, which Streamlit does not replace by Carto's.
    assert spec["mapStyle"] == pdk.Deck(map_provider=None).map_style
    assert "mapProvider" not in spec
    assert "cartocdn" not in json.dumps(spec)


def test_deck_spec_uses_carto_positron_only_when_asked() -> None:
    spec = _spec(online_basemap=True)
    assert spec["mapStyle"] == "https://basemaps.cartocdn.com/gl/positron-gl-style/style.json"
    assert spec["mapProvider"] == "carto"


def test_deck_spec_draws_the_layers_it_is_given_in_order() -> None:
    actors = _layers(point_radius=8.0)[2]
    spec = _spec([actors])
    assert [layer["id"] for layer in spec["layers"]] == ["actors"]
    assert spec["layers"][0]["getRadius"] == 8.0
    arcs = deck.Layer("links", "ArcLayer", '[{"a": 1}]', {"getWidth": 2})
    spec = _spec([actors, arcs])
    assert [layer["id"] for layer in spec["layers"]] == ["actors", "links"]
    assert spec["layers"][1] == {
        "@@type": "ArcLayer",
        "id": "links",
        "data": [{"a": 1}],
        "getWidth": 2,
    }
    with pytest.raises(ValueError, match="unique"):
        _spec([actors, actors])


def test_legends_show_counts_and_the_ramp() -> None:
    legend = deck.helix_legend_html({"academia": 1234, "business": 2})
    assert "Academia &amp; research (1,234)" in legend
    assert "rgb(0,114,178)" in legend
    assert "Unknown helix" not in legend  # shown only when there are unknown actors
    assert "Unknown helix (3)" in deck.helix_legend_html({"unknown": 3})
    ramp = deck.metric_legend_html("balance", 0.0, 1.0)
    assert "Helix balance index per region: 0" in ramp and "rgb(84,39,143)" in ramp


def test_actors_sharing_a_point_fan_out_around_it_and_others_stay_put() -> None:
    lon = np.array([3.0573] * 24 + [5.47778])
    lat = np.array([50.6292] * 24 + [51.44083])
    spread_lon, spread_lat = deck.spread_stacked(lon, lat)
    distance = pyproj.Geod(ellps="WGS84").inv(lon, lat, spread_lon, spread_lat)[2]
    assert distance[0] == 0 and distance[-1] == 0  # the first of a stack and a lone actor
    expected = deck.SPREAD_STEP_M * np.sqrt(np.arange(24))
    np.testing.assert_allclose(distance[:24], expected, rtol=0.01)
    drawn = set(zip(np.round(spread_lon, 5), np.round(spread_lat, 5), strict=True))
    assert len(drawn) == 25  # every actor can be seen and clicked on its own
