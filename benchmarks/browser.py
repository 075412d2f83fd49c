"""Benchmark: what users feel in the browser, page load and filter changes, in Chromium.

    python -m benchmarks.browser [--n 100000] [--repeats 3]

AppTest (``benchmarks.app``) times the script; a user waits for the page too: the
websocket, the React render, deck.gl drawing the map. Here ``streamlit run app.py`` serves
the bundled SmartCulture meta-cluster (about 190 actors) and then ``n`` synthetic actors (through
``METACLUSTER_APP_DATA``), and headless Chromium (Playwright, ``/usr/bin/chromium``) times:

- page load to map: from navigation until the map's canvas is drawn and the app is idle
  (no "Running" indicator), warm (the server has loaded the data once): target < 2.5 s;
- filter change to idle: a helix picked in the sidebar until the count changed and the app
  is idle again: target < 400 ms at 191 actors, < 1 s at 100 000.

Medians of ``repeats`` runs. Not a test (timings depend on the machine); a smoke test runs
it on the bundled data only. NUTS files come from METACLUSTER_NUTS_SOURCE, else
../shared/nuts; nothing is fetched from the internet.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect, sync_playwright

from benchmarks._common import MIRROR, row
from metacluster.schema import HELIX_LABELS
from metacluster.ui.data import DATA_OVERRIDE_ENV
from tests.serve import CHROMIUM_FLAGS, running_app

CHROMIUM = Path("/usr/bin/chromium")
DEFAULT_N = 100_000
REPEATS = 3
PAGE_LOAD_TARGET_S = 2.5
FILTER_TARGET_S = {"small": 0.4, "large": 1.0}
TIMEOUT_MS = 180_000
_IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
_COUNT = '[data-testid="stSidebar"] >> text=/^[\\d,]+ of [\\d,]+ actors$/'


def _environment(folder: Path, data: Path | None) -> dict[str, str]:
    env = {**os.environ, "HOME": str(folder), "METACLUSTER_BASEMAP": "offline"}
    env.setdefault("METACLUSTER_NUTS_SOURCE", str(MIRROR))
    env.setdefault("METACLUSTER_CACHE", str(folder / "nuts-cache"))
    env.pop(DATA_OVERRIDE_ENV, None)
    if data is not None:
        env[DATA_OVERRIDE_ENV] = str(data)
    return env


def _idle(page: Page) -> None:
    page.locator('[data-testid="stDeckGlJsonChart"] canvas').first.wait_for(
        state="visible", timeout=TIMEOUT_MS
    )
    page.wait_for_function(_IDLE, timeout=TIMEOUT_MS)


def _page_load(page: Page, url: str) -> float:
    started = time.perf_counter()
    page.goto(url)
    _idle(page)
    page.locator(_COUNT).wait_for(timeout=TIMEOUT_MS)
    return time.perf_counter() - started


def _filter_change(page: Page, helix: str) -> float:
    """Pick one more helix in the sidebar; seconds until the count changed, app idle."""
    count = page.locator(_COUNT)
    before = count.inner_text()
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Helix")
    box.locator("input").fill(HELIX_LABELS[helix])
    started = time.perf_counter()
    page.keyboard.press("Enter")
    expect(count).not_to_have_text(before, timeout=TIMEOUT_MS)
    page.wait_for_function(_IDLE, timeout=TIMEOUT_MS)
    elapsed = time.perf_counter() - started
    page.keyboard.press("Escape")
    return elapsed


@contextmanager
def _served(data: Path | None) -> Iterator[str]:
    with (
        tempfile.TemporaryDirectory(prefix="metacluster-bench-browser-") as folder,
        running_app(_environment(Path(folder), data), timeout_s=120) as url,
    ):
        yield url


def measure_one(label: str, data: Path | None, *, repeats: int, size: str) -> list[dict[str, Any]]:
    """Page load and filter change medians for one data source, in one server."""
    with _served(data) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS)
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            first = context.new_page()
            cold = _page_load(first, url)  # the server reads and merges the data once
            first.close()
            loads, changes = [], []
            for _ in range(repeats):
                page = context.new_page()
                loads.append(_page_load(page, url))
                for helix in ("academia", "business", "government"):
                    changes.append(_filter_change(page, helix))
                page.close()
        finally:
            browser.close()
    load, change = statistics.median(loads), statistics.median(changes)
    target = FILTER_TARGET_S[size]
    return [
        row(
            f"browser: page load to map ({label})",
            "s",
            load,
            None,
            f"target < {PAGE_LOAD_TARGET_S:g} s: {'ok' if load < PAGE_LOAD_TARGET_S else 'SLOW'}; "
            f"cold {cold:.1f} s",
        ),
        row(
            f"browser: filter change to idle ({label})",
            "s",
            change,
            None,
            f"target < {target:g} s: {'ok' if change < target else 'SLOW'}",
        ),
    ]


def measure(n: int | None, *, repeats: int = REPEATS) -> list[dict[str, Any]]:
    """The bundled SmartCulture actors, then ``n`` synthetic ones (none when n is None)."""
    rows = measure_one("bundled SmartCulture", None, repeats=repeats, size="small")
    if n:
        from benchmarks.app import layer_file

        with tempfile.TemporaryDirectory(prefix="metacluster-bench-browser-data-") as folder:
            path = layer_file(n, Path(folder))
            rows += measure_one(f"{n:,} actors", path, repeats=repeats, size="large")
    return rows


def print_table(rows: list[dict[str, Any]], *, repeats: int) -> None:
    print(f"metacluster in headless Chromium (median of {repeats} loads, {3 * repeats} changes)")
    print(f"{'benchmark':<52}{'median s':>9}  note")
    for item in rows:
        print(f"{item['benchmark']:<52}{item['ours']:>9.3f}  {item['note']}")


def run(n: int | None = None) -> list[dict[str, Any]]:
    """The rows for ``python -m benchmarks`` (bundled data and 100 000 actors)."""
    rows = measure(n or DEFAULT_N)
    print_table(rows, repeats=REPEATS)
    return rows


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="synthetic actors (0: none)")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="page loads per source")
    arguments = parser.parse_args(argv)
    rows = measure(arguments.n or None, repeats=arguments.repeats)
    print_table(rows, repeats=arguments.repeats)
    return rows


if __name__ == "__main__":
    main()
