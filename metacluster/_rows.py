"""Per-row outcome of an import: which rows are rejected, why, and from which layer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from metacluster.read._raw import RawLayer


class Outcome:
    """Per-row reject reason, column, value and detail; the first reason found wins.

    A row can also be *folded* into another row of the same organisation (a CORDIS
    participation): it is then neither an actor of its own nor a reject.
    """

    def __init__(self, rows: int) -> None:
        self.reason, self.column, self.value, self.detail = (
            np.full(rows, None, dtype=object) for _ in range(4)
        )
        self.folded = np.zeros(rows, dtype=bool)

    @property
    def rejected(self) -> np.ndarray:
        return pd.notna(self.reason)

    @property
    def open(self) -> np.ndarray:
        """Rows neither rejected nor folded so far."""
        return ~self.rejected & ~self.folded

    def reject(
        self,
        mask: np.ndarray,
        reason: str,
        detail: str | np.ndarray,
        *,
        column: str | np.ndarray | None = None,
        value: str | np.ndarray | None = None,
    ) -> None:
        """Reject the open rows of ``mask``; per-row arrays or one value for all."""
        mask = np.asarray(mask, dtype=bool) & self.open
        for target, content in ((self.detail, detail), (self.column, column), (self.value, value)):
            target[mask] = content[mask] if isinstance(content, np.ndarray) else content
        self.reason[mask] = reason


def layer_of(raw: RawLayer, row: int | np.integer[Any]) -> str | None:
    """The layer of a row of ``raw`` (None for single-layer files)."""
    return raw.source_layer[row] if raw.source_layer else None
