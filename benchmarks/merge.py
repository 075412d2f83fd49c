"""Benchmark: duplicate detection of ``merge`` against the naive way, comparing every pair.

    python -m benchmarks.merge [--n 100000]

Eight synthetic regional maps (``benchmarks.synthetic`` actors, already located) in which
15 % of the rows are the same organisation drawn again on another map: the name spelled
differently (case, a legal suffix) and the point moved a little, half of them with the
same website. Ours is ``merge_results`` (stacking, duplicate detection, collapsing into
actors with provenance); the naive way compares each row with every later row of another
map (vectorised per row, so only the pair count is quadratic) and joins the pairs. Both
must find the same duplicate groups. The naive way is quadratic: at full size it would
take hours, so it runs on a subsample of ``NAIVE_SAMPLE`` rows and its time is
extrapolated by the square of the size ratio (said so in the table). Ours runs at n/10 and
n to show that it grows linearly.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from benchmarks._common import row, use_mirror
from benchmarks.synthetic import KM_PER_DEGREE, synthetic_actors
from metacluster.dedupe import (
    DUPLICATE_DISTANCE_KM,
    _components,
    haversine_km,
    normalise_name,
    website_host,
)
from metacluster.locate import join_nuts
from metacluster.manifest import MapEntry
from metacluster.merge import merge_results
from metacluster.schema import ImportResult

MAPS = 8
DUPLICATE_SHARE = 0.15
NAIVE_SAMPLE = 10_000


def synthetic_maps(n: int, *, seed: int = 0) -> list[tuple[MapEntry, ImportResult]]:
    """``n`` located actors on ``MAPS`` maps, ``DUPLICATE_SHARE`` of them copies of actors
    of another map (renamed a little, moved by up to ~1 km, same website for half)."""
    generator = np.random.default_rng(seed)
    originals = n - int(n * DUPLICATE_SHARE)
    actors = join_nuts(synthetic_actors(originals, seed=seed))
    actors["website"] = [
        f"https://www.org{i}.example.eu/" if i % 2 else None for i in range(originals)
    ]
    actors["map"] = generator.integers(0, MAPS, originals)
    copies = actors.iloc[generator.integers(0, originals, n - originals)].copy()
    copies["map"] = (copies["map"] + generator.integers(1, MAPS, len(copies))) % MAPS
    copies["name"] = copies["name"].str.upper() + " S.A."
    copies["website"] = copies["website"].where(generator.random(len(copies)) < 0.5)
    shift = generator.normal(0.0, 0.5, (len(copies), 2)) / KM_PER_DEGREE
    copies = copies.set_geometry(
        gpd.points_from_xy(copies.geometry.x + shift[:, 0], copies.geometry.y + shift[:, 1]),
        crs=actors.crs,
    )
    layer = pd.concat([actors, copies], ignore_index=True)
    layer["source_row"] = np.arange(1, n + 1)
    maps = []
    for number in range(MAPS):
        rows = layer[layer["map"] == number].drop(columns="map").reset_index(drop=True)
        entry = MapEntry(file=Path(f"map-{number}.csv"), cluster=f"Cluster {number}")
        maps.append((entry, ImportResult(file=f"map-{number}.csv", rows_in=len(rows), actors=rows)))
    return maps


def naive_groups(maps: list[tuple[MapEntry, ImportResult]], distance_km: float) -> np.ndarray:
    """Duplicate groups by comparing every row with every later row of another map.

    The same rule as ``merge``: equal normalised names within ``distance_km``, or an equal
    website host. Returns, per stacked row, the first row of its group.
    """
    stacked = pd.concat([result.actors for _, result in maps], ignore_index=True)
    map_index = np.concatenate(
        [np.full(len(result.actors), i) for i, (_, result) in enumerate(maps)]
    )
    names = normalise_name(stacked["name"]).to_numpy(dtype=object)
    hosts = website_host(stacked["website"]).to_numpy(dtype=object)
    lon, lat = stacked.geometry.x.to_numpy(), stacked.geometry.y.to_numpy()
    left, right = [], []
    for i in range(len(stacked) - 1):
        later = slice(i + 1, None)
        other_map = map_index[later] != map_index[i]
        same_name = (names[later] == names[i]) & (
            haversine_km(lon[i], lat[i], lon[later], lat[later]) <= distance_km
        )
        same_host = (hosts[later] == hosts[i]) if hosts[i] is not None else False
        found = np.flatnonzero(other_map & (same_name | same_host)) + i + 1
        left.append(np.full(found.size, i))
        right.append(found)
    return _components(len(stacked), np.concatenate(left), np.concatenate(right))


def _groups(maps: list[tuple[MapEntry, ImportResult]]) -> set[frozenset[str]]:
    """The duplicate groups ``merge_results`` finds, as sets of "cluster#row" sources."""
    actors = merge_results(maps, distance_km=DUPLICATE_DISTANCE_KM).actors
    return {frozenset(sources) for sources in actors["source_maps"] if len(sources) > 1}


def _naive_group_sets(maps: list[tuple[MapEntry, ImportResult]]) -> set[frozenset[str]]:
    labels = naive_groups(maps, DUPLICATE_DISTANCE_KM)
    sources = np.array(
        [
            f"{entry.cluster}: {Path(result.file).name}#{r}"
            for entry, result in maps
            for r in result.actors["source_row"]
        ],
        dtype=object,
    )
    groups = pd.Series(sources).groupby(labels).agg(frozenset)
    return {group for group in groups if len(group) > 1}


def _timed_merge(maps: list[tuple[MapEntry, ImportResult]]) -> float:
    started = time.perf_counter()
    merge_results(maps, distance_km=DUPLICATE_DISTANCE_KM)
    return time.perf_counter() - started


def main(n: int = 100_000, *, naive_sample: int = NAIVE_SAMPLE) -> dict[str, float]:
    """Time ours at n/10 and n, the naive way on ``naive_sample`` rows; print and return.

    Returns
    -------
    dict
        ``ours_small_s`` (n/10), ``ours_s`` (n), ``growth`` (their ratio: 10 is linear),
        ``naive_sample_s``, ``ours_sample_s``, ``naive_s`` (extrapolated to n),
        ``speedup`` (naive_s / ours_s) and ``same_groups`` (1.0 when both ways found the
        same duplicate groups on the sample).
    """
    small = synthetic_maps(n // 10)
    full = synthetic_maps(n)
    sample = synthetic_maps(naive_sample, seed=1)
    ours_small, ours = _timed_merge(small), _timed_merge(full)
    ours_sample = _timed_merge(sample)
    started = time.perf_counter()
    naive = _naive_group_sets(sample)
    naive_sample_s = time.perf_counter() - started
    same = naive == _groups(sample)
    naive_s = naive_sample_s * (n / naive_sample) ** 2
    results = {
        "ours_small_s": ours_small, "ours_s": ours, "growth": ours / ours_small,
        "naive_sample_s": naive_sample_s, "ours_sample_s": ours_sample, "naive_s": naive_s,
        "speedup": naive_s / ours, "same_groups": float(same), "groups": float(len(naive)),
    }  # fmt: skip
    print(
        f"merge with duplicate detection, {MAPS} maps, {DUPLICATE_SHARE:.0%} duplicates\n"
        f"{'method':<48}{'seconds':>10}\n"
        f"{f'merge_results, {n // 10:,} rows':<48}{ours_small:>10.3f}\n"
        f"{f'merge_results, {n:,} rows':<48}{ours:>10.3f}"
        f"   ({ours / ours_small:.1f}× for 10× the rows)\n"
        f"{f'merge_results, {naive_sample:,} rows (sample)':<48}{ours_sample:>10.3f}\n"
        f"{f'naive pairwise, {naive_sample:,} rows (sample)':<48}{naive_sample_s:>10.3f}\n"
        f"{f'naive pairwise, {n:,} rows (extrapolated ×n²)':<48}{naive_s:>10.1f}\n"
        f"{'speed-up at full size':<48}{naive_s / ours:>9.0f}×\n"
        f"same duplicate groups on the sample: {same} ({len(naive)} groups)"
    )
    return results


def run(n: int | None = None) -> list[dict[str, object]]:
    """``main`` as rows of the table of ``python -m benchmarks`` (default 100k rows)."""
    n = n or 100_000
    r = main(n)
    return [
        row(
            f"merge + duplicates, {n:,} rows / {MAPS} maps",
            "s",
            r["ours_s"],
            r["naive_s"],
            f"naive pairwise timed on {NAIVE_SAMPLE:,} rows ({r['naive_sample_s']:.1f} s), "
            f"extrapolated ×(n/{NAIVE_SAMPLE:,})²; ours ×{r['growth']:.1f} for 10× rows; "
            f"same groups: {bool(r['same_groups'])}",
        )
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="rows across the eight maps")
    arguments = parser.parse_args()
    use_mirror()
    main(arguments.n)
