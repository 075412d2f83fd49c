"""Projects an actor takes part in: a map's ``projects`` column, and CORDIS participations.

Any map may carry a ``projects`` column (``;``-separated names or acronyms): each actor
gets the list, empty when none. CORDIS ``organization.json``/``.csv`` holds one row per
*participation* (organisation × project), so an organisation in three projects is three
rows. Those rows are not duplicates to reject: they fold into one actor per organisation
(by ``organisationID`` when the file has it, else by name and position) whose ``projects``
lists every project (its acronym, or its id when it has none), with the project ids, the
roles and the EC contributions kept beside it. The links between actors are built on
``actors["projects"]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from metacluster._text import fold_series

SEPARATOR: Final = re.compile(r"\s*;\s*")
"""Projects in one cell are separated by semicolons (CORDIS and spreadsheet habit)."""

DETAIL_COLUMNS: Final = ("project_ids", "project_roles", "ec_contribution")
"""Extra actor columns filled when the file gives project ids, roles or EC contributions."""


def _split(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    parts = (p.strip() for p in SEPARATOR.split(str(value)))
    return list(dict.fromkeys(p for p in parts if p))


def _amount(value: object) -> float:
    text = "" if value is None else str(value).strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return np.nan


@dataclass
class Participations:
    """Per input row: its projects, project ids and roles (lists), and EC contribution."""

    projects: list[list[str]]
    ids: list[list[str]]
    roles: list[list[str]]
    contribution: np.ndarray
    details: bool
    """Whether the file gives project ids, roles or contributions (CORDIS-like)."""

    @classmethod
    def from_cells(
        cls,
        names: pd.Series,
        ids: pd.Series,
        roles: pd.Series,
        contributions: pd.Series,
    ) -> Participations:
        """Read the cells of the projects, project id, role and EC contribution columns
        (all-None series where the file has no such column)."""
        id_lists = [_split(v) for v in ids]
        name_lists = [_split(v) for v in names]
        projects = [n or i for n, i in zip(name_lists, id_lists, strict=True)]
        return cls(
            projects=projects,
            ids=id_lists,
            roles=[_split(v) for v in roles],
            contribution=np.array([_amount(v) for v in contributions], dtype=float),
            details=bool(ids.notna().any() or roles.notna().any() or contributions.notna().any()),
        )

    @property
    def has_project(self) -> np.ndarray:
        return np.array([bool(p) for p in self.projects], dtype=bool)

    def fold(self, keys: pd.Series, open_rows: np.ndarray) -> np.ndarray:
        """Fold the open rows with a project into the first open row of the same ``keys``
        value: that row gets every project (in file order), id, role and the summed
        contribution. Returns the mask of the rows folded away."""
        candidates = open_rows & self.has_project & keys.notna().to_numpy()
        rows = np.flatnonzero(candidates)
        groups = pd.Series(rows).groupby(keys.to_numpy(dtype=object)[rows], sort=False)
        folded = np.zeros(open_rows.size, dtype=bool)
        for _, group in groups:
            members = group.to_numpy()
            if members.size < 2:
                continue
            first, rest = members[0], members[1:]
            folded[rest] = True
            for lists in (self.projects, self.ids, self.roles):
                lists[first] = list(dict.fromkeys(x for m in members for x in lists[m]))
            amounts = self.contribution[members]
            self.contribution[first] = np.nansum(amounts) if np.isfinite(amounts).any() else np.nan
        return folded

    def columns(self) -> dict[str, object]:
        """``projects`` and, for CORDIS-like files, the detail columns."""
        columns: dict[str, object] = {"projects": _lists(self.projects)}
        if self.details:
            columns.update(
                project_ids=_lists(self.ids),
                project_roles=_lists(self.roles),
                ec_contribution=self.contribution,
            )
        return columns


def _lists(values: list[list[str]]) -> pd.Series:
    return pd.Series([list(v) for v in values], dtype="object")


def organisation_keys(
    ids: pd.Series, names: pd.Series, x: np.ndarray, y: np.ndarray, city: pd.Series
) -> pd.Series:
    """Which rows are the same organisation: its id where given, else its folded name
    with its rounded position (or city); None for rows without either."""
    folded_names, folded_cities = fold_series(names).tolist(), fold_series(city).tolist()
    keys: list[str | None] = []
    for row, org_id in enumerate(ids.tolist()):
        if org_id is not None and not pd.isna(org_id) and str(org_id).strip():
            keys.append(f"id:{str(org_id).strip()}")
        elif folded_names[row] is None:
            keys.append(None)
        elif np.isfinite(x[row]):
            keys.append(f"{folded_names[row]}@{x[row]:.5f},{y[row]:.5f}")
        else:
            keys.append(f"{folded_names[row]}@{folded_cities[row] or ''}")
    return pd.Series(keys, dtype="object")


def counts(participations: int, actors: pd.DataFrame) -> dict[str, int]:
    """Participations (rows naming a project), organisations with a project and distinct
    projects among ``actors``."""
    lists = [p for p in actors.get("projects", []) if isinstance(p, list)]
    return {
        "participations": participations,
        "organisations": sum(bool(p) for p in lists),
        "projects": len({project for projects in lists for project in projects}),
    }


def describe(numbers: dict[str, int]) -> str:
    """``counts`` in words: "1,076 participations of 765 organisations in 26 projects"."""
    return (
        f"{numbers['participations']:,} participations of {numbers['organisations']:,} "
        f"organisations in {numbers['projects']:,} projects"
    )
