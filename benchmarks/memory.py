"""Benchmark: peak memory of 1M actors through read → join → aggregate → export.

    python -m benchmarks.memory [--n 1000000]

Setup (not measured): ``n`` synthetic actors written as GeoParquet, the large-data format.
Then each pipeline runs in a fresh Python process, whose peak resident memory (RSS, from
``resource.getrusage``) is the measure:

- ours: ``read_actors`` → ``join_nuts`` → ``aggregate_regions`` (level 2) → the actors
  written to a file with ``export.write`` as GeoParquet (the format for large layers) or
  GeoJSON (streamed in chunks), the regions as GeoJSON;
- naive: ``geopandas.read_parquet`` → four ``geopandas.sjoin`` (one per NUTS level) →
  a group-by count → ``GeoDataFrame.to_parquet`` or ``to_json()`` of the actors, the
  regions with ``to_json()``.

Target for ours: < 2 GB. A fresh Python with the libraries imported holds ~200 MB of that.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import row, use_mirror

TARGET_MB = 2048


FORMATS = ("parquet", "geojson")


def _ours(path: Path, fmt: str) -> int:
    """As ``metacluster export`` does it: the actors streamed into a file."""
    from metacluster.aggregate import aggregate_regions
    from metacluster.export import to_geojson, write
    from metacluster.locate import join_nuts
    from metacluster.read.parquet import read_actors

    actors = join_nuts(read_actors(path))
    regions = aggregate_regions(actors, level=2)
    with tempfile.TemporaryFile() as out:
        write(out, actors, fmt=fmt)
        return out.tell() + len(to_geojson(regions))


def _naive(path: Path, fmt: str) -> int:
    import io

    import geopandas as gpd

    from benchmarks.join import naive_join
    from metacluster import nuts

    actors = gpd.read_parquet(path)
    scale = nuts.best_scale(2021)
    located = actors.join(naive_join(actors, year=2021, scale=scale))
    counts = located.groupby(["nuts2", "helix"]).size().unstack(fill_value=0)
    regions = nuts.load_nuts(2021, 2).merge(counts, left_on="NUTS_ID", right_index=True)
    if fmt == "parquet":
        buffer = io.BytesIO()
        located.to_parquet(buffer)
        return buffer.tell() + len(regions.to_json())
    return len(located.to_json()) + len(regions.to_json())


def _child(way: str, fmt: str, path: Path) -> None:
    """Run one pipeline in this (fresh) process; print its peak RSS and time as JSON."""
    use_mirror()
    started = time.perf_counter()
    size = (_ours if way == "ours" else _naive)(path, fmt)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"peak_mb": peak_mb, "seconds": seconds, "bytes": size}))


def _measure(way: str, fmt: str, path: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", "--child", way, fmt, str(path)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(output.splitlines()[-1])


def main(n: int = 1_000_000, *, naive: bool = True) -> dict[str, float]:
    """Write ``n`` actors, measure both pipelines in subprocesses, print, return.

    Returns
    -------
    dict
        ``{way}_{format}_mb`` and ``{way}_{format}_s`` for way ours (and naive unless
        ``naive`` is False) and format parquet and geojson (how the actors are exported).
    """
    from benchmarks.synthetic import synthetic_actors

    use_mirror()
    with tempfile.TemporaryDirectory(prefix="metacluster-bench-") as folder:
        path = Path(folder) / "actors.parquet"
        synthetic_actors(n).to_parquet(path)
        ways = ("ours", "naive") if naive else ("ours",)
        measured = {(w, f): _measure(w, f, path) for f in FORMATS for w in ways}
    results = {f"{w}_{f}_{k}": m[key] for (w, f), m in measured.items()
               for k, key in (("mb", "peak_mb"), ("s", "seconds"))}  # fmt: skip
    print(f"read → join → aggregate → export of {n:,} actors, each in a fresh process")
    print(f"{'pipeline (actors exported as …)':<68}{'peak RSS MB':>12}{'seconds':>10}")
    labels = {"ours": "ours: read_actors, join_nuts, aggregate_regions, export",
              "naive": "naive: read_parquet, sjoin × 4, groupby, GeoPandas"}  # fmt: skip
    for (way, fmt), m in measured.items():
        label = f"{labels[way]} ({fmt})"
        print(f"{label:<68}{m['peak_mb']:>12,.0f}{m['seconds']:>10.1f}")
    for fmt in FORMATS:
        verdict = "ok" if results[f"ours_{fmt}_mb"] < TARGET_MB else "OVER"
        print(f"target for ours, actors as {fmt}: < {TARGET_MB:,} MB: {verdict}")
    return results


def run(n: int | None = None) -> list[dict[str, object]]:
    """``main`` as rows of the table of ``python -m benchmarks`` (default 1M actors)."""
    n = n or 1_000_000
    r = main(n)
    return [
        row(f"peak RSS, {n:,} actors read→join→aggregate→export {fmt}", "MB",
            r[f"ours_{fmt}_mb"], r[f"naive_{fmt}_mb"],
            f"target < {TARGET_MB} MB; ours {r[f'ours_{fmt}_s']:.1f} s, naive "
            f"{r[f'naive_{fmt}_s']:.1f} s (sjoin × 4)")
        for fmt in FORMATS
    ]  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="number of synthetic actors")
    parser.add_argument(
        "--child", nargs=3, metavar=("WAY", "FORMAT", "PATH"), help=argparse.SUPPRESS
    )
    arguments = parser.parse_args()
    if arguments.child:
        _child(arguments.child[0], arguments.child[1], Path(arguments.child[2]))
    else:
        main(arguments.n)
