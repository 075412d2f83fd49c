"""The workspace in the app: AppTest for the sessions, Chromium for the upload and reload.

A workspace (SQLite file) is created from the two-region test manifest; the app is pointed
at it with ``METACLUSTER_DATABASE_URL``. A partner's session opens the upload link, a
session without a token sees the merged map and no upload control.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect
from streamlit.testing.v1 import AppTest

from metacluster import settings
from metacluster.ui.data import DATA_OVERRIDE_ENV
from metacluster.workspace import COORDINATOR, DATABASE_URL_ENV, Workspace, init_workspace
from tests.browser_fixtures import PAGE_TIMEOUT_MS, wait_idle
from tests.conftest import TEST_DATA
from tests.serve import APP, running_app

MANIFEST = TEST_DATA / "merge" / "partnership.toml"
TIMEOUT = 180
LAZIO_V2 = """name,helix,city,lat,lon
Sapienza Università di Roma,academia,Roma,41.9029,12.5144
Università Roma Tre,academia,Roma,41.8533,12.4785
"""


@pytest.fixture(scope="module")
def workspace_file(
    nuts_mirror: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, str]]]:
    """A workspace made from the test manifest, and the tokens init handed out."""
    folder = tmp_path_factory.mktemp("workspace-app")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "nuts_source", str(nuts_mirror))
        patch.setattr(settings, "cache_folder", folder / "nuts-cache")
        workspace, handed_out = init_workspace(MANIFEST, folder / "partnership.sqlite")
        workspace.close()
        yield folder / "partnership.sqlite", handed_out


@pytest.fixture
def app_env(
    workspace_file: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    path, handed_out = workspace_file
    monkeypatch.setenv(DATABASE_URL_ENV, str(path))
    monkeypatch.delenv(DATA_OVERRIDE_ENV, raising=False)
    monkeypatch.setattr(settings, "nuts_source", str(path.parent.parent / "nuts"))
    return handed_out


def _texts(app: AppTest) -> str:
    parts = [m.value for m in app.markdown] + [c.value for c in app.caption]
    parts += [e.label for e in app.expander]
    return "\n".join(str(p) for p in parts)


def _maps_table(app: AppTest) -> pd.DataFrame:
    """The sidebar's per-map table: version, last updated by and when."""
    (panel,) = [e for e in app.expander if e.label == "Partnership workspace: regional maps"]
    return panel.dataframe[0].value


def test_partner_link_in_apptest(
    app_env: dict[str, str], nuts_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "nuts_source", str(nuts_mirror))
    partner = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    partner.query_params["token"] = app_env["lazio"]
    partner.run()
    assert not partner.exception, partner.exception
    assert "token" not in partner.query_params  # moved out of the URL on the first run
    labels = [e.label for e in partner.expander]
    assert any(label.startswith("Publish a new version of Lazio") for label in labels)
    assert "Signed in with the upload link of Lazio Innova." in _texts(partner)
    assert all(app_env["lazio"] not in str(v) for v in _texts(partner).split("\n"))

    visitor = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    visitor.run()
    assert not visitor.exception, visitor.exception
    assert not any(e.label.startswith("Publish") for e in visitor.expander)
    assert visitor.title[0].value == "Two-region test meta-cluster"
    maps = _maps_table(visitor)
    assert list(maps["map"]) == ["Île-de-France", "Lazio"]

    # a publish elsewhere (the CLI, another partner) shows on the next run
    path = Path(os.environ[DATABASE_URL_ENV])
    csv = path.parent / "lazio-apptest.csv"
    csv.write_text(LAZIO_V2, encoding="utf-8")
    with Workspace.open(path) as workspace:
        draft = workspace.prepare("lazio", csv, token=app_env[COORDINATOR])
        number = workspace.publish(draft, token=app_env[COORDINATOR])
    visitor.run()
    maps = _maps_table(visitor)
    lazio = maps[maps["map"] == "Lazio"].iloc[0]
    assert (lazio["version"], lazio["updated by"]) == (number, COORDINATOR)

    coordinator = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    coordinator.query_params["token"] = app_env[COORDINATOR]
    coordinator.run()
    assert not any(e.label.startswith("Restore") for e in visitor.expander)
    coordinator.selectbox(key="ws_map").set_value("lazio").run()
    coordinator.selectbox(key="ws_restore_version").set_value(1).run()
    coordinator.button(key="ws_restore").click().run()
    assert not coordinator.exception, coordinator.exception
    assert [s.value for s in coordinator.success] == [
        f"Restored version 1 as version {number + 1}."
    ]
    lazio = _maps_table(coordinator).set_index("map").loc["Lazio"]
    assert (lazio["version"], lazio["actors"]) == (number + 1, 5)

    forged = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    forged.query_params["token"] = app_env["lazio"][:-2] + "xx"
    forged.run()
    assert [e.value for e in forged.error] == ["This token is not valid for this workspace."]
    assert not any(e.label.startswith("Publish") for e in forged.expander)


