"""Merge: the regional maps of a meta-cluster as one European layer, with provenance.

``merge`` reads every map of a manifest (``read_layer``), joins the stacked actors to NUTS
regions once (``join_nuts``) and hands over to ``merge_results``, which does the rest on
plain GeoDataFrames and is what the tests exercise:

- rows that still have no position after the join are rejected ("no usable location"), so
  that ``rows_in == actors before de-duplication + rejects`` holds for every merge;
- the same organisation drawn on several maps becomes one actor. Two rows from different
  maps are duplicates when their normalised names (case, accents, punctuation and legal
  suffixes such as S.A., GmbH or S.r.l. ignored) are equal and they lie within
  ``distance_km`` of each other, or when their websites share a host that identifies one
  organisation (not facebook.com, sites.google.com…). Matches are found by grouping on the
  key, never by comparing every pair of rows, and joined transitively;
- a merged actor keeps the position and attributes of its first row in manifest order, and
  lists every source in ``regional_cluster`` and ``source_maps``. Attributes on which its
  rows disagree are reported (``report.conflicts`` and the actor's ``merge_conflicts``),
  never resolved silently;
- each actor gets a stable ``actor_id`` ("mc-" + a hash of its normalised name and rounded
  position): the same input gives the same ids on every run and machine.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from metacluster._text import fold, fold_series
from metacluster.engine import join_nuts
from metacluster.geocode import outside_nuts_by_country
from metacluster.manifest import Manifest, MapEntry, as_manifest
from metacluster.read import read_layer
from metacluster.schema import (
    ACTOR_COLUMNS,
    CRS,
    MERGE_COLUMNS,
    NUTS_COLUMNS,
    REJECT_COLUMNS,
    WARNING_COLUMNS,
    ImportResult,
    empty_table,
)

logger = logging.getLogger(__name__)

DUPLICATE_DISTANCE_KM: Final = 25.0
"""Rows with the same normalised name are one actor when at most this far apart (km)."""

NO_LOCATION: Final = "no usable location"
CONFLICT_ATTRIBUTES: Final = ("helix", "organisation_type", "country", "nuts3")
"""Attributes whose disagreement among merged rows is reported."""

ID_PREFIX: Final = "mc-"
_ID_DECIMALS: Final = 4  # ~10 m: ids survive exports rounded to 5 or 6 decimals
EARTH_RADIUS_KM: Final = 6371.0088

LEGAL_FORMS: Final = (
    "S.A.", "SA", "S.L.", "SL", "S.L.U.", "Ltd", "Limited", "GmbH", "gGmbH", "GmbH & Co. KG",
    "KG", "AG", "B.V.", "BV", "N.V.", "NV", "S.p.A.", "SpA", "S.r.l.", "Srl", "A/S", "AS",
    "ApS", "EOOD", "OOD", "EAD", "AD", "ЕООД", "ООД", "ЕАД", "АД", "SAS", "S.A.S.", "SARL",
    "S.A.R.L.", "plc", "Inc", "LLC", "e.V.",
)  # fmt: skip
"""Legal-form suffixes dropped from names before comparing them."""

GENERIC_HOSTS: Final = frozenset({
    "facebook.com", "google.com", "sites.google.com", "linkedin.com", "twitter.com", "x.com",
    "instagram.com", "youtube.com", "wordpress.com", "blogspot.com", "wix.com", "wixsite.com",
    "goo.gl", "bit.ly", "linktr.ee",
})  # fmt: skip
"""Website hosts shared by unrelated organisations: never evidence of a duplicate."""

_PLATFORM_DOMAINS: Final = (
    "facebook.com", "google.com", "linkedin.com", "twitter.com", "x.com", "instagram.com",
    "youtube.com",
)  # fmt: skip
"""Platforms whose subdomains (m.facebook.com, fr.linkedin.com) are generic too; on
wordpress.com or blogspot.com a subdomain is one organisation's own site."""

_URL_HOST: Final = r"^(?:[a-z][a-z0-9+.\-]*://)?(?:[^@/?#\s]*@)?([^/:?#\s]+)"


