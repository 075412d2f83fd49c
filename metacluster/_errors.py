"""Domain errors: messages written for the person who has to fix the input.

The library raises these; the CLI and the app each turn them into a message in one place.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: object) -> str:
    """``str(text)`` that can be written as UTF-8: lone surrogates (a file name with
    bytes that are not UTF-8, a JSON string escape) become U+FFFD."""
    return _SURROGATE.sub("\ufffd", str(text))


class MetaclusterError(Exception):
    """Base class: ``str(error)`` is a complete, user-facing sentence."""


class InputFileError(MetaclusterError, ValueError):
    """A whole input file (or one place in it) cannot be read.

    Parameters
    ----------
    file
        The file the problem is in.
    problem
        What is wrong, in plain words.
    hint
        What the user can do about it.
    row, column
        Where in the file, when known (rows are 1-based data rows: the first row after the
        header is row 1; in KML, the placemark number).
    """

    def __init__(
        self,
        file: str | Path,
        problem: str,
        hint: str = "",
        *,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = str(file)
        self.problem = problem
        self.hint = hint
        self.row = row
        self.column = column
        super().__init__(self._message())

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle with every field (an isolated reader sends errors between processes)."""
        return (
            _rebuild,
            (type(self), self.file, self.problem, self.hint, self.row, self.column),
        )

    def _message(self) -> str:
        where = [printable(Path(self.file).name)]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = printable(f"{', '.join(where)}: {self.problem}")
        return f"{text}. {self.hint}" if self.hint else text


def _rebuild(
    kind: type[InputFileError],
    file: str,
    problem: str,
    hint: str,
    row: int | None,
    column: str | None,
) -> InputFileError:
    return kind(file, problem, hint, row=row, column=column)


class InputLimitError(InputFileError):
    """An input is over a configured limit (size, rows, archive expansion)."""


class ManifestError(MetaclusterError, ValueError):
    """A layers manifest is missing, malformed or names files that do not exist."""


class NutsUnavailableError(MetaclusterError, OSError):
    """A NUTS geometry file can be neither downloaded nor found in the cache."""


class NutsCodeError(MetaclusterError, ValueError):
    """A NUTS code is malformed or unknown in the requested NUTS version."""


class EngineUnavailableError(MetaclusterError, ImportError):
    """The chosen engine's optional dependencies are not installed (``metacluster[dask]``)."""


class WorkspaceError(MetaclusterError):
    """A partnership workspace cannot be opened or changed as asked."""


class WorkspaceAccessError(WorkspaceError, PermissionError):
    """A write without a token, with a wrong, revoked or other map's token."""


class PublishConflictError(WorkspaceError):
    """A map was published by someone else since the version a publish was based on."""
