"""Excel workbooks (.xlsx): one sheet, with title rows above the header allowed.

Cells are read as their cached values (``data_only``), so a formula gives what Excel last
showed. The sheet is chosen by name or 0-based index, else the first sheet with data.
"""

from __future__ import annotations

import warnings
import zipfile
from itertools import islice
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from metacluster import settings
from metacluster._errors import InputFileError
from metacluster.read._raw import (
    HEADER_SEARCH_ROWS,
    RawLayer,
    cell_text,
    check_row_limit,
    open_archive,
    rows_to_layer,
)


def _pick_sheet(path: Path, book: openpyxl.Workbook, sheet: str | int | None) -> ReadOnlyWorksheet:
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
        path, f"has no sheet {sheet!r}",
        f"Choose one of its sheets by name or 0-based number: {', '.join(names)}",
    )


def read(path: Path, *, sheet: str | int | None = None) -> RawLayer:
    """Read one sheet of a workbook into raw cells."""
    open_archive(path).close()  # refuse zip bombs before openpyxl unpacks anything
    limit = settings.max_rows + HEADER_SEARCH_ROWS + 1
    with warnings.catch_warnings():
        # openpyxl warns about workbook features it drops (data validation, styles);
        # they do not matter for the cell values read here.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as e:
            raise _unreadable(path, e) from e
        try:
            worksheet = _pick_sheet(path, book, sheet)
            try:
                rows = [[cell_text(v) for v in row] for row in islice(worksheet.values, limit + 1)]
            except (zipfile.BadZipFile, KeyError, ValueError) as e:
                raise _unreadable(path, e) from e
        finally:
            book.close()
    if len(rows) > limit:
        check_row_limit(path, settings.max_rows + 1)
    return rows_to_layer(path, rows, layer=worksheet.title)


def _unreadable(path: Path, error: Exception) -> InputFileError:
    return InputFileError(path, f"is not a readable Excel workbook ({error})",
                          "Open it in Excel and save it again as .xlsx")
