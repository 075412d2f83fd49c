"""Exports: GeoJSON per RFC 7946 (schema-validated), CSV and KML, and their round trips."""

from __future__ import annotations

import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import jsonschema
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely import MultiPolygon, Point, Polygon

from metacluster import Filters, render, settings, to_csv, to_geojson, to_kml
from metacluster.export import FORMATS, check_export, export_filename, format_for_path
from metacluster.export.geojson import generation_time, geometry_objects, write_geojson
from metacluster.read import read_layer
from metacluster.schema import HELIX_COLOURS

SCHEMA = json.loads((Path(__file__).parent / "geojson.schema.json").read_text())
FIXED = "2024-05-01T12:00:00Z"


def valid_geojson(data: bytes) -> dict:
    document = json.loads(data)
    jsonschema.validate(document, SCHEMA)
    return document


@pytest.fixture
def actors() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "actor_id": ["mc-1", "mc-2", "mc-3", "mc-4"],
            "name": ["Musée d'Orsay", 'Tech <&> "Lab"\x0b', "=cmd()", "Unknown Org"],
            "helix": ["civil_society", "business", "academia", None],
            "themes": [["3d", "museum"], [], np.array(["vr"]), None],
            "website": ["https://www.musee-orsay.fr", None, "https://x.it", None],
            "description": ["<p>Impressionism<br>&amp; more</p>", None, "Plain", "Ünïcode ✓"],
            "nuts3": ["FR101", "ITI43", "ITI43", None],
            "source_row": np.array([1, 2, 3, 4], dtype="int64"),
            "score": [0.5, np.nan, np.float64(2.25), 1.0],
            "count": pd.array([1, None, 3, 4], dtype="Int64"),
            "flag": [True, False, True, False],
            "seen": pd.to_datetime(
                ["2024-01-02", None, "2024-03-04T05:06:07", "2024-01-01"], format="ISO8601"
            ),
            "regional_cluster": [["Île-de-France", "Lazio"], ["Lazio"], ["Lazio"], ["Attica"]],
        },
        geometry=[
            Point(2.32655123456, 48.86),
            Point(12.4964, 41.9028),
            Point(12.5144, 41.9029),
            Point(23.7275, 37.9838),
        ],
        crs="EPSG:4326",
    )
    frame.attrs.update(nuts_year=2021, title="Test layer")
    return frame


# --- GeoJSON ------------------------------------------------------------------------------


def test_geojson_structure_properties_and_metadata(actors) -> None:
    document = valid_geojson(
        to_geojson(actors, metadata={"what": "actors"}, generated_at=FIXED, id_column="actor_id")
    )
    assert list(document) == ["type", "metadata", "features"]
    assert "crs" not in document
    assert document["metadata"] == {
        "attribution": settings.attribution,
        "features": 4,
        "generated_at": FIXED,
        "what": "actors",
    }
    first, second, third, fourth = document["features"]
    assert list(first) == ["type", "id", "geometry", "properties"]
    assert first["id"] == "mc-1"
    assert first["geometry"] == {"type": "Point", "coordinates": [2.326551, 48.86]}
    assert list(first["properties"]) == [c for c in actors.columns if c != "geometry"]
    assert first["properties"]["themes"] == ["3d", "museum"]
    assert first["properties"]["regional_cluster"] == ["Île-de-France", "Lazio"]
    assert first["properties"]["seen"] == "2024-01-02T00:00:00"
    assert first["properties"]["count"] == 1 and first["properties"]["flag"] is True
    assert second["properties"]["score"] is None
    assert second["properties"]["count"] is None
    assert second["properties"]["seen"] is None
    assert second["properties"]["themes"] == []
    assert third["properties"]["themes"] == ["vr"]
    assert third["properties"]["score"] == 2.25
    assert fourth["properties"]["helix"] is None and fourth["properties"]["themes"] is None
    assert fourth["properties"]["description"] == "Ünïcode ✓"


def test_geojson_is_deterministic_and_compact(actors) -> None:
    one = to_geojson(actors, generated_at=FIXED)
    assert one == to_geojson(actors.copy(), generated_at=FIXED)
    assert b"\n" not in one and b"NaN" not in one
    assert "Île-de-France".encode() in one  # UTF-8, not \u escapes


@pytest.mark.parametrize("chunk_rows", [1, 3, 1000])
def test_geojson_written_in_chunks_is_the_same_document(actors, chunk_rows: int) -> None:
    out = io.BytesIO()
    write_geojson(actors, out, generated_at=FIXED, id_column="actor_id", chunk_rows=chunk_rows)
    whole = to_geojson(actors, generated_at=FIXED, id_column="actor_id")
    assert out.getvalue() == whole
    # and the same document the standard library writes from the parsed features
    parsed = json.loads(whole)
    assert json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode() == whole


