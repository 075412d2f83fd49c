"""Benchmark: the standalone HTML map, ours against pydeck's own offline HTML; figure times.

    python -m benchmarks.artefacts [--n 100000]

The same located synthetic actors (``benchmarks.synthetic`` + ``join_nuts``) and their
NUTS-2 choropleth written as one offline HTML page by ``render(fmt="html")`` (rows
serialised once, as a table, and spliced into the spec; outlines rounded) and by the naive
way: a ``pydeck.Deck`` with a ScatterplotLayer and a GeoJsonLayer on the frames, written
by ``Deck.to_html(offline=True)`` (pydeck encodes the data row by row). Both must hold
every actor. The PNG (300 dpi) and PDF figures of the same view are timed too (no naive
way to compare with): their size depends on the drawing, not on the data.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pydeck as pdk
import shapely

from benchmarks._common import row, use_mirror
from benchmarks.synthetic import synthetic_actors
from metacluster.engine import aggregate_regions
from metacluster.export import render
from metacluster.locate import join_nuts

WHEN = "2024-05-01T00:00:00Z"


def _naive_html(actors: gpd.GeoDataFrame, regions: gpd.GeoDataFrame) -> bytes:
    """pydeck's way: layers on the frames, ``to_html(offline=True)``."""
    geometry = actors.geometry.to_numpy()
    points = actors.assign(lon=shapely.get_x(geometry), lat=shapely.get_y(geometry))
    points = points[["actor_id", "name", "helix", "lon", "lat"]]
    deck = pdk.Deck(
        layers=[
            pdk.Layer("GeoJsonLayer", json.loads(regions.to_json()), pickable=True),
            pdk.Layer("ScatterplotLayer", points, get_position="[lon, lat]", pickable=True),
        ],
        map_provider=None,
        tooltip={"text": "{name}"},
    )
    with tempfile.TemporaryDirectory(prefix="metacluster-bench-") as folder:
        path = Path(folder) / "naive.html"
        deck.to_html(str(path), offline=True, open_browser=False, notebook_display=False)
        return path.read_bytes()


def main(n: int = 100_000) -> dict[str, float]:
    """Time both HTML ways and the figures on ``n`` actors, print a table, return numbers."""
    actors = join_nuts(synthetic_actors(n))
    actors.attrs["title"] = f"{n:,} synthetic actors"
    times: dict[str, float] = {}
    started = time.perf_counter()
    ours = render(actors, fmt="html", what="map", generated_at=WHEN)
    times["ours_s"] = time.perf_counter() - started
    started = time.perf_counter()
    naive = _naive_html(actors, aggregate_regions(actors, level=2))
    times["naive_s"] = time.perf_counter() - started
    for fmt in ("png", "pdf"):
        started = time.perf_counter()
        figure = render(actors, fmt=fmt, what="map", generated_at=WHEN)
        times[f"{fmt}_s"] = time.perf_counter() - started
        times[f"{fmt}_mb"] = len(figure) / 1e6
    found = {
        "ours": len(set(re.findall(rb'"id":"([^"]*)","lon"', ours))),
        "naive": len(set(re.findall(rb'"actor_id": ?"([^"]+)"', naive))),
    }
    results = {
        **times,
        "speedup": times["naive_s"] / times["ours_s"],
        "ours_mb": len(ours) / 1e6,
        "naive_mb": len(naive) / 1e6,
        "every_actor": float(found["ours"] == found["naive"] == n),
    }
    print(
        f"Standalone HTML map of {n:,} actors with the NUTS-2 choropleth\n"
        f"{'method':<40}{'seconds':>10}{'MB':>9}\n"
        f"{'pydeck Deck.to_html(offline=True)':<40}{times['naive_s']:>10.2f}"
        f"{results['naive_mb']:>9.1f}\n"
        f"{'render(fmt=html) (ours)':<40}{times['ours_s']:>10.2f}{results['ours_mb']:>9.1f}\n"
        f"ours is {results['speedup']:.1f}× faster; every actor in both: "
        f"{bool(results['every_actor'])}\n"
        f"figure: PNG 300 dpi {times['png_s']:.1f} s ({times['png_mb']:.1f} MB), "
        f"PDF {times['pdf_s']:.1f} s ({times['pdf_mb']:.1f} MB)"
    )
    return results


def run(n: int | None = None) -> list[dict[str, object]]:
    """``main`` as rows of the table of ``python -m benchmarks`` (default 100k actors)."""
    n = n or 100_000
    r = main(n)
    every = bool(r["every_actor"])
    return [
        row(f"HTML map {n:,} actors", "s", r["ours_s"], r["naive_s"],
            f"naive: pydeck to_html(offline=True); every actor in both: {every}"),
        row(f"HTML map {n:,} actors", "MB", r["ours_mb"], r["naive_mb"], "file size"),
        row(f"PNG figure {n:,} actors", "s", r["png_s"], None, "300 dpi, no naive way"),
    ]  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of synthetic actors")
    use_mirror()
    main(parser.parse_args().n)
