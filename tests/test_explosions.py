"""A few KB must never cost GBs or a core forever (issue 12, resource exhaustion).

Every payload is generated here: an XLSX whose sheet declares ``A1:XFD1048576``, records
with different property names in every record (GeoJSON, JSON, KML), a small Parquet file
that expands to millions of cells, and, through the app, uploads that only a worker with a
memory and time limit can stop. Each ends in an ``InputLimitError`` naming the file, or a
correct result, and the app keeps answering.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from metacluster import settings
from metacluster._errors import InputFileError, InputLimitError
from metacluster.cli import EXIT_DATA_ERROR
from metacluster.cli import main as cli
from metacluster.read import read_layer
from metacluster.read.isolated import read_layer_isolated
from metacluster.ui.guard import escape_markdown
from tests.conftest import PROJECT_ROOT

WORKER_MEMORY = 700 * 1024 * 1024
"""A worker's address space is about 500 MB once the readers are imported: 700 MB leaves
room for small files only."""


def _declared_huge_xlsx(path: Path, rows: list[list[object]], *, far_cell: bool = False) -> Path:
    """A workbook whose sheet declares the range A1:XFD1048576 (and, with ``far_cell``, a
    value in column XFD of every row)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Actors"
    for row in rows:
        sheet.append(row)
    if far_cell:
        for number in range(1, len(rows) + 1):
            sheet.cell(row=number, column=16384, value="x")
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet_xml = parts["xl/worksheets/sheet1.xml"].decode()
    start = sheet_xml.index('<dimension ref="') + len('<dimension ref="')
    end = sheet_xml.index('"', start)
    parts["xl/worksheets/sheet1.xml"] = (
        sheet_xml[:start] + "A1:XFD1048576" + sheet_xml[end:]
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


ROWS = [["name", "latitude", "longitude"], ["Lille Campus", 50.6292, 3.0573]]


def test_an_xlsx_declaring_the_whole_sheet_is_read_as_the_cells_it_has(tmp_path: Path) -> None:
    path = _declared_huge_xlsx(tmp_path / "declared.xlsx", ROWS)
    assert path.stat().st_size < 10_000
    result = read_layer_isolated(path)  # in a worker limited to 2 GB: padding would be 130 GB
    assert (result.rows_in, result.accepted) == (1, 1)
    assert result.actors["name"].tolist() == ["Lille Campus"]


def test_an_xlsx_with_a_cell_in_the_last_column_of_every_row_is_refused(tmp_path: Path) -> None:
    path = _declared_huge_xlsx(tmp_path / "wide.xlsx", ROWS, far_cell=True)
    with pytest.raises(InputLimitError, match=r"^wide\.xlsx: has 16,384 columns, over the limit"):
        read_layer(path)


def _sparse_features(count: int) -> dict[str, object]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [3.0, 50.6]},
                "properties": {"name": f"A{i}", f"field_{i}": "x"},
            }
            for i in range(count)
        ],
    }


