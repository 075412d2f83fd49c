"""Write the bad-input corpus: hostile, broken and odd files that partners really send.

Run ``python tests/badinput/make_corpus.py`` from the project root to (re)write every file
of the corpus into this folder. The output is deterministic (fixed contents, fixed ZIP
time stamps), so running it again changes nothing; the files are committed so that the
corpus can be looked at without running anything. What each file should give is in
``EXPECTED.toml`` beside it, and ``tests/test_badinput.py`` checks every file against it.

Files that must be large to matter (over the size or row limit) are not here: the tests
write them at run time with the limits lowered.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
ZIP_TIME = (2024, 1, 1, 0, 0, 0)

HEADER = "name,helix,latitude,longitude\n"
LILLE = "Université de Lille,academia,50.6292,3.0573\n"
PARIS = "Mairie de Paris,government,48.8566,2.3522\n"
LYON = "Lyon Tech,business,45.7640,4.8357\n"


def _kml(placemarks: str, *, prolog: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + prolog
        + '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Bad map</name>\n'
        + placemarks
        + "</Document></kml>\n"
    ).encode()


def _placemark(name: str, geometry: str) -> str:
    return f"<Placemark><name>{name}</name>{geometry}</Placemark>\n"


def _point(coordinates: str) -> str:
    return f"<Point><coordinates>{coordinates}</coordinates></Point>"


GOOD_KML = _kml(_placemark("Université de Lille", _point("3.0573,50.6292,0")))


def _zip(members: dict[str, bytes], *, level: int = 9) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def _feature(properties: dict[str, object], geometry: object) -> dict[str, object]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _geojson(*features: dict[str, object], **extra: object) -> bytes:
    return json.dumps(
        {"type": "FeatureCollection", **extra, "features": list(features)},
        ensure_ascii=False,
        indent=1,
    ).encode()


def _xlsx(fill: Callable[[openpyxl.Workbook], None]) -> bytes:
    book = openpyxl.Workbook()
    fill(book)
    buffer = io.BytesIO()
    book.save(buffer)
    # openpyxl stamps the current time into docProps/core.xml: rewrite the archive with
    # fixed member times and a fixed creation date so that the file is reproducible.
    with zipfile.ZipFile(buffer) as source:
        members = {name: source.read(name) for name in source.namelist()}
    core = members["docProps/core.xml"].decode()
    start, end = core.index("<dcterms:created"), core.index("</dcterms:modified>")
    members["docProps/core.xml"] = (
        core[:start]
        + '<dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:created>'
        + '<dcterms:modified xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z'
        + core[end:]
    ).encode()
    return _zip(members)


def _formulas(book: openpyxl.Workbook) -> None:
    sheet = book.active
    sheet.title = "Actors"
    sheet.append(["name", "helix", "latitude", "longitude"])
    sheet.append(["Université de Lille", "academia", 50.6292, 3.0573])
    sheet.append(["Mairie de Paris", "government", "=48+0.8566", "=2+0.3522"])
    sheet.append(['=HYPERLINK("http://evil.example","Click me")', "business", 45.764, 4.8357])
    sheet.append(["=1+1", "business", 44.4949, 11.3426])


def _merged_cells(book: openpyxl.Workbook) -> None:
    sheet = book.active
    sheet.title = "Actors"
    sheet.append(["Regional meta-cluster", None, None, None])
    sheet.merge_cells("A1:D1")
    sheet.append(["name", "helix", "latitude", "longitude"])
    sheet.append(["Université de Lille", "academia", 50.6292, 3.0573])
    sheet.append(["Université Catholique de Lille", None, 50.6330, 3.0440])
    sheet.merge_cells("B3:B4")
    sheet.append(["Mairie de Paris", "government", 48.8566, 2.3522])
    sheet.append(["Lyon Tech", "business", None, None])
    sheet.merge_cells("C5:C6")
    sheet.merge_cells("D5:D6")


def _ragged() -> bytes:
    return (
        HEADER
        + LILLE
        + "Mairie de Paris,government,48.8566,2.3522,extra,cells\n"
        + "Lyon Tech,business\n"
    ).encode()


def _ten_thousand_columns() -> bytes:
    wide = "Wide Row," + ",".join(f"c{i}" for i in range(1, 10_000)) + "\n"
    return (HEADER + LILLE + wide).encode()


def _mixed_encodings() -> bytes:
    return (
        HEADER.encode()
        + LILLE.encode("utf-8")
        + "Théâtre du Nord,civil society,50.6365,3.0635\n".encode("cp1252")
    )


def _nan_coordinates() -> bytes:
    return (
        HEADER
        + LILLE
        + "Not A Number,business,NaN,NaN\n"
        + "Infinite One,business,Infinity,3.0\n"
        + "Infinite Two,business,inf,-inf\n"
        + "Text Coordinates,business,north,east\n"
        + "Huge Number,business,1e400,3.0\n"
    ).encode()


def _traversal_kmz() -> bytes:
    return _zip(
        {
            "../../evil.kml": GOOD_KML,
            "/etc/passwd": b"root:x:0:0\n",
            "..\\..\\windows.kml": GOOD_KML,
        }
    )


def _zip_bomb_kmz() -> bytes:
    padding = "<!-- " + " " * 2_000_000 + " -->\n"
    return _zip({"doc.kml": GOOD_KML.replace(b"</kml>", padding.encode() + b"</kml>")})


def _lying_sizes_kmz() -> bytes:
    """A KMZ whose central directory says the KML is smaller than it is."""
    data = bytearray(_zip({"doc.kml": GOOD_KML}))
    size = len(GOOD_KML).to_bytes(4, "little")
    small = (40).to_bytes(4, "little")
    directory = data.rindex(b"PK\x01\x02")
    local = data.index(b"PK\x03\x04")
    for header, offset in ((local, 22), (directory, 24)):
        assert data[header + offset : header + offset + 4] == size
        data[header + offset : header + offset + 4] = small
    return bytes(data)


def _nested_zip_kmz() -> bytes:
    return _zip({"inner.zip": _zip({"doc.kml": GOOD_KML})})


def _deep_json() -> bytes:
    return b"[" * 5_000 + b"]" * 5_000


BOWTIE = [[[3.0, 50.0], [3.1, 50.1], [3.1, 50.0], [3.0, 50.1], [3.0, 50.0]]]

CORPUS: dict[str, Callable[[], bytes]] = {
    # --- tables -------------------------------------------------------------------------
    "empty.csv": lambda: b"",
    "blank_lines.csv": lambda: b"\n \n\t\n\r\n",
    "header_only.csv": lambda: HEADER.encode(),
    "binary_garbage.csv": lambda: bytes(range(256)) * 8,
    "high_bytes.csv": lambda: bytes(range(128, 256)) * 8,
    "utf8_bom.csv": lambda: b"\xef\xbb\xbf" + (HEADER + LILLE + PARIS).encode(),
    "utf16_bom.csv": lambda: (HEADER + LILLE + PARIS).encode("utf-16"),
    "double_bom.csv": lambda: b"\xef\xbb\xbf\xef\xbb\xbf" + (HEADER + LILLE).encode(),
    "mixed_encodings.csv": _mixed_encodings,
    "wrong_delimiter.csv": lambda: (
        HEADER + LILLE.replace(",", ";") + PARIS.replace(",", ";")
    ).encode(),
    "quoted_newlines.csv": lambda: (
        "name,description,latitude,longitude\n"
        '"Université\nde Lille","Line one\nline two, with a comma",50.6292,3.0573\n'
        '"Mairie de Paris","He said ""hello""",48.8566,2.3522\n'
    ).encode(),
    "unterminated_quote.csv": lambda: (
        HEADER + LILLE + '"Mairie de Paris,government,48.8,2.3\n' + LYON
    ).encode(),
    "ragged_rows.csv": _ragged,
    "ten_thousand_columns.csv": _ten_thousand_columns,
    "nan_coordinates.csv": _nan_coordinates,
    "metres_no_crs.csv": lambda: (
        HEADER + "Lille Centre,government,3080766.84,3830590.10\n"
    ).encode(),
    "no_name_column.csv": lambda: b"helix,latitude,longitude\nacademia,50.6292,3.0573\n",
    "nul_in_cell.csv": lambda: (
        (HEADER + LILLE).encode()
        + b"x" * 5000
        + b"\n"
        + b"Mairie\x00de Paris,government,48.8566,2.3522\n"
    ),
    "html_page.csv": lambda: b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>\n",
    "formula_cells.csv": lambda: (
        HEADER
        + '=HYPERLINK("http://evil.example"),business,50.6,3.0\n'
        + "+33 1 23 45,business,48.8566,2.3522\n"
        + "@SUM(A1),business,45.7640,4.8357\n"
    ).encode(),
    "old_excel.xls": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
    # --- GeoJSON and JSON ---------------------------------------------------------------
    "not_feature_collection.geojson": lambda: json.dumps(
        {"type": "Polygon", "coordinates": BOWTIE}
    ).encode(),
    "features_not_a_list.geojson": lambda: b'{"type": "FeatureCollection", "features": {}}',
    "truncated.geojson": lambda: _geojson(
        _feature(
            {"name": "Université de Lille"}, {"type": "Point", "coordinates": [3.0573, 50.6292]}
        )
    )[:60],
    "garbage_features.geojson": lambda: _geojson(
        _feature(
            {"name": "Université de Lille"}, {"type": "Point", "coordinates": [3.0573, 50.6292]}
        ),
        42,
        "a string",
        None,  # type: ignore[arg-type]
        _feature({"name": "Geometry Is Text"}, "POINT (3 50)"),
        _feature({"name": "Unknown Type"}, {"type": "Blob", "coordinates": [3, 50]}),
        _feature("properties are text", {"type": "Point", "coordinates": [2.35, 48.85]}),  # type: ignore[arg-type]
    ),
    "coordinates_3d.geojson": lambda: _geojson(
        _feature(
            {"name": "Université de Lille", "helix": "academia"},
            {"type": "Point", "coordinates": [3.0573, 50.6292, 25.0]},
        ),
        _feature(
            {"name": "Mairie de Paris", "helix": "government"},
            {"type": "Point", "coordinates": [2.3522, 48.8566, 35.0, 7.0]},
        ),
    ),
    "nan_coordinates.geojson": lambda: (
        b'{"type": "FeatureCollection", "features": ['
        b'{"type": "Feature", "properties": {"name": "Not A Number"}, '
        b'"geometry": {"type": "Point", "coordinates": [NaN, NaN]}}, '
        b'{"type": "Feature", "properties": {"name": "Infinite"}, '
        b'"geometry": {"type": "Point", "coordinates": [Infinity, 50.0]}}, '
        b'{"type": "Feature", "properties": {"name": "Text"}, '
        b'"geometry": {"type": "Point", "coordinates": ["3.0", "50.0"]}}, '
        b'{"type": "Feature", "properties": {"name": "Universit\\u00e9 de Lille"}, '
        b'"geometry": {"type": "Point", "coordinates": [3.0573, 50.6292]}}]}'
    ),
    "legacy_crs_3035.geojson": lambda: _geojson(
        _feature(
            {"name": "Lille Centre", "helix": "government"},
            {"type": "Point", "coordinates": [3830590.10, 3080766.84]},
        ),
        crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3035"}},
    ),
    "unknown_crs.geojson": lambda: _geojson(
        _feature({"name": "Lille Centre"}, {"type": "Point", "coordinates": [3.0, 50.0]}),
        crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::99999"}},
    ),
    "metres_no_crs.geojson": lambda: _geojson(
        _feature(
            {"name": "Lille Centre"}, {"type": "Point", "coordinates": [3830590.10, 3080766.84]}
        )
    ),
    "polygons_and_lines.geojson": lambda: _geojson(
        _feature(
            {"name": "Campus Polygon", "helix": "academia"},
            {
                "type": "Polygon",
                "coordinates": [[[3.0, 50.6], [3.1, 50.6], [3.1, 50.7], [3.0, 50.7], [3.0, 50.6]]],
            },
        ),
        _feature(
            {"name": "Tram Line", "helix": "government"},
            {"type": "LineString", "coordinates": [[2.30, 48.85], [2.40, 48.86]]},
        ),
        _feature(
            {"name": "Two Sites", "helix": "business"},
            {"type": "MultiPoint", "coordinates": [[4.8357, 45.764], [4.85, 45.75]]},
        ),
    ),
    "invalid_geometries.geojson": lambda: _geojson(
        _feature({"name": "Bow Tie"}, {"type": "Polygon", "coordinates": BOWTIE}),
        _feature(
            {"name": "Unclosed Ring"},
            {"type": "Polygon", "coordinates": [[[3.0, 50.0], [3.1, 50.0], [3.1, 50.1]]]},
        ),
        _feature(
            {"name": "Two Point Ring"},
            {"type": "Polygon", "coordinates": [[[3.0, 50.0], [3.0, 50.0]]]},
        ),
        _feature({"name": "Empty Point"}, {"type": "Point", "coordinates": []}),
        _feature(
            {"name": "Université de Lille"}, {"type": "Point", "coordinates": [3.0573, 50.6292]}
        ),
    ),
    "json_scalar.json": lambda: b"42",
    "deeply_nested.json": _deep_json,
    # --- KML and KMZ --------------------------------------------------------------------
    "xxe.kml": lambda: _kml(
        _placemark("&secret;", _point("3.0,50.0")),
        prolog='<!DOCTYPE kml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n',
    ),
    "billion_laughs.kml": lambda: _kml(
        _placemark("&lol9;", _point("3.0,50.0")),
        prolog=(
            '<!DOCTYPE kml [<!ENTITY lol "lol">'
            + "".join(
                f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                for i in range(1, 10)
            )
            + "]>\n"
        ),
    ),
    "not_well_formed.kml": lambda: GOOD_KML[: len(GOOD_KML) // 2],
    "not_kml_root.kml": lambda: b'<?xml version="1.0"?><gpx><wpt lat="50" lon="3"/></gpx>',
    "network_link.kml": lambda: _kml(
        "<NetworkLink><name>Layer</name><Link><href>https://www.google.com/maps/d/kml?mid=x"
        "</href></Link></NetworkLink>"
    ),
    "bad_coordinates.kml": lambda: _kml(
        _placemark("Université de Lille", _point("3.0573,50.6292,0"))
        + _placemark("Letters", _point("east,north"))
        + _placemark("Latitude Missing", _point("3.0573"))
        + _placemark("Empty Coordinates", _point(""))
        + _placemark("Not A Number", _point("nan,nan"))
        + _placemark("Infinite", _point("inf,50.0"))
        + _placemark("Three D", _point("2.3522,48.8566,35"))
    ),
    "invalid_geometries.kml": lambda: _kml(
        _placemark(
            "Bow Tie",
            "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
            "3.0,50.0 3.1,50.1 3.1,50.0 3.0,50.1 3.0,50.0"
            "</coordinates></LinearRing></outerBoundaryIs></Polygon>",
        )
        + _placemark(
            "Unclosed Ring",
            "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
            "3.0,50.0 3.1,50.0 3.1,50.1"
            "</coordinates></LinearRing></outerBoundaryIs></Polygon>",
        )
        + _placemark(
            "Two Point Ring",
            "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
            "3.0,50.0 3.1,50.0"
            "</coordinates></LinearRing></outerBoundaryIs></Polygon>",
        )
        + _placemark(
            "One Point Line", "<LineString><coordinates>3.0,50.0</coordinates></LineString>"
        )
        + _placemark("Université de Lille", _point("3.0573,50.6292"))
    ),
    "traversal.kmz": _traversal_kmz,
    "nested_zip.kmz": _nested_zip_kmz,
    "zip_bomb.kmz": _zip_bomb_kmz,
    "lying_sizes.kmz": _lying_sizes_kmz,
    "not_a_zip.kmz": lambda: b"PK\x03\x04" + b"\x00" * 100,
    # --- Excel --------------------------------------------------------------------------
    "formulas.xlsx": lambda: _xlsx(_formulas),
    "merged_cells.xlsx": lambda: _xlsx(_merged_cells),
    "corrupt_workbook.xlsx": lambda: _zip({"xl/workbook.xml": b"<workbook><sheets>"}),
}


