"""What a new version of a regional map changes: actors added, removed and changed.

Actors are matched by their normalised name (``merge.normalise_name``: case, accents,
punctuation and legal forms ignored), the n-th actor of a name in one version with the
n-th of that name in the other, so that a moved or retyped actor shows as *changed* with
the fields that differ, not as one removed and one added.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from metacluster.dedupe import normalise_name

COMPARED: Final = (
    "name",
    "helix",
    "organisation_type",
    "city",
    "country",
    "nuts_code",
    "nuts3",
    "themes",
    "website",
    "description",
    "position",
)
"""Fields compared between versions; ``position`` is lon/lat rounded to about 1 m."""

_POSITION_DECIMALS: Final = 5


@dataclass(frozen=True)
class MapDiff:
    """Actor names added and removed, and per changed actor its changed fields."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[tuple[str, tuple[tuple[str, Any, Any], ...]], ...]
    """(name, ((field, old value, new value), ...)) per changed actor."""

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def summary(self) -> str:
        """One line: "2 added, 1 removed, 3 changed"."""
        return f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed"

    def table(self) -> pd.DataFrame:
        """One row per difference: change, actor, field, before, after (for display)."""
        rows = [("added", name, "", "", "") for name in self.added]
        rows += [("removed", name, "", "", "") for name in self.removed]
        rows += [
            ("changed", name, field, _text(old), _text(new))
            for name, fields in self.changed
            for field, old, new in fields
        ]
        return pd.DataFrame(rows, columns=["change", "actor", "field", "before", "after"])


def diff_actors(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> MapDiff:
    """The differences between two versions of one map's actors.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> old = gpd.GeoDataFrame({"name": ["A", "B"], "helix": ["academia", "business"]},
    ...                        geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:4326")
    >>> new = gpd.GeoDataFrame({"name": ["a", "C"], "helix": ["business", "government"]},
    ...                        geometry=[Point(0, 0), Point(2, 2)], crs="EPSG:4326")
    >>> d = diff_actors(old, new)
    >>> d.added, d.removed, d.changed
    (('C',), ('B',), (('a', (('name', 'A', 'a'), ('helix', 'academia', 'business'))),))
    """
    before, after = _keyed(old), _keyed(new)
    added = tuple(after[key]["name"] for key in after if key not in before)
    removed = tuple(before[key]["name"] for key in before if key not in after)
    changed = []
    for key, record in after.items():
        if key not in before:
            continue
        fields = tuple(
            (field, before[key].get(field), record.get(field))
            for field in COMPARED
            if before[key].get(field) != record.get(field)
        )
        if fields:
            changed.append((record["name"], fields))
    return MapDiff(added=added, removed=removed, changed=tuple(changed))


def _keyed(actors: gpd.GeoDataFrame) -> dict[tuple[str, int], dict[str, Any]]:
    """Each actor's compared fields under (normalised name, occurrence of that name)."""
    if actors.empty:
        return {}
    names = normalise_name(actors["name"].astype(str))
    occurrence = names.groupby(names).cumcount()
    present = [field for field in COMPARED if field in actors.columns]
    records = actors[present].to_dict("records")
    keyed = {}
    for key, count, record, point in zip(names, occurrence, records, actors.geometry, strict=True):
        record = {field: _plain(value) for field, value in record.items()}
        record["position"] = (
            None
            if point is None or point.is_empty
            else (round(point.x, _POSITION_DECIMALS), round(point.y, _POSITION_DECIMALS))
        )
        keyed[(key, int(count))] = record
    return keyed


def _plain(value: Any) -> Any:
    """Comparable values: lists as tuples, missing values as None."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(value.tolist() if isinstance(value, np.ndarray) else value)
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    return value.item() if isinstance(value, np.generic) else value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
