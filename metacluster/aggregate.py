"""Region aggregation: how many actors of each helix a NUTS region has, and how balanced.

For a NUTS level, every region with actors (or every region, with ``include_empty``) gets
its actor counts per helix, the total, the list of helices it lacks and a *helix balance
index*: the normalised Shannon entropy of the four helix shares,

    balance = −Σ p_h ln p_h / ln 4   over the four helices h, with 0 ln 0 = 0,

where p_h is the share of helix h among the region's actors of *known* helix. 0 means all
of them are of one helix, 1 that the four are equally represented. A region with no actor
of known helix has no balance: the value is NaN (``null`` in exports), not 0, because
"nothing to measure" is not "one helix only".

Counting is one group-by on the actors' ``nuts{level}`` column; the polygons come from
``load_nuts`` at the display scale, so the result can be drawn and exported as is.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from metacluster import settings
from metacluster.nuts import load_nuts
from metacluster.schema import HELICES, NUTS_LEVELS, UNKNOWN_HELIX, helix_or_unknown

logger = logging.getLogger(__name__)

REGION_COLUMNS: Final = ("NUTS_ID", "NAME_LATN", "NUTS_NAME", "CNTR_CODE", "LEVL_CODE")
COUNT_COLUMNS: Final = tuple(f"n_{helix}" for helix in (*HELICES, UNKNOWN_HELIX))
AGGREGATE_COLUMNS: Final = (
    *REGION_COLUMNS,
    *COUNT_COLUMNS,
    "n_total",
    "helix_balance",
    "missing_helices",
    "geometry",
)


def aggregate_regions(
    actors: gpd.GeoDataFrame,
    *,
    level: int = 2,
    year: int | None = None,
    include_empty: bool = False,
    scale: str | None = None,
) -> gpd.GeoDataFrame:
    """Actor counts per helix, helix balance and missing helices for NUTS regions.

    Counted in this process; ``metacluster.aggregate_regions`` (``engine.aggregate_regions``)
    takes the same arguments plus ``engine`` and can count on a Dask cluster instead.

    Parameters
    ----------
    actors
        Located actors (``merge`` or ``join_nuts``), possibly filtered.
    level
        NUTS level 0–3 to count by.
    year
        NUTS version of the polygons; None uses the year the actors were located with
        (``actors.attrs["nuts_year"]``), then ``settings.nuts_year``.
    include_empty
        Also return the regions without actors, with zero counts.
    scale
        Polygon scale; None uses ``settings.display_scale``.
    Returns
    -------
    GeoDataFrame
        ``AGGREGATE_COLUMNS``, one row per region sorted by NUTS_ID, EPSG:4326.
        ``attrs`` records nuts_year, nuts_level, nuts_scale and ``actors_without_region``
        (actors whose nuts{level} is missing or not a region of that year).

    Examples
    --------
    >>> regions = aggregate_regions(europe, level=2)
    >>> regions[["NUTS_ID", "n_total"]].head(3)
      NUTS_ID  n_total
    0    BG41       25
    1    DK04       23
    2    ES21       23
    """
    check_level(level)
    return regions_from_counts(
        helix_counts_by_region(actors, level=level),
        level=level,
        year=located_year(actors, year),
        include_empty=include_empty,
        scale=scale,
    )


def located_year(actors: object, year: int | None) -> int:
    """``year``, else the NUTS version the actors were located with, else the setting."""
    located = getattr(actors, "attrs", {}).get("nuts_year")
    return year if year is not None else located or settings.nuts_year


def regions_from_counts(
    counts: pd.DataFrame, *, level: int, year: int, include_empty: bool, scale: str | None
) -> gpd.GeoDataFrame:
    """The regions table of ``aggregate_regions`` from helix counts however they were
    counted (here, or summed over a Dask cluster's partitions)."""
    scale = scale or settings.display_scale
    regions = load_nuts(year=year, level=level, scale=scale)
    result = summarise_counts(counts, regions, level=level, include_empty=include_empty)
    result.attrs.update(nuts_year=year, nuts_scale=scale)
    return result


def summarise_regions(
    actors: pd.DataFrame,
    regions: gpd.GeoDataFrame,
    *,
    level: int,
    include_empty: bool = False,
) -> gpd.GeoDataFrame:
    """The pure part of ``aggregate_regions``: count ``actors`` into the given ``regions``.

    ``regions`` holds the NUTS polygons of that level (``load_nuts`` columns).
    """
    counts = helix_counts_by_region(actors, level=level)
    return summarise_counts(counts, regions, level=level, include_empty=include_empty)


def helix_counts_by_region(actors: pd.DataFrame, *, level: int) -> pd.DataFrame:
    """Actors per region code (index; missing codes as one NaN row) and helix (``COUNT_COLUMNS``).

    Counts of parts of the actors add up to the counts of the whole, which is how the Dask
    engine counts partition by partition.
    """
    check_level(level)
    column = f"nuts{level}"
    if column not in actors.columns:
        raise ValueError(f"the actors have no {column!r} column: locate them (join_nuts) first")
    helix = helix_or_unknown(actors["helix"])
    pairs = pd.DataFrame({"region": actors[column], "helix": helix})
    return (
        pairs.groupby(["region", "helix"], dropna=False, observed=True)
        .size()
        .unstack("helix", fill_value=0)
        .reindex(columns=[*HELICES, UNKNOWN_HELIX], fill_value=0)
        .rename(columns=lambda h: f"n_{h}")
        .rename_axis(index=column, columns=None)
        .astype("int64")
    )


def summarise_counts(
    counts: pd.DataFrame,
    regions: gpd.GeoDataFrame,
    *,
    level: int,
    include_empty: bool = False,
) -> gpd.GeoDataFrame:
    """The regions' table from ``helix_counts_by_region``: totals, balance, missing helices,
    polygons."""
    check_level(level)
    codes = regions["NUTS_ID"].to_numpy(dtype=object)
    row_of = counts.index.get_indexer(codes)  # each region's row in ``counts``, or -1
    values = counts[list(COUNT_COLUMNS)].to_numpy(dtype=np.int64)
    counted = np.zeros(len(counts), dtype=bool)
    counted[row_of[row_of >= 0]] = True
    without_region = int(values[~counted].sum())
    if without_region:
        logger.info(
            "%d actors have no NUTS-%d region among the %d regions given; they are not counted",
            without_region, level, len(regions),
        )  # fmt: skip
    # positions and arrays rather than a merge: this runs on every filter change in the app
    kept = np.arange(len(regions)) if include_empty else np.flatnonzero(row_of >= 0)
    kept = kept[np.argsort(codes[kept], kind="stable")]
    found = row_of[kept]
    table = np.zeros((len(kept), len(COUNT_COLUMNS)), dtype=np.int64)
    table[found >= 0] = values[found[found >= 0]]
    known = table[:, : len(HELICES)]
    chosen = regions.iloc[kept]
    result = gpd.GeoDataFrame(
        {
            **{column: chosen[column].reset_index(drop=True) for column in REGION_COLUMNS},
            **dict(zip(COUNT_COLUMNS, table.T, strict=True)),
            "n_total": table.sum(axis=1),
            "helix_balance": helix_balance(known.astype(float)),
            "missing_helices": [
                [h for h, present in zip(HELICES, row, strict=True) if not present]
                for row in known > 0
            ],
        },
        geometry=chosen.geometry.to_numpy(),
        crs=regions.crs,
    )
    result.attrs.update(nuts_level=level, actors_without_region=without_region)
    return result


def helix_balance(counts: np.ndarray) -> np.ndarray:
    """Normalised Shannon entropy of each row of helix counts (NaN for an all-zero row).

    Examples
    --------
    >>> helix_balance(np.array([[5, 5, 5, 5], [3, 0, 0, 0], [0, 0, 0, 0]])).tolist()
    [1.0, 0.0, nan]
    """
    counts = np.asarray(counts, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = counts / totals
        terms = np.where(shares > 0, shares * np.log(shares), 0.0)
    balance = np.clip(-terms.sum(axis=1) / np.log(counts.shape[1]), 0.0, 1.0) + 0.0  # no -0.0
    balance[totals[:, 0] == 0] = np.nan
    return balance


def check_level(level: int) -> None:
    """Raise ValueError for a level that is not a NUTS level (0–3)."""
    if level not in NUTS_LEVELS:
        raise ValueError(f"level must be one of {NUTS_LEVELS}, not {level!r}")


def cluster_helix_counts(actors: pd.DataFrame, clusters: Sequence[str]) -> pd.DataFrame:
    """Actors per regional cluster and helix (long form: cluster, helix, actors).

    An actor found on several clusters' maps counts in each of them. Clusters come in
    manifest order, helices in display order; zero counts are kept so bars line up.
    """
    pairs = Counter(
        (cluster, helix)
        for listed, helix in zip(
            actors["regional_cluster"].to_numpy(),
            helix_or_unknown(actors["helix"]).to_numpy(),
            strict=True,
        )
        for cluster in (listed if isinstance(listed, (list, tuple, np.ndarray)) else [listed])
        if isinstance(cluster, str)
    )
    found = {cluster for cluster, _ in pairs}
    order = list(dict.fromkeys([*clusters, *sorted(found)]))
    helices = [*HELICES, UNKNOWN_HELIX]
    return pd.DataFrame(
        {
            "cluster": [cluster for cluster in order for _ in helices],
            "helix": helices * len(order),
            "actors": np.array(
                [pairs[cluster, helix] for cluster in order for helix in helices], dtype=np.int64
            ),
        }
    )
