"""Benchmark: the Streamlit app on 100 000 synthetic actors, measured with AppTest.

    python -m benchmarks.app [--n 100000] [--repeats 3]

Setup (not timed): synthetic actors (``benchmarks.synthetic``) joined to NUTS, given
regional clusters, themes and types, written as GeoParquet; the app reads that file instead
of the bundled manifests through ``METACLUSTER_APP_DATA``. Timed:

- first load: a new session with empty app caches and no NUTS frame in memory, NUTS files
  on disk (a warm NUTS cache): target < 3 s;
- filter changes (helix, country, NUTS region, search, back to all): target < 300 ms each;
- the map spec for the filtered actors, the naive way (``pydeck.Deck.to_json`` on a
  ``pydeck.Layer``) against ours (rows serialised once, spliced), with the ratio.

Not a test: timings depend on the machine. ``run`` returns the rows in the format of
``python -m benchmarks`` (``benchmarks._common.row``), so a smoke test can run it at small
``n``; ``main`` prints them. NUTS files come from METACLUSTER_NUTS_SOURCE, else
../shared/nuts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import streamlit as st
from streamlit.testing.v1 import AppTest

from benchmarks._common import row, use_mirror
from benchmarks.synthetic import synthetic_actors
from metacluster import framing, nuts
from metacluster.locate import join_nuts
from metacluster.schema import HELICES, NUTS_LEVELS
from metacluster.ui import deck
from metacluster.ui.data import DATA_OVERRIDE_ENV
from metacluster.ui.sidebar import MORE_FILTERS

APP = Path(__file__).resolve().parent.parent / "app.py"
THEMES = ("heritage", "digital humanities", "3d digitisation", "tourism", "archives", "music")
TYPES = ("University", "SME", "Museum", "Municipality", "Association", "Research centre")
DEFAULT_N = 100_000
REPEATS = 3
FIRST_LOAD_TARGET_S = 3.0
RERUN_TARGET_S = 0.3


def _timing(step: str, seconds: float, target: float, note: str = "") -> dict[str, Any]:
    verdict = "ok" if seconds < target else "SLOW"
    text = f"target < {target:g} s: {verdict}" + (f"; {note}" if note else "")
    return row(step, "s", seconds, None, text)


def layer_file(n: int, folder: Path, *, seed: int = 0) -> Path:
    """``n`` located synthetic actors with merge columns, as GeoParquet in ``folder``."""
    actors = join_nuts(synthetic_actors(n, seed=seed))
    generator = np.random.default_rng(seed)
    picks = generator.integers(0, len(THEMES), (n, 2))
    actors["themes"] = [sorted({THEMES[a], THEMES[b]}) for a, b in picks.tolist()]
    actors["organisation_type"] = np.array(TYPES, dtype=object)[
        generator.integers(0, len(TYPES), n)
    ]
    country = actors["nuts0"].fillna(actors["country"]).astype(str)
    actors["regional_cluster"] = [[f"Cluster {code}"] for code in country]
    actors["source_maps"] = [
        [f"Cluster {code}: synthetic#{row}"]
        for code, row in zip(country, actors["source_row"], strict=True)
    ]
    path = folder / f"synthetic-{n}.parquet"
    actors.to_parquet(path)
    return path


def _timed(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _run(at: AppTest) -> AppTest:
    at.run()
    if at.exception:
        raise RuntimeError(f"the app failed: {at.exception[0].value}")
    return at


def _app_rows(repeats: int) -> list[dict[str, Any]]:
    """First load and filter changes, timed in AppTest."""
    st.cache_data.clear()
    st.cache_resource.clear()
    nuts.clear_memory_cache()  # the files stay on disk: a warm NUTS cache, a cold process
    at = AppTest.from_file(str(APP), default_timeout=600)
    started = time.perf_counter()
    _run(at)
    first_load = time.perf_counter() - started
    rows = [_timing("app: first load (warm NUTS cache)", first_load, FIRST_LOAD_TARGET_S)]
    at.session_state[MORE_FILTERS] = True  # draws the NUTS region list, folded by default
    _run(at)
    codes = sorted(option.split(" ")[0] for option in at.multiselect(key="f_nuts").options)

    def region(i: int) -> str:
        """The i-th NUTS-2 region (modulo 2) of the country chosen by the step before."""
        country = (at.multiselect(key="f_country").value or [""])[0]
        inside = [c for c in codes if len(c) == 4 and c.startswith(country)] or codes
        return inside[i % len(inside)]

    def choose(key: str, values: list[str]) -> object:
        return at.multiselect(key=key).set_value(values)  # looked up in the latest run

    # Each repeat is a real change: the values alternate, and the reset has filters to clear.
    changes: list[tuple[str, Callable[[int], object]]] = [
        ("app: filter change (helix)", lambda i: choose("f_helix", [HELICES[i % 2]])),
        ("app: filter change (+ country)", lambda i: choose("f_country", [("IT", "FR")[i % 2]])),
        ("app: filter change (NUTS region)", lambda i: choose("f_nuts", [region(i)])),
        ("app: filter change (search)", lambda i: at.text_input(key="f_q").set_value(f"actor {i}")),
    ]
    for step, change in changes:
        times = []
        for repeat in range(repeats):
            started = time.perf_counter()
            change(repeat)
            _run(at)
            times.append(time.perf_counter() - started)
        rows.append(_timing(step, statistics.median(times), RERUN_TARGET_S, count_note(at)))
    times = []
    for repeat in range(repeats):
        choose("f_helix", [HELICES[repeat % 2]])
        _run(at)
        started = time.perf_counter()
        at.button[0].click()  # "Reset filters", the sidebar's only button
        _run(at)
        times.append(time.perf_counter() - started)
    reset = statistics.median(times)
    rows.append(_timing("app: reset filters (all actors)", reset, RERUN_TARGET_S, count_note(at)))
    unchanged = _timed(lambda: _run(at), repeats)
    rows.append(_timing("app: rerun, nothing changed", unchanged, RERUN_TARGET_S))
    return rows


def count_note(at: AppTest) -> str:
    return next(m.value for m in at.sidebar.markdown if "actors**" in m.value).strip("*")


def _spec_rows(path: Path, repeats: int) -> list[dict[str, Any]]:
    """The map spec of 75 % of the actors: pydeck's encoder against the spliced rows."""
    layer = gpd.read_parquet(path)
    subset = np.flatnonzero(np.arange(len(layer)) % 4 != 0)  # 75 % of the actors
    rows = deck.actor_rows(layer)
    geometry = layer.geometry.iloc[subset]
    records = pd.DataFrame(
        {
            "id": layer["actor_id"].iloc[subset],
            "lon": geometry.x.round(5),
            "lat": geometry.y.round(5),
            "tip": deck.actor_tooltips(layer.iloc[subset]),
        }
    )

    def naive() -> str:
        scatter = pdk.Layer(
            "ScatterplotLayer", data=records, id="actors", get_position=["lon", "lat"],
            pickable=True,
        )  # fmt: skip
        return pdk.Deck(layers=[scatter], map_provider=None).to_json()

    def ours() -> str:
        return deck.deck_spec(
            [deck.actors_layer(deck.rows_json(rows, subset))],
            view=framing.ViewState(**framing.EUROPE_VIEW),
        )

    naive_s, ours_s = _timed(naive, repeats), _timed(ours, repeats)
    note = f"{len(subset):,} points; naive: pydeck Deck.to_json; ours: rows spliced"
    return [row("app: map spec of the filtered actors", "s", ours_s, naive_s, note)]


