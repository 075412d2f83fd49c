"""Benchmark: what users feel in the browser, page load and filter changes, in Chromium.

    python -m benchmarks.browser [--n 100000] [--repeats 3] [--disable-gpu]

AppTest (``benchmarks.app``) times the script; a user waits for the page too: the
websocket, the React render, deck.gl drawing the map. Here ``streamlit run app.py`` serves
the bundled SmartCulture meta-cluster (about 190 actors) and then ``n`` synthetic actors (through
``METACLUSTER_APP_DATA``) twice: as the app draws them (regions, not dots, while more than
``settings.max_dots`` are filtered) and, the naive way, every actor a dot
(``METACLUSTER_MAX_DOTS=n``). Headless Chromium (Playwright, ``/usr/bin/chromium``) times:

- page load to map: from navigation until the app is idle with its map canvas and the
  actor count, and the main thread has done the work that follows (deck.gl draws the map
  after its canvas appears), warm (the server has loaded the data once): target < 2.5 s;
- filter change to idle: a helix picked in the sidebar (its name typed into the Helix box at
  ``TYPING_DELAY_MS`` per key, as a person types, then Enter) from the Enter until the
  count changed, the app is idle and the main thread's work is done: target < 400 ms at
  191 actors, < 1 s at 100 000. ``--typing-delay-ms 0`` pastes the name at once, as runs
  before 2026-11-30 did: Enter then lands while the options list is still being drawn.

"The work is done" is the end of the main thread's last long task (> 50 ms, from the
browser's Long Tasks API) once half a second passed without one, and once every layer file
deck.gl fetched (large layers are served as files) has arrived: what a user waits for
before the page answers a click again and shows the new map. The wait is polled on every
animation frame in the page (Playwright's ``expect`` polls at 100, 250, 500, 1000 ms and
would add up to half a second). Chromium draws WebGL with its software renderer
(SwiftShader) in the GPU process and composites there, as a browser with a GPU does;
``--disable-gpu`` measures the worst case instead, software compositing that reads every
map frame back to the CPU.

First of all the floor (``floor_app.py``) is timed the same way: a bare Streamlit page
with a helix list, a count and a one-dot pydeck map, what the platform costs before any
of the app's work; each of the app's rows says how many times the floor it takes.

Medians of ``repeats`` runs. Not a test (timings depend on the machine); a smoke test runs
it on the bundled data only. NUTS files come from METACLUSTER_NUTS_SOURCE, else
../shared/nuts; nothing is fetched from the internet.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from playwright.sync_api import Page, sync_playwright

from benchmarks._common import MIRROR, row, use_mirror
from metacluster.schema import HELIX_LABELS
from metacluster.ui.data import DATA_OVERRIDE_ENV
from tests.serve import APP, CHROMIUM_FLAGS, running_app

CHROMIUM = Path("/usr/bin/chromium")
FLOOR_APP = Path(__file__).with_name("floor_app.py")
"""A bare Streamlit + pydeck page (a helix list, a count, a map): the platform's own cost,
measured in the same run, against which the app's numbers are read."""
FLOOR_LABEL = "floor: bare Streamlit + pydeck page"
DEFAULT_N = 100_000
REPEATS = 3
PAGE_LOAD_TARGET_S = 2.5
FILTER_TARGET_S = {"small": 0.4, "large": 1.0}
TIMEOUT_MS = 180_000
_COUNT = '[data-testid="stSidebar"] >> text=/^[\\d,]+ of [\\d,]+ actors$/'
_BUSY = """
window.__busyUntil = 0;
new PerformanceObserver(list => {
    for (const task of list.getEntries())
        window.__busyUntil = Math.max(window.__busyUntil, task.startTime + task.duration);
}).observe({type: "longtask", buffered: true});
window.__files = {started: 0, done: 0, lastEnd: 0};
const isLayerFile = url => String(url && url.url ? url.url : url).includes("app/static/");
const arrived = () => { window.__files.done++; window.__files.lastEnd = performance.now(); };
const fetchFile = window.fetch;
window.fetch = function (input) {
    const result = fetchFile.apply(this, arguments);
    if (isLayerFile(input)) {
        window.__files.started++;
        result.then(response => response.clone().arrayBuffer()).catch(() => null).finally(arrived);
    }
    return result;
};
"""
"""In every page: when the main thread's last long task (> 50 ms) ended, and the layer
files (large layers served from the app's static folder) fetched and when the last one
arrived: deck.gl fetches them after the spec, parses and draws them after that."""
_SETTLED = """([before, since, quietMs]) => {
    if (window.__settledAt === undefined) {
        const idle = !document.querySelector('[data-testid="stStatusWidget"]');
        const map = document.querySelector('[data-testid="stDeckGlJsonChart"] canvas');
        const count = [...document.querySelectorAll('[data-testid="stSidebar"] p')]
            .map(p => p.textContent).find(text => /^[\\d,]+ of [\\d,]+ actors$/.test(text));
        if (!(idle && map && count !== undefined && count !== before)) return false;
        window.__settledAt = performance.now();
    }
    const files = window.__files;
    if (files.done < files.started) return false;
    const done = Math.max(window.__settledAt, window.__busyUntil, files.lastEnd);
    return performance.now() - done >= quietMs ? done - since : false;
}"""
"""Milliseconds from ``since`` until the app was idle with its map canvas and an actor count
other than ``before`` (null on a page load), every layer file it fetched had arrived, and
the main thread's work for it was done: the end of its last long task, once ``quietMs``
passed without one (what a user waits for before the page answers again; deck.gl draws
the map after the canvas appears, and parses a served layer after it arrives)."""
QUIET_MS = 500
TYPING_DELAY_MS = 60
"""Milliseconds between key presses when a helix name is typed (about 100 words a minute)."""
GPU_PROCESS_FLAGS = ("--use-angle=swiftshader", "--enable-unsafe-swiftshader")


