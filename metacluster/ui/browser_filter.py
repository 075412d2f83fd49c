"""The filters the map applies in the browser, on the GPU: helix, regional cluster, country.

On every filter change Streamlit sends the map's spec again. If the actors layer held only
the filtered actors, every change would send a new layer: at 100,000 actors a 20 MB file
to compress, fetch, parse and upload to the GPU again. Instead the layer holds the actors
that pass the criteria only the server can apply (NUTS regions, themes, free text, map
area), each with its *category* under every criterion the browser applies, and the spec
says which categories to show: deck.gl's ``DataFilterExtension`` hides the others. While
only those criteria change, the layer's data (a file, when large) stays the same.

Which categories a filter keeps is decided by ``filter_mask`` itself, run on one actor per
category: the map and the rest of the app cannot disagree on what a filter keeps.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from metacluster.filter import Filters, filter_mask

CRITERIA: Final = {
    "helix": ("helix",),
    "clusters": ("regional_cluster",),
    "countries": ("country", "nuts0"),
}
"""The ``Filters`` fields the browser may apply, with the columns each one reads."""

CAPACITY: Final = {1: 128, 2: 64, 3: 32}
"""Categories per dimension, by number of dimensions: deck.gl keeps the accepted ones in
128 bits shared by the dimensions (more than 2 dimensions get 32 each)."""


@dataclass(frozen=True)
class Categories:
    """Each actor's category under each criterion the browser applies.

    ``criteria`` are the ``CRITERIA`` that fit (``CAPACITY``); ``codes`` holds one row per
    actor and one column per criterion (categories numbered from 0 in order of first
    appearance); ``examples[i]`` one actor of each category of criterion ``i``, in category
    order, with the columns that criterion reads.
    """

    criteria: tuple[str, ...]
    codes: np.ndarray
    examples: tuple[pd.DataFrame, ...]


@dataclass(frozen=True)
class Split:
    """A filter divided between the server and the browser: the layer's rows are the actors
    passing ``server``; of those the map shows the ones whose category under each of the
    browser's criteria is in ``accepted``."""

    server: Filters
    accepted: tuple[tuple[int, ...], ...]


def categorise(actors: pd.DataFrame) -> Categories:
    """The categories of every actor, for as many criteria as deck.gl can hold.

    Criteria with the fewest categories are taken first; one with too many categories
    (say, countries in a world-wide layer) is left to the server.
    """
    codes = {criterion: _factorize(actors, columns) for criterion, columns in CRITERIA.items()}
    sizes = {criterion: int(found.max(initial=-1)) + 1 for criterion, found in codes.items()}
    fitting = max(
        (k for k in CAPACITY if all(n <= CAPACITY[k] for n in sorted(sizes.values())[:k])),
        default=0,
    )
    chosen = sorted(sizes, key=sizes.__getitem__)[:fitting]
    criteria = tuple(criterion for criterion in CRITERIA if criterion in chosen)
    kept = [codes[criterion] for criterion in criteria]
    return Categories(
        criteria=criteria,
        codes=np.column_stack(kept) if kept else np.empty((len(actors), 0), np.int64),
        examples=tuple(
            actors.iloc[np.unique(codes[criterion], return_index=True)[1]][
                list(CRITERIA[criterion])
            ].reset_index(drop=True)
            for criterion in criteria
        ),
    )


def split(filters: Filters, categories: Categories) -> Split:
    """Which of ``filters`` the server applies, and the categories the browser shows."""
    cleared: dict[str, Any] = {criterion: () for criterion in categories.criteria}
    server = dataclasses.replace(filters, **cleared)
    accepted = []
    for criterion, examples in zip(categories.criteria, categories.examples, strict=True):
        only: dict[str, Any] = {criterion: getattr(filters, criterion)}
        keep = filter_mask(examples, dataclasses.replace(Filters(), **only))
        accepted.append(tuple(np.flatnonzero(keep).tolist()))
    return Split(server=server, accepted=tuple(accepted))


def _factorize(actors: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Each row's category: rows alike in ``columns`` share one, numbered from 0 in order
    of first appearance."""
    keys = pd.Series(list(zip(*(_hashable(actors[c]) for c in columns), strict=True)))
    return pd.factorize(keys)[0].astype(np.int64) if len(keys) else np.zeros(0, np.int64)


def _hashable(column: pd.Series) -> pd.Series:
    """Cells usable as keys: list cells (an actor on several maps) as sorted tuples,
    missing values as None."""
    return column.map(
        lambda value: (
            tuple(sorted(value, key=str))
            if isinstance(value, list | tuple | np.ndarray)
            else (None if pd.isna(value) else value)
        )
    )
