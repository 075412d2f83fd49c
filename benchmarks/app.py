"""Benchmark: the Streamlit app on 100 000 synthetic actors, measured with AppTest.

    python -m benchmarks.app [--n 100000]

Setup (not timed): synthetic actors (``benchmarks.synthetic``) joined to NUTS, given
regional clusters, themes and types, written as GeoParquet; the app reads that file instead
of the bundled manifests through ``METACLUSTER_APP_DATA``. Timed:

- first load: a new session with empty app caches and no NUTS frame in memory, NUTS files
  on disk (a warm NUTS cache): target < 3 s;
- filter changes (helix, country, NUTS region, search, back to all): target < 300 ms each;
- the map spec for the filtered actors, the naive way (``pydeck.Deck.to_json`` on a
  ``pydeck.Layer``) against ours (rows serialised once, spliced), with the ratio.

Not a test: timings depend on the machine. ``main`` returns the rows so a smoke test can run
it at small ``n``. NUTS files come from METACLUSTER_NUTS_SOURCE, else ../shared/nuts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pydeck as pdk
import streamlit as st
from streamlit.testing.v1 import AppTest

from benchmarks.synthetic import synthetic_actors
from metacluster import nuts, settings
from metacluster.locate import join_nuts
from metacluster.schema import NUTS_LEVELS
from metacluster.ui import deck
from metacluster.ui.data import DATA_OVERRIDE_ENV

APP = Path(__file__).resolve().parent.parent / "app.py"
MIRROR = Path(__file__).resolve().parent.parent.parent / "shared" / "nuts"
THEMES = ("heritage", "digital humanities", "3d digitisation", "tourism", "archives", "music")
TYPES = ("University", "SME", "Museum", "Municipality", "Association", "Research centre")
REPEATS = 3
FIRST_LOAD_TARGET_S = 3.0
RERUN_TARGET_S = 0.3


@dataclass(frozen=True)
class Row:
    """One timed step: what, the median seconds, the target (None: no target), a note."""

    step: str
    seconds: float
    target: float | None
    note: str = ""


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


def _app_rows(n: int, repeats: int) -> list[Row]:
    """First load and filter changes, timed in AppTest."""
    st.cache_data.clear()
    st.cache_resource.clear()
    nuts.clear_memory_cache()  # the files stay on disk: a warm NUTS cache, a cold process
    at = AppTest.from_file(str(APP), default_timeout=600)
    started = time.perf_counter()
    _run(at)
    rows = [Row("first load (warm NUTS cache)", time.perf_counter() - started, FIRST_LOAD_TARGET_S)]
    first_nuts2 = sorted(
        o for o in at.multiselect(key="f_nuts").options if len(o.split(" ")[0]) == 4
    )
    changes: list[tuple[str, Callable[[], object]]] = [
        ("filter change", lambda: at.multiselect(key="f_helix").set_value(["academia"])),
        ("filter change: + country", lambda: at.multiselect(key="f_country").set_value(["IT"])),
        (
            "filter change: NUTS region",
            lambda: at.multiselect(key="f_nuts").set_value([first_nuts2[0].split(" ")[0]]),
        ),
        ("filter change: search", lambda: at.text_input(key="f_q").set_value("actor 1")),
        ("reset filters (all actors)", lambda: at.button[0].click()),
    ]
    for step, change in changes:

        def action(change: Callable[[], object] = change) -> None:
            change()
            _run(at)

        seconds = _timed(action, repeats)
        rows.append(Row(step, seconds, RERUN_TARGET_S, count_note(at)))
    rows.append(Row("rerun, nothing changed", _timed(lambda: _run(at), repeats), RERUN_TARGET_S))
    return rows


def count_note(at: AppTest) -> str:
    return next(m.value for m in at.sidebar.markdown if "actors**" in m.value).strip("*")


def _spec_rows(path: Path, repeats: int) -> list[Row]:
    """The map spec of 75 % of the actors: pydeck's encoder against the spliced rows."""
    layer = gpd.read_parquet(path)
    subset = np.flatnonzero(np.arange(len(layer)) % 4 != 0)  # 75 % of the actors
    rows = deck.actor_rows(layer)
    geometry = layer.geometry.iloc[subset]
    records = deck.actor_tooltips(layer.iloc[subset]).assign(
        id=layer["actor_id"].iloc[subset], lon=geometry.x.round(5), lat=geometry.y.round(5)
    )

    def naive() -> str:
        scatter = pdk.Layer(
            "ScatterplotLayer", data=records, id="actors", get_position=["lon", "lat"],
            pickable=True,
        )  # fmt: skip
        return pdk.Deck(layers=[scatter], map_provider=None).to_json()

    def ours() -> str:
        return deck.deck_spec(
            actors=deck.rows_json(rows, subset), regions=None, countries=None,
            view=deck.ViewState(**deck.EUROPE_VIEW),
        )  # fmt: skip

    naive_s, ours_s = _timed(naive, repeats), _timed(ours, repeats)
    note = f"{len(subset):,} points"
    return [
        Row("map spec: pydeck Deck.to_json (naive)", naive_s, None, note),
        Row("map spec: spliced rows (ours)", ours_s, None, f"{naive_s / ours_s:.0f}× faster"),
    ]


def main(n: int = 100_000, *, repeats: int = REPEATS) -> list[Row]:
    """Build the data, time the app and the map spec, print a table, return the rows."""
    if not os.environ.get("METACLUSTER_NUTS_SOURCE") and MIRROR.is_dir():
        settings.nuts_source = str(MIRROR)
    for level in NUTS_LEVELS:  # fill the disk cache when the source is a URL
        nuts.load_nuts(level=level)
    with tempfile.TemporaryDirectory(prefix="metacluster-bench-") as folder:
        path = layer_file(n, Path(folder))
        previous = os.environ.get(DATA_OVERRIDE_ENV)
        os.environ[DATA_OVERRIDE_ENV] = str(path)
        try:
            rows = _app_rows(n, repeats)
        finally:
            if previous is None:
                os.environ.pop(DATA_OVERRIDE_ENV, None)
            else:
                os.environ[DATA_OVERRIDE_ENV] = previous
        rows += _spec_rows(path, repeats)
    print(f"metacluster app, {n:,} synthetic actors (median of {repeats} for reruns)")
    print(f"{'step':<40}{'seconds':>9}{'target':>9}  note")
    for row in rows:
        target = f"< {row.target:g}" if row.target is not None else ""
        verdict = "" if row.target is None else (" ok" if row.seconds < row.target else " SLOW")
        print(f"{row.step:<40}{row.seconds:>9.3f}{target:>9}{verdict:<5} {row.note}")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of synthetic actors")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="runs per rerun timing")
    arguments = parser.parse_args()
    main(arguments.n, repeats=arguments.repeats)
