"""Regenerate ``docs/screenshot.png``, the README's picture of the app.

    .venv/bin/python docs/screenshot.py [--out docs/screenshot.png] [--query hide=regions]

Serves ``app.py`` on the bundled SmartCulture meta-cluster (``tests.serve``), opens
it in Debian's headless Chromium (``/usr/bin/chromium``) at 1600 × 1000 and saves the page
once the map is drawn. NUTS files come from ``METACLUSTER_NUTS_SOURCE``, else from the
mirror in ../shared/nuts when there is one; nothing else is fetched (offline basemap).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))  # run as a script: the project's package first

from metacluster.ui.data import DATA_OVERRIDE_ENV  # noqa: E402
from tests.serve import CHROMIUM_FLAGS, running_app  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
MIRROR = PROJECT_ROOT.parent / "shared" / "nuts"
VIEWPORT = {"width": 1600, "height": 1000}


def take(out: Path, query: str = "") -> Path:
    """Serve the app, photograph its first page (with the URL ``query``, e.g.
    "hide=regions" for the README's picture of links), return where the PNG went."""
    env = dict(os.environ)
    env.pop(DATA_OVERRIDE_ENV, None)
    if not env.get("METACLUSTER_NUTS_SOURCE") and MIRROR.is_dir():
        env["METACLUSTER_NUTS_SOURCE"] = str(MIRROR)
    with running_app(env) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS)
        )
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(f"{url}?{query}" if query else url)
            page.locator('[data-testid="stDeckGlJsonChart"] canvas').first.wait_for(timeout=120_000)
            page.get_by_text("Civil society & culture (").first.wait_for()
            page.wait_for_timeout(2_000)  # the map's last frame
            page.screenshot(path=out)
        finally:
            browser.close()
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshot.png")
    parser.add_argument("--query", default="", help="URL query of the view, e.g. hide=regions")
    options = parser.parse_args()
    print(take(options.out, options.query))