# --- the safe input boundary (issue 12) ---------------------------------------------------


def _sqlite_payload() -> bytes:
    """An SQLite database declaring VirtualOGR tables over a local file and a URL (the
    bytes are the same on every run of the same SQLite library)."""
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "payload.sqlite"
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA user_version = 0")
        connection.execute("CREATE TABLE actors(name TEXT, latitude REAL, longitude REAL)")
        connection.execute("INSERT INTO actors VALUES ('Innocent', 50.6, 3.0)")
        connection.execute("CREATE VIEW leak_view AS SELECT * FROM leak")
        connection.commit()
        connection.execute("PRAGMA writable_schema=ON")
        for name, source in (
            ("leak", "CSV:/etc/passwd"),
            ("fetch", "/vsicurl/http://127.0.0.1:9/x.csv"),
        ):
            connection.execute(
                "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) "
                "VALUES ('table', ?, ?, 0, ?)",
                (name, name, f"CREATE VIRTUAL TABLE {name} USING VirtualOGR('{source}')"),
            )
        connection.commit()
        connection.close()
        return path.read_bytes()


def _empty_geopackage() -> bytes:
    """A GeoPackage with its metadata tables and no table of features (zero layers)."""
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "empty.gpkg"
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
        connection.execute("PRAGMA user_version = 10400")
        connection.execute(
            "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT "
            "NULL PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER "
            "NOT NULL, definition TEXT NOT NULL, description TEXT)"
        )
        connection.execute(
            "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT "
            "NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change "
            "DATETIME NOT NULL DEFAULT '2024-01-01T00:00:00Z', min_x DOUBLE, min_y DOUBLE, "
            "max_x DOUBLE, max_y DOUBLE, srs_id INTEGER)"
        )
        connection.execute(
            "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT "
            "NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT "
            "NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, "
            "column_name))"
        )
        connection.commit()
        connection.close()
        return path.read_bytes()