@pytest.mark.parametrize("suffix", [".geojson", ".json"])
def test_records_with_a_new_property_each_are_refused_before_the_table_is_built(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"sparse{suffix}"
    path.write_text(json.dumps(_sparse_features(20_000)))
    with pytest.raises(InputLimitError, match="columns, over the limit of 500"):
        read_layer(path)


def test_json_records_with_new_nested_keys_each_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "records.json"
    records = [{"name": f"A{i}", "extra": {f"k{i}": i}} for i in range(5_000)]
    path.write_text(json.dumps(records))
    with pytest.raises(InputLimitError, match=r"^records\.json: has 501 columns"):
        read_layer(path)


def test_kml_placemarks_with_new_data_names_each_are_refused(tmp_path: Path) -> None:
    placemarks = "".join(
        f'<Placemark><name>A{i}</name><ExtendedData><Data name="f{i}"><value>x</value></Data>'
        "</ExtendedData><Point><coordinates>3.0,50.6</coordinates></Point></Placemark>"
        for i in range(2_000)
    )
    path = tmp_path / "sparse.kml"
    path.write_text(
        f'<kml xmlns="http://www.opengis.net/kml/2.2"><Document>{placemarks}</Document></kml>'
    )
    with pytest.raises(InputLimitError, match="columns, over the limit"):
        read_layer(path)


def test_a_small_parquet_that_expands_to_millions_of_cells_is_refused_unread(
    tmp_path: Path,
) -> None:
    rows = 1_000_000
    table = pa.table({f"c{i}": pa.repeat(pa.scalar("same"), rows) for i in range(43)})
    path = tmp_path / "bomb.parquet"
    pq.write_table(table, path, compression="zstd")
    assert path.stat().st_size < 2_000_000
    with pytest.raises(InputLimitError, match=r"43,000,000 cells, over the limit"):
        read_layer(path)


def test_the_isolated_reader_stops_a_worker_that_runs_out_of_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "slow.csv"
    path.write_text("name,latitude,longitude\n" + "A,50.6,3.0\n" * 400_000)
    monkeypatch.setattr(settings, "read_seconds", 0.5)
    with pytest.raises(InputLimitError, match=r"^slow\.csv: took longer than 0 s|^slow\.csv: took"):
        read_layer_isolated(path)


def test_the_isolated_reader_stops_a_worker_that_runs_out_of_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wide.csv"
    header = ",".join(["name", "latitude", "longitude"] + [f"c{i}" for i in range(37)])
    row = ",".join(["A", "50.6", "3.0"] + [f"{i}" for i in range(37)])
    path.write_text(header + "\n" + (row + "\n") * 200_000)  # 8 million cells, 20 MB
    monkeypatch.setattr(settings, "read_memory_bytes", WORKER_MEMORY)
    with pytest.raises(InputLimitError, match=r"^wide\.csv: needed more than 700 MB of memory"):
        read_layer_isolated(path)


def _geopackage(path: Path, *, recursive_view: bool) -> Path:
    """A GeoPackage with one real point layer and, if asked, a second layer that is a view
    counting upwards forever (``WITH RECURSIVE``): GDAL counts its rows in SQLite, in C."""
    gpd.GeoDataFrame(
        {"name": ["Lille Campus"]}, geometry=[shapely.Point(3.0573, 50.6292)], crs=4326
    ).to_file(path, driver="GPKG", layer="actors")
    if recursive_view:
        with contextlib.closing(sqlite3.connect(path)) as connection:
            connection.execute(
                "CREATE VIEW forever AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                "SELECT i + 1 FROM n) SELECT i AS fid, NULL AS geom, 'x' AS name FROM n"
            )
            connection.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
                "VALUES ('forever', 'features', 'forever', 4326)"
            )
            connection.execute(
                "INSERT INTO gpkg_geometry_columns VALUES ('forever', 'geom', 'POINT', 4326, 0, 0)"
            )
            connection.commit()
    return path


def test_a_geopackage_whose_view_recurses_forever_is_stopped_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "read_seconds", 2)  # counted once the worker is ready
    monkeypatch.setattr(settings, "isolate_gdal", True)
    plain = _geopackage(tmp_path / "plain.gpkg", recursive_view=False)
    assert read_layer(plain).actors["name"].tolist() == ["Lille Campus"]  # within the limit
    looping = _geopackage(tmp_path / "looping.gpkg", recursive_view=True)
    result = CliRunner().invoke(cli, ["validate", str(looping)])
    assert result.exit_code == EXIT_DATA_ERROR
    assert result.output == (
        f"{looping}\n  cannot be read: looping.gpkg: took longer than 2 s to read, so reading "
        "it was stopped (settings.read_seconds). Check that it is a map file and not built "
        "to be slow; split it if it is large\n"
    )


def test_domain_errors_cross_the_process_boundary_intact(tmp_path: Path) -> None:
    path = tmp_path / "broken.kml"
    path.write_text("<kml><Document>")
    with pytest.raises(InputFileError) as raised:
        read_layer_isolated(path)
    assert type(raised.value) is InputFileError
    assert str(raised.value).startswith("broken.kml: is not well-formed XML")
    assert raised.value.file == str(path)


# --- the app keeps answering --------------------------------------------------------------


def test_an_explosion_upload_kills_only_its_worker_and_the_app_still_answers(
    app_on_mirror: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    title = at.title[0].value
    sparse = json.dumps(_sparse_features(20_000)).encode()
    at.file_uploader(key="upload_files").set_value(("sparse.geojson", sparse, "application/json"))
    at.run()
    assert not at.exception
    refused = escape_markdown("sparse.geojson: has 501 columns, over the limit")
    assert at.error[0].value.startswith(refused)  # the message, shown as text
    monkeypatch.setattr(settings, "read_seconds", 0.5)
    slow = b"name,latitude,longitude\n" + b"A,50.6,3.0\n" * 400_000
    at.file_uploader(key="upload_files").set_value(("slow.csv", slow, "text/csv"))
    at.run()
    assert not at.exception
    assert at.error[0].value.startswith(escape_markdown("slow.csv: took longer than"))
    at.button(key="upload_clear").click()
    at.run()
    assert not at.exception
    assert at.title[0].value == title  # the bundled meta-cluster again: the app answers
