"""The Dask engine: the NUTS join and region counts over partitions of a Dask cluster.

For layers too large for one process (10^7 actors and more) or when a Dask cluster is at
hand. The actors become dask-geopandas partitions of neighbouring actors (sorted along a
Hilbert curve); the join index (``_nuts_index.NutsIndex``: the NUTS polygons, trees and
raster) is built once on the client and broadcast once to every worker, never shipped
with each partition; each partition runs the local join on it, so the result is the local
engine's result, row for row. Region counts are counted per partition and summed.

The cluster is the one at ``scheduler`` (``tcp://host:8786``), else at
``DASK_SCHEDULER_ADDRESS``, else a Dask client already open in the process, else a
LocalCluster started for the call. Workers of a remote cluster need metacluster installed;
they need NUTS files only for rows whose nuts_code is of the other NUTS version.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Iterator
from itertools import pairwise
from typing import Final

import dask
import dask.dataframe as dd
import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from distributed import Client, LocalCluster, default_client

from metacluster import aggregate, locate, nuts
from metacluster._nuts_index import NutsIndex, nuts_index
from metacluster.schema import CRS

logger = logging.getLogger(__name__)

SCHEDULER_ENV: Final = "DASK_SCHEDULER_ADDRESS"
ROWS_PER_PARTITION: Final = 250_000
"""Partition size: large enough that each task's overhead is negligible, small enough that
a worker holds a few partitions in a few hundred MB."""

_ROW: Final = "_metacluster_row"
_HILBERT: Final = "_metacluster_hilbert"
_HILBERT_LEVEL: Final = 16
_NO_CONVERSION: Final = {"dataframe.convert-string": False}
"""Dask would turn object columns into Arrow strings; lists (themes) must stay lists."""


@contextlib.contextmanager
def client(
    scheduler: str | None = None,
    *,
    n_workers: int | None = None,
    processes: bool = True,
    memory_limit: str | float = "auto",
) -> Iterator[Client]:
    """A Dask client for the block: see the module docstring for which cluster.

    Parameters
    ----------
    scheduler
        Address of a running scheduler; None: ``DASK_SCHEDULER_ADDRESS``, else the client
        already open, else a new LocalCluster.
    n_workers, processes, memory_limit
        For a new LocalCluster: how many workers (default one per CPU, one thread each),
        whether they are processes (parallel pandas work) or threads (quick start), and
        the memory of each worker ("2GB"; "auto" shares the RAM), past which Dask spills
        partitions to disk: what bounds the memory of the spatial sort's shuffle.
    """
    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if address:
        logger.info("connecting to the Dask scheduler at %s", address)
        with Client(address) as connected:
            yield connected
        return
    try:
        existing = default_client()
    except ValueError:  # no client is open
        existing = None
    if existing is not None:
        yield existing
        return
    workers = n_workers or os.cpu_count() or 1
    logger.info("starting a Dask LocalCluster of %d workers", workers)
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            memory_limit=memory_limit,
            dashboard_address=":0",  # a free port: never clashes with another cluster
        ) as cluster,
        Client(cluster) as started,
    ):
        yield started


def join_nuts(
    actors: gpd.GeoDataFrame, *, year: int, snap_km: float, scale: str
) -> gpd.GeoDataFrame:
    """``locate.join_nuts`` on checked arguments, run on Dask: the same frame, same order.

    Called by ``engine.join_nuts(..., engine="dask")``.
    """
    with client() as dask_client, dask.config.set(_NO_CONVERSION):
        frame = _scattered(actors.assign(**{_ROW: np.arange(len(actors))}), dask_client)
        joined = join_partitions(frame, year=year, snap_km=snap_km, scale=scale).compute()
    joined = joined.sort_values(_ROW).drop(columns=_ROW)
    joined.index = actors.index
    joined.attrs.update(nuts_year=year, nuts_scale=scale)
    return locate.check_consistency(joined, nuts_index(year, scale))


def join_partitions(
    frame: dask_geopandas.GeoDataFrame,
    *,
    year: int | None = None,
    snap_km: float | None = None,
    scale: str | None = None,
    spatial_sort: bool = True,
) -> dask_geopandas.GeoDataFrame:
    """The NUTS join of a Dask frame of actors, lazily, in spatially sorted partitions.

    Parameters
    ----------
    frame
        Actors as for ``join_nuts`` (Point geometries, any CRS), in any partitions.
    year, snap_km, scale
        As for ``join_nuts`` (None: the settings).
    spatial_sort
        Sort the actors along a Hilbert curve first, so that each partition holds
        neighbours. The sort is a full shuffle, which on one machine costs more time and
        memory than the join; pass False for partitions that are spatial already (a
        GeoParquet dataset partitioned by region) or to keep memory flat. The result is
        the same either way, only its partitioning differs.

    Returns
    -------
    dask_geopandas.GeoDataFrame
        The joined actors (EPSG:4326), sorted along a Hilbert curve (unless not asked),
        not in input order; nothing is computed yet. Needs an open Dask client (see
        ``client``), to which the join index is broadcast.
    """
    year = nuts.check_year(year)
    snap_km = locate.check_snap_km(snap_km)
    if frame.crs is None:
        raise ValueError("the actors have no CRS: set it first (set_crs(4326) for lon/lat)")
    scale = nuts.best_scale(year) if scale is None else nuts.check_scale(scale)
    index = nuts_index(year, scale)
    broadcast = default_client().scatter(index, broadcast=True, hash=False)
    frame = frame if frame.crs.equals(CRS) else frame.to_crs(CRS)
    meta = locate.join_with_index(frame._meta, index, year=year, snap_km=snap_km)
    frame = spatially_sorted(frame, bounds=_bounds(index)) if spatial_sort else frame
    return frame.map_partitions(
        locate.join_with_index, broadcast, year=year, snap_km=snap_km, meta=meta
    )


def spatially_sorted(
    frame: dask_geopandas.GeoDataFrame, *, bounds: tuple[float, float, float, float]
) -> dask_geopandas.GeoDataFrame:
    """The rows sorted by Hilbert distance within ``bounds`` (west, south, east, north),
    so that each partition holds neighbouring actors. Rows without a point sort first;
    points outside the bounds sort as if on their edge. The task-based shuffle moves
    pickled partitions: the Arrow-based one would turn lists (themes) into arrays."""
    anchors = frame.geometry.map_partitions(_anchor_points, bounds, meta=frame.geometry._meta)
    key = anchors.hilbert_distance(total_bounds=bounds, level=_HILBERT_LEVEL)
    ordered = frame.assign(**{_HILBERT: key}).sort_values(_HILBERT, shuffle_method="tasks")
    return ordered.drop(columns=_HILBERT)


def _anchor_points(
    geometry: gpd.GeoSeries, bounds: tuple[float, float, float, float]
) -> gpd.GeoSeries:
    """Each point clamped into ``bounds``; missing and empty geometries at the south-west
    corner (the Hilbert distance needs a point for every row)."""
    west, south, east, north = bounds
    xy = np.full((len(geometry), 2), [west, south], dtype=float)
    coordinates, rows = shapely.get_coordinates(
        np.asarray(geometry.array, dtype=object), return_index=True
    )
    xy[rows] = coordinates
    xy = np.clip(np.nan_to_num(xy, nan=west), [west, south], [east, north])
    return gpd.GeoSeries(shapely.points(xy), index=geometry.index, crs=geometry.crs)


def _bounds(index: NutsIndex) -> tuple[float, float, float, float]:
    """The extent of the NUTS regions of the index, where actors are expected."""
    west, south, east, north = shapely.total_bounds(index.tree.geometries)
    return float(west), float(south), float(east), float(north)


def helix_counts_by_region(actors: dd.DataFrame | pd.DataFrame, *, level: int) -> pd.DataFrame:
    """``aggregate.helix_counts_by_region`` counted per partition on Dask and summed.

    ``actors`` is a Dask frame of located actors (``join_partitions``), or an in-memory
    frame, which is partitioned first.
    """
    with client() as dask_client, dask.config.set(_NO_CONVERSION):
        if isinstance(actors, pd.DataFrame):
            actors = _scattered(actors, dask_client)
        meta = aggregate.helix_counts_by_region(actors._meta, level=level)
        parts = actors.map_partitions(
            aggregate.helix_counts_by_region, level=level, meta=meta
        ).compute()
    counts = parts.groupby(level=0, dropna=False, sort=False).sum()
    return counts.reindex(columns=meta.columns).astype("int64")


def _scattered(frame: pd.DataFrame, dask_client: Client) -> dd.DataFrame:
    """An in-memory frame as a Dask frame whose partitions were sent to the workers
    (futures), rather than embedded in every task graph."""
    bounds = np.linspace(0, len(frame), _partition_count(len(frame), dask_client) + 1).astype(int)
    parts = [frame.iloc[start:stop] for start, stop in pairwise(bounds.tolist())]
    futures = dask_client.scatter(parts, hash=False)
    return dd.from_delayed(futures, meta=frame.iloc[:0], verify_meta=False)


def _partition_count(rows: int, dask_client: Client) -> int:
    """Enough partitions for every worker to have two, and none over ROWS_PER_PARTITION."""
    workers = max(len(dask_client.nthreads()), 1)
    return max(2 * workers, math.ceil(rows / ROWS_PER_PARTITION))