def _environment(folder: Path, data: Path | None, extra: Mapping[str, str]) -> dict[str, str]:
    env = {**os.environ, "HOME": str(folder), "METACLUSTER_BASEMAP": "offline", **extra}
    env.setdefault("METACLUSTER_NUTS_SOURCE", str(MIRROR))
    env.setdefault("METACLUSTER_CACHE", str(folder / "nuts-cache"))
    env.pop(DATA_OVERRIDE_ENV, None)
    if data is not None:
        env[DATA_OVERRIDE_ENV] = str(data)
    return env


def _settled(page: Page, before: str | None, since_ms: float) -> float:
    """Seconds from ``since_ms`` (the page's clock) until settled (see ``_SETTLED``)."""
    page.evaluate("window.__settledAt = undefined")
    done = page.wait_for_function(
        _SETTLED, arg=[before, since_ms, QUIET_MS], polling="raf", timeout=TIMEOUT_MS
    )
    return float(done.json_value()) / 1000


def _page_load(page: Page, url: str) -> float:
    """Seconds from navigation start (the page's clock origin) until settled."""
    page.goto(url)
    return _settled(page, None, 0.0)


def _filter_change(page: Page, helix: str, *, typing_delay_ms: float) -> float:
    """Type one more helix into the sidebar's box and press Enter; seconds from the Enter
    until the count changed and the app is idle (``typing_delay_ms`` 0: paste the name)."""
    count = page.locator(_COUNT)
    before = count.inner_text()
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Helix").locator("input")
    if typing_delay_ms:
        box.press_sequentially(HELIX_LABELS[helix], delay=typing_delay_ms)
    else:
        box.fill(HELIX_LABELS[helix])
    started = float(page.evaluate("performance.now()"))
    page.keyboard.press("Enter")
    elapsed = _settled(page, before, started)
    page.keyboard.press("Escape")
    return elapsed


@contextmanager
def _served(data: Path | None, app: Path, env: Mapping[str, str]) -> Iterator[str]:
    with (
        tempfile.TemporaryDirectory(prefix="metacluster-bench-browser-") as folder,
        running_app(_environment(Path(folder), data, env), timeout_s=120, app=app) as url,
    ):
        yield url


def chromium_flags(*, disable_gpu: bool) -> list[str]:
    """The tests' headless flags, WebGL composited in the GPU process unless ``disable_gpu``."""
    if disable_gpu:
        return list(CHROMIUM_FLAGS)
    return [flag for flag in CHROMIUM_FLAGS if flag != "--disable-gpu"] + list(GPU_PROCESS_FLAGS)


@dataclass(frozen=True)
class Timings:
    """Medians in seconds: a warm page load, a filter change; and the first (cold) load."""

    load: float
    change: float
    cold: float