@dataclass
class MergeReport:
    """What a merge did: per-file imports, rejects, warnings, duplicates and conflicts.

    ``rows_in`` counts every data row of every map; each ends either in an actor (possibly
    merged with others), folded into its organisation's actor (further CORDIS
    participations) or in ``rejects``: ``rows_in == actors_out + duplicates_merged +
    folded + len(rejects)``.
    """

    name: str
    imports: list[ImportResult]
    clusters: list[str]
    rejects: pd.DataFrame
    warnings: pd.DataFrame
    duplicates: pd.DataFrame
    conflicts: pd.DataFrame
    rows_in: int
    actors_out: int
    duplicates_merged: int
    folded: int = 0
    outside_nuts: dict[str, int] = field(default_factory=dict)
    """Actors the join left unmatched, per country (``geocode.outside_nuts_by_country``)."""
    nuts_year: int | None = None
    nuts_scale: str | None = None
    conflict_count: int = field(init=False)

    def __post_init__(self) -> None:
        self.conflict_count = len(self.conflicts)

    def summary(self) -> dict[str, Any]:
        """The JSON-ready report that ``metacluster merge --report`` writes."""
        return {
            "name": self.name,
            "maps": [
                {"cluster": cluster, **result.summary()}
                for cluster, result in zip(self.clusters, self.imports, strict=True)
            ],
            "rows_in": self.rows_in,
            "actors_out": self.actors_out,
            "duplicates_merged": self.duplicates_merged,
            "folded": self.folded,
            "outside_nuts": dict(self.outside_nuts),
            "conflict_count": self.conflict_count,
            "rejected": len(self.rejects),
            "reasons": {str(k): int(v) for k, v in self.rejects["reason"].value_counts().items()},
            "warnings": len(self.warnings),
            "nuts_year": self.nuts_year,
            "nuts_scale": self.nuts_scale,
            "duplicates": _records(self.duplicates),
            "conflicts": _records(self.conflicts),
        }


@dataclass
class MergeResult:
    """The European layer (``actors``) and the report of how it was made."""

    actors: gpd.GeoDataFrame
    report: MergeReport