def test_geojson_precision(actors) -> None:
    coordinates = json.loads(to_geojson(actors, precision=2, generated_at=FIXED))["features"][0][
        "geometry"
    ]["coordinates"]
    assert coordinates == [2.33, 48.86]


def test_geojson_reprojects_and_needs_a_crs(actors) -> None:
    projected = actors.to_crs(3035)
    document = json.loads(to_geojson(projected, generated_at=FIXED))
    assert document["features"][1]["geometry"]["coordinates"] == pytest.approx([12.4964, 41.9028])
    with pytest.raises(ValueError, match="no CRS"):
        to_geojson(actors.set_crs(None, allow_override=True))
    with pytest.raises(ValueError, match="id_column 'nope'"):
        to_geojson(actors, id_column="nope")


def test_polygons_follow_the_right_hand_rule_and_keep_their_type() -> None:
    clockwise = Polygon(
        [(0, 0), (0, 1), (1, 1), (1, 0)], holes=[[(0.2, 0.2), (0.4, 0.2), (0.4, 0.4)]]
    )
    assert not clockwise.exterior.is_ccw
    multi = MultiPolygon([Polygon([(5, 5), (5, 6), (6, 6)]), Polygon([(7, 7), (8, 7), (8, 8)])])
    regions = gpd.GeoDataFrame(
        {"NUTS_ID": ["A1", "B2", "C3"], "n_total": np.array([3, 0, 1])},
        geometry=[clockwise, multi, None],
        crs="EPSG:4326",
    )
    document = valid_geojson(to_geojson(regions, generated_at=FIXED, id_column="NUTS_ID"))
    polygon, multipolygon, missing = (f["geometry"] for f in document["features"])
    assert polygon["type"] == "Polygon" and multipolygon["type"] == "MultiPolygon"
    assert missing is None
    exterior, hole = polygon["coordinates"]
    assert shapely.LinearRing(exterior).is_ccw and not shapely.LinearRing(hole).is_ccw
    assert exterior[0] == exterior[-1]
    assert all(shapely.LinearRing(p[0]).is_ccw for p in multipolygon["coordinates"])
    assert shapely.geometry.shape(polygon).equals(clockwise)
    assert [f["id"] for f in document["features"]] == ["A1", "B2", "C3"]


def test_polygon_precision_defaults_to_five_decimals() -> None:
    triangle = Polygon([(0.1234567, 0), (1, 0), (1, 1.7654321)])
    (geometry,) = geometry_objects(np.array([triangle]))
    flat = [value for position in geometry["coordinates"][0] for value in position]
    assert 0.12346 in flat and 1.76543 in flat
    (point,) = geometry_objects(np.array([Point(0.12345678, 1)]))
    assert point["coordinates"] == [0.123457, 1.0]


def test_empty_geometries_become_null() -> None:
    assert geometry_objects(np.array([None, Point(), Polygon()], dtype=object)) == [None] * 3


def test_generation_time(monkeypatch: pytest.MonkeyPatch) -> None:
    assert generation_time("2024-05-01T14:00:00+02:00") == FIXED
    assert generation_time(dt.datetime(2024, 5, 1, 12, 0, 0, 999)) == FIXED
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714564800")
    assert generation_time() == FIXED
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH='soon'"):
        generation_time()
    with pytest.raises(ValueError, match="not an ISO 8601 time"):
        generation_time("yesterday")
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    now = dt.datetime.now(dt.timezone.utc)
    stamp = dt.datetime.fromisoformat(generation_time().replace("Z", "+00:00"))
    assert abs((stamp - now).total_seconds()) < 60


def test_geojson_round_trip_with_geopandas(actors) -> None:
    back = gpd.read_file(io.BytesIO(to_geojson(actors, generated_at=FIXED)))
    assert back["name"].tolist() == actors["name"].tolist()
    assert back["helix"].tolist()[:3] == actors["helix"].tolist()[:3]
    assert np.allclose(
        shapely.get_coordinates(back.geometry), shapely.get_coordinates(actors.geometry), atol=1e-6
    )
    assert back.crs.to_epsg() == 4326


