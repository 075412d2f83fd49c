"""Which engine runs the heavy stages (the NUTS join, region aggregation): local or Dask.

"local" works in this process on one GeoDataFrame: the right choice up to a few million
actors. "dask" splits the actors into spatially sorted partitions on a Dask cluster
(``metacluster.dask_engine``) with the same results. The choice is made here, above the
stages: ``join_nuts`` and ``aggregate_regions`` take ``engine=`` and run ``locate`` and
``aggregate`` (which know nothing of engines) or their Dask counterparts; ``use`` chooses
the engine for a whole block, which is how ``--engine dask`` reaches the join inside
``merge``. Dask is imported only when it is chosen.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from types import ModuleType
from typing import TYPE_CHECKING, Final

from metacluster import aggregate, locate
from metacluster._errors import EngineUnavailableError

if TYPE_CHECKING:
    import geopandas as gpd

LOCAL: Final = "local"
DASK: Final = "dask"
ENGINES: Final = (LOCAL, DASK)

_current: ContextVar[str] = ContextVar("metacluster_engine", default=LOCAL)


def _dask_engine() -> ModuleType:
    """The Dask engine module, imported only when chosen: Dask is the optional extra
    ``metacluster[dask]``, so ``make run`` and the library work without it."""
    try:
        from metacluster import dask_engine
    except ImportError as error:
        raise EngineUnavailableError(
            f"the dask engine needs Dask ({error}): install it with "
            "pip install 'metacluster[dask]', or use the local engine"
        ) from error
    return dask_engine


def check_engine(engine: str | None) -> str:
    """The engine to run on: ``engine``, or for None the one ``use`` chose ("local")."""
    engine = _current.get() if engine is None else engine
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    return engine


@contextlib.contextmanager
def use(engine: str, *, scheduler: str | None = None) -> Iterator[None]:
    """Run the joins and aggregations of the block on ``engine``.

    Parameters
    ----------
    engine
        "local" or "dask".
    scheduler
        For "dask": the address of a running Dask scheduler (``tcp://host:8786``); None
        uses ``DASK_SCHEDULER_ADDRESS``, else a Dask client already open in this process,
        else a LocalCluster started for the block and closed after it.

    Examples
    --------
    >>> with use("dask"):  # doctest: +SKIP
    ...     europe = merge("layers/metacluster.toml").actors
    """
    engine = check_engine(engine)
    if engine == LOCAL and scheduler is not None:
        raise ValueError("a Dask scheduler only applies to the dask engine")
    token = _current.set(engine)
    try:
        if engine == DASK:
            with _dask_engine().client(scheduler):
                yield
        else:
            yield
    finally:
        _current.reset(token)


def join_nuts(
    actors: gpd.GeoDataFrame,
    *,
    year: int | None = None,
    snap_km: float | None = None,
    scale: str | None = None,
    engine: str | None = None,
) -> gpd.GeoDataFrame:
    """``locate.join_nuts`` on the chosen engine (see there for the arguments and result).

    ``engine`` is "local" (this process) or "dask" (partitions on a Dask cluster, same
    result); None means the engine chosen with ``use``, "local" by default.
    """
    if check_engine(engine) == DASK:
        asked = scale
        year, snap_km, scale = locate.check_arguments(
            actors, year=year, snap_km=snap_km, scale=scale
        )
        joined = _dask_engine().join_nuts(actors, year=year, snap_km=snap_km, scale=scale)
        return locate.note_scale(joined, asked)
    return locate.join_nuts(actors, year=year, snap_km=snap_km, scale=scale)


def aggregate_regions(
    actors: gpd.GeoDataFrame,
    *,
    level: int = 2,
    year: int | None = None,
    include_empty: bool = False,
    scale: str | None = None,
    engine: str | None = None,
) -> gpd.GeoDataFrame:
    """``aggregate.aggregate_regions`` on the chosen engine (see there).

    ``engine`` is "local" or "dask" (the counts summed over partitions on a Dask cluster,
    same result; ``actors`` may then also be a dask-geopandas frame); None means the
    engine chosen with ``use``.
    """
    if check_engine(engine) == DASK:
        aggregate.check_level(level)
        dask_engine = _dask_engine()
        return aggregate.regions_from_counts(
            dask_engine.helix_counts_by_region(actors, level=level),
            level=level,
            year=aggregate.located_year(actors, year),
            include_empty=include_empty,
            scale=scale,
        )
    return aggregate.aggregate_regions(
        actors, level=level, year=year, include_empty=include_empty, scale=scale
    )
