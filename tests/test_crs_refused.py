"""Coordinate systems that give no position on the Earth's surface are refused wherever a
CRS can be given (issue 12): the file's own CRS (GeoPackage, Shapefile .prj, FlatGeobuf,
GML, GeoParquet, GeoJSON ``crs`` member) and the ``crs=`` option (``validate --crs``) that
coordinate columns are read in. A geocentric EPSG:4978 position taken as a projected one
would land somewhere absurd, silently."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyproj
import pytest
import shapely
from click.testing import CliRunner

from metacluster._errors import InputFileError
from metacluster.cli import EXIT_DATA_ERROR
from metacluster.cli import main as cli
from metacluster.read import read_layer

ENGINEERING = (
    'ENGCRS["Site grid",EDATUM["Site"],CS[Cartesian,2],'
    'AXIS["easting (X)",east,LENGTHUNIT["metre",1]],'
    'AXIS["northing (Y)",north,LENGTHUNIT["metre",1]]]'
)
NOT_ON_EARTH = {
    "geocentric": "EPSG:4978",
    "geocentric ETRS89": "EPSG:4936",
    "engineering": ENGINEERING,
    "Mars": "IAU_2015:49900",
}
DRIVERS = {".gpkg": "GPKG", ".fgb": "FlatGeobuf", ".shp": "ESRI Shapefile", ".gml": "GML"}
# the formats that can carry each of these CRSs (GDAL writes no .prj for a geocentric CRS,
# and GML and GeoJSON have no way to name an engineering one)
CARRIED = [
    (kind, suffix)
    for kind in NOT_ON_EARTH
    for suffix in (".gpkg", ".fgb", ".parquet", ".shp", ".gml", ".geojson")
    if not (kind.startswith("geocentric") and suffix == ".shp")
    and not (kind == "engineering" and suffix in (".gml", ".geojson"))
]


def _layer(path: Path, crs: str) -> Path:
    frame = gpd.GeoDataFrame(
        {"name": ["Université de Lille"], "helix": ["academia"]},
        geometry=[shapely.Point(4_027_000, 3_000_000)],
        crs=pyproj.CRS.from_user_input(crs),
    )
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_file(path, driver=DRIVERS.get(path.suffix, "GeoJSON"))
    return path


@pytest.mark.parametrize(("kind", "suffix"), CARRIED)
def test_a_file_in_a_crs_that_is_not_on_the_earth_is_refused(
    kind: str, suffix: str, tmp_path: Path
) -> None:
    path = _layer(tmp_path / f"map{suffix}", NOT_ON_EARTH[kind])
    with pytest.raises(InputFileError) as raised:
        read_layer(path)
    message = str(raised.value)
    assert message.startswith(f"map{suffix}: uses the coordinate system ")
    assert "which does not give positions on the Earth's surface" in message


def test_a_geocentric_prj_gdal_cannot_read_places_no_actor(tmp_path: Path) -> None:
    path = _layer(tmp_path / "map.shp", "EPSG:3035")
    path.with_suffix(".prj").write_text(pyproj.CRS(4978).to_wkt("WKT1_GDAL"))
    result = read_layer(path)
    assert (result.accepted, result.rejected) == (0, 1)
    assert result.rejects["reason"].tolist() == ["projected coordinates"]


@pytest.mark.parametrize("kind", [*NOT_ON_EARTH, "vertical"])
def test_the_crs_option_for_coordinate_columns_refuses_them_too(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "map.csv"
    path.write_text("name,x,y\nUniversité de Lille,4027000,3000000\n", encoding="utf-8")
    crs = NOT_ON_EARTH.get(kind, "EPSG:5703")
    with pytest.raises(InputFileError) as raised:
        read_layer(path, columns={"name": "name", "lon": "x", "lat": "y"}, crs=crs)
    message = str(raised.value)
    assert message.startswith(f"map.csv: the crs option {crs!r} names the coordinate system ")
    assert message.endswith(
        "Give the geographic or projected system of the coordinates, e.g. EPSG:3035"
    )


def test_validate_crs_4978_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "map.csv"
    path.write_text("name,x,y\nUniversité de Lille,4027000,3000000\n", encoding="utf-8")
    args = ["validate", str(path), "--columns", "name=name,lon=x,lat=y", "--crs", "EPSG:4978"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == EXIT_DATA_ERROR
    assert result.output.splitlines()[1].startswith(
        "  cannot be read: map.csv: the crs option 'EPSG:4978' names the coordinate system "
        "'WGS 84' (Geocentric CRS)"
    )
    assert "Traceback" not in result.output
