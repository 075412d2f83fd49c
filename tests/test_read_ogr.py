"""GeoPackage and Shapefile through pyogrio."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from metacluster import InputFileError
from metacluster.read import read_layer


@pytest.fixture
def geopackage(tmp_path: Path) -> Path:
    path = tmp_path / "actors.gpkg"
    academia = gpd.GeoDataFrame(
        {"name": ["KU Leuven", "UGent"], "city": ["Leuven", "Gent"]},
        geometry=[shapely.Point(4.7005, 50.8798), shapely.Point(3.7174, 51.0543)],
        crs="EPSG:4326",
    )
    business = gpd.GeoDataFrame(
        {"name": ["Lille Centre Co"]},
        geometry=[shapely.Point(3830590.10, 3080766.84)],  # EPSG:3035 of (3.0573, 50.6292)
        crs="EPSG:3035",
    )
    academia.to_file(path, layer="Academic", driver="GPKG")
    business.to_file(path, layer="Business", driver="GPKG")
    return path


def test_every_layer_is_read_as_a_map_layer(geopackage: Path) -> None:
    result = read_layer(geopackage)
    actors = result.actors.set_index("name")
    assert list(actors.index) == ["KU Leuven", "UGent", "Lille Centre Co"]
    assert list(actors["source_layer"]) == ["Academic", "Academic", "Business"]
    assert list(actors["helix"]) == ["academia", "academia", "business"]  # from layer names
    assert list(actors["source_row"]) == [1, 2, 1]
    lille = actors.geometry["Lille Centre Co"]
    assert (lille.x, lille.y) == pytest.approx((3.0573, 50.6292), abs=1e-6)
    leuven = actors.geometry["KU Leuven"]
    assert (leuven.x, leuven.y) == pytest.approx((4.7005, 50.8798), abs=1e-6)


def test_one_layer_and_unknown_layer(geopackage: Path) -> None:
    assert list(read_layer(geopackage, layer="Business").actors["name"]) == ["Lille Centre Co"]
    with pytest.raises(InputFileError, match="Choose one of: Academic, Business"):
        read_layer(geopackage, layer="Government")


def test_shapefile(tmp_path: Path) -> None:
    path = tmp_path / "actors.shp"
    gpd.GeoDataFrame(
        {"name": ["Aalborg Kommune"], "type": ["Kommune"]},
        geometry=[shapely.Point(9.9217, 57.048)],
        crs="EPSG:4326",
    ).to_file(path)
    result = read_layer(path)
    assert list(result.actors["helix"]) == ["government"]
    point = result.actors.geometry.iloc[0]
    assert (point.x, point.y) == pytest.approx((9.9217, 57.048), abs=1e-6)
