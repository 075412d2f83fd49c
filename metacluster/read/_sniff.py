"""What a file's first bytes say it holds, so that its extension can be checked against it.

The extension chooses the reader (``metacluster.read.READERS``); the content must agree.
A SQLite database renamed ``.json`` or a GDAL VRT renamed ``.gpkg`` is refused with both
names in the message instead of reaching a parser that would follow it elsewhere.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from metacluster._errors import InputFileError

HEAD_BYTES = 65536
"""How much of a file is looked at."""

KINDS = {
    "empty": "nothing (the file is empty)",
    "text": "plain text",
    "json": "JSON",
    "geojson": "GeoJSON",
    "xml": "XML or HTML",
    "kml": "KML",
    "gml": "GML",
    "vrt": "a GDAL virtual dataset (VRT XML), which can point at other files and URLs",
    "xlsx": "an Excel workbook",
    "kmz": "a KMZ map",
    "zip": "a ZIP archive holding neither a KML map nor an Excel sheet",
    "xls": "an old Excel .xls workbook",
    "sqlite": "an SQLite database",
    "gpkg": "a GeoPackage",
    "shapefile": "a Shapefile",
    "flatgeobuf": "a FlatGeobuf file",
    "parquet": "a Parquet file",
    "binary": "a binary file, not text",
}
"""Every kind of content ``kind`` tells apart, as said in messages."""

_GEOJSON_MARK = re.compile(r'"type"\s*:\s*"Feature(Collection)?"|"features"\s*:\s*\[')
_ROOT = re.compile(r"<(?!\?|!)(?:[\w.-]+:)?([\w.-]+)")
_GPKG_APPLICATION_IDS = (b"GPKG", b"GP10", b"GP11")


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise InputFileError(
            path, f"looks like a ZIP archive but cannot be opened ({e})", "Export the file again"
        ) from e
    if "xl/workbook.xml" in names:
        return "xlsx"
    if any(name.lower().endswith(".kml") for name in names):
        return "kmz"
    return "zip"


def _xml_kind(text: str) -> str:
    body = re.sub(r"<!--.*?-->", "", text[:8192], flags=re.S)
    root = _ROOT.search(body)
    name = root.group(1) if root else ""
    if name in ("OGRVRTDataSource", "VRTDataset") or "<OGRVRTLayer" in body:
        return "vrt"
    if name == "kml":
        return "kml"
    if "http://www.opengis.net/gml" in body:
        return "gml"
    return "xml"


def kind(path: Path, head: bytes) -> str:
    """The kind of content (a key of ``KINDS``) of a file that starts with ``head``."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg" if head[68:72] in _GPKG_APPLICATION_IDS else "sqlite"
    if head.startswith(b"\x00\x00\x27\x0a"):
        return "shapefile"
    if head.startswith(b"fgb\x03"):
        return "flatgeobuf"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    elif b"\x00" in head[:4096]:
        return "binary"
    else:
        text = head.decode("utf-8", errors="ignore")
    text = text.lstrip("\ufeff \t\r\n")
    if not text:
        return "empty"
    if text.startswith("<"):
        return _xml_kind(text)
    if text.startswith(("{", "[")):
        return "geojson" if _GEOJSON_MARK.search(text) else "json"
    return "text"
