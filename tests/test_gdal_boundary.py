"""Nothing user-supplied reaches a GDAL driver that can reference other data (issue 12).

Each payload is written here: SQLite databases whose virtual tables read a local secret
file and fetch a URL (``VirtualOGR``), under every extension the app accepts for upload;
GDAL VRT documents pointing at the same secret and at a ``127.0.0.1`` URL, under every
extension read through GDAL; a GML file whose schema and links point at the local server.
Whatever the entry point (``read_layer``, the isolated reader, the app's upload, the CLI),
the test asserts that the secret's content appears in no output or message and that the
local server receives no request.
"""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from metacluster import InputFileError, MetaclusterError
from metacluster.cli import main as cli
from metacluster.read import READERS, UPLOAD_FORMATS, UPLOAD_SUFFIXES, read_layer
from metacluster.read._gdal import REMOVED_DRIVERS
from metacluster.read.isolated import read_upload
from tests.conftest import FETCHED

SECRET = "TOP-SECRET-3f9c2e"
OGR_SUFFIXES = [s for name, r in READERS.items() if name not in UPLOAD_FORMATS for s in r.suffixes]
OGR_SUFFIXES = [s for s in OGR_SUFFIXES if s not in READERS["parquet"].suffixes]


@pytest.fixture
def server(request_recorder: tuple[str, list[str]]) -> tuple[str, list[str]]:
    return request_recorder


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.csv"
    path.write_text(f"name,latitude,longitude\n{SECRET},50.6,3.0\n")
    return path


def _virtual_tables(path: Path, secret: Path, url: str, *, geopackage: bool = False) -> Path:
    """An SQLite database (or a real GeoPackage) declaring VirtualOGR tables over the
    secret file and over a URL, and views selecting from them."""
    if geopackage:
        gpd.GeoDataFrame({"name": ["Innocent"]}, geometry=[shapely.Point(3, 50)], crs=4326).to_file(
            path, layer="actors", driver="GPKG"
        )
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE IF NOT EXISTS actors_plain(name TEXT)")
    statements = {
        "leak": f"CREATE VIRTUAL TABLE leak USING VirtualOGR('CSV:{secret}')",
        "fetch": f"CREATE VIRTUAL TABLE fetch USING VirtualOGR('/vsicurl/{url}/ssrf.csv')",
    }
    for name in statements:
        connection.execute(f"CREATE VIEW {name}_view AS SELECT * FROM {name}")
        if geopackage:
            connection.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                "VALUES (?, 'attributes', ?)",
                (f"{name}_view", f"{name}_view"),
            )
    connection.commit()
    connection.execute("PRAGMA writable_schema=ON")
    for name, sql in statements.items():
        connection.execute(
            "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) "
            "VALUES ('table', ?, ?, 0, ?)",
            (name, name, sql),
        )
    connection.commit()
    connection.close()
    return path