def measure(n: int, *, repeats: int = REPEATS) -> list[dict[str, Any]]:
    """Build ``n`` synthetic actors, time the app and the map spec; the table's rows."""
    for level in NUTS_LEVELS:  # fill the disk cache when the source is a URL
        nuts.load_nuts(level=level)
    with tempfile.TemporaryDirectory(prefix="metacluster-bench-") as folder:
        path = layer_file(n, Path(folder))
        previous = os.environ.get(DATA_OVERRIDE_ENV)
        os.environ[DATA_OVERRIDE_ENV] = str(path)
        try:
            rows = _app_rows(repeats)
        finally:
            if previous is None:
                os.environ.pop(DATA_OVERRIDE_ENV, None)
            else:
                os.environ[DATA_OVERRIDE_ENV] = previous
        rows += _spec_rows(path, repeats)
    return rows


def run(n: int | None = None) -> list[dict[str, Any]]:
    """The rows for ``python -m benchmarks`` (default 100 000 actors), table printed."""
    n = n or DEFAULT_N
    rows = measure(n)
    print_table(rows, n=n, repeats=REPEATS)
    return rows


def print_table(rows: list[dict[str, Any]], *, n: int, repeats: int) -> None:
    print(f"metacluster app, {n:,} synthetic actors (median of {repeats} for reruns)")
    print(f"{'benchmark':<42}{'ours s':>9}{'naive s':>9}{'ratio':>8}  note")
    for item in rows:
        naive = f"{item['naive']:>9.3f}" if item["naive"] is not None else f"{'':>9}"
        ratio = f"{item['ratio']:>7.0f}×" if item["ratio"] is not None else f"{'':>8}"
        print(f"{item['benchmark']:<42}{item['ours']:>9.3f}{naive}{ratio}  {item['note']}")


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Command line: NUTS from the mirror when offline, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="number of synthetic actors")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="runs per rerun timing")
    arguments = parser.parse_args(argv)
    use_mirror()
    rows = measure(arguments.n, repeats=arguments.repeats)
    print_table(rows, n=arguments.n, repeats=arguments.repeats)
    return rows


if __name__ == "__main__":
    main()