VRT = (
    b'<OGRVRTDataSource><OGRVRTLayer name="leak"><SrcDataSource>CSV:/etc/passwd'
    b'</SrcDataSource></OGRVRTLayer><OGRVRTLayer name="fetch"><SrcDataSource>'
    b"/vsicurl/http://127.0.0.1:9/x.csv</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>\n"
)
GML = (
    b'<?xml version="1.0"?>\n<ogr:FeatureCollection xmlns:ogr="http://ogr.maptools.org/" '
    b'xmlns:gml="http://www.opengis.net/gml"><gml:featureMember><ogr:a><ogr:name>A</ogr:name>'
    b"</ogr:a></gml:featureMember></ogr:FeatureCollection>\n"
)


def _nested_folders_kml(depth: int = 1000) -> bytes:
    inner = _placemark("Université de Lille", _point("3.0573,50.6292"))
    return _kml("<Folder><name>deep</name>" * depth + inner + "</Folder>" * depth)


def _nested_multigeometry_kml(depth: int = 1000) -> bytes:
    geometry = "<MultiGeometry>" * depth + _point("2.3522,48.8566") + "</MultiGeometry>" * depth
    return _kml(
        _placemark("Université de Lille", _point("3.0573,50.6292"))
        + _placemark("Deep Geometry", geometry)
    )


