"""Links between actors: who works with whom, across regions and clusters.

Two sources make the edges: co-participation (actors whose ``projects`` lists share a
project: every pair of participants of one project is linked, once, whatever the number of
projects they share, which becomes the edge's ``weight``) and an explicit links table named
in the manifest (``links = "links.csv"``: ``from``, ``to``, ``kind``, ``label``, ``year``,
``weight``), whose rows are validated like maps: every row is accepted or rejected with a
reason, and an endpoint that names no actor, or several, is reported.

Pairs are made with whole-array numpy operations (sort by project, then every member paired
with the members after it), never with a Python loop over pairs; a million participations
take seconds (``benchmarks/links.py``). Network measures come from networkx.

An actor's cluster here is its first ``regional_cluster`` (the map that drew it first), and
its region its NUTS-3 code; region pairs at a coarser level use the code's prefix.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from metacluster._errors import InputFileError
from metacluster.dedupe import normalise_name
from metacluster.manifest import Manifest, as_manifest
from metacluster.merge import merge
from metacluster.read import csv as csv_reader
from metacluster.read._raw import check_size_limit
from metacluster.schema import CRS, REJECT_COLUMNS, empty_table

if TYPE_CHECKING:
    import networkx as nx

log = logging.getLogger(__name__)

PROJECT_KIND: Final = "project"
"""The kind of co-participation edges."""
DEFAULT_KIND: Final = "link"
"""The kind of an explicit link whose row gives none."""
KIND_EXAMPLES: Final = ("project", "mentoring", "staff exchange", "MoU", "event")
"""Kinds the sample data uses; any other text is accepted as a kind."""
ENDS: Final = ("both", "either")
"""Which ends of a link must pass the filters for the link to be kept."""

LINK_COLUMNS: Final[tuple[str, ...]] = (
    "source",
    "target",
    "source_name",
    "target_name",
    "source_cluster",
    "target_cluster",
    "source_nuts",
    "target_nuts",
    "kind",
    "label",
    "year",
    "projects",
    "weight",
    "geometry",
)
"""Columns of an edges GeoDataFrame. ``source``/``target`` are actor ids (``source`` the
smaller, links are undirected), ``*_nuts`` NUTS-3 codes, ``projects`` the shared projects
(list), ``weight`` the number of shared projects or the table's weight, ``geometry`` a
LineString from source to target."""

TABLE_COLUMNS: Final = ("from", "to", "kind", "label", "year", "weight")
_REQUIRED: Final = ("from", "to")
_LIST_SEPARATOR: Final = "; "


@dataclass
class LinksImport:
    """An explicit links table after validation: resolved links and rejected rows.

    ``links`` has ``source``/``target`` (row positions in the actors), ``kind``, ``label``,
    ``year``, ``weight`` and ``row``; every input row is in ``links`` or ``rejects``:
    ``rows_in == len(links) + len(rejects)``.
    """

    file: str
    rows_in: int
    links: pd.DataFrame
    rejects: pd.DataFrame = field(default_factory=lambda: empty_table(REJECT_COLUMNS))

    def summary(self) -> dict[str, Any]:
        reasons = self.rejects["reason"].value_counts()
        return {
            "file": self.file,
            "rows_in": self.rows_in,
            "accepted": len(self.links),
            "rejected": len(self.rejects),
            "reasons": {str(k): int(v) for k, v in reasons.items()},
        }


# --- co-participation ---------------------------------------------------------------------


def coparticipation_pairs(
    actor_codes: np.ndarray, project_codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of actors that share a project, once per shared project.

    Parameters
    ----------
    actor_codes, project_codes
        One participation per position (non-negative integer codes); repeated
        participations count once.

    Returns
    -------
    left, right, project
        Arrays of equal length with ``left < right``: actor ``left`` and actor ``right``
        both take part in ``project``; int32 when the codes fit (half the memory traffic
        of int64 at tens of millions of pairs).
    """
    actor_codes = _compact(np.asarray(actor_codes))
    project_codes = _compact(np.asarray(project_codes))
    order = np.lexsort((actor_codes, project_codes))
    actors, projects = actor_codes[order], project_codes[order]
    fresh = np.ones(len(actors), dtype=bool)
    fresh[1:] = (actors[1:] != actors[:-1]) | (projects[1:] != projects[:-1])
    actors, projects = actors[fresh], projects[fresh]
    n = len(actors)
    if n == 0:
        empty = np.empty(0, dtype=actors.dtype)
        return empty, empty, np.empty(0, dtype=projects.dtype)
    starts = np.flatnonzero(np.r_[True, projects[1:] != projects[:-1]])
    sizes = np.diff(starts, append=n)
    # Member at offset o of a project of size k pairs with the k-1-o members after it, in
    # order: the left ends are each member repeated, the right ends runs of positions.
    offset = np.arange(n) - np.repeat(starts, sizes)
    following = np.repeat(sizes, sizes) - 1 - offset
    total = int(following.sum())
    index = np.int32 if max(total, n) < 2**31 - 1 else np.int64
    first_pair = np.cumsum(following) - following
    right_pos = np.arange(1, total + 1, dtype=index)
    right_pos += np.repeat((np.arange(n) - first_pair).astype(index), following)
    return (
        np.repeat(actors, following),
        actors[right_pos],
        np.repeat(projects, following),
    )


