"""A separate process that publishes a prepared draft: the concurrency and crash tests.

    python tests/workspace_worker.py WORKSPACE DRAFT.pickle [--check-base] [--hold S --marker F]

With ``--hold`` the process writes ``--marker`` once its publish transaction holds the map
(after storing the actors, before committing) and then waits S seconds inside it, so that
a test can start a second publish against it, or kill this process mid-publish. Prints the
published version number, or the domain error and exits 1.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path
from typing import Any

from metacluster._errors import MetaclusterError
from metacluster.workspace import Workspace, store


def _holding(marker: Path, seconds: float) -> Any:
    insert = store._insert_actors

    def insert_then_wait(*args: Any, **kwargs: Any) -> None:
        insert(*args, **kwargs)
        marker.write_text("holding")
        time.sleep(seconds)

    return insert_then_wait


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("workspace")
    parser.add_argument("draft", type=Path)
    parser.add_argument("--token", required=True)
    parser.add_argument("--check-base", action="store_true")
    parser.add_argument("--hold", type=float, default=0.0)
    parser.add_argument("--marker", type=Path)
    args = parser.parse_args()
    if args.hold:
        store._insert_actors = _holding(args.marker, args.hold)
    draft = pickle.loads(args.draft.read_bytes())
    try:
        with Workspace.open(args.workspace) as workspace:
            number = workspace.publish(draft, token=args.token, check_base=args.check_base)
    except MetaclusterError as error:
        print(error)
        return 1
    print(number)
    return 0


if __name__ == "__main__":
    sys.exit(main())
