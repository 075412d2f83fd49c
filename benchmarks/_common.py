"""What the benchmarks share: the row every ``run`` returns, the NUTS mirror."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from metacluster import settings

MIRROR = Path(__file__).resolve().parent.parent.parent / "shared" / "nuts"


def row(
    benchmark: str, unit: str, ours: float, naive: float | None, note: str = ""
) -> dict[str, Any]:
    """One measured comparison: ours against the naive way, in ``unit`` (s or MB).

    ``ratio`` is naive / ours (how many times faster or smaller ours is); None when there
    is no naive way to compare with (then ``note`` says what the target is).
    """
    return {
        "benchmark": benchmark,
        "unit": unit,
        "ours": ours,
        "naive": naive,
        "ratio": naive / ours if naive is not None and ours > 0 else None,
        "note": note,
    }


def use_mirror() -> None:
    """Read NUTS files from the mirror beside the project (../shared/nuts) unless
    METACLUSTER_NUTS_SOURCE names a source."""
    if not os.environ.get("METACLUSTER_NUTS_SOURCE") and MIRROR.is_dir():
        settings.nuts_source = str(MIRROR)
        os.environ["METACLUSTER_NUTS_SOURCE"] = str(MIRROR)  # for worker processes too