def _compact(codes: np.ndarray) -> np.ndarray:
    """Integer codes as int32 when they fit, else int64."""
    codes = codes.astype(np.int64, copy=False)
    if len(codes) and (codes.min() < 0 or codes.max() >= 2**31 - 1):
        return codes
    return codes.astype(np.int32)


def collapse_pairs(
    left: np.ndarray, right: np.ndarray, n_actors: int, *, with_order: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Repeated pairs as one edge: (left, right, count, order), sorted by (left, right).

    ``order`` sorts the input pairs by edge, so ``np.split(values[order],
    np.cumsum(count)[:-1])`` gives each edge's values (its shared projects); without
    ``with_order`` it is None and the keys are sorted in place of an argsort (faster when
    only the edges and their counts are wanted). A pair is one int64 key (left's bits
    above right's), so one sort finds the repeats.
    """
    bits = max(int(n_actors - 1).bit_length(), 1)
    key = left.astype(np.int64) << bits
    key |= right
    if with_order:
        order = np.argsort(key, kind="stable")
        key = key[order]
    else:
        order = None
        key.sort()
    fresh = np.empty(len(key), dtype=bool)
    fresh[:1] = True
    np.not_equal(key[1:], key[:-1], out=fresh[1:])
    unique = key[fresh]
    counts = np.diff(np.flatnonzero(fresh), append=len(key))
    dtype = left.dtype if left.dtype == right.dtype else np.int64
    target = (unique & ((1 << bits) - 1)).astype(dtype)
    unique >>= bits  # in place: fresh arrays of tens of millions of rows are costly here
    return unique.astype(dtype), target, counts, order


def _project_lists(actors: pd.DataFrame) -> pd.Series:
    """``projects`` as lists of clean, non-empty texts (a ``;``-separated text is split)."""
    values = actors["projects"]

    def as_list(value: Any) -> list[str]:
        if isinstance(value, str):
            value = value.split(";")
        if value is None or (not isinstance(value, Iterable)) or isinstance(value, bytes):
            return []
        return [str(v).strip() for v in value if v is not None and str(v).strip()]

    return values.map(as_list)


def _coparticipation(actors: pd.DataFrame) -> pd.DataFrame:
    """Edges between actors that share projects: positions, kind, projects, weight."""
    if "projects" not in actors.columns or actors.empty:
        return _edge_frame()
    exploded = _project_lists(actors).reset_index(drop=True).explode().dropna()
    if exploded.empty:
        return _edge_frame()
    actor_codes = exploded.index.to_numpy()
    project_codes, names = pd.factorize(exploded.to_numpy(), sort=True)
    left, right, project = coparticipation_pairs(actor_codes, project_codes)
    if not len(left):
        return _edge_frame()
    source, target, count, order = collapse_pairs(left, right, len(actors))
    # each edge's projects: slices of one list (np.split makes an array per edge, slower)
    ordered = np.asarray(names, dtype=object)[project[order]].tolist()
    bounds = np.r_[0, np.cumsum(count)].tolist()
    shared = [ordered[a:b] for a, b in itertools.pairwise(bounds)]
    return pd.DataFrame(
        {
            "source": source,
            "target": target,
            "kind": PROJECT_KIND,
            "label": [_LIST_SEPARATOR.join(p) for p in shared],
            "year": pd.array([pd.NA] * len(source), dtype="Int64"),
            "projects": shared,
            "weight": count.astype(float),
        }
    )


def _edge_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": pd.Series(dtype=np.int64),
            "target": pd.Series(dtype=np.int64),
            "kind": pd.Series(dtype=object),
            "label": pd.Series(dtype=object),
            "year": pd.Series(dtype="Int64"),
            "projects": pd.Series(dtype=object),
            "weight": pd.Series(dtype=float),
        }
    )


# --- explicit links table -----------------------------------------------------------------


def read_links(path: str | Path, actors: pd.DataFrame) -> LinksImport:
    """Read and validate an explicit links table (CSV) against the merged actors.

    Parameters
    ----------
    path
        The table: columns ``from``, ``to`` (actor id or name), optional ``kind``,
        ``label``, ``year``, ``weight``; delimiter and encoding guessed as for maps.
    actors
        The merged layer whose actors the endpoints name.

    Raises
    ------
    InputFileError
        The file cannot be read, or lacks a ``from`` or ``to`` column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "links table not found", "Check the manifest's links = path")
    check_size_limit(path, path.stat().st_size)
    raw = csv_reader.read(path)
    table = raw.frame.copy()
    table.columns = [str(c).strip().lower() for c in table.columns]
    result = resolve_links(actors, table, file=path.name, rows=raw.source_row)
    if raw.rejects:
        earlier = pd.DataFrame(raw.rejects, columns=list(REJECT_COLUMNS))
        result.rejects = pd.concat([earlier, result.rejects], ignore_index=True)
        result.rows_in += len(raw.rejects)
    return result


def resolve_links(
    actors: pd.DataFrame,
    table: pd.DataFrame,
    *,
    file: str = "links table",
    rows: Sequence[int] | None = None,
) -> LinksImport:
    """Match each row's ``from`` and ``to`` to one actor, and check kind, year and weight.

    An endpoint matches an actor by ``actor_id``, else by name (case, accents, punctuation
    and legal form ignored, as for duplicates). No match, several matches, a link from an
    actor to itself, a weight that is not a positive number and a year that is not a
    year are rejected with the row, the column and what to do.
    """
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise InputFileError(
            file,
            f"has no '{missing[0]}' column (columns: {', '.join(map(str, table.columns))})",
            "A links table needs the columns from and to (actor id or name), and may have "
            "kind, label, year and weight",
            column=missing[0],
        )
    table = table.reset_index(drop=True)
    row_numbers = np.asarray(rows if rows is not None else np.arange(1, len(table) + 1))
    text = {c: _text_column(table, c) for c in TABLE_COLUMNS}
    lookup = _EndpointLookup(actors)
    reasons = pd.Series([None] * len(table), dtype=object)
    details = reasons.copy()
    columns = reasons.copy()
    values = reasons.copy()

    def reject(mask: pd.Series, column: str, reason: str, detail: pd.Series | str) -> None:
        fresh = mask & reasons.isna()
        reasons[fresh] = reason
        columns[fresh] = column
        values[fresh] = text[column][fresh]
        details[fresh] = detail[fresh] if isinstance(detail, pd.Series) else detail

    ends = {}
    for column in _REQUIRED:
        position, count = lookup.match(text[column])
        reject(
            text[column].isna(),
            column,
            "missing endpoint",
            f"the '{column}' cell is empty; give an actor id or name",
        )
        reject(
            count == 0,
            column,
            "endpoint not found",
            "'" + text[column].fillna("") + "' is neither an actor id nor an actor's name; "
            "check the spelling against the merged layer",
        )
        reject(
            count > 1,
            column,
            "endpoint ambiguous",
            "'"
            + text[column].fillna("")
            + "' names "
            + count.astype(str)
            + " actors; use the actor_id instead",
        )
        ends[column] = position
    reject(
        (ends["from"] == ends["to"]) & (ends["from"] >= 0),
        "to",
        "self link",
        "from and to are the same actor",
    )
    weight = pd.to_numeric(text["weight"], errors="coerce")
    reject(
        text["weight"].notna() & ~(weight > 0),
        "weight",
        "bad weight",
        "weight must be a positive number (or empty for 1)",
    )
    year = pd.to_numeric(text["year"], errors="coerce")
    bad_year = text["year"].notna() & ~(year.between(1900, 2100) & (year % 1 == 0))
    reject(bad_year, "year", "bad year", "year must be a year such as 2014 (or empty)")
    accepted = reasons.isna().to_numpy()
    source = np.minimum(ends["from"], ends["to"])[accepted]
    target = np.maximum(ends["from"], ends["to"])[accepted]
    links = pd.DataFrame(
        {
            "source": source.astype(np.int64),
            "target": target.astype(np.int64),
            "kind": text["kind"][accepted].fillna(DEFAULT_KIND).to_numpy(dtype=object),
            "label": text["label"][accepted].to_numpy(dtype=object),
            "year": pd.array(year[accepted].to_numpy(), dtype="Int64"),
            "weight": weight[accepted].fillna(1.0).to_numpy(dtype=float),
            "row": row_numbers[accepted],
        }
    )
    rejected = ~accepted
    rejects = pd.DataFrame(
        {
            "file": file,
            "layer": None,
            "row": row_numbers[rejected],
            "column": columns[rejected].to_numpy(),
            "value": values[rejected].to_numpy(),
            "reason": reasons[rejected].to_numpy(),
            "detail": details[rejected].to_numpy(),
        },
        columns=list(REJECT_COLUMNS),
    )
    if len(rejects):
        log.info("%s: %d of %d link rows rejected", file, len(rejects), len(table))
    return LinksImport(file=file, rows_in=len(table), links=links, rejects=rejects)


def _text_column(table: pd.DataFrame, column: str) -> pd.Series:
    if column not in table.columns:
        return pd.Series([None] * len(table), dtype=object)
    values = table[column].astype(object).where(table[column].notna(), None)
    stripped = values.map(lambda v: str(v).strip() if v is not None else None)
    return stripped.where(stripped != "", None)


class _EndpointLookup:
    """Endpoint text -> actor position, by id first, then by normalised name."""

    def __init__(self, actors: pd.DataFrame) -> None:
        positions = pd.Series(np.arange(len(actors)))
        ids = actors["actor_id"] if "actor_id" in actors.columns else pd.Series(dtype=object)
        self.ids = dict(zip(ids.astype(str), positions, strict=True))
        names = normalise_name(actors["name"].reset_index(drop=True))
        grouped = positions.groupby(names.to_numpy())
        self.name_count = grouped.size()
        self.name_first = grouped.first()

    def match(self, values: pd.Series) -> tuple[np.ndarray, pd.Series]:
        """(position or -1, number of actors matched) for each endpoint text."""
        by_id = values.map(self.ids)
        keys = normalise_name(values)
        count = keys.map(self.name_count).fillna(0).astype(int)
        position = keys.map(self.name_first).where(count == 1)
        found = by_id.notna()
        count = count.where(~found, 1).where(values.notna(), -1)
        position = by_id.where(found, position).fillna(-1).astype(np.int64)
        return position.to_numpy(), count


# --- participations (CORDIS-shaped) ---------------------------------------------------


@dataclass
class ParticipationsImport:
    """A participations table after matching: each actor's projects (by position in the
    actors) and the rows that name no actor, or several."""

    file: str
    rows_in: int
    projects: pd.Series
    rejects: pd.DataFrame = field(default_factory=lambda: empty_table(REJECT_COLUMNS))

    @property
    def participations(self) -> int:
        return self.rows_in - len(self.rejects)


def read_participations(path: str | Path, actors: pd.DataFrame) -> ParticipationsImport:
    """Read a CORDIS-shaped participations table and match its organisations to actors.

    One row per participation: ``name`` (the organisation, matched to an actor's name as
    link endpoints are), ``projectAcronym`` (the project's key; ``projectID`` when there
    is no acronym); other CORDIS columns (``organisationID``, ``role``, ``activityType``,
    ``ecContribution``…) are read and left aside. A row whose organisation is on no map,
    or matches several actors, is rejected with the reason.
    """
    path = Path(path)
    check_size_limit(path, path.stat().st_size)
    raw = csv_reader.read(path)
    table = raw.frame.copy()
    table.columns = [str(c).strip().lower() for c in table.columns]
    if "name" not in table.columns:
        raise InputFileError(
            path,
            "has no 'name' column",
            "A participations table needs the organisation's name and projectAcronym or "
            "projectID, as in CORDIS exports",
            column="name",
        )
    rows = np.asarray(raw.source_row)
    project = _text_column(table, "projectacronym")
    project = project.where(project.notna(), _text_column(table, "projectid"))
    names = _text_column(table, "name")
    position, count = _EndpointLookup(actors).match(names)
    reason = pd.Series(None, index=table.index, dtype=object)
    reason[count.to_numpy() > 1] = "organisation ambiguous"
    reason[count.to_numpy() == 0] = "organisation not on the maps"
    reason[names.isna()] = "missing organisation"
    reason[project.isna()] = "missing project"
    detail = reason.map(_PARTICIPATION_DETAILS)
    bad = reason.notna().to_numpy()
    rejects = pd.DataFrame(
        {
            "file": path.name,
            "layer": None,
            "row": rows[bad],
            "column": np.where(reason[bad] == "missing project", "projectAcronym", "name"),
            "value": names[bad].to_numpy(),
            "reason": reason[bad].to_numpy(),
            "detail": detail[bad].to_numpy(),
        },
        columns=list(REJECT_COLUMNS),
    )
    if raw.rejects:
        earlier = pd.DataFrame(raw.rejects, columns=list(REJECT_COLUMNS))
        rejects = pd.concat([earlier, rejects], ignore_index=True)
    kept = pd.Series(project[~bad].to_numpy(), index=position[~bad])
    projects = kept.groupby(level=0).agg(lambda s: sorted(set(s)))
    log.info(
        "%s: %d participations matched, %d rejected", path.name, int((~bad).sum()), len(rejects)
    )
    return ParticipationsImport(
        file=path.name, rows_in=len(table) + len(raw.rejects), projects=projects, rejects=rejects
    )


_PARTICIPATION_DETAILS: Final = {
    "organisation ambiguous": "the name matches several actors; give the name as on its map",
    "organisation not on the maps": "no actor of the maps has this name; add it to a map "
    "or correct the spelling",
    "missing organisation": "the name cell is empty",
    "missing project": "give the project's acronym (projectAcronym) or id (projectID)",
}


def with_projects(actors: gpd.GeoDataFrame, extra: ParticipationsImport) -> gpd.GeoDataFrame:
    """The actors with the table's projects added to their ``projects`` lists."""
    result = actors.copy()
    own = (
        _project_lists(actors)
        if "projects" in actors.columns
        else pd.Series([[] for _ in range(len(actors))], index=actors.index)
    )
    added = extra.projects.reindex(range(len(actors)))
    result["projects"] = [
        sorted(set(mine) | set(more if isinstance(more, list) else []))
        for mine, more in zip(own.tolist(), added.tolist(), strict=True)
    ]
    return result


# --- the edges ----------------------------------------------------------------------------


def links(
    actors: gpd.GeoDataFrame,
    extra: LinksImport | pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The links between actors, as lines: co-participation edges plus explicit links.

    Parameters
    ----------
    actors
        The merged layer (``merge(...).actors``), or any actors GeoDataFrame with
        ``actor_id`` and ``name``; a ``projects`` column (list per actor, or
        ``;``-separated text) gives the co-participation edges.
    extra
        Explicit links: a ``LinksImport`` from ``read_links``, or a table with ``from``
        and ``to`` columns (resolved with ``resolve_links``; its rejects are logged).

    Returns
    -------
    GeoDataFrame
        One row per linked pair and kind (``LINK_COLUMNS``): a pair sharing several
        projects is one edge of weight = the number of shared projects; explicit rows for
        the same pair and kind become one edge (weights summed, labels joined).

    Examples
    --------
    >>> edges = links(europe, read_links("layers/links.csv", europe))
    >>> len(edges) > 0
    True
    """
    if not isinstance(actors, gpd.GeoDataFrame):
        raise TypeError(f"actors must be a GeoDataFrame, not {type(actors).__name__}")
    for column in ("actor_id", "name"):
        if column not in actors.columns:
            raise ValueError(f"actors have no {column!r} column (use merge(...).actors)")
    if isinstance(extra, pd.DataFrame):
        extra = resolve_links(actors, extra)
    parts = [_coparticipation(actors)]
    if extra is not None and len(extra.links):
        parts.append(_collapse_explicit(extra.links))
    edges = pd.concat([p for p in parts if len(p)] or [_edge_frame()], ignore_index=True)
    result = _with_endpoints(actors, edges)
    log.info("%d links between %d actors", len(result), len(actors))
    return result


def _collapse_explicit(table: pd.DataFrame) -> pd.DataFrame:
    """One edge per pair and kind: identical rows once, weights summed, labels joined."""
    table = table.drop_duplicates(["source", "target", "kind", "label", "year", "weight"])
    grouped = table.groupby(["source", "target", "kind"], sort=True, dropna=False)
    collapsed = grouped.agg(
        label=("label", lambda s: _LIST_SEPARATOR.join(dict.fromkeys(s.dropna())) or None),
        year=("year", "min"),
        weight=("weight", "sum"),
    ).reset_index()
    collapsed["projects"] = [[] for _ in range(len(collapsed))]
    return collapsed


def _with_endpoints(actors: gpd.GeoDataFrame, edges: pd.DataFrame) -> gpd.GeoDataFrame:
    ids = actors["actor_id"].astype(str).to_numpy()
    # sorted by kind, then the ends' ids, on integer codes (not a sort of the id texts)
    rank = pd.factorize(ids, sort=True)[0]
    kind = pd.factorize(edges["kind"].astype(object), sort=True)[0]
    source = edges["source"].to_numpy(dtype=np.int64)
    target = edges["target"].to_numpy(dtype=np.int64)
    order = np.lexsort((rank[target], rank[source], kind))
    edges = edges.take(order)
    source, target = source[order], target[order]
    names = actors["name"].to_numpy(dtype=object)
    clusters = primary_cluster(actors).to_numpy(dtype=object)
    nuts = actor_nuts(actors).to_numpy(dtype=object)
    points = actors.geometry
    if points.crs is not None and not points.crs.equals(CRS):
        points = points.to_crs(CRS)
    geometry = points.to_numpy()
    xy = np.full((len(actors), 2), np.nan)
    if len(actors):
        present = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
        xy[present] = shapely.get_coordinates(shapely.point_on_surface(geometry[present]))
    lines = (
        shapely.linestrings(
            np.stack([xy[source], xy[target]], axis=1).reshape(-1, 2),
            indices=np.repeat(np.arange(len(edges)), 2),
        )
        if len(edges)
        else np.empty(0, dtype=object)
    )
    frame = pd.DataFrame(
        {
            "source": ids[source],
            "target": ids[target],
            "source_name": names[source],
            "target_name": names[target],
            "source_cluster": clusters[source],
            "target_cluster": clusters[target],
            "source_nuts": nuts[source],
            "target_nuts": nuts[target],
            "kind": edges["kind"].to_numpy(dtype=object),
            "label": edges["label"].to_numpy(dtype=object),
            "year": pd.array(edges["year"], dtype="Int64"),
            "projects": edges["projects"].to_numpy(dtype=object),
            "weight": edges["weight"].to_numpy(dtype=float),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(lines, crs=CRS), crs=CRS)


def primary_cluster(actors: pd.DataFrame) -> pd.Series:
    """Each actor's cluster: the first of its ``regional_cluster`` list (or the text)."""
    if "regional_cluster" not in actors.columns:
        return pd.Series([None] * len(actors), index=actors.index, dtype=object)
    values = actors["regional_cluster"]
    if pd.api.types.is_string_dtype(values) and not pd.api.types.is_object_dtype(values):
        return values.astype(object).where(values.notna(), None)
    return pd.Series([_first(v) for v in values.tolist()], index=actors.index, dtype=object)


def actor_nuts(actors: pd.DataFrame) -> pd.Series:
    """Each actor's NUTS-3 code (the join's, else the file's code)."""
    for column in ("nuts3", "nuts_code"):
        if column in actors.columns:
            return actors[column].astype(object).where(actors[column].notna(), None)
    return pd.Series([None] * len(actors), index=actors.index, dtype=object)


def _first(value: Any) -> Any:
    kind = type(value)
    if kind is list or kind is tuple or kind is np.ndarray:
        return value[0] if len(value) else None
    return value if kind is str else None


@dataclass
class LinkedLayer:
    """Merged actors with their links: the actors (``projects`` completed from the
    participations table), the links table and participations read (None when the
    manifest names none) and the edges."""

    actors: gpd.GeoDataFrame
    table: LinksImport | None
    participations: ParticipationsImport | None
    edges: gpd.GeoDataFrame

    def rejects(self) -> pd.DataFrame:
        """The rejected rows of the links and participations tables."""
        parts = [t.rejects for t in (self.table, self.participations) if t is not None]
        return pd.concat(parts, ignore_index=True) if parts else empty_table(REJECT_COLUMNS)


def link_layer(manifest: Manifest | None, actors: gpd.GeoDataFrame) -> LinkedLayer:
    """The links of merged actors: the manifest's participations added to their projects,
    its links table read against them, and the edges (``links``)."""
    participations = None
    if manifest is not None and manifest.participations:
        participations = read_participations(manifest.participations, actors)
        actors = with_projects(actors, participations)
    table = None
    if manifest is not None and manifest.links:
        table = read_links(manifest.links, actors)
    return LinkedLayer(actors, table, participations, links(actors, table))


def merge_with_links(
    manifest_or_paths: Manifest | str | Path | Sequence[str | Path],
    *,
    year: int | None = None,
    progress: Any = None,
) -> LinkedLayer:
    """``merge`` the maps, then ``link_layer``."""
    manifest = as_manifest(manifest_or_paths)
    return link_layer(manifest, merge(manifest, year=year, progress=progress).actors)


# --- selection and aggregation ------------------------------------------------------------


def select_links(
    edges: gpd.GeoDataFrame,
    actor_ids: Iterable[str] | None = None,
    *,
    ends: str = "both",
    kinds: Iterable[str] = (),
    between_clusters: bool = False,
) -> gpd.GeoDataFrame:
    """The links among the selected actors (``ends="both"``), or touching them
    (``"either"``, so that a region's outside partners show), of the given kinds."""
    if ends not in ENDS:
        raise ValueError(f"ends must be one of {', '.join(ENDS)}, not {ends!r}")
    keep = np.ones(len(edges), dtype=bool)
    if actor_ids is not None:
        ids = pd.Index(list(actor_ids))
        inside = edges["source"].isin(ids).to_numpy(), edges["target"].isin(ids).to_numpy()
        keep &= (inside[0] & inside[1]) if ends == "both" else (inside[0] | inside[1])
    kinds = tuple(kinds)
    if kinds:
        keep &= edges["kind"].isin(kinds).to_numpy()
    if between_clusters:
        keep &= (edges["source_cluster"] != edges["target_cluster"]).to_numpy()
    return edges[keep].reset_index(drop=True)


def pair_counts(edges: pd.DataFrame, *, by: str = "cluster", level: int = 2) -> pd.DataFrame:
    """Links per pair of clusters (``by="cluster"``) or of NUTS regions at ``level``
    (``by="region"``): ``a``, ``b`` (a <= b), ``links``, ``weight``, ``projects``.

    A pair of the same cluster (``a == b``) counts the links inside it.
    """
    if by == "cluster":
        left, right = edges["source_cluster"], edges["target_cluster"]
    elif by == "region":
        if level not in (0, 1, 2, 3):
            raise ValueError(f"level must be 0, 1, 2 or 3, not {level!r}")
        left = edges["source_nuts"].str[: 2 + level]
        right = edges["target_nuts"].str[: 2 + level]
    else:
        raise ValueError(f"by must be 'cluster' or 'region', not {by!r}")
    swap = (left > right).to_numpy()
    frame = pd.DataFrame(
        {
            "a": np.where(swap, right, left),
            "b": np.where(swap, left, right),
            "weight": edges["weight"].to_numpy(),
            "projects": edges["projects"].to_numpy(),
        }
    ).dropna(subset=["a", "b"])
    if frame.empty:
        return pd.DataFrame(columns=["a", "b", "links", "weight", "projects"])
    grouped = frame.groupby(["a", "b"], sort=True)
    result = grouped.agg(links=("weight", "size"), weight=("weight", "sum")).reset_index()
    projects = frame.explode("projects").dropna(subset=["projects"])
    shared = projects.groupby(["a", "b"])["projects"].agg(lambda s: sorted(set(s)))
    result["projects"] = [
        shared.get((a, b), []) for a, b in zip(result["a"], result["b"], strict=True)
    ]
    return result.sort_values(["links", "a", "b"], ascending=[False, True, True]).reset_index(
        drop=True
    )


def pair_matrix(edges: pd.DataFrame, *, by: str = "cluster", level: int = 2) -> pd.DataFrame:
    """``pair_counts`` as a symmetric square table of link counts (for a heat map)."""
    counts = pair_counts(edges, by=by, level=level)
    labels = sorted(set(counts["a"]) | set(counts["b"]))
    matrix = pd.DataFrame(0, index=labels, columns=labels, dtype=int)
    for a, b, n in zip(counts["a"], counts["b"], counts["links"], strict=True):
        matrix.loc[a, b] = n
        matrix.loc[b, a] = n
    return matrix


def partner_regions(edges: pd.DataFrame, region: str) -> pd.DataFrame:
    """The NUTS regions (level of ``region``'s code) linked to ``region``, most links first:
    ``region``, ``links``, ``weight``, ``projects``. Links inside the region are left out."""
    level = len(region) - 2
    counts = pair_counts(edges, by="region", level=level)
    touching = counts[(counts["a"] == region) ^ (counts["b"] == region)]
    other = np.where(touching["a"] == region, touching["b"], touching["a"])
    return pd.DataFrame(
        {
            "region": other,
            "links": touching["links"].to_numpy(),
            "weight": touching["weight"].to_numpy(),
            "projects": touching["projects"].to_numpy(),
        }
    ).reset_index(drop=True)


# --- network measures ---------------------------------------------------------------------

BETWEENNESS_SAMPLE: Final = 500
"""Above this many actors, betweenness is estimated from this many source actors (seeded:
the same input gives the same numbers); exact below."""


def to_graph(actors: pd.DataFrame, edges: pd.DataFrame) -> nx.Graph:
    """An undirected networkx graph: one node per actor (id), one edge per linked pair
    (weights of several kinds summed, kinds listed)."""
    import networkx as nx  # deferred: only measures and exports need it (0.3 s to import)

    graph = nx.Graph()
    graph.add_nodes_from(actors["actor_id"].astype(str))
    grouped = edges.groupby(["source", "target"], sort=True).agg(
        weight=("weight", "sum"), kinds=("kind", lambda s: sorted(set(s)))
    )
    graph.add_edges_from(
        (s, t, {"weight": float(w), "kinds": k})
        for (s, t), w, k in zip(grouped.index, grouped["weight"], grouped["kinds"], strict=True)
    )
    return graph


def network_measures(actors: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """Per actor: ``degree`` (linked actors), ``clusters_reached`` (other clusters among
    them), ``betweenness`` (normalised, networkx), ``component`` (0 = the largest
    connected group) and ``bridging`` (links to another cluster: the actors through which
    clusters connect). Indexed by ``actor_id``, in the actors' order."""
    import networkx as nx

    graph = to_graph(actors, edges)
    ids = actors["actor_id"].astype(str)
    n = graph.number_of_nodes()
    k = BETWEENNESS_SAMPLE if n > BETWEENNESS_SAMPLE else None
    betweenness = nx.betweenness_centrality(graph, k=k, seed=0 if k else None)
    components = sorted(nx.connected_components(graph), key=lambda c: (-len(c), min(c)))
    component = {node: number for number, nodes in enumerate(components) for node in nodes}
    reached = clusters_reached(edges)
    degree = dict(graph.degree())
    result = pd.DataFrame(
        {
            "degree": ids.map(degree).astype(int).to_numpy(),
            "clusters_reached": ids.map(reached).fillna(0).astype(int).to_numpy(),
            "betweenness": ids.map(betweenness).astype(float).to_numpy(),
            "component": ids.map(component).astype(int).to_numpy(),
        },
        index=pd.Index(ids.to_numpy(), name="actor_id"),
    )
    result["bridging"] = result["clusters_reached"] > 0
    return result


def clusters_reached(edges: pd.DataFrame) -> pd.Series:
    """Per actor id, the number of clusters other than its own that its links reach."""
    both = pd.DataFrame(
        {
            "actor": np.r_[edges["source"].to_numpy(), edges["target"].to_numpy()],
            "own": np.r_[edges["source_cluster"].to_numpy(), edges["target_cluster"].to_numpy()],
            "other": np.r_[edges["target_cluster"].to_numpy(), edges["source_cluster"].to_numpy()],
        }
    ).dropna()
    outside = both[both["own"] != both["other"]]
    return outside.groupby("actor")["other"].nunique()


def bridging_actors(actors: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """The bridging actors with their measures and names, most clusters reached first,
    then by betweenness."""
    measures = network_measures(actors, edges)
    names = actors.set_index(actors["actor_id"].astype(str))["name"]
    bridges = measures[measures["bridging"]].copy()
    bridges.insert(0, "name", names.reindex(bridges.index).to_numpy())
    return bridges.sort_values(
        ["clusters_reached", "betweenness", "name"], ascending=[False, False, True]
    )


def actor_partners(edges: pd.DataFrame, actor_id: str) -> pd.DataFrame:
    """The actors linked to one actor: ``actor_id``, ``name``, ``cluster``, ``kind``,
    ``label``, ``projects``, ``weight``."""
    as_source = edges[edges["source"] == actor_id]
    as_target = edges[edges["target"] == actor_id]
    parts = [
        pd.DataFrame(
            {
                "actor_id": part[f"{other}"].to_numpy(),
                "name": part[f"{other}_name"].to_numpy(),
                "cluster": part[f"{other}_cluster"].to_numpy(),
                "kind": part["kind"].to_numpy(),
                "label": part["label"].to_numpy(),
                "projects": part["projects"].to_numpy(),
                "weight": part["weight"].to_numpy(),
            }
        )
        for part, other in ((as_source, "target"), (as_target, "source"))
    ]
    return pd.concat(parts, ignore_index=True).sort_values(["name", "kind"]).reset_index(drop=True)
