"""``read_layer`` in a worker process with a memory and a wall-clock limit.

A file from a stranger (an upload in the app, a partner's file published to a workspace)
is parsed whole in a worker (``metacluster.read._worker``): when it needs more than
``settings.read_memory_bytes`` or ``settings.read_seconds`` the worker is killed and the
caller gets an ``InputLimitError`` naming the file, while the server keeps serving.
(``read_layer`` itself reads the GDAL formats in such a worker, ``settings.isolate_gdal``.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from metacluster.read._worker import call_limited
from metacluster.schema import ImportResult


def read_layer_isolated(path: str | Path, **options: Any) -> ImportResult:
    """``read_layer(path, **options)`` parsed in a worker process with limits.

    Parameters
    ----------
    path
        The file to read.
    **options
        The keyword options of ``metacluster.read.read_layer``.

    Returns
    -------
    ImportResult
        What ``read_layer`` returns.

    Raises
    ------
    InputFileError, InputLimitError
        What ``read_layer`` raises, and an ``InputLimitError`` when the worker needed more
        than ``settings.read_memory_bytes`` or ``settings.read_seconds``.
    """
    return cast(ImportResult, call_limited("metacluster.read:read_layer", Path(path), **options))


def read_upload(path: str | Path, **options: Any) -> ImportResult:
    """An uploaded file: isolated (``read_layer_isolated``) and only in the formats the app
    lists (``metacluster.read.UPLOAD_FORMATS``), none of which goes through GDAL."""
    from metacluster.read import UPLOAD_FORMATS

    return read_layer_isolated(path, formats=UPLOAD_FORMATS, **options)
