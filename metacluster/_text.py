"""Text shared across the package: folding, for column matching, helix tagging and city
lookup, and counts with their nouns for every message (``counted``).

People write the same word with and without accents, in any case, with hyphens or
underscores ("Université", "universite", "UNIVERSITÉ"; "Saint-Étienne", "saint etienne").
Folding maps all of these to one key: Unicode NFKD, combining marks removed, case folded,
runs of anything that is not a letter or digit turned into one space. Cyrillic and Greek
stay in their own script.

Two implementations, for two sizes of work: ``fold`` is plain Python, for single values
and small lookup tables (column names, helix words, countries); ``fold_array`` runs Arrow's
string kernels over a whole column at once (the 500 000 names of the GeoNames index,
duplicate detection over every row). They agree on ordinary text but may differ on rare
characters (``ß``), so keys are only ever compared with keys folded by the same function.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Fold one string: ``fold("Université de Lille") == "universite de lille"``."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", bare.casefold()).strip()


def fold_array(values: Iterable[str | None]) -> list[str | None]:
    """Fold many strings at once with Arrow; missing values stay None."""
    return fold_arrow(pa.array(list(values), type=pa.large_string())).to_pylist()


def fold_arrow(array: pa.Array) -> pa.Array:
    """``fold`` over an Arrow string array, staying in Arrow (no Python strings)."""
    array = pc.utf8_normalize(array, "NFKD")
    array = pc.replace_substring_regex(array, r"\p{M}+", "")
    array = pc.utf8_lower(array)
    array = pc.replace_substring_regex(array, r"[^\p{L}\p{N}]+", " ")
    return pc.utf8_trim_whitespace(array)


def fold_series(values: pd.Series) -> pd.Series:
    """``fold_array`` over a column, index kept; missing and blank cells become None."""
    folded = fold_array(None if pd.isna(v) else str(v) for v in values)
    return pd.Series([f or None for f in folded], index=values.index, dtype="object")


def map_unique(values: pd.Series, func: Callable[[Any], Any]) -> pd.Series:
    """``func`` applied once per distinct non-missing cell; missing cells give None.

    The result has object dtype and keeps None (``Series.map`` would turn an all-None
    result into NaN floats).
    """
    unique = values.dropna().unique()
    lookup = pd.Series([func(value) for value in unique], index=unique, dtype="object")
    mapped = values.map(lookup).astype("object")
    return mapped.where(mapped.notna(), None)


def counted(number: int, one: str, many: str | None = None) -> str:
    """A count with its noun in the right form, for every message people read.

    >>> counted(1, "row"), counted(1204, "duplicate"), counted(2, "country", "countries")
    ('1 row', '1,204 duplicates', '2 countries')
    """
    return f"{number:,} {one if number == 1 else (many or one + 's')}"
