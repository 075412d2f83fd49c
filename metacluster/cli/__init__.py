"""The ``metacluster`` command line: one click group, one small module per command.

Commands parse their options, call the library and print; nothing more. Domain errors
(``MetaclusterError``) are turned into a one-line message and exit code 1 here, in one
place; anything else is a bug and keeps its traceback.

Exit codes: 0 success; 1 the input or the data could not be used; 2 wrong usage;
3 ``validate`` found rejected rows.
"""

from __future__ import annotations

# Each module below registers its commands on `main` when imported.
from metacluster.cli import (  # noqa: F401
    export_cmd,
    links_cmd,
    merge_cmd,
    nuts_cmd,
    partners_cmd,
    validate_cmd,
    workspace_cmd,
)
from metacluster.cli._group import EXIT_DATA_ERROR, EXIT_REJECTED_ROWS, main

__all__ = ["EXIT_DATA_ERROR", "EXIT_REJECTED_ROWS", "main"]
