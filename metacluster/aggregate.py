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
    in_regions = counts.index.isin(regions["NUTS_ID"])
    without_region = int(counts[~in_regions].to_numpy().sum())
    if without_region:
        logger.info(
            "%d actors have no NUTS-%d region among the %d regions given; they are not counted",
            without_region, level, len(regions),
        )  # fmt: skip
    table = regions[[*REGION_COLUMNS, "geometry"]].merge(
        counts, left_on="NUTS_ID", right_index=True, how="left" if include_empty else "inner"
    )
    table[list(COUNT_COLUMNS)] = table[list(COUNT_COLUMNS)].fillna(0).astype("int64")
    table["n_total"] = table[list(COUNT_COLUMNS)].sum(axis=1)
    known = table[[f"n_{h}" for h in HELICES]].to_numpy(dtype=float)
    table["helix_balance"] = helix_balance(known)
    table["missing_helices"] = [
        [h for h, present in zip(HELICES, row, strict=True) if not present] for row in known > 0
    ]
    result = gpd.GeoDataFrame(
        table[list(AGGREGATE_COLUMNS)].sort_values("NUTS_ID").reset_index(drop=True),
        geometry="geometry",
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
    exploded = pd.DataFrame(
        {
            "cluster": actors["regional_cluster"].to_numpy(),
            "helix": helix_or_unknown(actors["helix"]).to_numpy(),
        }
    ).explode("cluster")
    exploded = exploded.dropna(subset=["cluster"])
    order = list(dict.fromkeys([*clusters, *sorted(exploded["cluster"].unique())]))
    table = pd.crosstab(exploded["cluster"], exploded["helix"]).reindex(
        index=order, columns=[*HELICES, UNKNOWN_HELIX], fill_value=0
    )
    long = table.rename_axis(index="cluster", columns="helix").stack().rename("actors")
    return long.reset_index().astype({"actors": "int64"})
