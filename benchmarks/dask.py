"""Benchmark: 10M synthetic actors joined to NUTS and counted per region on Dask.

    python -m benchmarks.dask [--n 10000000] [--workers 2]

The actors are made inside the workers (``dd.from_map`` over chunks of
``benchmarks.synthetic``), never all in one process, then go through the Dask engine:
``join_partitions`` (the NUTS index broadcast once, the local join per partition) and
``helix_counts_by_region`` summed into the NUTS-2 table. Two runs: all ``n`` actors in the
partitions they were made in (memory stays flat), and ``n / 5`` with the spatial sort
along a Hilbert curve first (a full shuffle: on one machine it dominates time and memory,
so it runs on fewer actors). Measured for each:
wall time, throughput, and the peak of the summed resident memory (RSS) of this process
and its worker processes, sampled every 0.1 s (target < 4 GB; each worker is limited to
``WORKER_MEMORY`` and spills to disk past it). For comparison, the local
engine joins and counts one chunk in this process.
"""

from __future__ import annotations

import argparse
import threading
import time

import dask
import dask.dataframe as dd
import psutil

from benchmarks._common import row, use_mirror
from benchmarks.synthetic import synthetic_actors
from metacluster import aggregate, dask_engine, nuts
from metacluster.locate import join_nuts

CHUNK = 250_000
TARGET_MB = 4096
WORKER_MEMORY = "1.5GB"
"""Each worker's memory limit: past 60 % of it Dask spills partitions to disk, which keeps
the spatial sort's shuffle of 10M actors within the target."""


class PeakMemory:
    """Samples the RSS of this process and all its children in a thread; keeps the peak."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        process = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for member in [process, *process.children(recursive=True)]:
                try:
                    total += member.memory_info().rss
                except psutil.NoSuchProcess:  # a worker that just ended
                    continue
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _chunk(seed: int, size: int):
    use_mirror()
    return synthetic_actors(size, seed=seed)


def _join_and_count(n: int, workers: int, *, spatial_sort: bool) -> dict[str, float]:
    """One run on a new LocalCluster: seconds, peak MB and actors counted."""
    sizes = [min(CHUNK, n - start) for start in range(0, n, CHUNK)]
    with (
        PeakMemory() as memory,
        dask_engine.client(n_workers=workers, processes=True, memory_limit=WORKER_MEMORY),
    ):
        started = time.perf_counter()
        with dask.config.set({"dataframe.convert-string": False}):
            meta = synthetic_actors(1, seed=0).iloc[:0]
            frame = dd.from_map(_chunk, range(len(sizes)), sizes, meta=meta)
            joined = dask_engine.join_partitions(frame, year=2021, spatial_sort=spatial_sort)
            counts = dask_engine.helix_counts_by_region(joined, level=2)
        regions = aggregate.summarise_counts(
            counts, nuts.load_nuts(2021, 2), level=2, include_empty=False
        )
        seconds = time.perf_counter() - started
    counted = int(regions["n_total"].sum()) + regions.attrs["actors_without_region"]
    return {"seconds": seconds, "actors_per_s": n / seconds, "peak_mb": memory.peak_mb,
            "counted": counted, "partitions": len(sizes)}  # fmt: skip


def main(n: int = 10_000_000, *, workers: int = 2) -> dict[str, dict[str, float]]:
    """Join and count ``n`` actors as made, ``n / 5`` spatially sorted; print, return.

    Returns
    -------
    dict
        ``as_made`` and ``sorted``, each with ``seconds``, ``actors_per_s``, ``peak_mb``,
        ``counted`` (actors in the NUTS-2 table plus those without a region: all of
        them) and ``partitions``; ``local`` with ``actors_per_s`` of the local engine on
        one chunk in this process.
    """
    use_mirror()
    size = min(CHUNK, n)
    join_nuts(synthetic_actors(100, seed=1))  # the index, built once, is not timed
    local_started = time.perf_counter()
    aggregate.aggregate_regions(join_nuts(synthetic_actors(size, seed=10**6)), level=2)
    local = {"actors_per_s": size / (time.perf_counter() - local_started)}
    runs = {
        "as_made": _join_and_count(n, workers, spatial_sort=False),
        "sorted": _join_and_count(max(n // 5, 1), workers, spatial_sort=True),
    }
    print(
        f"Dask engine: synthetic actors made on {workers} worker processes (limited to "
        f"{WORKER_MEMORY} each), joined to NUTS 2021, counted per NUTS-2 region"
    )
    print(f"{'run':<34}{'actors':>12}{'seconds':>9}{'actors/s':>11}{'peak MB':>9}  counted")
    for label, r, count in (
        ("partitions as made", runs["as_made"], n),
        ("spatially sorted (Hilbert)", runs["sorted"], max(n // 5, 1)),
    ):
        verdict = "ok" if r["peak_mb"] < TARGET_MB else "OVER"
        print(
            f"{label:<34}{count:>12,}{r['seconds']:>9.1f}{r['actors_per_s']:>11,.0f}"
            f"{r['peak_mb']:>9,.0f}  {r['counted']:,} ({verdict}: < {TARGET_MB:,} MB)"
        )
    print(f"local engine, one chunk of {size:,} in this process: "
          f"{local['actors_per_s']:,.0f} actors/s")  # fmt: skip
    return {**runs, "local": local}


def run(n: int | None = None) -> list[dict[str, object]]:
    """``main`` as rows of the table of ``python -m benchmarks`` (default 10M actors)."""
    n = n or 10_000_000
    r = main(n)
    rows = []
    for key, count, label in (("as_made", n, "as made"), ("sorted", n // 5, "spatially sorted")):
        run_ = r[key]
        rows += [
            row(f"Dask: {count:,} actors join + aggregate ({label})", "s", run_["seconds"], None,
                f"{run_['actors_per_s']:,.0f} actors/s on 2 workers (local engine "
                f"{r['local']['actors_per_s']:,.0f}/s in one process); "
                f"counted {run_['counted']:,}"),
            row(f"Dask: {count:,} actors peak RSS ({label})", "MB", run_["peak_mb"], None,
                f"client + workers; target < {TARGET_MB} MB"),
        ]  # fmt: skip
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="number of synthetic actors")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    arguments = parser.parse_args()
    main(arguments.n, workers=arguments.workers)
