"""Read one regional map file (any supported format) into actors, rejects and warnings.

``read_layer`` is the whole stage: check the size, choose the reader from the file's
extension and check that the content agrees (``READERS``), let the format's small reader
turn the file into raw cells (``RawLayer``), then ``normalise`` maps columns, positions,
tags and validates rows once for every format.

Formats: CSV/TSV/text (``csv``), Excel ``xlsx``, ``geojson``, ``kml`` and ``kmz`` (Google
My Maps), tabular ``json`` (CORDIS included), ``parquet`` (GeoParquet, for large layers)
and, through GDAL with one allowed driver each, GeoPackage (``gpkg``), Shapefile (``shp``),
FlatGeobuf (``fgb``) and GML (``gml``). A new format is one module with a
``read(path, ...) -> RawLayer`` function and one ``Reader`` entry in ``READERS``: the
extension check, the app's upload types and the CLI's option checks derive from it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import shapely

from metacluster import normalise, settings
from metacluster._errors import InputFileError
from metacluster.read import _sniff, csv, geojson, json, kml, ogr, parquet, xlsx
from metacluster.read._raw import RawLayer, check_size_limit
from metacluster.read._worker import call_limited
from metacluster.schema import ImportResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reader:
    """One input format: what reads it and how it is recognised.

    Attributes
    ----------
    read
        ``read(path, **options) -> RawLayer``.
    label
        The format's name in messages and in the app.
    suffixes
        File extensions (lower case, with the dot) that choose this reader.
    contents
        Kinds of content (``_sniff.KINDS``) that agree with it; anything else is refused.
    options
        The ``read_layer`` options the reader takes (``sheet``, ``layer``).
    upload
        Whether the app accepts it as an upload (only formats read without GDAL).
    gdal
        Whether GDAL reads it: then in a limited worker process (``settings.isolate_gdal``).
    """

    read: Callable[..., RawLayer]
    label: str
    suffixes: tuple[str, ...]
    contents: frozenset[str]
    options: tuple[str, ...] = ()
    upload: bool = False
    gdal: bool = False


def _gdal_reader(driver: str, label: str, suffix: str, content: str) -> Reader:
    """A format GDAL reads with exactly one driver (the allow-list), never an upload."""
    read = functools.partial(ogr.read, driver=driver)
    return Reader(read, label, (suffix,), frozenset({content}), ("layer",), gdal=True)


_TEXT = frozenset({"text", "empty"})
READERS: dict[str, Reader] = {
    "csv": Reader(csv.read, "CSV", (".csv", ".tsv", ".txt", ".tab"), _TEXT | {"json"}, upload=True),
    "xlsx": Reader(xlsx.read, "Excel", (".xlsx",), frozenset({"xlsx"}), ("sheet",), upload=True),
    "json": Reader(json.read, "JSON", (".json",), _TEXT | {"json"}, upload=True),
    "geojson": Reader(
        geojson.read,
        "GeoJSON",
        (".geojson", ".json"),
        _TEXT | {"geojson", "json"},
        upload=True,
    ),
    "kml": Reader(kml.read, "KML", (".kml",), _TEXT | {"kml", "xml"}, ("layer",), upload=True),
    "kmz": Reader(kml.read_kmz, "KMZ", (".kmz",), frozenset({"kmz"}), ("layer",), upload=True),
    "parquet": Reader(
        parquet.read, "GeoParquet", (".parquet", ".geoparquet"), frozenset({"parquet"})
    ),
    "gpkg": _gdal_reader("GPKG", "GeoPackage", ".gpkg", "gpkg"),
    "shp": _gdal_reader("ESRI Shapefile", "Shapefile", ".shp", "shapefile"),
    "fgb": _gdal_reader("FlatGeobuf", "FlatGeobuf", ".fgb", "flatgeobuf"),
    "gml": _gdal_reader("GML", "GML", ".gml", "gml"),
}
"""Format → its reader. The extension chooses among them; the content must agree."""

UPLOAD_FORMATS = tuple(name for name, reader in READERS.items() if reader.upload)
"""The formats the app accepts as uploads: none of them goes through GDAL."""

UPLOAD_SUFFIXES = tuple(
    dict.fromkeys(suffix for name in UPLOAD_FORMATS for suffix in READERS[name].suffixes)
)
"""File extensions of ``UPLOAD_FORMATS``."""

__all__ = [
    "READERS",
    "UPLOAD_FORMATS",
    "UPLOAD_SUFFIXES",
    "RawLayer",
    "Reader",
    "check_size_limit",
    "detect_format",
    "read_layer",
    "read_raw",
]


def detect_format(path: str | Path) -> str:
    """The format of a file (a key of ``READERS``): chosen by its extension, and refused
    when its content is something else (a database renamed ``.json``, a VRT renamed
    ``.gpkg``), with both named in the message.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(_sniff.HEAD_BYTES)
    content = _sniff.kind(path, head)
    if suffix == ".xls" or (content == "xls" and suffix not in _known_suffixes()):
        raise InputFileError(
            path,
            "is an old Excel .xls workbook",
            "Open it in Excel and save it as .xlsx or CSV UTF-8",
        )
    candidates = [name for name, reader in READERS.items() if suffix in reader.suffixes]
    if not candidates:
        raise InputFileError(
            path,
            f"has the extension {suffix or '(none)'!r}, which is not a map format read here "
            f"(its content looks like {_sniff.KINDS[content]})",
            f"Name the file after its format: {', '.join(_known_suffixes())}",
        )
    for name in candidates:
        if content in READERS[name].contents:
            return name
    expected = READERS[candidates[0]].label
    raise InputFileError(
        path,
        f"is named {suffix} ({expected}) but holds {_sniff.KINDS[content]}",
        f"Export the map again as {expected}, or give the file the extension of what it holds",
    )


