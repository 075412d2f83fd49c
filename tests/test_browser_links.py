"""The arc layer in a real browser (Chromium): the links between actors are drawn.

The same view photographed with and without the links layer (``hide=links``), regions
hidden so that the arcs cross a plain basemap: the arcs change thousands of pixels, and
many of the changed pixels carry the arc colours of the bundled sample. A click on an arc
pixel opens the link's card.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page

from metacluster.ui.links import KIND_COLOURS

pytestmark = pytest.mark.browser
FIRST_LOAD_MS = 180_000


def _map_pixels(tab: Page, url: str) -> np.ndarray:
    tab.goto(url)
    canvas = tab.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    canvas.wait_for(state="visible", timeout=FIRST_LOAD_MS)  # the first load merges the maps
    tab.get_by_text("Civil society & culture (").first.wait_for()
    tab.wait_for_timeout(2_500)  # the map's last frame
    image = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
    return np.asarray(image, dtype=np.int16)


def test_the_arc_layer_draws(app_url: str, page: Page, tmp_path: Path) -> None:
    with_links = _map_pixels(page, f"{app_url}?hide=regions")
    without = _map_pixels(page, f"{app_url}?hide=regions,links")
    Image.fromarray(with_links.astype(np.uint8)).save(tmp_path / "arcs.png")
    assert with_links.shape == without.shape
    changed = np.abs(with_links - without).sum(axis=2) > 60
    assert changed.sum() > 2_000
    # the changed pixels are arc colours (blended with the basemap at alpha 200/255)
    project = np.array(KIND_COLOURS["project"], dtype=np.int16)
    near_project = np.abs(with_links - project).sum(axis=2) < 90
    assert (changed & near_project).sum() > 500


def test_clicking_an_arc_opens_its_card(app_url: str, page: Page) -> None:
    # actors and regions hidden, so that nothing lies over the arcs where we click
    bare = _map_pixels(page, f"{app_url}?hide=regions,actors,links")
    arcs = _map_pixels(page, f"{app_url}?hide=regions,actors")  # the page stays on this view
    changed = (np.abs(arcs - bare).sum(axis=2) > 60).astype(np.int16)
    # the arc pixel with most arc pixels around it (a click lands on the line, not its edge)
    padded = np.pad(changed, 2)
    around = sum(
        padded[dy : dy + changed.shape[0], dx : dx + changed.shape[1]]
        for dy in range(5)
        for dx in range(5)
    )
    y, x = np.unravel_index(int(np.argmax(around * changed)), changed.shape)
    assert changed[y, x] and around[y, x] >= 10
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + float(x), box["y"] + float(y))
    page.wait_for_timeout(500)  # deck.gl picks the hovered arc
    page.mouse.down()
    page.mouse.up()
    page.get_by_role("heading", name=re.compile(r" link$")).first.wait_for(timeout=30_000)
    page.get_by_text("click one to open its card").first.wait_for()
