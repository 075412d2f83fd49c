"""The app in a real browser: Debian's Chromium, headless, driven by Playwright.

One Streamlit server (a subprocess on 127.0.0.1, NUTS from the ../shared/nuts mirror, an
empty NUTS cache; shared with the other browser modules: tests/browser_fixtures.py) and
one page walk through what AppTest cannot see: the deck.gl canvas, the legend and
attribution as drawn, a filter typed into the sidebar, a real download, an upload through
the file input, and a hostile actor name on hover and in the details card.
The screenshot of the page is kept in the test's temporary folder.
"""

from __future__ import annotations

import io
import json
import math
import re
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from metacluster import settings
from metacluster.schema import HELICES, HELIX_COLOURS, HELIX_LABELS
from tests.browser_fixtures import new_page, wait_idle
from tests.conftest import TEST_DATA
from tests.ui_sample import XSS_NAME, drawn

pytestmark = pytest.mark.browser

FIRST_DRAW_TIMEOUT_MS = 120_000
"""The first page of a fresh server merges the maps and reads the NUTS files (slow on a
busy 2-core CI machine)."""
UPLOAD_TIMEOUT_MS = 60_000
"""An upload is read in a worker process (isolated), slow on a busy machine."""
OPTIONS_TIMEOUT_MS = 3_000
"""How long a multiselect's list may take to open after typing, before typing again."""
COUNT = re.compile(r"^([\d,]+) of ([\d,]+) actors$")


def _sidebar_count(page: Page) -> tuple[int, int]:
    text = page.locator('[data-testid="stSidebar"]').get_by_text(COUNT).inner_text()
    shown, total = COUNT.match(text.strip()).groups()  # type: ignore[union-attr]
    return int(shown.replace(",", "")), int(total.replace(",", ""))


def _offered(page: Page, box: Locator, text: str) -> list[str]:
    """The labels of the options ``box`` (a multiselect) offers for ``text``, once two
    reads 0.2 s apart agree. If the list closed meanwhile (a rerun still being drawn can
    close it, and empty the box, just after it opened), the box is emptied and ``text``
    typed again once the app is idle: typing the same text into a box that kept it would
    change nothing, and open nothing."""
    options = page.get_by_role("option")
    field = box.locator("input")
    previous: list[str] = []
    for _ in range(4):
        field.fill("")
        field.fill(text)
        try:
            expect(options.first).to_be_visible(timeout=OPTIONS_TIMEOUT_MS)
        except AssertionError:
            wait_idle(page)
            continue
        for _ in range(10):
            page.wait_for_timeout(200)
            labels = options.all_inner_texts()
            if labels and labels == previous:
                return labels
            previous = labels
        wait_idle(page)
    raise AssertionError(f"no settled options for {text!r}; last read {previous!r}")


def _map_canvas(page: Page) -> Locator:
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    canvas.wait_for(state="visible", timeout=FIRST_DRAW_TIMEOUT_MS)
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
    page.get_by_role("radiogroup", name="Under the map").get_by_role("radio", name="Export").click()
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
    expect(page.get_by_role("heading", name="Ad-hoc layer of 1 map")).to_be_visible(
        timeout=UPLOAD_TIMEOUT_MS
    )
    # the same file again replaces it: still one map of two actors, no duplicates
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        TEST_DATA / "ui_upload_map.csv"
    )
    page.wait_for_timeout(1_000)
    expect(page.get_by_role("heading", name="Ad-hoc layer of 1 map")).to_be_visible(
        timeout=UPLOAD_TIMEOUT_MS
    )
    expect(page.locator('[data-testid="stSidebar"]').get_by_text(COUNT)).to_have_text(
        "2 of 2 actors", timeout=UPLOAD_TIMEOUT_MS
    )
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


# --- what the issue "the app as its three users meet it" asks, proven in the browser ------

SEA = (214, 226, 236)
LAND = (250, 250, 247)


def _watch_specs(page: Page) -> list[dict]:
    """Every map spec the page receives, in order, read from the websocket frames."""
    specs: list[dict] = []

    def collect(payload: bytes | str) -> None:
        data = payload if isinstance(payload, bytes) else payload.encode()
        start = data.find(b'{"initialViewState"')
        if start >= 0:
            text = data[start:].decode("utf-8", errors="replace")
            specs.append(json.JSONDecoder().raw_decode(text)[0])

    page.on("websocket", lambda ws: ws.on("framereceived", collect))
    return specs


