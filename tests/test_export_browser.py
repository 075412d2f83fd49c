"""The standalone HTML map in a real browser with the network cut: Debian's Chromium,
headless, every request other than the file itself aborted and recorded.

The page must draw its map (the deck.gl canvas shows the helix colours), show the title and
attribution, answer a hover with an actor's tooltip, and ask for nothing on the network.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Route, expect

from metacluster import settings
from metacluster.export import render
from metacluster.merge import merge
from metacluster.schema import HELICES, HELIX_COLOURS
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.browser

MANIFEST = PROJECT_ROOT / "layers" / "metacluster.toml"


@pytest.fixture(scope="module")
def html_file(mirror: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "smartculture.html"
    actors = merge(MANIFEST).actors
    path.write_bytes(render(actors, fmt="html", what="map", generated_at="2024-05-01T00:00:00Z"))
    return path


@pytest.fixture
def offline_page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        context.set_default_timeout(30_000)
        asked: list[str] = []

        def cut(route: Route) -> None:
            asked.append(route.request.url)
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                route.abort()

        context.route("**/*", cut)
        page = context.new_page()
        page.on("request", lambda request: asked.append(request.url))
        yield page, asked
    finally:
        context.close()


def test_the_html_map_draws_offline_and_asks_for_nothing(
    html_file: Path, offline_page: tuple[Page, list[str]]
) -> None:
    page, asked = offline_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(html_file.as_uri())
    canvas = page.locator("#map canvas").first
    canvas.wait_for(state="visible")
    expect(page.get_by_role("heading", name="SmartCulture European Meta-Cluster")).to_be_visible()
    expect(page.get_by_text(settings.attribution, exact=False)).to_be_visible()
    page.wait_for_timeout(1_500)  # deck.gl draws on the next animation frames

    shot = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")).astype(int)
    for helix in HELICES:
        near = np.abs(shot - HELIX_COLOURS[helix]).max(axis=2) <= 8
        assert near.sum() > 20, f"no {helix} points drawn"

    # a hover over an actor shows its tooltip: find a point of academia's colour
    ys, xs = np.nonzero(np.abs(shot - HELIX_COLOURS["academia"]).max(axis=2) <= 8)
    canvas.hover(position={"x": float(xs[len(xs) // 2]), "y": float(ys[len(ys) // 2])})
    expect(page.locator(".deck-tooltip")).to_contain_text("Academia & research")

    assert [url for url in asked if not url.startswith("file://")] == []
    assert {url for url in asked} == {html_file.as_uri()}
    assert not errors
