"""Delimited text (CSV, semicolon CSV from a French or German Excel, TSV, pipe-separated).

The encoding and the delimiter are both guessed from the content, because spreadsheet
programs choose them from the user's locale: UTF-8 (with or without BOM), UTF-16 or
Windows-1252; ``,`` ``;`` tab or ``|``. Quoted cells may hold delimiters and newlines.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from metacluster._errors import InputFileError
from metacluster.read._raw import RawLayer, decode_text, rows_to_layer

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


def read(path: Path) -> RawLayer:
    """Read a delimited text file into raw cells."""
    text, encoding = decode_text(path, path.read_bytes())
    try:
        delimiter = sniff_delimiter(text)
        rows = [
            [cell.strip() or None for cell in row]
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ]
    except csv.Error as e:
        raise InputFileError(path, f"cannot be read as a table ({e})",
                             "Check for a stray quote character, or save it again as CSV") from e
    raw = rows_to_layer(path, rows)
    if encoding in ("cp1252", "latin-1"):
        raw.warn(f"not UTF-8: read as {encoding}; check accents, and save as CSV UTF-8")
    return raw
