"""``read_layer`` in a worker process with a memory and a wall-clock limit.

A file from a stranger (an upload in the app, a partner's file published to a workspace)
may be built to cost far more than its size: a table that explodes into billions of cells,
a database whose view recurses forever. Parsing it in the server's own process would take
the server down for everyone. Here a fresh interpreter (``python -m
metacluster.read.isolated``) reads it with ``settings.read_memory_bytes`` of address space
(``resource.setrlimit``) and ``settings.read_seconds`` of wall-clock time; when it runs out
it is killed and the caller gets an ``InputLimitError`` naming the file, while the server
keeps serving. A plain subprocess rather than ``multiprocessing``: the worker never
re-imports the caller's main module (Streamlit's is the app script itself) and never
inherits its threads.
"""

from __future__ import annotations

import os
import pickle
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

from metacluster import settings
from metacluster._errors import InputLimitError, MetaclusterError
from metacluster.schema import ImportResult

_SETTINGS = (
    "max_file_bytes",
    "max_rows",
    "max_columns",
    "max_cells",
    "max_unzipped_bytes",
    "max_zip_ratio",
)
"""Settings the worker takes from the caller (they may have been changed at run time)."""

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


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
    path = Path(path)
    memory, seconds = settings.read_memory_bytes, settings.read_seconds
    limits = {name: getattr(settings, name) for name in _SETTINGS}
    request = pickle.dumps((str(path.resolve()), options, limits, memory, seconds))
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")]),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "metacluster.read.isolated"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=environment,
    )
    try:
        answer, _ = worker.communicate(request, timeout=seconds)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate()
        raise InputLimitError(
            path,
            f"took longer than {seconds:g} s to read, so reading it was stopped "
            "(settings.read_seconds)",
            "Check that it is a map file and not built to be slow; split it if it is large",
        ) from None
    reply: tuple[str, Any] = ("", None)
    if worker.returncode == 0 and answer:
        reply = pickle.loads(answer)  # from our own worker, never from the file
    status, value = reply
    if status == "ok":
        return cast(ImportResult, value)
    if status == "error":
        raise cast(MetaclusterError, value)
    raise InputLimitError(
        path,
        f"needed more than {memory / 1024**2:,.0f} MB of memory to read, so reading it was "
        "stopped (settings.read_memory_bytes)",
        "Check that it is a map file and not built to explode; split it if it is large",
    )


def read_upload(path: str | Path, **options: Any) -> ImportResult:
    """An uploaded file: isolated (``read_layer_isolated``) and only in the formats the app
    lists (``metacluster.read.UPLOAD_FORMATS``), none of which goes through GDAL."""
    from metacluster.read import UPLOAD_FORMATS

    return read_layer_isolated(path, formats=UPLOAD_FORMATS, **options)


def _work() -> None:
    """The worker: read the request from stdin, limit itself, read the file, write
    ("ok", result), ("error", domain error) or ("memory", None) to stdout."""
    path, options, limits, memory, seconds = pickle.loads(sys.stdin.buffer.read())
    for name, value in limits.items():
        setattr(settings, name, value)
    from metacluster.read import read_layer

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(seconds) + 5  # a backstop: the caller kills the worker after `seconds`
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    try:
        answer: tuple[str, Any] = ("ok", read_layer(path, **options))
    except MetaclusterError as error:
        answer = ("error", error)
    except MemoryError:
        answer = ("memory", None)
    sys.stdout.buffer.write(pickle.dumps(answer))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _work()