def _pixel(lon: float, lat: float, view: dict, width: float, height: float) -> tuple[float, float]:
    """Where deck.gl draws (lon, lat) in a map of width × height px (Web Mercator, 512 px
    world at zoom 0), computed here from the view state the browser received."""

    def y(latitude: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(latitude) / 2))

    scale = 512 * 2 ** view["zoom"]
    return (
        width / 2 + (lon - view["longitude"]) / 360 * scale,
        height / 2 + (y(view["latitude"]) - y(lat)) / (2 * math.pi) * scale,
    )


def _layer(spec: dict, layer_id: str) -> dict:
    return next(layer for layer in spec["layers"] if layer["id"] == layer_id)


def _colour_at(page: Page, canvas: Locator, x: float, y: float) -> tuple[int, int, int]:
    from PIL import Image

    image = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
    return image.getpixel((round(x), round(y)))  # type: ignore[return-value]


def _near(colour: tuple[int, int, int], target: tuple[int, int, int], tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, target, strict=True))


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)], ids=["1280x800", "1600x1000"])
def test_every_filtered_actor_is_inside_the_map(
    app_url: str, browser: Browser, size: tuple[int, int], tmp_path: Path
) -> None:
    page = new_page(browser, *size)
    specs = _watch_specs(page)
    page.goto(app_url + "?cluster=Toscana&cluster=Yugozapaden")
    canvas = _map_canvas(page)
    shown, _ = _sidebar_count(page)
    page.wait_for_timeout(500)
    spec = specs[-1]
    actors = drawn(_layer(spec, "actors"))
    assert len(actors) == shown > 10
    box = canvas.bounding_box()
    assert box is not None
    radius = _layer(spec, "actors")["getRadius"]
    xs, ys = zip(
        *(_pixel(a["lon"], a["lat"], spec["initialViewState"], box["width"], box["height"])
          for a in actors),
        strict=True,
    )  # fmt: skip
    assert radius <= min(xs) and max(xs) <= box["width"] - radius  # Sofia is on screen
    assert radius <= min(ys) and max(ys) <= box["height"] - radius
    # ...and the map is not zoomed out to nothing: the actors span much of it
    assert max(max(xs) - min(xs), max(ys) - min(ys)) > 0.4 * min(box["width"], box["height"])
    page.screenshot(path=tmp_path / f"framing-{size[0]}x{size[1]}.png")
    page.context.close()


def test_basemap_is_a_served_file_kept_across_reruns(app_url: str, browser: Browser) -> None:
    """The basemap reaches the browser once, as a file: a filter change sends a spec that
    names the same file, so deck.gl keeps the layer and the spec stays small."""
    page = new_page(browser, 1280, 800)
    specs = _watch_specs(page)
    page.goto(app_url)
    _map_canvas(page)
    before, _ = _sidebar_count(page)
    helix = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Helix")
    helix.locator("input").fill(HELIX_LABELS["academia"])
    page.keyboard.press("Enter")
    count = page.locator('[data-testid="stSidebar"]').get_by_text(COUNT)
    expect(count).not_to_have_text(re.compile(rf"^{before:,} of "))
    page.wait_for_timeout(500)
    urls = {_layer(spec, "countries")["data"] for spec in specs}
    assert len(specs) >= 2 and len(urls) == 1, urls
    (url,) = urls
    assert re.fullmatch(r"app/static/basemap-[0-9a-f]{16}\.json", url)
    with urllib.request.urlopen(app_url + url, timeout=10) as answer:
        basemap = json.load(answer)
    assert basemap["type"] == "FeatureCollection" and len(basemap["features"]) > 20
    actors = [drawn(_layer(spec, "actors")) for spec in specs]
    assert actors[-1] != actors[0]  # while the actors drawn did change


def test_the_browser_hides_the_actors_a_filter_leaves_out(app_url: str, browser: Browser) -> None:
    """The helix filter is applied by deck.gl on the GPU: the layer still holds the other
    helices' actors, and the canvas shows the kept actors' colour where they are and not
    the hidden actors' colour where those are."""
    page = new_page(browser, 1280, 800)
    specs = _watch_specs(page)
    page.goto(app_url + "?helix=academia&cluster=Toscana&hide=links")  # zoomed in: apart
    canvas = _map_canvas(page)
    page.wait_for_timeout(1_500)
    actors = _layer(specs[-1], "actors")
    kept = drawn(actors)
    hidden = [row for row in actors["data"] if row not in kept]
    assert kept and hidden  # the filter is the browser's: every actor reaches it
    box = canvas.bounding_box()
    assert box is not None
    view = specs[-1]["initialViewState"]

    def at(row: dict) -> tuple[float, float]:
        return _pixel(row["lon"], row["lat"], view, box["width"], box["height"])

    def alone(row: dict, others: list[dict]) -> bool:
        x, y = at(row)
        inside = 20 < x < box["width"] - 20 and 20 < y < box["height"] - 20
        return inside and all(
            math.dist((x, y), at(other)) > 10 for other in others if other is not row
        )

    from PIL import Image

    image = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")

    def colour(row: dict) -> tuple[int, int, int]:
        x, y = at(row)
        return image.getpixel((round(x), round(y)))  # type: ignore[return-value]

    academia = HELIX_COLOURS["academia"]
    shown_colours = [colour(row) for row in kept if alone(row, kept)]
    assert shown_colours and all(_near(found, academia) for found in shown_colours)
    lone_hidden = [row for row in hidden if alone(row, kept)]
    assert lone_hidden  # a dot drawn before the filter, away from every kept dot
    for row in lone_hidden:
        assert not _near(colour(row), tuple(row["c"]), tolerance=30), (row["tip"], colour(row))
    page.context.close()