def time_page(
    data: Path | None,
    *,
    app: Path = APP,
    repeats: int,
    disable_gpu: bool = False,
    typing_delay_ms: float = TYPING_DELAY_MS,
    env: Mapping[str, str] = MappingProxyType({}),
) -> Timings:
    """Page loads and filter changes of ``app`` serving ``data``, in one server whose
    environment has ``env`` too."""
    with _served(data, app, env) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=chromium_flags(disable_gpu=disable_gpu)
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_init_script(script=_BUSY)
            first = context.new_page()
            cold = _page_load(first, url)  # the server reads and merges the data once
            first.close()
            loads, changes = [], []
            for _ in range(repeats):
                page = context.new_page()
                loads.append(_page_load(page, url))
                for helix in ("academia", "business", "government"):
                    changes.append(_filter_change(page, helix, typing_delay_ms=typing_delay_ms))
                page.close()
        finally:
            browser.close()
    return Timings(statistics.median(loads), statistics.median(changes), cold)


def _rows(label: str, timings: Timings, size: str, floor: Timings) -> list[dict[str, Any]]:
    """The page load and filter change rows of one data source, against the targets and
    read against the floor (``FLOOR_APP``)."""

    def verdict(value: float, target: float, floor_value: float) -> str:
        return (
            f"target < {target:g} s: {'ok' if value < target else 'SLOW'}; "
            f"{value / floor_value:.2f}× the floor"
        )

    target = FILTER_TARGET_S[size]
    return [
        row(
            f"browser: page load to map ({label})",
            "s",
            timings.load,
            None,
            f"{verdict(timings.load, PAGE_LOAD_TARGET_S, floor.load)}; cold {timings.cold:.1f} s",
        ),
        row(
            f"browser: filter change to idle ({label})",
            "s",
            timings.change,
            None,
            verdict(timings.change, target, floor.change),
        ),
    ]


def measure(
    n: int | None,
    *,
    repeats: int = REPEATS,
    disable_gpu: bool = False,
    typing_delay_ms: float = TYPING_DELAY_MS,
) -> list[dict[str, Any]]:
    """The floor (``FLOOR_APP``), the bundled SmartCulture actors, then ``n`` synthetic
    ones (none when n is None)."""
    options: dict[str, Any] = {
        "repeats": repeats,
        "disable_gpu": disable_gpu,
        "typing_delay_ms": typing_delay_ms,
    }
    floor = time_page(None, app=FLOOR_APP, **options)
    rows = [
        row(f"browser: {measured} ({FLOOR_LABEL})", "s", value, None, "the floor")
        for measured, value in (
            ("page load to map", floor.load),
            ("filter change to idle", floor.change),
        )
    ]
    rows += _rows("bundled SmartCulture", time_page(None, **options), "small", floor)
    if n:
        from benchmarks.app import layer_file

        with tempfile.TemporaryDirectory(prefix="metacluster-bench-browser-data-") as folder:
            path = layer_file(n, Path(folder))
            rows += _rows(f"{n:,} actors", time_page(path, **options), "large", floor)
            # the naive way: every filtered actor drawn as a dot, however many
            every_dot = time_page(path, env={"METACLUSTER_MAX_DOTS": str(n)}, **options)
            rows += _rows(f"{n:,} actors, every one a dot", every_dot, "large", floor)
    return rows


def print_table(rows: list[dict[str, Any]], *, repeats: int) -> None:
    print(f"metacluster in headless Chromium (median of {repeats} loads, {3 * repeats} changes)")
    width = max(len(item["benchmark"]) for item in rows) + 2
    print(f"{'benchmark':<{width}}{'median s':>9}  note")
    for item in rows:
        print(f"{item['benchmark']:<{width}}{item['ours']:>9.3f}  {item['note']}")


def run(n: int | None = None) -> list[dict[str, Any]]:
    """The rows for ``python -m benchmarks`` (bundled data and 100 000 actors)."""
    rows = measure(n or DEFAULT_N)
    print_table(rows, repeats=REPEATS)
    return rows


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="synthetic actors (0: none)")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="page loads per source")
    parser.add_argument(
        "--disable-gpu",
        action="store_true",
        help="software compositing, every map frame read back (the worst case)",
    )
    parser.add_argument(
        "--typing-delay-ms",
        type=float,
        default=TYPING_DELAY_MS,
        help="milliseconds between keys when a helix is typed (0: paste the name at once)",
    )
    arguments = parser.parse_args(argv)
    use_mirror()  # the synthetic actors are joined to NUTS here, before the app starts
    rows = measure(
        arguments.n or None,
        repeats=arguments.repeats,
        disable_gpu=arguments.disable_gpu,
        typing_delay_ms=arguments.typing_delay_ms,
    )
    print_table(rows, repeats=arguments.repeats)
    return rows


if __name__ == "__main__":
    main()