def test_geojson_round_trip_with_read_layer(actors, tmp_path: Path) -> None:
    path = tmp_path / "europe.geojson"
    path.write_bytes(to_geojson(actors, generated_at=FIXED))
    result = read_layer(path)
    assert result.rows_in == 4 and result.rejected == 0
    back = result.actors
    assert back["name"].tolist() == ["Musée d'Orsay", 'Tech <&> "Lab"', "=cmd()", "Unknown Org"]
    assert back["helix"].tolist() == ["civil_society", "business", "academia", "unknown"]
    assert back["themes"].tolist()[:3] == [["3d", "museum"], [], ["vr"]]
    assert back["website"].tolist()[0] == "https://www.musee-orsay.fr"
    assert np.allclose(
        shapely.get_coordinates(back.geometry), shapely.get_coordinates(actors.geometry), atol=1e-6
    )


# --- CSV ----------------------------------------------------------------------------------


def test_csv_round_trip_with_read_layer(actors, tmp_path: Path) -> None:
    data = to_csv(actors)
    assert data.startswith("\ufeff".encode())
    assert b"'=cmd()" in data  # neutralised, as a spreadsheet must not run it
    path = tmp_path / "europe.csv"
    path.write_bytes(data)
    back = read_layer(path).actors
    assert back["name"].tolist()[:2] == ["Musée d'Orsay", 'Tech <&> "Lab"']
    assert back["helix"].tolist() == ["civil_society", "business", "academia", "unknown"]
    assert back["themes"].tolist()[:3] == [["3d", "museum"], [], ["vr"]]
    assert np.allclose(
        shapely.get_coordinates(back.geometry), shapely.get_coordinates(actors.geometry), atol=1e-6
    )


# --- KML ----------------------------------------------------------------------------------

KML = "{http://www.opengis.net/kml/2.2}"


def test_kml_folders_styles_placemarks(actors) -> None:
    root = ET.fromstring(to_kml(actors, name="SmartCulture <Europe>"))
    document = root.find(f"{KML}Document")
    assert document.find(f"{KML}name").text == "SmartCulture <Europe>"
    assert document.find(f"{KML}description").text == settings.attribution
    folders = [f.find(f"{KML}name").text for f in document.findall(f"{KML}Folder")]
    assert folders == ["Academic/Scientific", "Business", "Societal Participation", "Unknown helix"]
    styles = {
        s.get("id"): s.find(f"{KML}IconStyle/{KML}color").text
        for s in document.findall(f"{KML}Style")
    }
    red, green, blue = HELIX_COLOURS["business"]
    assert styles["helix-business"] == f"ff{blue:02x}{green:02x}{red:02x}" == "ff009fe6"
    placemarks = {p.find(f"{KML}name").text: p for p in root.iter(f"{KML}Placemark")}
    assert set(placemarks) == {"Musée d'Orsay", 'Tech <&> "Lab"', "=cmd()", "Unknown Org"}
    orsay = placemarks["Musée d'Orsay"]
    assert orsay.find(f"{KML}description").text == "Impressionism\n& more"
    assert orsay.find(f"{KML}styleUrl").text == "#helix-civil_society"
    assert orsay.find(f"{KML}Point/{KML}coordinates").text == "2.326551,48.86"
    data = {d.get("name"): d.find(f"{KML}value").text for d in orsay.iter(f"{KML}Data")}
    assert data["themes"] == "3d; museum"
    assert data["regional_cluster"] == "Île-de-France; Lazio"
    assert data["flag"] == "true" and data["score"] == "0.5"
    assert "name" not in data and "description" not in data
    tech = {d.get("name"): d for d in placemarks['Tech <&> "Lab"'].iter(f"{KML}Data")}
    assert "website" not in tech and "score" not in tech  # missing values are left out


def test_kml_escapes_text(actors) -> None:
    data = to_kml(actors)
    assert b"Tech &lt;&amp;&gt;" in data
    assert b"\x0b" not in data
    ET.fromstring(data)  # well-formed


def test_kml_round_trip_with_read_layer_and_gdal(actors, tmp_path: Path) -> None:
    path = tmp_path / "europe.kml"
    path.write_bytes(to_kml(actors))
    back = read_layer(path).actors.sort_values("source_row")
    by_name = back.set_index("name")
    assert by_name.loc["Musée d'Orsay", "helix"] == "civil_society"
    assert by_name.loc["=cmd()", "helix"] == "academia"
    assert by_name.loc["Unknown Org", "helix"] == "unknown"
    assert by_name.loc["Musée d'Orsay", "themes"] == ["3d", "museum"]
    assert by_name.loc["Musée d'Orsay"].geometry.equals_exact(Point(2.326551, 48.86), 1e-9)
    layers = [name for name, _ in pyogrio.list_layers(path)]
    assert layers == ["Academic/Scientific", "Business", "Societal Participation", "Unknown helix"]
    business = gpd.read_file(path, layer="Business")
    assert business["Name"].tolist() == ['Tech <&> "Lab"']