def _crs_geojson(crs: object) -> bytes:
    return _geojson(
        _feature({"name": "Somewhere"}, {"type": "Point", "coordinates": [3.0573, 50.6292]}),
        crs=crs,
    )


def _named_crs(name: str) -> dict[str, object]:
    return {"type": "name", "properties": {"name": name}}


def _sheet_xlsx(sheet_xml: bytes | None, *, dimension_rows: bool = False) -> bytes:
    """A hand-made workbook whose one sheet part is ``sheet_xml`` (None: missing)."""
    members = {
        "[Content_Types].xml": (
            b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/content-types"><Default Extension="rels" ContentType="application/'
            b'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            b'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            b'sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
            b'"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            b"</Types>"
        ),
        "_rels/.rels": (
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            b'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships"><sheets><sheet name="Actors" sheetId="1" '
            b'r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            b'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
    }
    if sheet_xml is not None:
        members["xl/worksheets/sheet1.xml"] = sheet_xml
    return _zip(members)


def _sheet(rows: str, *, dimension: str = "A1:D2") -> bytes:
    return (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}'
        "</sheetData></worksheet>"
    ).encode()


def _row(number: int, *cells: tuple[str, object]) -> str:
    out = []
    for ref, value in cells:
        if isinstance(value, str):
            out.append(f'<c r="{ref}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
        else:
            out.append(f'<c r="{ref}{number}"><v>{value}</v></c>')
    return f'<row r="{number}">{"".join(out)}</row>'


ACTOR_ROWS = _row(1, ("A", "name"), ("B", "latitude"), ("C", "longitude")) + _row(
    2, ("A", "Université de Lille"), ("B", 50.6292), ("C", 3.0573)
)


def _sparse_features(count: int) -> bytes:
    return _geojson(
        *(
            _feature(
                {"name": f"A{i}", f"field_{i}": "x"}, {"type": "Point", "coordinates": [3, 50]}
            )
            for i in range(count)
        )
    )


def _sparse_kml(count: int) -> bytes:
    return _kml(
        "".join(
            f'<Placemark><name>A{i}</name><ExtendedData><Data name="f{i}"><value>x</value>'
            f"</Data></ExtendedData>{_point('3.0,50.6')}</Placemark>\n"
            for i in range(count)
        )
    )


def _geoparquet(geometry: bytes, crs: object) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    metadata = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": [], "crs": crs}},
    }
    table = pa.table({"name": ["Somewhere"], "geometry": pa.array([geometry], pa.binary())})
    table = table.replace_schema_metadata({b"geo": json.dumps(metadata).encode()})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="none")
    return buffer.getvalue()


