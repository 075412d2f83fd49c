"""Read one regional map file (any supported format) into actors, rejects and warnings.

``read_layer`` is the whole stage: check the size, detect the format from the content
(the extension only breaks ties), let the format's small reader turn the file into raw
cells (``RawLayer``), then ``normalise`` maps columns, positions, tags and validates rows
once for every format.

Formats: CSV/TSV/text (``csv``), Excel ``xlsx``, ``geojson``, ``kml`` and ``kmz`` (Google
My Maps), tabular ``json`` (CORDIS included), ``parquet`` (GeoParquet, for large layers)
and, through GDAL, ``ogr`` (GeoPackage, Shapefile…). A new format is one module with a
``read(path, ...) -> RawLayer`` function and one line in ``READERS``.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from metacluster import normalise
from metacluster._errors import InputFileError
from metacluster.read import csv, geojson, json, kml, ogr, parquet, xlsx
from metacluster.read._raw import RawLayer, check_size_limit
from metacluster.schema import ImportResult

log = logging.getLogger(__name__)

READERS: dict[str, tuple[Callable[..., RawLayer], tuple[str, ...]]] = {
    "csv": (csv.read, ()),
    "xlsx": (xlsx.read, ("sheet",)),
    "geojson": (geojson.read, ()),
    "json": (json.read, ()),
    "kml": (kml.read, ("layer",)),
    "kmz": (kml.read_kmz, ("layer",)),
    "ogr": (ogr.read, ("layer",)),
    "parquet": (parquet.read, ()),
}
"""Format → (reader, the read_layer options it takes)."""

_HEAD_BYTES = 65536
_GEOJSON_MARK = re.compile(r'"type"\s*:\s*"Feature(Collection)?"')

__all__ = ["READERS", "RawLayer", "check_size_limit", "detect_format", "read_layer"]


def _zip_format(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as e:
        raise InputFileError(
            path, f"looks like a ZIP archive but cannot be opened ({e})", "Export the file again"
        ) from e
    if "xl/workbook.xml" in names:
        return "xlsx"
    if any(name.lower().endswith(".kml") for name in names):
        return "kmz"
    raise InputFileError(
        path,
        "is a ZIP archive holding neither a KML map nor an Excel sheet",
        "Unzip it and read the map file inside",
    )


def detect_format(path: str | Path) -> str:
    """The format of a file, from its first bytes; the extension only decides between
    formats that look alike (a .geojson that is JSON).

    Returns one of the keys of ``READERS``.
    """
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if head.startswith(parquet.MAGIC):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(
            path,
            "is an old Excel .xls workbook",
            "Open it in Excel and save it as .xlsx or CSV UTF-8",
        )
    if head.startswith(b"SQLite format 3\x00") or path.suffix.lower() in ogr.SUFFIXES:
        return "ogr"
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        if "<kml" in text or path.suffix.lower() == ".kml":
            return "kml"
        raise InputFileError(
            path, "is XML or HTML but not KML", "Export the map as KML, KMZ, GeoJSON or CSV"
        )
    if text.startswith(("{", "[")) or path.suffix.lower() in (".json", ".geojson"):
        if path.suffix.lower() == ".geojson" or _GEOJSON_MARK.search(text):
            return "geojson"
        return "json"
    return "csv"


def read_layer(
    path: str | Path,
    *,
    columns: dict[str, str] | None = None,
    sheet: str | int | None = None,
    country: str | None = None,
    layer: str | None = None,
    crs: str | int | None = None,
    helix_default: str | None = None,
    helix_synonyms: str | Path | None = None,
) -> ImportResult:
    """Read one regional map into actors in the schema, with every other row rejected.

    Parameters
    ----------
    path
        A KML/KMZ, CSV/TSV, XLSX, GeoJSON, JSON (CORDIS too), GeoPackage or Shapefile.
    columns
        Explicit mapping, schema column → the file's column (keys: schema columns plus
        ``lat``, ``lon``, ``latlon``); overrides automatic detection.
    sheet
        Excel sheet name or 0-based index; default the first sheet with data.
    country
        Country for rows that do not give one (code or name).
    layer
        Read only this KML folder / GeoPackage layer.
    crs
        CRS of coordinate columns (e.g. "EPSG:3035") when they are not WGS84 lon/lat and
        the file does not declare it.
    helix_default, helix_synonyms
        The map's default helix and a TOML file of extra helix words (see
        ``normalise.normalise``).

    Returns
    -------
    ImportResult
        ``rows_in == accepted + rejected``; the reasons are in ``rejects``.

    Raises
    ------
    InputFileError
        The whole file cannot be used (unknown format, not decodable, no header, unsafe
        XML, a My Maps network link, a mapping naming a missing column).
    InputLimitError
        The file is over ``settings.max_file_bytes`` or ``settings.max_rows``.

    Examples
    --------
    >>> result = read_layer("tests/data/mymaps.kml")
    >>> result.summary()["helix"]
    {'academia': 2, 'business': 2, 'government': 2, 'civil_society': 2}
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "does not exist or is not a file", "Check the path")
    check_size_limit(path, path.stat().st_size)
    kind = detect_format(path)
    reader, takes = READERS[kind]
    given = {"sheet": sheet, "layer": layer}
    misplaced = [name for name, value in given.items() if value is not None and name not in takes]
    if misplaced:
        raise InputFileError(
            path,
            f"the option {misplaced[0]}= does not apply to {kind} files",
            "Leave it out for this file",
        )
    raw = reader(path, **{name: given[name] for name in takes})
    result = normalise.normalise(
        raw,
        columns=columns,
        country=country,
        crs=crs,
        helix_default=helix_default,
        helix_synonyms=helix_synonyms,
    )
    log.info(
        "%s (%s): %d rows, %d actors, %d rejected, %d warnings",
        path.name,
        kind,
        result.rows_in,
        result.accepted,
        result.rejected,
        len(result.warnings),
    )
    return result
