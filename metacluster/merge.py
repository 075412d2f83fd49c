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

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from metacluster._errors import printable
from metacluster.dedupe import DUPLICATE_DISTANCE_KM, collapse, duplicate_components
from metacluster.engine import join_nuts
from metacluster.geocode import outside_nuts_by_country
from metacluster.manifest import Manifest, MapEntry, as_manifest, unique_names
from metacluster.read import read_layer
from metacluster.schema import (
    ACTOR_COLUMNS,
    CRS,
    NUTS_COLUMNS,
    REJECT_COLUMNS,
    WARNING_COLUMNS,
    ImportResult,
    empty_table,
)

logger = logging.getLogger(__name__)

NO_LOCATION: Final = "no usable location"


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
    homes: dict[str, str] = field(default_factory=dict)
    """Each cluster's home region: the manifest's ``home_nuts``, else ``home_nuts_of`` its
    actors (``derived_homes`` lists those); clusters without located actors have none."""
    derived_homes: tuple[str, ...] = ()
    conflict_count: int = field(init=False)

    def __post_init__(self) -> None:
        self.conflict_count = len(self.conflicts)

    def summary(self) -> dict[str, Any]:
        """The JSON-ready report that ``metacluster merge --report`` writes."""
        return {
            "name": self.name,
            "maps": [
                {
                    "cluster": cluster,
                    "home_nuts": self.homes.get(cluster),
                    "home_nuts_derived": cluster in self.derived_homes,
                    **result.summary(),
                }
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
    read: Callable[..., ImportResult] = read_layer,
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
    read
        Reads one map (``read_layer``'s signature); the app passes the isolated reader
        (``metacluster.read.isolated.read_layer_isolated``) for uploads.

    Returns
    -------
    MergeResult
        ``actors``: schema columns, NUTS columns, ``regional_cluster``, ``source_maps`` and
        ``merge_conflicts``; ``report``: see MergeReport.

    Examples
    --------
    >>> result = merge("layers/metacluster.toml")
    >>> result.report.summary()["actors_out"]
    195
    """
    manifest = as_manifest(manifest_or_paths)
    nuts_year = year if year is not None else manifest.nuts_year
    maps = []
    for entry in manifest.maps:
        _notify(progress, f"Reading {entry.cluster} ({entry.file.name})")
        result = read(
            entry.file,
            columns=entry.columns,
            sheet=entry.sheet,
            country=entry.country,
            helix_default=entry.helix,
            helix_synonyms=manifest.helix_synonyms,
        )
        maps.append((entry, result))
    maps = titled(maps)

    def locate(actors: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        _notify(progress, f"Joining {len(actors)} actors to NUTS regions")
        return join_nuts(actors, year=nuts_year)

    return merge_results(
        maps, locate=locate, distance_km=distance_km, name=manifest.name, title=manifest.title
    )


def titled(
    maps: Sequence[tuple[MapEntry, ImportResult]],
) -> list[tuple[MapEntry, ImportResult]]:
    """Maps named after their files renamed after the title their file gives them (a My
    Maps export knows its map's name; its file is often "export (3).kml"), keeping every
    cluster name unique."""
    names = [
        printable(result.title).strip() or entry.cluster
        if entry.named_after_file and result.title
        else entry.cluster
        for entry, result in maps
    ]
    if names == [entry.cluster for entry, _ in maps]:
        return list(maps)
    return [
        (dataclasses.replace(entry, cluster=name), result)
        for (entry, result), name in zip(maps, unique_names(names), strict=True)
    ]


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

    found = duplicate_components(kept, kept_provenance, distance_km)
    actors, duplicates, conflicts = collapse(kept, kept_provenance, found)

    rejects = _concat_tables(
        [_with_cluster(result.rejects, entry.cluster) for entry, result in maps] + [unplaced],
        (*REJECT_COLUMNS, "cluster"),
    )
    warnings = _concat_tables(
        [_with_cluster(result.warnings, entry.cluster) for entry, result in maps]
        + [found.warnings],
        (*WARNING_COLUMNS, "cluster"),
    )
    for key in ("nuts_year", "nuts_scale", "nuts_scale_note"):
        if key in located.attrs:
            actors.attrs[key] = located.attrs[key]
    actors.attrs.update(name=name, title=title or name)
    homes, derived = home_regions(actors, [entry for entry, _ in maps])
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
        homes=homes,
        derived_homes=derived,
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


def home_nuts_of(actors: gpd.GeoDataFrame) -> str | None:
    """The NUTS-2 region where most of ``actors`` lie (the smaller code on a tie), None
    when none is located: a map's home region when its manifest gives no ``home_nuts``. A
    map also lists partners from far away, which the most common region leaves out."""
    if "nuts2" not in actors.columns:
        return None
    counts = actors["nuts2"].dropna().astype("str").value_counts()
    if counts.empty:
        return None
    return str(counts.index[counts == counts.max()].min())


def home_regions(
    actors: gpd.GeoDataFrame, entries: Sequence[MapEntry]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Each map's home region (its ``home_nuts``, else ``home_nuts_of`` the merged actors of
    its cluster) and the clusters whose home was derived."""
    homes: dict[str, str] = {}
    derived = []
    for entry in entries:
        if entry.home_nuts:
            homes[entry.cluster] = entry.home_nuts
            continue
        member = [entry.cluster in list(values) for values in actors["regional_cluster"]]
        home = home_nuts_of(actors[np.array(member, dtype=bool)])
        if home is not None:
            homes[entry.cluster] = home
            derived.append(entry.cluster)
    return homes, tuple(derived)


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
        file_name = printable(Path(result.file).name)
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


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (list(v) if isinstance(v, (list, tuple, np.ndarray)) else v) for k, v in row.items()}
        for row in table.to_dict("records")
    ]


def _notify(progress: Callable[[str], None] | None, step: str) -> None:
    logger.info(step)
    if progress is not None:
        progress(step)