def _vrt(secret: Path, url: str) -> bytes:
    return (
        "<OGRVRTDataSource>"
        f'<OGRVRTLayer name="leak"><SrcDataSource>CSV:{secret}</SrcDataSource></OGRVRTLayer>'
        f'<OGRVRTLayer name="fetch"><SrcDataSource>/vsicurl/{url}/vrt.csv</SrcDataSource>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def _assert_nothing_leaked(text: str, requests: list[str]) -> None:
    assert SECRET not in text
    assert FETCHED not in text
    assert "root:x:0" not in text
    assert requests == []


def _refused(path: Path, read=read_layer) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(MetaclusterError) as raised:
        read(path)
    return str(raised.value)


# --- GDAL itself, locked down in this process ---------------------------------------------


def test_gdal_has_no_indirection_sqlite_or_network_driver_once_metacluster_is_imported() -> None:
    registered = set(pyogrio.list_drivers())
    assert not registered & set(REMOVED_DRIVERS)
    assert {"GPKG", "ESRI Shapefile", "FlatGeobuf", "GML"} <= registered
    assert pyogrio.get_gdal_config_option("OGR_SQLITE_LIST_VIRTUAL_OGR") == "NO"


def test_gdal_itself_refuses_a_vrt_and_a_virtual_table_even_when_called_directly(
    tmp_path: Path, secret: Path, server: tuple[str, list[str]]
) -> None:
    url, requests = server
    vrt = tmp_path / "direct.vrt"
    vrt.write_bytes(_vrt(secret, url))
    database = _virtual_tables(tmp_path / "direct.sqlite", secret, url)
    for path in (vrt, database):
        with pytest.raises(pyogrio.errors.DataSourceError) as raised:
            pyogrio.read_dataframe(path, layer="leak")
        _assert_nothing_leaked(str(raised.value), requests)
    with pytest.raises(pyogrio.errors.DataSourceError):
        pyogrio.read_dataframe(f"/vsicurl/{url}/direct.csv")
    assert requests == []


# --- SQLite with virtual tables under every upload extension ------------------------------


@pytest.mark.parametrize("suffix", UPLOAD_SUFFIXES)
def test_sqlite_with_virtual_tables_under_an_upload_extension_is_refused_by_content(
    tmp_path: Path, secret: Path, server: tuple[str, list[str]], suffix: str
) -> None:
    url, requests = server
    database = _virtual_tables(tmp_path / "payload.sqlite", secret, url)
    path = tmp_path / f"payload{suffix}"
    path.write_bytes(database.read_bytes())
    message = _refused(path)
    assert "holds an SQLite database" in message
    assert message.startswith(f"payload{suffix}: is named {suffix}")
    _assert_nothing_leaked(message, requests)


def test_sqlite_payloads_through_the_isolated_upload_reader(
    tmp_path: Path, secret: Path, server: tuple[str, list[str]]
) -> None:
    url, requests = server
    database = _virtual_tables(tmp_path / "payload.sqlite", secret, url).read_bytes()
    for suffix in (".json", ".csv", ".xlsx"):
        path = tmp_path / f"upload{suffix}"
        path.write_bytes(database)
        message = _refused(path, read_upload)
        assert "holds an SQLite database" in message
        _assert_nothing_leaked(message, requests)
    geopackage = _virtual_tables(tmp_path / "real.gpkg", secret, url, geopackage=True)
    message = _refused(geopackage, read_upload)
    assert "is a GeoPackage file, which is not accepted here" in message
    _assert_nothing_leaked(message, requests)


def test_a_kmz_or_xlsx_archive_holding_a_database_leaks_nothing(
    tmp_path: Path, secret: Path, server: tuple[str, list[str]]
) -> None:
    url, requests = server
    database = _virtual_tables(tmp_path / "payload.sqlite", secret, url).read_bytes()
    kmz = tmp_path / "payload.kmz"
    with zipfile.ZipFile(kmz, "w") as archive:
        archive.writestr("doc.kml", database)
    xlsx = tmp_path / "payload.xlsx"
    with zipfile.ZipFile(xlsx, "w") as archive:
        archive.writestr("xl/workbook.xml", database)
    for path in (kmz, xlsx):
        _assert_nothing_leaked(_refused(path), requests)


# --- VRT under every GDAL extension -------------------------------------------------------


@pytest.mark.parametrize("suffix", OGR_SUFFIXES)
def test_a_vrt_under_a_gdal_extension_is_refused_by_content(
    tmp_path: Path, secret: Path, server: tuple[str, list[str]], suffix: str
) -> None:
    url, requests = server
    path = tmp_path / f"payload{suffix}"
    path.write_bytes(_vrt(secret, url))
    message = _refused(path)
    assert "holds a GDAL virtual dataset (VRT XML)" in message
    _assert_nothing_leaked(message, requests)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    _assert_nothing_leaked(result.output, requests)


@pytest.mark.parametrize("suffix", OGR_SUFFIXES)
def test_sqlite_with_virtual_tables_under_a_gdal_extension_is_refused(
    tmp_path: Path, secret: Path, server: tuple[str, list[str]], suffix: str
) -> None:
    url, requests = server
    path = _virtual_tables(tmp_path / f"payload{suffix}", secret, url)
    _assert_nothing_leaked(_refused(path), requests)


def test_a_real_geopackage_with_virtual_tables_reads_its_own_layers_only(
    tmp_path: Path, secret: Path, server: tuple[str, list[str]]
) -> None:
    url, requests = server
    path = _virtual_tables(tmp_path / "layers.gpkg", secret, url, geopackage=True)
    assert read_layer(path, layer="actors").actors["name"].tolist() == ["Innocent"]
    message = _refused(path)  # every layer: the views over virtual tables cannot be read
    _assert_nothing_leaked(message, requests)
    result = CliRunner().invoke(cli, ["validate", "--json", str(path)])
    _assert_nothing_leaked(result.output, requests)


def test_a_manifest_naming_a_vrt_payload_leaks_nothing(
    tmp_path: Path, secret: Path, server: tuple[str, list[str]]
) -> None:
    url, requests = server
    (tmp_path / "region.gpkg").write_bytes(_vrt(secret, url))
    manifest = tmp_path / "cluster.toml"
    manifest.write_text('name = "x"\n\n[[maps]]\ncluster = "A"\nfile = "region.gpkg"\n')
    result = CliRunner().invoke(cli, ["merge", str(manifest), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code != 0
    _assert_nothing_leaked(result.output, requests)
    assert not (tmp_path / "out.csv").exists() or SECRET not in (tmp_path / "out.csv").read_text()


def test_a_gml_whose_schema_and_links_point_at_the_local_network_fetches_nothing(
    tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    url, requests = server
    path = tmp_path / "actors.gml"
    path.write_text(
        '<?xml version="1.0"?>\n'
        '<ogr:FeatureCollection xmlns:ogr="http://ogr.maptools.org/" '
        'xmlns:gml="http://www.opengis.net/gml" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'xsi:schemaLocation="http://ogr.maptools.org/ {url}/schema.xsd">\n'
        '<gml:featureMember><ogr:actors fid="actors.0">'
        "<ogr:geometryProperty><gml:Point><gml:coordinates>3.0573,50.6292</gml:coordinates>"
        "</gml:Point></ogr:geometryProperty><ogr:name>Lille Campus</ogr:name>"
        f'<ogr:link xlink:href="{url}/linked.xml"/>'
        "</ogr:actors></gml:featureMember></ogr:FeatureCollection>\n"
    )
    result = read_layer(path)
    assert result.actors["name"].tolist() == ["Lille Campus"]
    assert requests == []


def test_reading_a_gml_writes_nothing_beside_it_and_reads_no_schema_lying_there(
    tmp_path: Path,
) -> None:
    path = tmp_path / "actors.gml"
    path.write_text(
        '<?xml version="1.0"?>\n<ogr:FeatureCollection xmlns:ogr="http://ogr.maptools.org/" '
        'xmlns:gml="http://www.opengis.net/gml"><gml:featureMember><ogr:actors>'
        "<ogr:geometryProperty><gml:Point><gml:coordinates>3.0573,50.6292</gml:coordinates>"
        "</gml:Point></ogr:geometryProperty><ogr:name>Lille Campus</ogr:name>"
        "</ogr:actors></gml:featureMember></ogr:FeatureCollection>\n"
    )
    # a schema beside the file that would rename the layer and drop the name if GDAL read it
    (tmp_path / "actors.gfs").write_text(
        "<GMLFeatureClassList><GMLFeatureClass><Name>planted</Name>"
        "<ElementPath>actors</ElementPath></GMLFeatureClass></GMLFeatureClassList>"
    )
    before = sorted(tmp_path.iterdir())
    result = read_layer(path)
    assert result.actors["name"].tolist() == ["Lille Campus"]
    assert result.actors["source_layer"].tolist() == ["actors"]
    assert sorted(tmp_path.iterdir()) == before  # GDAL's .gfs went to a private folder


def test_a_shapefile_is_opened_by_the_shapefile_driver_only(tmp_path: Path) -> None:
    path = tmp_path / "actors.shp"
    gpd.GeoDataFrame({"name": ["Aalborg"]}, geometry=[shapely.Point(9.9, 57.0)], crs=4326).to_file(
        path
    )
    assert read_layer(path).actors["name"].tolist() == ["Aalborg"]
    flatgeobuf = tmp_path / "actors.fgb"
    gpd.GeoDataFrame({"name": ["Aalborg"]}, geometry=[shapely.Point(9.9, 57.0)], crs=4326).to_file(
        flatgeobuf, driver="FlatGeobuf"
    )
    assert read_layer(flatgeobuf).actors["name"].tolist() == ["Aalborg"]
    renamed = tmp_path / "actors-shp.fgb"
    renamed.write_bytes(path.read_bytes())
    with pytest.raises(
        InputFileError, match=r"is named \.fgb \(FlatGeobuf\) but holds a Shapefile"
    ):
        read_layer(renamed)