def read_raw(path: Path, kind: str, **options: Any) -> RawLayer:
    """The raw cells of a file by the reader of ``kind``, in this process (what
    ``read_layer`` runs in a limited worker for the GDAL formats)."""
    return READERS[kind].read(path, **options)


def _flag_null_island(result: ImportResult) -> None:
    """Warn about actors placed at exactly (0, 0), "Null Island" in the Gulf of Guinea:
    nearly always a missing position written as zeros, not a place in Europe."""
    actors = result.actors
    geometry = actors.geometry.array
    at_origin = (shapely.get_x(geometry) == 0) & (shapely.get_y(geometry) == 0)
    if not at_origin.any():
        return
    flagged = pd.DataFrame(
        {
            "file": Path(result.file).name,
            "layer": actors["source_layer"][at_origin].to_numpy(),
            "row": actors["source_row"][at_origin].to_numpy(),
            "column": None,
            "message": "placed at (0, 0), Null Island in the Gulf of Guinea: a missing "
            "position written as zeros? Check the coordinates",
        }
    )
    result.warnings = pd.concat([result.warnings, flagged], ignore_index=True)


def _known_suffixes() -> list[str]:
    return list(dict.fromkeys(s for reader in READERS.values() for s in reader.suffixes))


def read_layer(
    path: str | Path,
    *,
    columns: dict[str, str | None] | None = None,
    sheet: str | int | None = None,
    country: str | None = None,
    layer: str | None = None,
    crs: str | int | None = None,
    helix_default: str | None = None,
    helix_synonyms: str | Path | None = None,
    formats: Collection[str] | None = None,
) -> ImportResult:
    """Read one regional map into actors in the schema, with every other row rejected.

    Parameters
    ----------
    path
        A KML/KMZ, CSV/TSV, XLSX, GeoJSON, JSON (CORDIS too), GeoPackage or Shapefile.
    columns
        Explicit mapping, schema column → the file's column (keys: schema columns plus
        ``lat``, ``lon``, ``latlon``); overrides automatic detection. A column mapped to
        None is fed by no file column.
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
    formats
        Accept only these formats (keys of ``READERS``); the app's upload passes
        ``UPLOAD_FORMATS`` so that no upload reaches GDAL. None accepts every format.

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
    reader = READERS[kind]
    if formats is not None and kind not in formats:
        accepted = ", ".join(READERS[name].label for name in formats)
        raise InputFileError(
            path,
            f"is a {reader.label} file, which is not accepted here",
            f"Export the map as one of: {accepted}",
        )
    given = {"sheet": sheet, "layer": layer}
    misplaced = [
        name for name, value in given.items() if value is not None and name not in reader.options
    ]
    if misplaced:
        raise InputFileError(
            path,
            f"the option {misplaced[0]}= does not apply to {reader.label} files",
            "Leave it out for this file",
        )
    chosen = {name: given[name] for name in reader.options}
    if reader.gdal and settings.isolate_gdal:
        raw = call_limited("metacluster.read:read_raw", path, kind, **chosen)
    else:
        raw = reader.read(path, **chosen)
    if not len(raw.frame) and not len(raw.frame.columns):
        if not raw.rejects:
            raise InputFileError(path, "has no records: nothing to import", "Export it again")
        # every record was rejected by the reader: its reasons are the report, not a
        # missing name column in a table that has no rows
        raw.frame = pd.DataFrame({"name": pd.Series([], dtype=object)})
    result = normalise.normalise(
        raw,
        columns=columns,
        country=country,
        crs=crs,
        helix_default=helix_default,
        helix_synonyms=helix_synonyms,
    )
    _flag_null_island(result)
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
