"""Which engine runs the heavy stages (the NUTS join, region aggregation): local or Dask.

"local" works in this process on one GeoDataFrame: the right choice up to a few million
actors. "dask" splits the actors into spatially sorted partitions on a Dask cluster
(``metacluster.dask_engine``) with the same results. Library calls take ``engine=``;
``use`` chooses the engine for a whole block, which is how ``--engine dask`` reaches the
join inside ``merge``. This module stays light: Dask is imported only when it is chosen.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Final

LOCAL: Final = "local"
DASK: Final = "dask"
ENGINES: Final = (LOCAL, DASK)

_current: ContextVar[str] = ContextVar("metacluster_engine", default=LOCAL)


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
            from metacluster import dask_engine  # imports Dask only when asked for

            with dask_engine.client(scheduler):
                yield
        else:
            yield
    finally:
        _current.reset(token)