GEOCENTRIC_PROJJSON = {
    "type": "GeodeticCRS",
    "name": "WGS 84",
    "datum": {
        "type": "GeodeticReferenceFrame",
        "name": "World Geodetic System 1984",
        "ellipsoid": {
            "name": "WGS 84",
            "semi_major_axis": 6378137,
            "inverse_flattening": 298.257223563,
        },
    },
    "coordinate_system": {
        "subtype": "Cartesian",
        "axis": [
            {
                "name": "Geocentric X",
                "abbreviation": "X",
                "direction": "geocentricX",
                "unit": "metre",
            },
            {
                "name": "Geocentric Y",
                "abbreviation": "Y",
                "direction": "geocentricY",
                "unit": "metre",
            },
            {
                "name": "Geocentric Z",
                "abbreviation": "Z",
                "direction": "geocentricZ",
                "unit": "metre",
            },
        ],
    },
    "id": {"authority": "EPSG", "code": 4978},
}
POINT_WKB = bytes.fromhex("0101000000d9cef753e3750840a5bdc11726514940")  # POINT (3.0573 50.6292)


UPLOAD_SUFFIXES = (".csv", ".tsv", ".txt", ".tab", ".json", ".geojson", ".kml", ".kmz", ".xlsx")
GDAL_SUFFIXES = (".gpkg", ".shp", ".fgb", ".gml")
JSON_5000_DIGITS = b'[{"name": "Big", "latitude": ' + b"9" * 5000 + b', "longitude": 3.0}]'