def test_kml_needs_name_and_helix(actors) -> None:
    with pytest.raises(ValueError, match="no helix column"):
        to_kml(actors.drop(columns="helix"))


# --- render and the registry --------------------------------------------------------------


def test_registry_and_file_names() -> None:
    assert {name: f.extension for name, f in FORMATS.items()} == {
        "geojson": ".geojson",
        "csv": ".csv",
        "kml": ".kml",
        "parquet": ".parquet",
        "html": ".html",
        "png": ".png",
        "svg": ".svg",
        "pdf": ".pdf",
    }
    assert format_for_path("actors.parquet") == "parquet"
    assert format_for_path("Map.PNG") == "png"
    assert export_filename(Filters(countries=("IT",)), fmt="html", what="map") == "map-IT.html"
    assert FORMATS["geojson"].media_type == "application/geo+json"
    assert format_for_path("out/Europe.GeoJSON") == "geojson"
    assert format_for_path("x.json") == "geojson"
    assert format_for_path("x.txt") is None
    assert export_filename(Filters(helix=("academia",)), fmt="csv") == "actors-academia.csv"
    assert (
        export_filename(None, fmt="geojson", what="regions", level=3) == "regions-nuts3-all.geojson"
    )
    with pytest.raises(ValueError, match="kml cannot export regions; use geojson, csv"):
        check_export("kml", "regions")
    with pytest.raises(ValueError, match="unknown export format 'shp'"):
        check_export("shp", "actors")
    with pytest.raises(ValueError, match="what must be one of actors, regions"):
        check_export("csv", "everything")


def test_render_actors_applies_filters_and_records_them(actors) -> None:
    actors["nuts1"] = actors["nuts3"].str[:3]
    filters = Filters(countries=(), nuts=("ITI",))
    data = render(actors, filters, fmt="geojson", generated_at=FIXED)
    document = valid_geojson(data)
    assert [f["id"] for f in document["features"]] == ["mc-2", "mc-3"]
    assert document["metadata"] == {
        "actors_selected": 2,
        "actors_total": 4,
        "attribution": settings.attribution,
        "features": 2,
        "filters": {"nuts": ["ITI"]},
        "generated_at": FIXED,
        "name": "Test layer",
        "nuts_year": 2021,
        "what": "actors",
    }
    assert render(actors, filters, fmt="csv") == to_csv(actors.iloc[1:3])
    assert render(actors, filters, fmt="kml") == to_kml(actors.iloc[1:3], name="Test layer")


def test_render_regions(actors, nuts_from_mirror: Path) -> None:
    actors["nuts2"] = actors["nuts3"].str[:4]
    document = valid_geojson(
        render(actors, None, what="regions", level=2, year=2021, generated_at=FIXED)
    )
    assert [f["id"] for f in document["features"]] == ["FR10", "ITI4"]
    lazio = document["features"][1]["properties"]
    assert (lazio["n_business"], lazio["n_academia"], lazio["n_total"]) == (1, 1, 2)
    assert lazio["helix_balance"] == pytest.approx(0.5)
    assert lazio["missing_helices"] == ["government", "civil_society"]
    assert document["metadata"]["nuts_level"] == 2
    assert document["metadata"]["nuts_scale"] == "20M"
    assert document["metadata"]["actors_without_region"] == 1
    rows = pd.read_csv(io.BytesIO(render(actors, None, fmt="csv", what="regions", year=2021)))
    assert rows["NUTS_ID"].tolist() == ["FR10", "ITI4"]
    assert "geometry" not in rows.columns and "lon" not in rows.columns
    with pytest.raises(ValueError, match="kml cannot export regions"):
        render(actors, None, fmt="kml", what="regions")


def test_cli_choices_and_app_buttons_come_from_the_formats_registry() -> None:
    from metacluster.cli.export_cmd import export_command
    from metacluster.ui.export import DOWNLOADS

    option = next(p for p in export_command.params if p.name == "fmt")
    assert list(option.type.choices) == list(FORMATS)
    pairs = {(fmt, what) for fmt, f in FORMATS.items() for what in f.exports}
    assert {(fmt, what) for _, fmt, what in DOWNLOADS} == pairs
    assert len(DOWNLOADS) == len(pairs)