def merge(
    manifest_or_paths: Manifest | str | Path | Sequence[str | Path],
    *,
    year: int | None = None,
    distance_km: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> MergeResult:
    """Merge the regional maps of a meta-cluster into one European layer.

    Parameters
    ----------
    manifest_or_paths
        A Manifest, a manifest file (``.toml``), or layer files (each one regional map).
    year
        NUTS version for the join; None uses the manifest's ``nuts_year``, then
        ``settings.nuts_year``.
    distance_km
        Largest distance between two rows with the same name that are one actor; None
        uses ``DUPLICATE_DISTANCE_KM``.
    progress
        Called with a short description before each step (for progress displays).

    Returns
    -------
    MergeResult
        ``actors``: schema columns, NUTS columns, ``regional_cluster``, ``source_maps`` and
        ``merge_conflicts``; ``report``: see MergeReport.

    Examples
    --------
    >>> result = merge("layers/metacluster.toml")
    >>> result.report.summary()["actors_out"]
    191
    """
    manifest = as_manifest(manifest_or_paths)
    nuts_year = year if year is not None else manifest.nuts_year
    maps = []
    for entry in manifest.maps:
        _notify(progress, f"Reading {entry.cluster} ({entry.file.name})")
        result = read_layer(
            entry.file,
            columns=entry.columns,
            sheet=entry.sheet,
            country=entry.country,
            helix_default=entry.helix,
            helix_synonyms=manifest.helix_synonyms,
        )
        maps.append((entry, result))

    def locate(actors: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        _notify(progress, f"Joining {len(actors)} actors to NUTS regions")
        return join_nuts(actors, year=nuts_year)

    return merge_results(
        maps, locate=locate, distance_km=distance_km, name=manifest.name, title=manifest.title
    )


def merge_results(
    maps: Sequence[tuple[MapEntry, ImportResult]],
    *,
    locate: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame] | None = None,
    distance_km: float | None = None,
    name: str = "ad-hoc",
    title: str | None = None,
) -> MergeResult:
    """Merge already-read regional maps: the pure part of ``merge``.

    Parameters
    ----------
    maps
        (map entry, import result) pairs in manifest order.
    locate
        Adds the NUTS columns to the stacked actors without dropping or reordering rows
        (``join_nuts``); None when the actors already carry them.
    distance_km
        See ``merge``.
    name, title
        The meta-cluster's name (for the report) and title (the layer's title in exports);
        both are kept in ``actors.attrs``.
    """
    distance_km = DUPLICATE_DISTANCE_KM if distance_km is None else float(distance_km)
    if distance_km < 0:
        raise ValueError(f"distance_km must be zero or more, not {distance_km}")
    stacked, provenance = _stack(maps)
    located = locate(stacked) if locate is not None else stacked
    missing = [c for c in NUTS_COLUMNS if c not in located.columns]
    if missing or len(located) != len(stacked):
        raise ValueError(
            "the located actors must keep every row and carry the NUTS columns "
            f"(missing: {', '.join(missing) or 'none'}; rows {len(located)} of {len(stacked)})"
        )
    located = located.reset_index(drop=True)
    no_position = (located.geometry.isna() | located.geometry.is_empty).to_numpy()
    unplaced = _unplaced_rejects(located[no_position], provenance[no_position])
    kept = located[~no_position].reset_index(drop=True)
    kept_provenance = provenance[~no_position].reset_index(drop=True)

    components, host_warnings = _duplicate_components(kept, kept_provenance, distance_km)
    actors, duplicates, conflicts = _collapse(kept, kept_provenance, components)

    rejects = _concat_tables(
        [_with_cluster(result.rejects, entry.cluster) for entry, result in maps] + [unplaced],
        (*REJECT_COLUMNS, "cluster"),
    )
    warnings = _concat_tables(
        [_with_cluster(result.warnings, entry.cluster) for entry, result in maps] + [host_warnings],
        (*WARNING_COLUMNS, "cluster"),
    )
    for key in ("nuts_year", "nuts_scale", "nuts_scale_note"):
        if key in located.attrs:
            actors.attrs[key] = located.attrs[key]
    actors.attrs.update(name=name, title=title or name)
    report = MergeReport(
        name=name,
        imports=[result for _, result in maps],
        clusters=[entry.cluster for entry, _ in maps],
        rejects=rejects,
        warnings=warnings,
        duplicates=duplicates,
        conflicts=conflicts,
        rows_in=sum(result.rows_in for _, result in maps),
        actors_out=len(actors),
        duplicates_merged=len(kept) - len(actors),
        folded=sum(result.folded for _, result in maps),
        outside_nuts=outside_nuts_by_country(actors),
        nuts_year=located.attrs.get("nuts_year"),
        nuts_scale=located.attrs.get("nuts_scale"),
    )
    logger.info(
        "merged %d maps: %d rows in, %d actors out, %d duplicates merged, %d conflicts, "
        "%d rejected",
        len(maps),
        report.rows_in,
        report.actors_out,
        report.duplicates_merged,
        report.conflict_count,
        len(rejects),
    )
    return MergeResult(actors=actors, report=report)


# --- name and website keys ----------------------------------------------------------------


def _suffix_pattern() -> str:
    forms = {fold(form) for form in LEGAL_FORMS}
    alternatives = "|".join(sorted((f.replace(" ", r"\s") for f in forms), key=len, reverse=True))
    return rf"(?:\s(?:{alternatives}))+$"


_SUFFIXES: Final = _suffix_pattern()


def normalise_name(names: pd.Series) -> pd.Series:
    """Organisation names as duplicate keys: folded, punctuation and legal suffix dropped.

    "Musée d'Orsay S.A." and "MUSEE D ORSAY" both become "musee d orsay". A name that is
    nothing but a legal form keeps it. Missing names become "".
    """
    words = fold_series(names).fillna("").astype(str)
    stripped = words.str.replace(_SUFFIXES, "", regex=True).str.strip()
    return stripped.where(stripped != "", words)


def website_host(websites: pd.Series) -> pd.Series:
    """The host of each website, lower-case and without "www.", or NA when there is none
    or it is a generic platform (facebook.com, sites.google.com…) shared by many."""
    text = websites.fillna("").astype(str).str.strip().str.lower()
    host = text.str.extract(_URL_HOST, expand=False)
    host = host.str.replace(r"^www\d*\.", "", regex=True).str.rstrip(".")
    platform = tuple(f".{domain}" for domain in _PLATFORM_DOMAINS)
    generic = host.isin(GENERIC_HOSTS) | host.str.endswith(platform)
    usable = host.str.contains(".", regex=False) & ~generic.fillna(False).astype(bool)
    return host.where(usable.fillna(False).astype(bool))


def haversine_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distances in km between paired points given in degrees."""
    x1, y1, x2, y2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    h = np.sin((y2 - y1) / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin((x2 - x1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def actor_ids(names: pd.Series, geometry: gpd.GeoSeries) -> pd.Series:
    """Stable, unique ids: "mc-" + 12 hex digits of sha1(normalised name, rounded lon/lat).

    Rows that collide (same name at the same place) get "-2", "-3"… in row order, so the
    ids depend only on the input, never on the run or the machine.
    """
    keys = normalise_name(names)
    points = shapely.centroid(geometry.to_numpy())
    lon = np.round(shapely.get_x(points), _ID_DECIMALS)
    lat = np.round(shapely.get_y(points), _ID_DECIMALS)
    ids = pd.Series(
        [
            ID_PREFIX
            + hashlib.sha1(f"{key}|{x:.{_ID_DECIMALS}f}|{y:.{_ID_DECIMALS}f}".encode()).hexdigest()[
                :12
            ]
            for key, x, y in zip(keys.tolist(), lon.tolist(), lat.tolist(), strict=True)
        ],
        index=names.index,
        dtype=object,
    )
    rank = ids.groupby(ids, sort=False).cumcount()
    return ids.where(rank == 0, ids + "-" + (rank + 1).astype(str))


# --- stacking and rejects -----------------------------------------------------------------


def _stack(
    maps: Sequence[tuple[MapEntry, ImportResult]],
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """All maps' actors in one frame, and per row its map, cluster and provenance string."""
    frames, provenance = [], []
    for index, (entry, result) in enumerate(maps):
        actors = result.actors
        if actors.crs is not None and not actors.crs.equals(CRS):
            actors = actors.to_crs(CRS)
        frames.append(pd.DataFrame(actors.reindex(columns=_schema_first(actors.columns))))
        rows = actors["source_row"].tolist() if "source_row" in actors else [None] * len(actors)
        row_text = [str(int(r)) if pd.notna(r) else str(i + 1) for i, r in enumerate(rows)]
        file_name = Path(result.file).name
        provenance.append(
            pd.DataFrame(
                {
                    "map": index,
                    "cluster": entry.cluster,
                    "source": [f"{entry.cluster}: {file_name}#{r}" for r in row_text],
                }
            )
        )
    if not frames:
        raise ValueError("no maps to merge")
    non_empty = [f for f in frames if len(f)] or frames[:1]
    stacked = gpd.GeoDataFrame(
        pd.concat(non_empty, ignore_index=True), geometry="geometry", crs=CRS
    )
    table = pd.concat(provenance, ignore_index=True)
    return stacked, table.astype({"map": "int64"})


def _schema_first(columns: pd.Index) -> list[str]:
    extras = [c for c in columns if c not in ACTOR_COLUMNS]
    return [*ACTOR_COLUMNS[:-1], *extras, "geometry"]


def _unplaced_rejects(rows: gpd.GeoDataFrame, provenance: pd.DataFrame) -> pd.DataFrame:
    """Rows that even the NUTS join could not place, as rejects naming the code tried."""
    codes = rows["nuts_code"] if "nuts_code" in rows else pd.Series(None, index=rows.index)
    notes = rows["nuts_note"].fillna("").astype(str)
    detail = np.where(
        notes != "",
        notes,
        "No coordinates, no city that could be placed and no known NUTS code: add one of them.",
    )
    return pd.DataFrame(
        {
            "file": rows["source_file"].to_numpy(),
            "layer": rows["source_layer"].to_numpy(),
            "row": rows["source_row"].to_numpy(),
            "column": "nuts_code",
            "value": codes.to_numpy(),
            "reason": NO_LOCATION,
            "detail": detail,
            "cluster": provenance["cluster"].to_numpy(),
        },
        index=pd.RangeIndex(len(rows)),
    )


def _with_cluster(table: pd.DataFrame, cluster: str) -> pd.DataFrame:
    return table.assign(cluster=cluster)


def _concat_tables(tables: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    non_empty = [t.reindex(columns=list(columns)) for t in tables if len(t)]
    if not non_empty:
        return empty_table(columns)
    return pd.concat(non_empty, ignore_index=True)


# --- duplicates ---------------------------------------------------------------------------


def _duplicate_components(
    actors: gpd.GeoDataFrame, provenance: pd.DataFrame, distance_km: float
) -> tuple[np.ndarray, pd.DataFrame]:
    """For each row, the position of the first row of its duplicate group (itself if none).

    Candidate pairs come from grouping on a key, so the work grows with the size of the
    groups, not with the square of the layer.
    """
    map_index = provenance["map"].to_numpy()
    points = shapely.centroid(actors.geometry.to_numpy())
    lon, lat = shapely.get_x(points), shapely.get_y(points)

    left, right = _pairs_by_key(normalise_name(actors["name"]).replace("", pd.NA), map_index)
    close = haversine_km(lon[left], lat[left], lon[right], lat[right]) <= distance_km
    name_pairs = (left[close], right[close])

    hosts = website_host(actors["website"])
    shared = hosts.notna() & pd.DataFrame({"h": hosts, "m": map_index}).duplicated(keep=False)
    shared_rows = shared.to_numpy()
    warnings = _shared_host_warnings(
        actors[shared_rows], hosts[shared_rows], provenance[shared_rows]
    )
    host_left, host_right = _pairs_by_key(hosts.where(~shared), map_index)

    all_left = np.concatenate([name_pairs[0], host_left])
    all_right = np.concatenate([name_pairs[1], host_right])
    return _components(len(actors), all_left, all_right), warnings


def _pairs_by_key(keys: pd.Series, map_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-position pairs (i < j) from different maps that share a non-missing key."""
    table = pd.DataFrame({"key": keys.to_numpy(), "pos": np.arange(len(keys)), "map": map_index})
    table = table[table["key"].notna()]
    table = table[table["key"].duplicated(keep=False)]
    pairs = table.merge(table, on="key", suffixes=("_l", "_r"))
    pairs = pairs[(pairs["pos_l"] < pairs["pos_r"]) & (pairs["map_l"] != pairs["map_r"])]
    return pairs["pos_l"].to_numpy(dtype=np.int64), pairs["pos_r"].to_numpy(dtype=np.int64)


def _shared_host_warnings(
    rows: gpd.GeoDataFrame, hosts: pd.Series, provenance: pd.DataFrame
) -> pd.DataFrame:
    """One warning per map and host that several actors of that map share."""
    table = pd.DataFrame(
        {
            "file": rows["source_file"].to_numpy(),
            "layer": rows["source_layer"].to_numpy(),
            "host": hosts.to_numpy(),
            "cluster": provenance["cluster"].to_numpy(),
        }
    )
    groups = (
        table.groupby(["cluster", "host"], sort=False)
        .agg(file=("file", "first"), layer=("layer", "first"), count=("host", "size"))
        .reset_index()
    )
    return pd.DataFrame(
        {
            "file": groups["file"],
            "layer": groups["layer"],
            "row": None,
            "column": "website",
            "message": [
                f"website host {host} is shared by {count} actors of this map, so it is not "
                "used to find duplicates"
                for host, count in zip(groups["host"], groups["count"], strict=True)
            ],
            "cluster": groups["cluster"],
        }
    )


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected components of the pair graph; each labelled by its smallest position."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    labels = np.arange(n)
    for i in np.unique(np.concatenate([left, right])).tolist():
        labels[i] = root(i)
    return labels


def _collapse(
    kept: gpd.GeoDataFrame, provenance: pd.DataFrame, components: np.ndarray
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    """One row per component: the first row's data plus every source, ids and conflicts."""
    # a re-imported metacluster export carries its own clusters, sources and conflicts
    clusters = _union_by_component(kept, "regional_cluster", components, provenance["cluster"])
    labels, sources = _lists_by_component(components, provenance["source"])
    own_sources = _union_by_component(kept, "source_maps", components, provenance["source"])
    actors = kept.iloc[labels].copy()
    actors["actor_id"] = actor_ids(actors["name"], actors.geometry).to_numpy()
    actors["regional_cluster"] = pd.Series(clusters, index=actors.index, dtype=object)
    actors["source_maps"] = pd.Series(own_sources, index=actors.index, dtype=object)
    if "projects" in kept.columns:  # every map's projects, not only the first's
        projects = _union_by_component(kept, "projects", components, None)
        actors["projects"] = pd.Series(projects, index=actors.index, dtype=object)
    carried_conflicts = (
        _union_by_component(kept, "merge_conflicts", components, None)
        if "merge_conflicts" in kept.columns
        else [[] for _ in labels]
    )
    ids = pd.Series(actors["actor_id"].to_numpy(), index=labels)

    merged = np.array([len(s) > 1 for s in sources], dtype=bool)
    duplicates = pd.DataFrame(
        {
            "actor_id": ids.to_numpy()[merged],
            "name": actors["name"].to_numpy()[merged],
            "sources": pd.Series(
                [s for s, m in zip(sources, merged, strict=True) if m], dtype=object
            ),
        },
        columns=["actor_id", "name", "sources"],
    )
    conflicts = _conflicts(kept, provenance, components, labels[merged], ids)
    per_actor: dict[str, list[str]] = {}
    for actor_id, attribute, distinct in conflicts[
        ["actor_id", "attribute", "distinct"]
    ].itertuples(index=False):
        per_actor.setdefault(actor_id, []).append(f"{attribute}: {' / '.join(distinct)}")
    actors["merge_conflicts"] = pd.Series(
        [
            list(dict.fromkeys([*own, *per_actor.get(i, [])]))
            for own, i in zip(carried_conflicts, ids, strict=True)
        ],
        index=actors.index,
        dtype=object,
    )
    conflicts = conflicts.drop(columns="distinct")

    known = (*ACTOR_COLUMNS[:-1], *NUTS_COLUMNS, *MERGE_COLUMNS, "merge_conflicts")
    order = [*known, *[c for c in actors.columns if c not in (*known, "geometry")], "geometry"]
    actors = gpd.GeoDataFrame(actors[order].reset_index(drop=True), geometry="geometry", crs=CRS)
    return actors, duplicates, conflicts


def _union_by_component(
    kept: gpd.GeoDataFrame, column: str, components: np.ndarray, fallback: pd.Series | None
) -> list[list[Any]]:
    """Per component (in ascending order), the union of its rows' lists in ``column``; a
    row without a list (or an empty one) contributes its ``fallback`` value instead."""
    own = kept[column] if column in kept.columns else pd.Series(None, index=kept.index)
    backup = [None] * len(kept) if fallback is None else fallback.tolist()
    rows = [
        list(value) if isinstance(value, list) and value else ([] if extra is None else [extra])
        for value, extra in zip(own.tolist(), backup, strict=True)
    ]
    _, grouped = _lists_by_component(components, pd.Series(rows, dtype=object))
    return [list(dict.fromkeys(item for row in group for item in row)) for group in grouped]


def _lists_by_component(components: np.ndarray, values: Any) -> tuple[np.ndarray, list[list[Any]]]:
    """The component labels in ascending order and, for each, its values in row order."""
    order = np.argsort(components, kind="stable")
    labels, starts = np.unique(components[order], return_index=True)
    ordered = np.asarray(values, dtype=object)[order].tolist()
    bounds = [*starts.tolist(), len(ordered)]
    return labels, [ordered[start:stop] for start, stop in pairwise(bounds)]


def _conflicts(
    kept: gpd.GeoDataFrame,
    provenance: pd.DataFrame,
    components: np.ndarray,
    merged: np.ndarray,
    ids: pd.Series,
) -> pd.DataFrame:
    """(actor, attribute) pairs on which merged rows disagree, with every source's value.

    Values are compared folded (case, accents and punctuation ignored); missing values are
    not a disagreement. ``distinct`` holds each different value once, as first spelled.
    """
    in_merged = np.isin(components, merged)
    base = pd.DataFrame(
        {
            "component": components[in_merged],
            "source": provenance["source"].to_numpy(dtype=object)[in_merged],
        }
    )
    found = []
    for attribute in CONFLICT_ATTRIBUTES:
        if attribute not in kept.columns:
            continue
        values = pd.Series(kept[attribute].to_numpy(dtype=object)[in_merged], dtype=object)
        table = base.assign(value=values.map(str), key=fold_series(values).to_numpy())
        table = table[table["key"].notna()]
        table = table[(table.groupby("component")["key"].transform("nunique") > 1).to_numpy()]
        if table.empty:
            continue
        labels, entries = _lists_by_component(
            table["component"].to_numpy(), table["source"] + " = " + table["value"]
        )
        spellings = table.drop_duplicates(["component", "key"])
        _, distinct = _lists_by_component(spellings["component"].to_numpy(), spellings["value"])
        found.append(
            pd.DataFrame(
                {
                    "component": labels,
                    "attribute": attribute,
                    "values": pd.Series(entries, dtype=object),
                    "distinct": pd.Series(distinct, dtype=object),
                }
            )
        )
    columns = ["actor_id", "name", "attribute", "values", "distinct"]
    if not found:
        return pd.DataFrame(columns=columns)
    table = pd.concat(found, ignore_index=True).sort_values("component", kind="stable")
    component = table["component"].to_numpy()
    table["actor_id"] = ids.loc[component].to_numpy()
    table["name"] = kept["name"].to_numpy()[component]
    return table[columns].reset_index(drop=True)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (list(v) if isinstance(v, (list, tuple, np.ndarray)) else v) for k, v in row.items()}
        for row in table.to_dict("records")
    ]


def _notify(progress: Callable[[str], None] | None, step: str) -> None:
    logger.info(step)
    if progress is not None:
        progress(step)