# --- a real browser ------------------------------------------------------------------------


@pytest.fixture
def served(
    workspace_file: tuple[Path, dict[str, str]], nuts_mirror: Path, tmp_path: Path
) -> Iterator[str]:
    path, _ = workspace_file
    env = {
        **os.environ,
        DATABASE_URL_ENV: str(path),
        "METACLUSTER_NUTS_SOURCE": str(nuts_mirror),
        "METACLUSTER_CACHE": str(tmp_path / "nuts-cache"),
        "HOME": str(tmp_path),
    }
    env.pop(DATA_OVERRIDE_ENV, None)
    try:
        with running_app(env, timeout_s=60) as url:
            yield url
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.fixture
def browser_pages(browser: Browser) -> Iterator[tuple[Page, Page]]:
    """Two pages in two browser contexts: two people, no shared cookies or storage."""
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2)]
    try:
        for context in contexts:
            context.set_default_timeout(PAGE_TIMEOUT_MS)
        yield contexts[0].new_page(), contexts[1].new_page()
    finally:
        for context in contexts:
            context.close()


@pytest.mark.browser
def test_partner_publishes_and_visitor_sees_it_after_reload(
    served: str,
    workspace_file: tuple[Path, dict[str, str]],
    browser_pages: tuple[Page, Page],
    tmp_path: Path,
) -> None:
    _, handed_out = workspace_file
    token = handed_out["ile-de-france"]
    partner, visitor = browser_pages
    visitor.goto(served)
    visitor_sidebar = visitor.locator('[data-testid="stSidebar"]')
    expect(visitor_sidebar.get_by_text("Partnership workspace: regional maps")).to_be_visible(
        timeout=PAGE_TIMEOUT_MS
    )
    expect(visitor.locator('input[type="file"]')).to_have_count(0, timeout=PAGE_TIMEOUT_MS)

    partner.goto(f"{served}?token={token}")
    expect(partner.get_by_text("Signed in with the upload link of Cap Digital.")).to_be_visible(
        timeout=PAGE_TIMEOUT_MS
    )
    partner.wait_for_url(lambda url: "token" not in url)
    upload = tmp_path / "ile-de-france-2025.csv"
    upload.write_text(
        "name,helix,organisation_type,city,lat,lon\n"
        "Musée d'Orsay,civil_society,Museum,Paris,48.8600,2.3266\n"
        "Cap Digital,business,Innovation cluster,Paris,48.8770,2.3600\n"
        "Station F,business,Incubator,Paris,48.8340,2.3700\n",
        encoding="utf-8",
    )
    wait_idle(partner)
    panel = partner.locator('[data-testid="stExpander"]').filter(has_text="Publish a new version")
    panel.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        upload, timeout=2 * PAGE_TIMEOUT_MS
    )
    expect(partner.get_by_text(re.compile(r"1 added, 3 removed, 2 changed"))).to_be_visible(
        timeout=PAGE_TIMEOUT_MS
    )
    expect(partner.get_by_role("button", name="Publish as version 2")).to_be_visible(
        timeout=PAGE_TIMEOUT_MS
    )
    partner.get_by_text(re.compile(r"1 added, 3 removed")).scroll_into_view_if_needed()
    partner.screenshot(path=tmp_path / "workspace-diff.png")
    if os.environ.get("METACLUSTER_WORKSPACE_SCREENSHOT"):  # docs/workspace-diff.png
        partner.screenshot(path=os.environ["METACLUSTER_WORKSPACE_SCREENSHOT"])
    assert token not in partner.content()
    partner.get_by_role("button", name="Publish as version 2").click()
    expect(partner.get_by_text(re.compile("Published version 2"))).to_be_visible(
        timeout=PAGE_TIMEOUT_MS
    )

    visitor.reload()
    visitor_sidebar = visitor.locator('[data-testid="stSidebar"]')
    search = visitor_sidebar.locator('[data-testid="stTextInput"]').filter(has_text="Search")
    search.locator("input").fill("Station F")
    search.locator("input").press("Enter")
    expect(visitor_sidebar.get_by_text(re.compile(r"^1 of \d+ actors$"))).to_be_visible(
        timeout=PAGE_TIMEOUT_MS
    )
    expect(visitor.locator('input[type="file"]')).to_have_count(0, timeout=PAGE_TIMEOUT_MS)
    assert token not in visitor.content()
