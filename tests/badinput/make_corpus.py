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


def main() -> None:
    for name, make in CORPUS.items():
        (HERE / name).write_bytes(make())
    print(f"wrote {len(CORPUS)} files to {HERE}")


if __name__ == "__main__":
    main()
