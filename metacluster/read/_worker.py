"""A reading function run in a worker process with a memory and a wall-clock limit.

A file from a stranger may be built to cost far more than its size: a table that explodes
into billions of cells, a GeoPackage whose view recurses forever (GDAL counts its rows
with SQLite, in C, where no Python timeout reaches). Parsing it in the caller's own process
would take the server down for everyone, or hang a command line forever. Here a fresh
interpreter (``python -m metacluster.read._worker``) runs the function with
``settings.read_memory_bytes`` of address space (``resource.setrlimit``) and
``settings.read_seconds`` of wall-clock time; when it runs out it is killed and the caller
gets an ``InputLimitError`` naming the file. A plain subprocess rather than
``multiprocessing``: the worker never re-imports the caller's main module (Streamlit's is
the app script itself) and never inherits its threads.

The function is named by a string (``"metacluster.read:read_layer"``), so this module
imports none of the readers it runs.
"""

from __future__ import annotations

import importlib
import os
import pickle
import resource
import select
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from metacluster import settings
from metacluster._errors import InputLimitError, MetaclusterError

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


def call_limited(target: str, path: Path, *args: Any, **kwargs: Any) -> Any:
    """``target(path, *args, **kwargs)`` in a worker process with limits.

    Parameters
    ----------
    target
        ``"module:function"`` of this package.
    path
        The file the function reads (named in the limit errors).
    *args, **kwargs
        The function's other arguments (picklable).

    Returns
    -------
    Any
        What the function returns.

    Raises
    ------
    MetaclusterError
        What the function raises, and an ``InputLimitError`` when the worker needed more
        than ``settings.read_memory_bytes`` or ``settings.read_seconds``.
    RuntimeError
        The function failed with an error that is not a domain error (a bug): its
        traceback is in the message.
    """
    memory, seconds = settings.read_memory_bytes, settings.read_seconds
    limits = {name: getattr(settings, name) for name in _SETTINGS}
    request = pickle.dumps((target, path, args, kwargs, limits, memory, seconds))  # same cwd
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")]),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "metacluster.read._worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=environment,
    )
    try:
        answer = _exchange(worker, request, seconds)
    except TimeoutError:
        raise _too_slow(path, seconds) from None
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        assert worker.stdout is not None
        worker.stdout.close()
    reply: tuple[str, Any] = ("", None)
    if worker.returncode == 0 and answer:
        reply = pickle.loads(answer)  # from our own worker, never from the file
    elif worker.returncode == -signal.SIGXCPU:
        raise _too_slow(path, seconds)
    status, value = reply
    if status == "ok":
        return value
    if status == "error":
        raise value
    if status == "bug":
        raise RuntimeError(f"reading {path.name} failed in the worker process:\n{value}")
    raise InputLimitError(
        path,
        f"needed more than {memory / 1024**2:,.0f} MB of memory to read, so reading it was "
        "stopped (settings.read_memory_bytes)",
        "Check that it is a map file and not built to explode; split it if it is large",
    )


def _too_slow(path: Path, seconds: float) -> InputLimitError:
    return InputLimitError(
        path,
        f"took longer than {seconds:g} s to read, so reading it was stopped "
        "(settings.read_seconds)",
        "Check that it is a map file and not built to be slow; split it if it is large",
    )


def _exchange(worker: subprocess.Popen[bytes], request: bytes, seconds: float) -> bytes:
    """Send the request, wait for the worker to be ready (started and imported: not
    counted, so a busy machine does not make files "too slow"), then give it ``seconds``
    to answer (TimeoutError if not). Returns what it wrote after READY, b"" if it died."""
    assert worker.stdin is not None and worker.stdout is not None
    try:
        with worker.stdin:
            worker.stdin.write(request)
    except BrokenPipeError:
        return b""
    descriptor = worker.stdout.fileno()
    if not select.select([descriptor], [], [], _STARTUP_SECONDS)[0]:
        raise TimeoutError
    if os.read(descriptor, len(READY)) != READY:
        return b""  # it died before it was ready
    deadline = time.monotonic() + seconds
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([descriptor], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(descriptor, 1 << 20)
        if not chunk:
            worker.wait()
            return b"".join(chunks)
        chunks.append(chunk)


_STARTUP_SECONDS = 300
"""How long a worker may take to start and import (not the file's time: a machine busy
enough to need it is not the file's fault)."""

READY = b"ready\n"
"""What the worker writes once it has imported the function and set its limits."""


def _work() -> None:
    """The worker: read the request from stdin, limit itself, run the function, write
    ("ok", result), ("error", domain error), ("memory", None) or ("bug", traceback)."""
    target, path, args, kwargs, limits, memory, seconds = pickle.loads(sys.stdin.buffer.read())
    for name, value in limits.items():
        setattr(settings, name, value)
    settings.isolate_gdal = False  # this process is the isolation
    module, _, name = target.partition(":")
    function = getattr(importlib.import_module(module), name)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime + seconds) + 5  # a backstop: the caller kills
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))  # the worker after `seconds`
    sys.stdout.buffer.write(READY)
    sys.stdout.buffer.flush()
    try:
        answer: tuple[str, Any] = ("ok", function(path, *args, **kwargs))
    except MetaclusterError as error:
        answer = ("error", error)
    except (MemoryError, SystemError):  # C code whose allocation failed may leave a
        answer = ("memory", None)  # SystemError ("error return without exception set")
    except Exception:  # a bug: its traceback goes back to the caller
        answer = ("bug", traceback.format_exc())
    sys.stdout.buffer.write(pickle.dumps(answer))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _work()
