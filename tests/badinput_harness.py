"""Run every file of a folder through ``read_layer`` and ``metacluster validate`` in this one
process, limited to 2 GB of address space and 60 s per file, and print one JSON line per
file: what it gave (a domain error or its row counts), or "timeout" / "memory" / "crash".

``python tests/badinput_harness.py FOLDER``; ``tests/test_badinput_limits.py`` runs it on the
bad-input corpus and the large files written at test time. One process for all files: the
readers are imported once, and a file that leaks memory would show on the files after it.
"""

from __future__ import annotations

import json
import resource
import signal
import sys
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

MEMORY = 2 * 1024**3
SECONDS = 60


class _OutOfTime(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _OutOfTime


def _outcome(path: Path) -> dict[str, Any]:
    from click.testing import CliRunner

    from metacluster._errors import MetaclusterError
    from metacluster.cli import main as cli
    from metacluster.read import read_layer

    try:
        result = read_layer(path)
    except MetaclusterError as error:
        outcome: dict[str, Any] = {"error": type(error).__name__, "message": str(error)}
    else:
        outcome = {
            "rows_in": result.rows_in,
            "accepted": result.accepted,
            "rejected": result.rejected,
            "folded": result.folded,
        }
    validated = CliRunner().invoke(cli, ["validate", str(path)])
    outcome["validate_exit"] = validated.exit_code
    outcome["validate_output"] = validated.output
    if validated.exception is not None and not isinstance(validated.exception, SystemExit):
        outcome["validate_exception"] = "".join(traceback.format_exception(validated.exception))
    return outcome


def main(folder: Path) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    signal.signal(signal.SIGALRM, _alarm)
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        signal.alarm(SECONDS)
        try:
            outcome = _outcome(path)
        except _OutOfTime:
            outcome = {"limit": "timeout"}
        except MemoryError:
            outcome = {"limit": "memory"}
        except Exception:  # the harness reports it; the test fails on it
            outcome = {"limit": "crash", "traceback": traceback.format_exc()}
        finally:
            signal.alarm(0)
        print(json.dumps({"file": path.name, **outcome}), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
