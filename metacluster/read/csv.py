"""Delimited text (CSV, semicolon CSV from a French or German Excel, TSV, pipe-separated).

The encoding and the delimiter are both guessed from the content, because spreadsheet
programs choose them from the user's locale: UTF-8 (with or without BOM), UTF-16 or
Windows-1252; ``,`` ``;`` tab or ``|``. Quoted cells may hold delimiters and newlines.

Rows are counted while they are parsed, so a file over ``settings.max_rows`` is refused
before any table is built; a quote that is never closed (which would swallow the rest of
the file into one cell) is reported with its line instead of losing the rows after it.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from metacluster import settings
from metacluster._errors import InputFileError
from metacluster.read._raw import (
    HEADER_SEARCH_ROWS,
    RawLayer,
    check_row_limit,
    check_table_limits,
    clean_cell,
    decode_text,
    rows_to_layer,
)

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 30


def _delimiter_score(sample: str, delimiter: str) -> tuple[int, int]:
    """(rows agreeing with the most common width, that width) when split on ``delimiter``."""
    rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(r)]
    widths = Counter(len(r) for r in rows[:-1] or rows)  # the last line may be cut off
    width, agreeing = widths.most_common(1)[0] if widths else (1, 0)
    return (agreeing, width) if width > 1 else (0, 1)


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most rows of one width > 1."""
    sample = "\n".join(text.splitlines()[:_SNIFF_LINES])
    return max(DELIMITERS, key=lambda d: _delimiter_score(sample, d))


def _parse(path: Path, text: str) -> tuple[list[list[str | None]], str]:
    """The rows of the table and its delimiter, stopping as soon as there are more rows
    than the row limit allows (title rows and the header row included)."""
    most = settings.max_rows + HEADER_SEARCH_ROWS + 1
    rows: list[list[str | None]] = []
    filled = cells = 0
    started_on = last_started_on = 1  # the line the current (last) record starts on
    try:
        delimiter = sniff_delimiter(text)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for row in reader:
            rows.append([clean_cell(cell) for cell in row])
            filled += any(rows[-1])
            cells += len(row)
            if cells > settings.max_cells:
                check_table_limits(path, len(rows), cells // len(rows) + 1)
            if filled > most:
                check_row_limit(path, settings.max_rows + 1)
            last_started_on, started_on = started_on, reader.line_num + 1
    except csv.Error as e:
        raise InputFileError(
            path,
            f"cannot be read as a table ({e})",
            "Check for a stray quote character, or save it again as CSV",
        ) from e
    if rows and _ends_in_open_quote(text, rows[-1]):
        raise InputFileError(
            path,
            f'a quote mark (") opens a cell on line {last_started_on} that is never closed, so '
            "every line after it would be read as one cell",
            "Close the quote or remove it, then read the file again",
        )
    return rows, delimiter


def _ends_in_open_quote(text: str, last_row: list[str | None]) -> bool:
    """Whether the last record ran to the end of the file inside a quoted cell: it then
    holds line breaks, and the file has an odd number of quote marks."""
    return text.count('"') % 2 == 1 and any(cell and "\n" in cell for cell in last_row)


def _warn_other_delimiter(raw: RawLayer, delimiter: str) -> None:
    """Rows whose values all sit in the first cell, split by another delimiter than the
    header's: two exports pasted together, or a row typed by hand."""
    width = raw.frame.shape[1]
    if width < 2 or raw.frame.empty:
        return
    alone = (raw.frame.notna().sum(axis=1) == 1).to_numpy() & raw.frame.iloc[:, 0].notna()
    for other in DELIMITERS:
        counts = raw.frame.iloc[:, 0].map(lambda cell, d=other: cell.count(d) if cell else 0)
        rows = [raw.source_row[i] for i in (alone & (counts >= width - 1)).to_numpy().nonzero()[0]]
        if other != delimiter and rows:
            shown = ", ".join(map(str, rows[:10])) + (" …" if len(rows) > 10 else "")
            which = "row" if len(rows) == 1 else "rows"
            raw.warn(
                f"{which} {shown} separate their values with {other!r} but the header "
                f"row with {delimiter!r}: save the file again with one delimiter",
                column=str(raw.frame.columns[0]),
            )


def read(path: Path) -> RawLayer:
    """Read a delimited text file into raw cells."""
    text, encoding = decode_text(path, path.read_bytes())
    rows, delimiter = _parse(path, text)
    raw = rows_to_layer(path, rows)
    _warn_other_delimiter(raw, delimiter)
    if encoding in ("cp1252", "latin-1"):
        raw.warn(f"not UTF-8: read as {encoding}; check accents, and save as CSV UTF-8")
    elif "+" in encoding:
        raw.warn(
            f"mixes encodings ({encoding.replace('+', ' and ')}): each line was read "
            "in its own; check accents, and save as CSV UTF-8"
        )
    return raw