def test_land_outside_nuts_is_land_not_sea(app_url: str, browser: Browser, tmp_path: Path) -> None:
    page = new_page(browser, 1280, 800)
    specs = _watch_specs(page)
    page.goto(app_url)
    _map_canvas(page)
    upload = tmp_path / "ukraine.csv"
    upload.write_text(
        "name,helix,city,country,latitude,longitude\n"
        "Kyiv Polytechnic,academia,Kyiv,UA,50.4490,30.4580\n"
        "Crimean museum,civil society,Simferopol,UA,44.9521,34.1024\n"
    )
    page.get_by_text("Upload your own maps").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(upload)
    expect(page.locator('[data-testid="stSidebar"]').get_by_text(COUNT)).to_have_text(
        "2 of 2 actors", timeout=UPLOAD_TIMEOUT_MS
    )
    # the mapping step shows the guessed columns (one select box per role) and the rows
    step = page.get_by_test_id("stExpander").filter(has_text="Columns of your upload")
    expect(step.get_by_text("ukraine.csv: the columns used for each role")).to_be_visible()
    expect(step.get_by_role("combobox", name="Latitude", exact=True)).to_have_value("latitude")
    expect(step.get_by_test_id("stDataFrame")).to_be_visible()
    page.wait_for_timeout(1_500)
    canvas = _map_canvas(page)
    box = canvas.bounding_box()
    assert box is not None
    view = specs[-1]["initialViewState"]
    land = _colour_at(page, canvas, *_pixel(32.0, 49.0, view, box["width"], box["height"]))
    sea = _colour_at(page, canvas, *_pixel(31.5, 45.0, view, box["width"], box["height"]))
    assert _near(sea, SEA), sea  # the Black Sea is sea...
    assert _near(land, LAND), land  # ...and Ukraine, outside NUTS, is land
    page.context.close()


def test_typing_es_and_enter_picks_spain_only(app_url: str, page: Page) -> None:
    page.goto(app_url)
    _map_canvas(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    nuts = page.locator('[data-testid="stMultiSelect"]').filter(has_text="NUTS region")
    expect(nuts).to_have_count(0)  # folded away until its expander is opened
    sidebar.get_by_text("NUTS region & themes").click()
    expect(nuts).to_be_visible()
    wait_idle(page)  # the rerun that opened the expander is over
    page.mouse.move(0, 0)  # not left over the list that opens there (it would pick)
    labels = _offered(page, nuts, "ES")
    assert labels[0].startswith("ES — ")
    options = page.get_by_role("option")
    by_code = [label.split(" — ")[0] for label in labels if re.match(r"^[A-Z]{2}\w* — ", label)]
    by_name = [label for label in labels if label.split(" — ")[0] not in by_code]
    assert by_code and all(code.startswith("ES") for code in by_code)  # not DK041, UKG3…
    assert by_code == sorted(by_code)  # by code, before the regions found by name
    assert [label.split(" — ")[0] for label in labels[: len(by_code)]] == by_code
    assert all(label.casefold().startswith("es") for label in by_name)  # "Este", "Essex"…
    assert not any("select" in label.lower() for label in labels)  # no "Select all matches"
    expect(options.first).to_have_text(re.compile(r"^ES — "))  # still open: Enter picks it
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"[?&]nuts=ES$"))
    count = page.locator('[data-testid="stSidebar"]').get_by_text(COUNT)
    expect(count).not_to_have_text(re.compile(r"^([\d,]+) of \1 actors$"))  # the rerun is done
    spain, total = _sidebar_count(page)
    assert 0 < spain < total
    # country names are offered, and found by name
    country = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Country")
    assert _offered(page, country, "ital")[0] == "Italy (IT)"
    page.keyboard.press("Escape")


