"""Chromium and the app server for the browser tests, once per test session (per
pytest-xdist worker that runs a browser test: ``make test`` runs two workers).

``tests/conftest.py`` imports these fixtures, so test_browser.py, test_browser_injection.py
and test_browser_links.py share one ``streamlit run app.py`` (its first page merges the
maps and reads the NUTS files: the slow part) and every browser module (also
test_export_browser.py, test_workspace_app.py) shares one Chromium. Each test still gets
its own browser context (``page``, ``new_page``): no cookies, storage or Streamlit
session carry over from one test to the next.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.serve import CHROMIUM_FLAGS, running_app

CHROMIUM = Path("/usr/bin/chromium")
START_TIMEOUT_S = 30
PAGE_TIMEOUT_MS = 45_000


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's Chromium "
            "(`apt-get install chromium`; .ci/run installs it)."
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def countries_url(nuts_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The small stand-in for GISCO's countries file, served on 127.0.0.1."""
    from tests.countries_fixture import served, write_countries

    folder = write_countries(tmp_path_factory.mktemp("countries"), nuts_mirror).parent
    with served(folder) as url:
        yield url


@pytest.fixture(scope="session")
def app_url(
    nuts_mirror: Path, countries_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``streamlit run app.py`` on a free port of 127.0.0.1, on the bundled manifests, with
    country outlines from a local server."""
    from metacluster.ui.data import DATA_OVERRIDE_ENV

    folder = tmp_path_factory.mktemp("browser")
    env = {
        **os.environ,
        "METACLUSTER_NUTS_SOURCE": str(nuts_mirror),
        "METACLUSTER_COUNTRIES_SOURCE": countries_url,
        "METACLUSTER_CACHE": str(folder / "nuts-cache"),
        "HOME": str(folder),  # Streamlit's own files (~/.streamlit) stay in the sandbox
    }
    env.pop(DATA_OVERRIDE_ENV, None)
    try:
        with running_app(env, timeout_s=START_TIMEOUT_S) as url:
            yield url
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=list(CHROMIUM_FLAGS)
        )
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Browser, width: int, height: int) -> Page:
    """A page in a fresh browser context (closing ``page.context`` closes both)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = new_page(browser, 1400, 900)
    try:
        yield page
    finally:
        page.context.close()


def wait_idle(page: Page) -> None:
    """Wait until Streamlit has finished its current run: the app says it is not running
    (its status widget shows only once a run has lasted a moment, so it alone can miss a
    run that has just started) and the status widget is gone."""
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=2 * PAGE_TIMEOUT_MS
    )
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(
        0, timeout=2 * PAGE_TIMEOUT_MS
    )
