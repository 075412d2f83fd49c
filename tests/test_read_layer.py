"""read_layer as a whole: format detection, limits, and no row lost for any fixture."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from metacluster import InputFileError, InputLimitError, settings
from metacluster.export.csv import frame_to_csv
from metacluster.read import READERS, UPLOAD_FORMATS, detect_format, read_layer
from metacluster.schema import ACTOR_COLUMNS, REJECT_COLUMNS

DATA = Path(__file__).parent / "data"
FIXTURES = [  # every readable fixture of tests/data/README.md (others' files live there too)
    "actors.geojson",
    "actors_3035.geojson",
    "actors_bom.csv",
    "actors_comma.csv",
    "actors_pipe.csv",
    "actors_semicolon_cp1252.csv",
    "actors_tab.txt",
    "city_only.csv",
    "cordis_organization.csv",
    "cordis_organization.json",
    "metres_3035.geojson",
    "metres_no_crs.csv",
    "mymaps.kml",
    "quirks.csv",
    "records.json",
    "swapped.csv",
    "wrapped.json",
]


def _binary_fixtures(folder: Path) -> list[Path]:
    """The formats that are not text: KMZ, XLSX, GeoPackage, written here."""
    import geopandas as gpd
    import openpyxl
    import shapely

    kmz = folder / "map.kmz"
    with zipfile.ZipFile(kmz, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(DATA / "mymaps.kml", "doc.kml")
    xlsx = folder / "sheet.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["name", "lat", "lon"])
    book.active.append(["A", 50.1, 3.1])
    book.active.append([None, 50.2, 3.2])
    book.save(xlsx)
    gpkg = folder / "layer.gpkg"
    gpd.GeoDataFrame(
        {"name": ["A", None]}, geometry=[shapely.Point(3, 50), None], crs=4326
    ).to_file(gpkg, layer="Business")
    return [kmz, xlsx, gpkg]


@pytest.mark.parametrize("name", FIXTURES)
def test_every_row_is_accepted_or_rejected(name: str) -> None:
    result = read_layer(DATA / name)
    assert result.rows_in == result.accepted + result.rejected + result.folded
    assert result.rows_in > 0
    assert list(result.actors.columns[: len(ACTOR_COLUMNS)]) == list(ACTOR_COLUMNS)
    assert list(result.rejects.columns) == list(REJECT_COLUMNS)
    assert result.actors.crs == "EPSG:4326"
    placed = result.actors.geometry.notna()
    assert (result.actors.geometry[placed].geom_type == "Point").all()
    assert result.actors["actor_id"].is_unique


def test_every_row_is_accepted_or_rejected_in_binary_formats(tmp_path: Path) -> None:
    counts = {}
    for path in _binary_fixtures(tmp_path):
        result = read_layer(path)
        assert result.rows_in == result.accepted + result.rejected + result.folded
        counts[path.suffix] = (result.rows_in, result.accepted, result.rejected)
    assert counts == {".kmz": (8, 8, 0), ".xlsx": (2, 1, 1), ".gpkg": (2, 1, 1)}


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("table.txt", b"name;lat;lon\nA;50,1;3,1\n", "csv"),
        ("table.tsv", b"name\tlat\tlon\nA\t50.1\t3.1\n", "csv"),
        ("export.json", b'{"type": "FeatureCollection", "features": []}', "geojson"),
        ("export.geojson", b'\xef\xbb\xbf{"features": []}', "geojson"),
        ("records.json", b'[{"name": "A"}]', "json"),
        ("wrapped.json", b'{"data": [{"name": "A"}]}', "json"),
        ("map.KML", b'<?xml version="1.0"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"/>', "kml"),
    ],
)
def test_the_extension_chooses_and_the_content_agrees(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_format(path) == expected


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("map.xml", b"<kml/>", "has the extension '.xml', which is not a map format"),
        ("no-extension", b"name,lat,lon\n", "has the extension '(none)'"),
        (
            "layers.json",
            b"SQLite format 3\x00" + b"\x00" * 100,
            "is named .json (JSON) but holds an SQLite database",
        ),
        (
            "layers.gpkg",
            b"SQLite format 3\x00" + b"\x00" * 100,
            "is named .gpkg (GeoPackage) but holds an SQLite database",
        ),
        ("map.gpkg", b"<OGRVRTDataSource/>", "holds a GDAL virtual dataset (VRT XML)"),
        ("table.csv", b'{"type": "FeatureCollection"}', "(CSV) but holds GeoJSON"),
        ("map.kml", b"PAR1" + b"\x00" * 20, "(KML) but holds a Parquet file"),
        ("table.parquet", b"name,lat\n", "(GeoParquet) but holds plain text"),
    ],
)
def test_content_that_disagrees_with_the_extension_is_refused_naming_both(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=re.escape(message)):
        read_layer(path)


def test_detect_zip_formats(tmp_path: Path) -> None:
    kmz, xlsx, _ = _binary_fixtures(tmp_path)
    assert detect_format(kmz) == "kmz"
    assert detect_format(xlsx) == "xlsx"
    renamed = tmp_path / "actually-a-kmz.xlsx"
    renamed.write_bytes(kmz.read_bytes())
    with pytest.raises(InputFileError, match=r"is named \.xlsx \(Excel\) but holds a KMZ map"):
        read_layer(renamed)
    other = tmp_path / "photos.kmz"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("a.jpg", b"jpeg")
    with pytest.raises(InputFileError, match="neither a KML map nor an Excel sheet"):
        read_layer(other)


def test_only_the_formats_asked_for_are_read(tmp_path: Path) -> None:
    _, _, gpkg = _binary_fixtures(tmp_path)
    with pytest.raises(InputFileError, match="is a GeoPackage file, which is not accepted here"):
        read_layer(gpkg, formats=UPLOAD_FORMATS)
    assert read_layer(DATA / "mymaps.kml", formats=UPLOAD_FORMATS).accepted == 8
    assert all(READERS[name].suffixes[0] not in (".gpkg", ".shp") for name in UPLOAD_FORMATS)


def test_old_xls_and_html_are_refused_with_advice(tmp_path: Path) -> None:
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200)
    with pytest.raises(InputFileError, match=r"old Excel \.xls.*save it as \.xlsx"):
        read_layer(xls)
    html = tmp_path / "page.csv"
    html.write_text("<!DOCTYPE html><html><body>Sign in</body></html>", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"\(CSV\) but holds XML or HTML"):
        read_layer(html)


def test_file_over_the_size_limit_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "max_file_bytes", 1024 * 1024)
    path = tmp_path / "huge.csv"
    path.write_bytes(b"\x00" * (1024 * 1024 + 1))  # binary: parsing would fail differently
    with pytest.raises(InputLimitError) as raised:
        read_layer(path)
    assert "1.0 MB, over the limit of 1 MB" in str(raised.value)
    assert "METACLUSTER_MAX_FILE_MB" in str(raised.value)


@pytest.mark.parametrize(
    "name", ["actors_comma.csv", "mymaps.kml", "records.json", "actors.geojson"]
)
def test_more_rows_than_the_limit_are_refused(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "max_rows", 1)
    with pytest.raises(InputLimitError, match=r"more than 1 rows.*METACLUSTER_MAX_ROWS"):
        read_layer(DATA / name)


def test_options_that_do_not_apply_and_missing_files_raise(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="sheet= does not apply to CSV"):
        read_layer(DATA / "actors_comma.csv", sheet="Actors")
    with pytest.raises(InputFileError, match="does not exist"):
        read_layer(tmp_path / "missing.kml")


def test_rejects_export_to_csv_with_frame_to_csv() -> None:
    result = read_layer(DATA / "quirks.csv")
    table = pd.read_csv(pd.io.common.BytesIO(frame_to_csv(result.rejects)), encoding="utf-8-sig")
    assert list(table.columns) == list(REJECT_COLUMNS)
    assert list(table["reason"]) == list(result.rejects["reason"])
    assert list(table["row"]) == [2, 3, 4, 5, 6, 10]
