"""Excel workbooks (.xlsx): one sheet, with title rows above the header allowed.

Cells are read as their cached values (``data_only``), so a formula gives what Excel last
showed. Workbooks written by programs that do not calculate (scripts, some web exports)
hold formulas without a saved result: those cells read as empty, and each one is named in
a warning. A cell merged over several rows (a helix written once beside its group) gives
its value to every row of the merge, as the sheet shows it. The sheet is chosen by name or
0-based index, else the first sheet with data.
"""

from __future__ import annotations

import io
import posixpath
import re
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeET
import openpyxl
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from metacluster import settings
from metacluster._errors import InputFileError, MetaclusterError
from metacluster._text import counted
from metacluster.read._raw import (
    HEADER_SEARCH_ROWS,
    RawLayer,
    cell_text,
    check_row_limit,
    check_table_limits,
    find_header,
    open_archive,
    read_member,
    rows_to_layer,
)

SHOWN_FORMULAS = 20
"""Formulas without a saved result named one by one; the rest are counted."""

_MARKS = re.compile(rb"<(?:\w+:)?(?:f|mergeCell)[\s/>]")
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_BROKEN = (
    InvalidFileException,
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    SyntaxError,  # ParseError from ElementTree, XMLSyntaxError from lxml
    defusedxml.DefusedXmlException,
)
"""What openpyxl and the XML parsers raise on a damaged or hand-made workbook."""


def _sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name → its XML part in the archive, from the workbook's own relationships
    (``xl/workbook.xml`` names each sheet's relationship id, ``xl/_rels/workbook.xml.rels``
    gives the part it points at)."""
    with open_archive(path) as archive:
        workbook = SafeET.fromstring(read_member(path, archive, "xl/workbook.xml"))
        relations = SafeET.fromstring(read_member(path, archive, "xl/_rels/workbook.xml.rels"))
    targets = {
        element.get("Id"): element.get("Target", "")
        for element in relations.iter()
        if element.tag.rsplit("}", 1)[-1] == "Relationship"
    }
    parts = {}
    for element in workbook.iter():
        if element.tag.rsplit("}", 1)[-1] == "sheet":
            target = targets.get(element.get(_RELATIONSHIP_ID), "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            parts[element.get("name", "")] = posixpath.normpath(part)
    return parts


@dataclass
class _SheetMarks:
    """What the cell values alone do not tell: merged ranges (min_col, min_row, max_col,
    max_row) and formulas without a saved result ((row, column), formula)."""

    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    unsaved: list[tuple[tuple[int, int], str]] = field(default_factory=list)


def _sheet_marks(path: Path, part: str) -> _SheetMarks:
    """Scan the sheet's XML for merged ranges and unsaved formulas (only when it has any)."""
    marks = _SheetMarks()
    with open_archive(path) as archive:
        data = read_member(path, archive, part)
    if not _MARKS.search(data):
        return marks
    for _, element in SafeET.iterparse(io.BytesIO(data), forbid_dtd=True):
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "mergeCell" and element.get("ref"):
            marks.merged.append(range_boundaries(element.get("ref")))
        elif tag == "c":
            formula = next((c for c in element if c.tag.endswith("}f") or c.tag == "f"), None)
            saved = any((c.tag.endswith("}v") or c.tag == "v") and c.text for c in element)
            if formula is not None and not saved and element.get("r"):
                text = f"={formula.text}" if formula.text else "(a shared formula)"
                marks.unsaved.append((coordinate_to_tuple(element.get("r")), text))
            element.clear()
    return marks


def _fill_merged(raw_rows: list[list[str | None]], merged: list[tuple[int, int, int, int]]) -> int:
    """Give each row of a merged range its first cell's value; the number of cells filled."""
    filled = 0
    for column, top, _, bottom in merged:
        if top > len(raw_rows) or column > len(raw_rows[top - 1]):
            continue
        value = raw_rows[top - 1][column - 1]
        for row in raw_rows[top:bottom]:
            row.extend([None] * (column - len(row)))  # rows end at their last value
            if row[column - 1] is None and value is not None:
                row[column - 1] = value
                filled += 1
    return filled


