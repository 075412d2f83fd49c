"""Benchmark: GeoJSON export of actors, ours against GeoPandas' two ways.

    python -m benchmarks.export [--n 100000]

The same located synthetic actors (``benchmarks.synthetic`` + ``join_nuts``) written as
GeoJSON by ``export.to_geojson`` (coordinates extracted and rounded for the whole column at
once), by ``GeoDataFrame.to_json()`` and by ``GeoDataFrame.to_file(driver="GeoJSON")``
(GDAL through pyogrio). All three must hold the same features: same names, same points to
6 decimals.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._common import row, use_mirror
from benchmarks.synthetic import synthetic_actors
from metacluster.export import to_geojson
from metacluster.locate import join_nuts


def _features(text: str | bytes) -> tuple[list[str], np.ndarray]:
    """Names and rounded coordinates of a FeatureCollection, to compare the outputs."""
    features = json.loads(text)["features"]
    names = [f["properties"]["name"] for f in features]
    points = np.round([f["geometry"]["coordinates"] for f in features], 6)
    return names, points


def main(n: int = 100_000) -> dict[str, float]:
    """Time the three ways on ``n`` actors, print a table, return the numbers.

    Returns
    -------
    dict
        ``ours_s``, ``to_json_s``, ``to_file_s``, the two speed-ups and ``same_features``
        (1.0 when the three outputs hold the same names and points).
    """
    actors = join_nuts(synthetic_actors(n))
    times = {}
    started = time.perf_counter()
    ours = to_geojson(actors, id_column="actor_id")
    times["ours_s"] = time.perf_counter() - started
    started = time.perf_counter()
    plain = actors.to_json()
    times["to_json_s"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="metacluster-bench-") as folder:
        path = Path(folder) / "actors.geojson"
        started = time.perf_counter()
        actors.to_file(path, driver="GeoJSON")
        times["to_file_s"] = time.perf_counter() - started
        written = path.read_text(encoding="utf-8")
    outputs = [_features(text) for text in (ours, plain, written)]
    same = all(
        names == outputs[0][0] and np.allclose(points, outputs[0][1], atol=1.01e-6)
        for names, points in outputs[1:]
    )
    results = {
        **times,
        "to_json_speedup": times["to_json_s"] / times["ours_s"],
        "to_file_speedup": times["to_file_s"] / times["ours_s"],
        "same_features": float(same),
        "megabytes": len(ours) / 1e6,
    }
    print(
        f"GeoJSON export of {n:,} located actors ({results['megabytes']:.0f} MB)\n"
        f"{'method':<44}{'seconds':>10}{'ours is':>10}\n"
        f"{'GeoDataFrame.to_json()':<44}{times['to_json_s']:>10.3f}"
        f"{results['to_json_speedup']:>9.1f}×\n"
        f"{'GeoDataFrame.to_file(driver=GeoJSON)':<44}{times['to_file_s']:>10.3f}"
        f"{results['to_file_speedup']:>9.1f}×\n"
        f"{'export.to_geojson (ours)':<44}{times['ours_s']:>10.3f}\n"
        f"same names and points in all three: {same}"
    )
    return results


def run(n: int | None = None) -> list[dict[str, object]]:
    """``main`` as rows of the table of ``python -m benchmarks`` (default 100k actors)."""
    n = n or 100_000
    r = main(n)
    same = bool(r["same_features"])
    return [
        row(f"GeoJSON export {n:,} actors", "s", r["ours_s"], r["to_json_s"],
            f"naive: GeoDataFrame.to_json(); same features: {same}"),
        row(f"GeoJSON export {n:,} actors", "s", r["ours_s"], r["to_file_s"],
            f"naive: to_file(driver='GeoJSON'); same features: {same}"),
    ]  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of synthetic actors")
    use_mirror()
    main(parser.parse_args().n)