BOUNDARY: dict[str, Callable[[], bytes]] = {
    **{f"sqlite_virtual_tables{s}": _sqlite_payload for s in UPLOAD_SUFFIXES},
    **{f"vrt_payload{s}": (lambda: VRT) for s in (*GDAL_SUFFIXES, ".kml", ".csv", ".json")},
    "sqlite_virtual_tables.gpkg": _sqlite_payload,
    "gdalg_pipeline.json": lambda: (
        b'{"type": "gdal_streamed_alg", "command_line": "gdal vector read /etc/passwd"}'
    ),
    "parquet_named_csv.csv": lambda: b"PAR1" + b"\x00" * 64 + b"PAR1",
    "kmz_named_csv.csv": lambda: _zip({"doc.kml": GOOD_KML}),
    "xlsx_named_kmz.kmz": lambda: _zip({"xl/workbook.xml": b"<workbook/>"}),
    "kmz_named_xlsx.xlsx": lambda: _zip({"doc.kml": GOOD_KML}),
    "shapefile_named_json.json": lambda: b"\x00\x00\x27\x0a" + b"\x00" * 96,
    "flatgeobuf_named_geojson.geojson": lambda: b"fgb\x03fgb\x00" + b"\x00" * 64,
    "xls_named_xlsx.xlsx": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
    "png_named_kml.kml": lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32,
    "html_named_geojson.geojson": lambda: b"<html><body>Sign in</body></html>\n",
    "kml_named_json.json": lambda: GOOD_KML,
    "gml_named_kml.kml": lambda: GML,
    "shapefile_named_gpkg.gpkg": lambda: b"\x00\x00\x27\x0a" + b"\x00" * 96,
    "geojson_named_gml.gml": lambda: _crs_geojson(None),
    "no_layers.gpkg": _empty_geopackage,
    "no_layers.gml": lambda: GML.split(b"<gml:featureMember>")[0] + b"</ogr:FeatureCollection>\n",
    "no_extension": lambda: (HEADER + LILLE).encode(),
    "unknown_extension.dat": lambda: (HEADER + LILLE).encode(),
    "double_extension.csv.exe": lambda: (HEADER + LILLE).encode(),
    # --- the fourteen tracebacks ----------------------------------------------------------
    "nested_folders.kml": _nested_folders_kml,
    "nested_multigeometry.kml": _nested_multigeometry_kml,
    "huge_integer.json": lambda: JSON_5000_DIGITS,
    "huge_integer.geojson": lambda: (
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        b'{"name": ' + b"7" * 5000 + b'}, "geometry": null}]}'
    ),
    "crs_properties_string.geojson": lambda: _crs_geojson({"type": "name", "properties": "x"}),
    "crs_geocentric.geojson": lambda: _crs_geojson(_named_crs("urn:ogc:def:crs:EPSG::4978")),
    "crs_engineering.geojson": lambda: _crs_geojson(_named_crs("EPSG:5800")),
    "crs_mars.geojson": lambda: _crs_geojson(_named_crs("IAU_2015:49900")),
    "crs_vertical.geojson": lambda: _crs_geojson(_named_crs("EPSG:5703")),
    "crs_link.geojson": lambda: _crs_geojson(
        {"type": "link", "properties": {"href": "http://127.0.0.1:9/crs.wkt"}}
    ),
    "lone_surrogates.json": lambda: (
        b'[{"name": "Universit\\ud800 de Lille", "\\udc80note": "x\\udfff", '
        b'"latitude": 50.6292, "longitude": 3.0573}]'
    ),
    "lone_surrogates.geojson": lambda: (
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        b'{"name": "Lille \\udc00", "\\ud83dkey": 1}, "geometry": {"type": "Point", '
        b'"coordinates": [3.0573, 50.6292]}}]}'
    ),
    "missing_sheet_part.xlsx": lambda: _sheet_xlsx(None),
    "malformed_sheet_xml.xlsx": lambda: _sheet_xlsx(b"<worksheet><sheetData><row>"),
    "sheet_with_dtd.xlsx": lambda: _sheet_xlsx(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<worksheet><sheetData/></worksheet>"
    ),
    "geoparquet_invalid_wkb.parquet": lambda: _geoparquet(b"\x01\x07garbage", None),
    "geoparquet_bogus_epsg.parquet": lambda: _geoparquet(
        POINT_WKB, {"id": {"authority": "EPSG", "code": 999999}}
    ),
    "geoparquet_geocentric.parquet": lambda: _geoparquet(POINT_WKB, GEOCENTRIC_PROJJSON),
    "deeply_nested.geojson": lambda: (
        b'{"type": "FeatureCollection", "features": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    ),
    # --- silent losses ---------------------------------------------------------------------
    "late_header.csv": lambda: (
        "Our partners,,,\nLost Record,academia,50.1,3.1\nAnother Lost,business,50.2,3.2\n"
        + HEADER
        + LILLE
    ).encode(),
    "all_invalid_geometries.geojson": lambda: _geojson(
        _feature({"name": "A"}, {"type": "Point", "coordinates": [1]}),
        _feature({"name": "B"}, {"type": "LineString", "coordinates": [[1, 2]]}),
    ),
    "all_not_records.json": lambda: b'[1, "two", null, [3]]',
    "all_bad_coordinates.kml": lambda: _kml(
        _placemark("A", _point("north,south")) + _placemark("B", _point(""))
    ),
    # --- resource exhaustion -----------------------------------------------------------------
    "declared_whole_sheet.xlsx": lambda: _sheet_xlsx(_sheet(ACTOR_ROWS, dimension="A1:XFD1048576")),
    "cell_in_last_column.xlsx": lambda: _sheet_xlsx(
        _sheet(ACTOR_ROWS + _row(3, ("A", "Far"), ("XFD", "x")), dimension="A1:XFD1048576")
    ),
    "sparse_properties.geojson": lambda: _sparse_features(600),
    "sparse_records.json": lambda: json.dumps(
        [{"name": f"A{i}", f"k{i}": i} for i in range(600)]
    ).encode(),
    "sparse_nested.json": lambda: json.dumps(
        [{"name": f"A{i}", "extra": {f"k{i}": i}} for i in range(600)]
    ).encode(),
    "sparse_extended_data.kml": lambda: _sparse_kml(600),
    "six_hundred_columns.csv": lambda: (
        ("name,latitude,longitude," + ",".join(f"c{i}" for i in range(597)) + "\n").encode()
        + (LILLE.rstrip("\n").replace(",academia", "") + "," * 597 + "\n").encode()
    ),
    "zip_bomb.xlsx": lambda: _sheet_xlsx(_sheet(ACTOR_ROWS + "<!--" + " " * 5_000_000 + "-->")),
    # --- XML and archives ----------------------------------------------------------------
    "external_dtd.kml": lambda: _kml(
        _placemark("A", _point("3,50")),
        prolog='<!DOCTYPE kml SYSTEM "http://127.0.0.1:9/kml.dtd">\n',
    ),
    "parameter_entity.kml": lambda: _kml(
        _placemark("A", _point("3,50")),
        prolog='<!DOCTYPE kml [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n',
    ),
    "xinclude.kml": lambda: _kml(
        '<Placemark xmlns:xi="http://www.w3.org/2001/XInclude"><name>Université de Lille'
        '</name><description><xi:include href="/etc/passwd" parse="text"/></description>'
        + _point("3.0573,50.6292")
        + "</Placemark>\n"
    ),
    "absolute_member.kmz": lambda: _zip({"/etc/cron.d/doc.kml": GOOD_KML}),
    "symlink_member.kmz": lambda: _zip({"doc.kml": b"/etc/passwd"}),
    "utf16.kml": lambda: (
        GOOD_KML.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    ),
    # --- text that must stay text ------------------------------------------------------------
    "markdown_payload.csv": lambda: (
        HEADER
        + "[click](http://127.0.0.1:9/t),academia,50.6292,3.0573\n"
        + "![img](http://127.0.0.1:9/p.png),business,45.764,4.8357\n"
    ).encode(),
    "formula_header.csv": lambda: (
        b'name,=HYPERLINK("http://evil"),latitude,longitude\nLille;=1+1,x,50.6292,3.0573\n'
    ),
    "bidi_override.csv": lambda: (
        HEADER + "Lille \u202eevil\u202c,academia,50.6292,3.0573\n"
    ).encode(),
    "crlf_mac.csv": lambda: (HEADER + LILLE + PARIS).replace("\n", "\r").encode(),
    "null_island.csv": lambda: (HEADER + "Null Island Ltd,business,0,0\n" + LILLE).encode(),
    "geojson_null_properties.geojson": lambda: _geojson(
        _feature(None, {"type": "Point", "coordinates": [3.0573, 50.6292]})  # type: ignore[arg-type]
    ),
    "geojson_string_coordinates.geojson": lambda: _geojson(
        _feature({"name": "A"}, {"type": "Point", "coordinates": ["3", "50"]}),
        _feature(
            {"name": "Université de Lille"}, {"type": "Point", "coordinates": [3.0573, 50.6292]}
        ),
    ),
    "geojson_empty_features.geojson": lambda: _geojson(),
    "duplicate_keys.json": lambda: (
        b'[{"name": "First", "name": "Second", "latitude": 50.6292, "longitude": 3.0573}]'
    ),
}
CORPUS.update(BOUNDARY)


# --- large files: written at test time (tests/test_badinput_limits.py), never committed ---


def _over_size_limit() -> bytes:
    row = b"Lille Campus,50.6292,3.0573\n"
    return b"name,latitude,longitude\n" + row * (50 * 1024 * 1024 // len(row) + 1)


def _parquet_bomb() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({f"c{i}": pa.repeat(pa.scalar("same"), 1_000_000) for i in range(43)})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


GENERATED: dict[str, Callable[[], bytes]] = {
    "over_size_limit.csv": _over_size_limit,
    "parquet_bomb.parquet": _parquet_bomb,
    "sparse_20000.geojson": lambda: _sparse_features(20_000),
    "sparse_20000.kml": lambda: _sparse_kml(20_000),
}
"""Files whose size is the attack (over 1 MB), with their outcomes in EXPECTED.toml too."""


def main() -> None:
    for name, make in CORPUS.items():
        (HERE / name).write_bytes(make())
    print(f"wrote {len(CORPUS)} files to {HERE}")


if __name__ == "__main__":
    main()