def _warn_unsaved(
    raw: RawLayer,
    rows: list[list[str | None]],
    unsaved: list[tuple[tuple[int, int], str]],
    layer: str,
) -> None:
    header = find_header(raw.file, rows) + 1  # sheet row of the header
    for (row, column), formula in unsaved[:SHOWN_FORMULAS]:
        if row <= header:
            continue
        name = raw.frame.columns[column - 1] if column <= raw.frame.shape[1] else None
        raw.warn(
            f"the formula {formula} has no saved result, so the cell reads as empty: "
            "open the workbook in Excel or LibreOffice and save it (that stores the "
            "results), or paste the values in place of the formulas",
            row=row - header,
            column=name,
            layer=layer,
        )
    if len(unsaved) > SHOWN_FORMULAS:
        raw.warn(
            f"… and {len(unsaved) - SHOWN_FORMULAS} more formulas without a saved result",
            layer=layer,
        )


def _pick_sheet(path: Path, book: openpyxl.Workbook, sheet: str | int | None) -> Any:
    names = book.sheetnames
    if sheet is None:
        for worksheet in book.worksheets:
            if any(any(v is not None for v in row) for row in islice(worksheet.values, 50)):
                return worksheet
        raise InputFileError(path, "has no sheet with data", "Fill in a sheet, or choose one")
    if isinstance(sheet, int) or str(sheet).isdigit():
        index = int(sheet)
        if index < len(names):
            return book.worksheets[index]
    elif sheet in names:
        return book[sheet]
    raise InputFileError(
        path,
        f"has no sheet {sheet!r}",
        f"Choose one of its sheets by name or 0-based number: {', '.join(names)}",
    )


def _cells(path: Path, values: Iterable[tuple[Any, ...]]) -> list[list[str | None]]:
    """The sheet's rows as text cells, stopping at the row limit, and refused as soon as
    the cells read pass ``settings.max_cells`` or a row's last value lies beyond
    ``settings.max_columns`` (whatever size the sheet declares)."""
    limit = settings.max_rows + HEADER_SEARCH_ROWS + 1
    rows: list[list[str | None]] = []
    cells = 0
    for values_row in islice(values, limit + 1):
        row = [cell_text(v) for v in values_row]
        rows.append(row)
        cells += len(row)
        width = len(row)
        while width and row[width - 1] is None:
            width -= 1
        check_table_limits(path, 1, width)
        if cells > settings.max_cells:
            check_table_limits(path, len(rows), cells // len(rows) + 1)
    if len(rows) > limit:
        check_row_limit(path, settings.max_rows + 1)
    return rows


def read(path: Path, *, sheet: str | int | None = None) -> RawLayer:
    """Read one sheet of a workbook into raw cells."""
    open_archive(path).close()  # refuse zip bombs before openpyxl unpacks anything
    # openpyxl leaves the file open when a part is broken: the handle is ours to close
    with warnings.catch_warnings(), path.open("rb") as handle:
        # openpyxl warns about workbook features it drops (data validation, styles);
        # they do not matter for the cell values read here.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        try:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            parts = _sheet_parts(path)
        except _BROKEN as e:
            raise _unreadable(path, e) from e
        try:
            for worksheet in book.worksheets:
                worksheet.reset_dimensions()  # a declared size may be a lie (A1:XFD1048576)
            worksheet = _pick_sheet(path, book, sheet)
            values = worksheet.values
            try:
                rows = _cells(path, values)
            finally:
                values.close()  # the sheet part stays open until its reader is closed
        except MetaclusterError:
            raise
        except _BROKEN as e:
            raise _unreadable(path, e) from e
        finally:
            book.close()
    if worksheet.title not in parts:
        raise _unreadable(path, f"the workbook does not say where sheet {worksheet.title!r} is")
    # openpyxl's read-only sheets do not report merged cells or unsaved formulas: they are
    # read from the sheet's own XML part.
    try:
        marks = _sheet_marks(path, parts[worksheet.title])
    except _BROKEN as e:
        raise _unreadable(path, e) from e
    filled = _fill_merged(rows, marks.merged)
    raw = rows_to_layer(path, rows, layer=worksheet.title)
    if filled:
        raw.warn(
            f"{counted(filled, 'cell')} of merged ranges took the value of the range's first cell",
            layer=worksheet.title,
        )
    _warn_unsaved(raw, rows, marks.unsaved, worksheet.title)
    return raw


def _unreadable(path: Path, error: Exception | str) -> InputFileError:
    return InputFileError(
        path,
        f"is not a readable Excel workbook ({error or 'damaged'})",
        "Open it in Excel and save it again as .xlsx",
    )
