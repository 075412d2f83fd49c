"""The app in a real browser: Debian's Chromium, headless, driven by Playwright.

One Streamlit server (a subprocess on 127.0.0.1, NUTS from the ../shared/nuts mirror, an
empty NUTS cache) and one page walk through what AppTest cannot see: the deck.gl canvas,
the legend and attribution as drawn, a filter typed into the sidebar, a real download, an
upload through the file input, and a hostile actor name on hover and in the details card.
The screenshot of the page is kept in the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect, sync_playwright

from metacluster import settings
from metacluster.schema import HELICES, HELIX_LABELS
from metacluster.ui.data import DATA_OVERRIDE_ENV
from metacluster.ui.serve import CHROMIUM_FLAGS, running_app
from tests.conftest import TEST_DATA
from tests.ui_sample import XSS_NAME

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
START_TIMEOUT_S = 30
PAGE_TIMEOUT_MS = 45_000
COUNT = re.compile(r"^([\d,]+) of ([\d,]+) actors$")


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's Chromium "
            "(`apt-get install chromium`; .ci/run installs it)."
        )
    return CHROMIUM


@pytest.fixture(scope="module")
def app_url(nuts_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run app.py`` on a free port of 127.0.0.1, on the bundled manifests."""
    folder = tmp_path_factory.mktemp("browser")
    env = {
        **os.environ,
        "METACLUSTER_NUTS_SOURCE": str(nuts_mirror),
        "METACLUSTER_CACHE": str(folder / "nuts-cache"),
        "HOME": str(folder),  # Streamlit's own files (~/.streamlit) stay in the sandbox
    }
    env.pop(DATA_OVERRIDE_ENV, None)
    try:
        with running_app(env, timeout_s=START_TIMEOUT_S) as url:
            yield url
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.fixture
def page(chromium: Path) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=list(CHROMIUM_FLAGS)
        )
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.set_default_timeout(PAGE_TIMEOUT_MS)
            yield context.new_page()
        finally:
            browser.close()


def _sidebar_count(page: Page) -> tuple[int, int]:
    text = page.locator('[data-testid="stSidebar"]').get_by_text(COUNT).inner_text()
    shown, total = COUNT.match(text.strip()).groups()  # type: ignore[union-attr]
    return int(shown.replace(",", "")), int(total.replace(",", ""))


def _map_canvas(page: Page) -> Locator:
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    canvas.wait_for(state="visible")
    return canvas


def test_the_app_in_chromium(app_url: str, page: Page, tmp_path: Path) -> None:
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.goto(app_url)
    _map_canvas(page)

    # legend with a count per helix, and the boundaries' attribution, as drawn
    expect(page.get_by_text(settings.attribution)).to_be_visible()
    for helix in HELICES:
        expect(
            page.get_by_text(re.compile(rf"^{re.escape(HELIX_LABELS[helix])} \(\d+\)$"))
        ).to_be_visible()
    shown, total = _sidebar_count(page)
    assert shown == total > 100

    # a filter typed into the sidebar goes into the URL and narrows the count
    helix = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Helix")
    helix.locator("input").fill(HELIX_LABELS["academia"])
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")  # close the options list (it hides the page from roles)
    page.wait_for_url(re.compile(r"[?&]helix=academia"))
    expect(page.locator('[data-testid="stSidebar"]').get_by_text(COUNT)).not_to_have_text(
        f"{total:,} of {total:,} actors"
    )
    academia, _ = _sidebar_count(page)
    assert 0 < academia < total

    # the GeoJSON download holds exactly the filtered actors
    page.get_by_role("tab", name="Export").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name=re.compile("Actors · GeoJSON")).click()
    download = download_info.value
    assert download.suggested_filename == "smartculture-actors-academia.geojson"
    collection = json.loads(Path(download.path()).read_bytes())
    assert len(collection["features"]) == academia
    assert {f["properties"]["helix"] for f in collection["features"]} == {"academia"}
    page.screenshot(path=tmp_path / "app.png")
    assert (tmp_path / "app.png").stat().st_size > 10_000

    # an uploaded map with a hostile name: never run, always shown as text
    page.get_by_role("button", name="Reset filters").click()
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_text("Upload your own maps").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        TEST_DATA / "ui_upload_map.csv"
    )
    expect(page.get_by_role("heading", name="Ad-hoc layer of 1 map")).to_be_visible()
    search = page.locator('[data-testid="stTextInput"]').filter(has_text="Search")
    search.locator("input").fill("window")
    search.locator("input").press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=window"))
    expect(page.locator('[data-testid="stSidebar"]').get_by_text(COUNT)).to_have_text(
        "1 of 2 actors"
    )
    page.wait_for_timeout(1_000)  # the map fits the one actor: it sits in the middle
    canvas = _map_canvas(page)
    box = canvas.bounding_box()
    assert box is not None
    canvas.hover(position={"x": box["width"] / 2 - 40, "y": box["height"] / 2 - 40})
    canvas.hover()  # Playwright scrolls the canvas into view and moves to its middle
    tooltip = page.locator(".deck-tooltip")
    expect(tooltip).to_be_visible()
    assert tooltip.inner_text().splitlines()[0] == XSS_NAME
    page.mouse.down()
    page.mouse.up()
    expect(page.get_by_role("heading", name=XSS_NAME)).to_be_visible()  # the actor's card
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert not page_errors
