"""Markdown payloads in the URL and in an uploaded file render as text in a real browser,
and nothing on the page requests the URLs they name (issue 12, injection).

The links and images point at a local HTTP server that records every request: a rendered
``![img](…)`` would make Chromium fetch it, a rendered ``[link](…)`` would be an anchor.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_markdown_payloads_render_as_text_and_load_nothing(
    app_url: str,
    page: Page,
    request_recorder: tuple[str, list[str]],
    tmp_path: Path,
) -> None:
    base, requests = request_recorder
    image, link = f"![pixel]({base}/pixel.png)", f"[click me]({base}/track)"
    query = urllib.parse.urlencode({"manifest": image})
    page.goto(f"{app_url.rstrip('/')}/?{query}")
    shown_as_text = re.compile(r"!\[pixel\]\(http\W?://127\.0\.0\.1:\d+/pixel\.png\)")
    expect(page.get_by_text(shown_as_text)).to_be_visible(timeout=90_000)
    upload = tmp_path / "payload.csv"
    upload.write_text(f"{link},{image},note\n1,2,3\n1,2,3\n", encoding="utf-8")
    page.get_by_text("Upload your own maps").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(upload)
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="payload.csv")
    expect(alert).to_be_visible(timeout=90_000)
    expect(alert).to_contain_text("[click me](http")
    page.wait_for_timeout(1000)
    assert page.locator(f'img[src^="{base}"]').count() == 0
    assert page.locator(f'a[href^="{base}"]').count() == 0
    assert requests == []