def test_presentation_fills_the_screen_and_follows_the_clicker(
    app_url: str, browser: Browser, tmp_path: Path
) -> None:
    page = new_page(browser, 1280, 720)
    page.goto(app_url + "?present=1")
    _map_canvas(page)
    chart = page.locator('[data-testid="stDeckGlJsonChart"]').first
    caption = page.get_by_text(re.compile(r"^\d+ / \d+ — "))
    for key, step in (("ArrowRight", 1), ("PageDown", 2), ("Space", 3), ("ArrowLeft", 2),
                      ("PageUp", 1)):  # fmt: skip
        page.keyboard.press(key)
        page.wait_for_url(re.compile(rf"[?&]step={step}(&|$)"))
        expect(caption).to_have_text(re.compile(rf"^{step} / "))
    # the legend counts the stop's actors, like the caption (the caption may be drawn before
    # the legend of the same rerun: read both again until the rerun is drawn, 10 s at most)
    for _ in range(50):
        stop = page.get_by_text(re.compile(r"^\d+ / \d+ — .* · [\d,]+ actors$")).inner_text()
        actors = int(stop.rsplit("· ", 1)[1].split()[0].replace(",", ""))
        legend = [
            int(page.get_by_text(re.compile(rf"^{re.escape(HELIX_LABELS[h])} \(\d+\)$"))
                .inner_text().rsplit("(", 1)[1].rstrip(")"))
            for h in HELICES
        ]  # fmt: skip
        if sum(legend) == actors:
            break
        page.wait_for_timeout(200)
    assert sum(legend) == actors
    # the map fills the rest of the window, and nothing is cut
    page.wait_for_function(  # the page script sizes the map on its next tick
        """() => { const r = document.querySelector('[data-testid="stDeckGlJsonChart"]')
                   .getBoundingClientRect(); return r.bottom >= 640 && r.bottom <= 720; }"""
    )
    box = chart.bounding_box()
    assert box is not None
    assert 720 - 80 <= box["y"] + box["height"] <= 720  # the attribution line below it
    assert box["height"] >= 0.5 * 720
    credits = page.get_by_text(settings.attribution).bounding_box()
    assert credits is not None and credits["y"] + credits["height"] <= 720  # not cut off
    leave = page.get_by_role("button", name="Leave presentation")
    assert leave.evaluate("b => b.scrollWidth <= b.clientWidth")
    page.screenshot(path=tmp_path / "present-1280x720.png")
    leave.click()
    page.wait_for_url(re.compile(r"/$"))  # neither present= nor step= is left
    expect(page.locator('[data-testid="stSidebar"]').get_by_text(COUNT)).to_be_visible()
    page.context.close()


def test_presentation_map_fills_a_large_projector(app_url: str, browser: Browser) -> None:
    page = new_page(browser, 1920, 1080)
    page.goto(app_url + "?present=1&step=2")
    _map_canvas(page)
    page.wait_for_function(  # the page script sizes the map on its next tick
        """() => { const r = document.querySelector('[data-testid="stDeckGlJsonChart"]')
                   .getBoundingClientRect(); return r.bottom >= 1000 && r.bottom <= 1080; }"""
    )
    box = page.locator('[data-testid="stDeckGlJsonChart"]').first.bounding_box()
    assert box is not None
    assert 1080 - 80 <= box["y"] + box["height"] <= 1080  # the attribution line below it
    credits = page.get_by_text(settings.attribution).bounding_box()
    assert credits is not None and credits["y"] + credits["height"] <= 1080
    page.context.close()


def test_the_wheel_scrolls_the_page_over_the_map(app_url: str, page: Page) -> None:
    page.goto(app_url)
    canvas = _map_canvas(page)
    # the whole page is drawn (the summary under the map), so that there is room to scroll
    expect(
        page.get_by_role("figure", name="Actors per regional cluster and helix")
    ).to_be_attached()
    before = canvas.bounding_box()
    assert before is not None
    page.mouse.move(before["x"] + before["width"] / 2, before["y"] + before["height"] / 2)
    page.mouse.wheel(0, 300)
    moved = f"""() => document.querySelector('[data-testid="stDeckGlJsonChart"] canvas')
        .getBoundingClientRect().y < {before["y"] - 100}"""
    page.wait_for_function(moved, timeout=5000)  # the page moved up (scrolling is animated)
    expect(page.get_by_role("button", name="Zoom in")).to_be_visible()
    expect(page.get_by_role("button", name="Zoom out")).to_be_visible()
