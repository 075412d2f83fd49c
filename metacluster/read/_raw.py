"""What every reader returns, and the plumbing several readers share.

A reader only turns bytes into a table of raw cells (``RawLayer``); mapping columns,
parsing coordinates, tagging helices and validating rows happen once, for all formats, in
``metacluster.normalise``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj

from metacluster import settings
from metacluster._errors import InputFileError, InputLimitError, printable
from metacluster._text import counted
from metacluster.columns import is_known_column

HEADER_SEARCH_ROWS = 20
"""How many rows from the top are searched for the header row (title rows above it)."""


@dataclass
class RawLayer:
    """Raw cells of one input file, before any interpretation.

    Attributes
    ----------
    file
        The file read (for KMZ, the archive, not its member).
    frame
        One row per record, cells as text (str or None), the file's own column names.
    source_row
        1-based data row (placemark or feature number) of each record in the file.
    source_layer
        KML folder / OGR layer / sheet of each record, or None.
    geometry
        Geometries from the file (any type, missing allowed) with the CRS the file
        declares (None when it declares none), or None for tables with coordinate columns.
    layer_is_helix_hint
        Whether layer names may say the helix (map layers do; sheet names do not).
    default_layer
        The name the reader gave to unnamed layers; it says nothing about the helix.
    title
        The name the file gives its map (a KML's ``<Document><name>``), if any.
    warnings, rejects
        Problems the reader already met: rows it could not read are rejected here and
        count as input rows.
    """

    file: Path
    frame: pd.DataFrame
    source_row: list[int]
    source_layer: list[str | None] | None = None
    geometry: gpd.GeoSeries | None = None
    layer_is_helix_hint: bool = True
    default_layer: str | None = None
    title: str | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return len(self.frame) + len(self.rejects)

    @property
    def file_name(self) -> str:
        """The file's name as it is written in tables and reports: bytes of the name that
        are not UTF-8 (a name from another system) become U+FFFD."""
        return printable(self.file.name)

    def warn(
        self,
        message: str,
        *,
        row: int | None = None,
        layer: str | None = None,
        column: str | None = None,
    ) -> None:
        self.warnings.append(
            {
                "file": self.file_name,
                "layer": layer,
                "row": row,
                "column": column,
                "message": message,
            }
        )

    def reject(
        self,
        row: int,
        reason: str,
        detail: str,
        *,
        layer: str | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        self.rejects.append(
            {
                "file": self.file_name,
                "layer": layer,
                "row": row,
                "column": column,
                "value": value,
                "reason": reason,
                "detail": detail,
            }
        )


CONTROL_CHARACTERS = {code: " " for code in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)}
"""``str.translate`` table turning control characters (NUL…) into spaces: they cannot be
shown, break XML exports, and are never meant as part of a name."""


def clean_cell(text: str) -> str | None:
    """A text cell without control characters, lone surrogates (JSON may carry them; they
    cannot be written as UTF-8) and surrounding spaces, None if blank."""
    return printable(text.translate(CONTROL_CHARACTERS)).strip() or None


def cell_text(value: Any) -> str | None:
    """A raw cell as text: numbers without float noise, lists joined by '; ', None if blank."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "; ".join(t for t in (cell_text(v) for v in value) if t) or None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return clean_cell(str(value))


def text_frame(file: Path, records: list[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Records or a frame → a frame of text cells (``cell_text``), None where blank.

    Columns keep their order of first appearance, since records may have different keys;
    they are counted before any table is built (``check_table_limits``), so records that
    each bring new keys cannot grow rows × columns past the limits.
    """
    if isinstance(records, list):
        seen: dict[str, None] = {}
        for record in records:
            seen.update(dict.fromkeys(record))
            if len(seen) > settings.max_columns:
                check_table_limits(file, len(records), len(seen))
        columns = list(seen)
        check_table_limits(file, len(records), len(columns))
        records = pd.DataFrame(records, columns=columns, index=range(len(records)))
    else:
        check_table_limits(file, len(records), records.shape[1])
    records = records.set_axis([printable(c) for c in records.columns], axis=1)
    frame = records.astype("object").map(cell_text).astype("object")
    return frame.where(frame.notna(), None)


def check_size_limit(file: str | Path, size: int) -> None:
    """Refuse a file of more than ``settings.max_file_bytes``, before anything reads it."""
    if size > settings.max_file_bytes:
        raise InputLimitError(
            file,
            f"is {size / 1024 / 1024:.1f} MB, over the limit of "
            f"{settings.max_file_bytes / 1024 / 1024:.0f} MB (settings.max_file_bytes)",
            "Split the map, or raise the limit with the METACLUSTER_MAX_FILE_MB environment "
            "variable",
        )


def check_table_limits(file: Path, rows: int, columns: int) -> None:
    """Refuse a table wider than ``settings.max_columns`` or with more cells (rows ×
    columns) than ``settings.max_cells``: checked before the table is built, since a few KB
    of sparse records or a sheet's declared size can stand for billions of cells."""
    if columns > settings.max_columns:
        raise InputLimitError(
            file,
            f"has {columns:,} columns, over the limit of {settings.max_columns:,}",
            "Keep the columns the map needs, or raise the limit with the "
            "METACLUSTER_MAX_COLUMNS environment variable (settings.max_columns)",
        )
    if rows * columns > settings.max_cells:
        raise InputLimitError(
            file,
            f"has {rows:,} rows × {columns:,} columns = {rows * columns:,} cells, over the "
            f"limit of {settings.max_cells:,}",
            "Split the file, or raise the limit with the METACLUSTER_MAX_CELLS environment "
            "variable (settings.max_cells)",
        )


def check_crs(file: Path, crs: pyproj.CRS | None, *, given: str | None = None) -> pyproj.CRS | None:
    """A CRS if positions on the Earth's surface can be had from it: geographic or
    projected, on an Earth ellipsoid. Geocentric (EPSG:4978), engineering, vertical and
    other planets' systems would give nonsense positions, so they are refused.

    ``given`` says where the CRS came from when it is not the file's own (the ``crs=``
    option)."""
    if crs is None:
        return None
    earth = crs.ellipsoid is not None and abs(crs.ellipsoid.semi_major_metre - 6_378_000) < 50_000
    if crs.is_geocentric or not (crs.is_geographic or crs.is_projected) or not earth:
        uses = f"{given} names" if given else "uses"
        raise InputFileError(
            file,
            f"{uses} the coordinate system {crs.name!r} ({crs.type_name}), which does not "
            "give positions on the Earth's surface (it is not a geographic or projected "
            "system on an Earth ellipsoid)",
            "Export the layer in WGS84 longitude/latitude (EPSG:4326) or a projected system"
            if given is None
            else "Give the geographic or projected system of the coordinates, e.g. EPSG:3035",
        )
    return crs


def check_row_limit(file: Path, rows: int) -> None:
    """Refuse files with more rows than ``settings.max_rows``."""
    if rows > settings.max_rows:
        raise InputLimitError(
            file,
            f"has more than {settings.max_rows:,} rows",
            "Split the file, or raise the limit with the METACLUSTER_MAX_ROWS environment "
            "variable (settings.max_rows)",
        )


_GEOS_PREFIX = re.compile(r"^\w+Exception:\s*|\[json\.exception\.[\w.]+\]\s*")


def geometry_problem(error: Exception) -> str:
    """GEOS's reason for refusing a geometry, without the library's exception names."""
    return _GEOS_PREFIX.sub("", str(error)).strip().rstrip(".") or "unreadable geometry"


def _looks_numeric(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _header_score(row: list[str | None]) -> tuple[int, int]:
    """(cells naming a known column, non-empty text cells) of a candidate header row."""
    texts = [c for c in row if c and not _looks_numeric(c)]
    return sum(is_known_column(c) for c in texts), len(texts)


def find_header(file: Path, rows: list[list[str | None]]) -> int:
    """Index of the header row: the first of the top rows with at least two text cells of
    which one names a known column, else the first row with two or more text cells."""
    if not any(any(row) for row in rows):
        raise InputFileError(file, "is empty", "Export the map or table again")
    candidates = [(i, _header_score(row)) for i, row in enumerate(rows[:HEADER_SEARCH_ROWS])]
    for i, (known, texts) in candidates:
        if known >= 1 and texts >= 2:
            return i
    for i, (_, texts) in candidates:
        if texts >= 2 and texts >= sum(1 for c in rows[i] if c) / 2:
            return i
    raise InputFileError(
        file,
        "no header row with column names was found",
        "Put one row of column names (name, latitude, longitude or city, helix…) above the data",
    )


def _column_names(header: list[str | None]) -> list[str]:
    names: list[str] = []
    for position, cell in enumerate(header, start=1):
        name = cell or f"column_{position}"
        candidate, copy = name, 2
        while candidate in names:
            candidate, copy = f"{name}.{copy}", copy + 1
        names.append(candidate)
    return names


def rows_to_layer(
    file: Path,
    rows: list[list[str | None]],
    *,
    layer: str | None = None,
    layer_is_helix_hint: bool = False,
) -> RawLayer:
    """A table's rows (header somewhere near the top) → RawLayer.

    Title rows above the header are skipped with a warning (rows there with two or more
    cells are records the header came too late for: they are rejected, so they count in
    ``rows_in``), blank rows are skipped (they
    are not records), and a row with more non-empty cells than there are columns is
    rejected as ragged instead of being silently cut.
    """
    header_index = find_header(file, rows)
    width = len(rows[header_index])
    while width and not rows[header_index][width - 1]:
        width -= 1
    columns = _column_names(rows[header_index][:width])
    kept: list[list[str | None]] = []
    numbers: list[int] = []
    raw = RawLayer(
        file=file, frame=pd.DataFrame(), source_row=[], layer_is_helix_hint=layer_is_helix_hint
    )
    if header_index:
        raw.warn(
            f"skipped {counted(header_index, 'row')} above the header row ({header_index + 1})",
            layer=layer,
        )
    for index, row in enumerate(rows[:header_index]):
        if sum(1 for cell in row if cell) >= 2:  # a record, not a title: counted, rejected
            raw.reject(
                index - header_index,
                "above the header row",
                f"line {index + 1} looks like a record but is above the header row (line "
                f"{header_index + 1}), so its columns are unknown; move it below the header "
                "or delete it",
                layer=layer,
                value=" | ".join(c or "" for c in row),
            )
    blank = 0
    for number, row in enumerate(rows[header_index + 1 :], start=1):
        if not any(row):
            blank += 1
            continue
        extra = [c for c in row[width:] if c]
        if extra:
            raw.reject(
                number,
                "ragged row",
                f"{len(columns) + len(extra)} cells but {len(columns)} columns; "
                "check for an unquoted delimiter inside a cell",
                layer=layer,
                value=" | ".join(c or "" for c in row),
            )
            continue
        kept.append(list(row[:width]) + [None] * (width - len(row)))
        numbers.append(number)
    if blank:
        raw.warn(f"skipped {counted(blank, 'blank row')}", layer=layer)
    if not kept and not raw.rejects:
        raw.warn("has a header row but no data rows under it: nothing to import", layer=layer)
    check_row_limit(file, len(kept) + len(raw.rejects))
    check_table_limits(file, len(kept), len(columns))
    raw.frame = pd.DataFrame(kept, columns=columns, dtype="object")
    raw.source_row = numbers
    raw.source_layer = [layer] * len(kept) if layer else None
    return raw


def _check_member(file: Path, info: zipfile.ZipInfo) -> None:
    if info.file_size > settings.max_unzipped_bytes:
        raise InputLimitError(
            file,
            f"archive member '{info.filename}' unpacks to {info.file_size:,} bytes, over the "
            f"limit of {settings.max_unzipped_bytes:,}",
            "Export a smaller map, or raise settings.max_unzipped_bytes",
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > settings.max_zip_ratio:
        raise InputLimitError(
            file,
            f"archive member '{info.filename}' is compressed {ratio:.0f}:1, over the limit "
            f"of {settings.max_zip_ratio:.0f}:1 (a zip bomb?)",
            "Only open archives you trust; raise settings.max_zip_ratio if this one is",
        )


def open_archive(file: Path) -> zipfile.ZipFile:
    """Open a ZIP archive (KMZ, XLSX) after checking every member's declared size."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError) as e:
        raise InputFileError(
            file, f"is not a readable ZIP archive ({e})", "Export the file again"
        ) from e
    total = 0
    for info in archive.infolist():
        _check_member(file, info)
        total += info.file_size
    if total > settings.max_unzipped_bytes:
        archive.close()
        raise InputLimitError(
            file,
            f"archive unpacks to {total:,} bytes, over the limit of "
            f"{settings.max_unzipped_bytes:,}",
            "Export a smaller map, or raise settings.max_unzipped_bytes",
        )
    return archive


def read_member(file: Path, archive: zipfile.ZipFile, name: str) -> bytes:
    """One archive member's bytes, read in memory and never past the size limit (the
    sizes in the archive's directory could lie)."""
    limit = settings.max_unzipped_bytes
    try:
        with archive.open(name) as member:
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError) as e:
        raise InputFileError(
            file, f"archive member '{name}' cannot be unpacked ({e})", "Export the file again"
        ) from e
    if len(data) > limit:
        raise InputLimitError(
            file,
            f"archive member '{name}' unpacks to more than {limit:,} bytes",
            "Raise settings.max_unzipped_bytes",
        )
    return data


def decode_text(file: Path, data: bytes) -> tuple[str, str]:
    """Bytes of a text file → (text, encoding): a BOM's encoding first, then strict UTF-8,
    then line by line (``_decode_lines``: Windows-1252, Excel's "CSV" on Western European
    Windows, for the lines that are not UTF-8)."""
    bom = (
        "utf-8-sig"
        if data.startswith(b"\xef\xbb\xbf")
        else ("utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else None)
    )
    if bom is None and b"\x00" in data[:4096]:
        raise InputFileError(
            file,
            "is a binary file, not a text table",
            "Save it as CSV (UTF-8), XLSX, GeoJSON or KML",
        )
    try:
        return data.decode(bom or "utf-8"), bom or "utf-8"
    except UnicodeDecodeError as error:
        if bom is None:
            return _decode_lines(data)
        raise InputFileError(
            file,
            f"starts with a {bom} byte-order mark but cannot be decoded as {bom} ({error})",
            "Save it as CSV UTF-8",
        ) from error


def _decode_lines(data: bytes) -> tuple[str, str]:
    """Text that is not all UTF-8, line by line: UTF-8 where a line is, else Windows-1252,
    else Latin-1 (which decodes any byte). Files pasted together from several exports mix
    them. The encoding returned says which were used ("utf-8+cp1252" when mixed)."""
    lines, used = [], set()
    for line in data.splitlines(keepends=True):
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                lines.append(line.decode(encoding))
            except UnicodeDecodeError:
                continue
            if encoding != "utf-8" or not line.isascii():
                used.add(encoding)
            break
    return "".join(lines), "+".join(e for e in ("utf-8", "cp1252", "latin-1") if e in used)
