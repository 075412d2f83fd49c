"""The Streamlit app driven with AppTest: every control, on the bundled sample data.

Expected numbers are computed here from the library (merge, then plain pandas), never read
back from the app. NUTS geometries come from the ../shared/nuts mirror with a cache in a
temporary folder; the merged layers are cached for the whole module, as in a real session.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import streamlit.testing.v1.app_test as app_test_module
from click.testing import CliRunner
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from metacluster import framing, settings
from metacluster.cli import main as cli
from metacluster.export import render
from metacluster.export.csv import frame_to_csv
from metacluster.filter import Filters, apply_filters
from metacluster.manifest import load_manifest
from metacluster.merge import merge
from metacluster.schema import HELICES, HELIX_LABELS
from metacluster.ui import deck, mapview, static
from metacluster.ui.data import DATA_OVERRIDE_ENV
from metacluster.ui.mapview import PRESENT_HEIGHT, PRESENT_WIDTH
from metacluster.ui.panels import escape_markdown
from metacluster.ui.present import TOUR_MAX_ZOOM
from metacluster.ui.sidebar import MAP_OPTIONS, MORE_FILTERS
from tests.conftest import PROJECT_ROOT, TEST_DATA
from tests.serve import APP
from tests.ui_sample import XSS_NAME, bar_counts, drawn, table_rows

SMARTCULTURE = PROJECT_ROOT / "layers" / "metacluster.toml"
SMARTSPACE = PROJECT_ROOT / "layers" / "smartspace.toml"
TIMEOUT = 180


@pytest.fixture(scope="module", autouse=True)
def mirror_settings(nuts_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The NUTS mirror and a temporary cache for the whole module (``nuts_from_mirror`` for
    one test would merge the sample layers again in every test)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "nuts_source", str(nuts_mirror))
        patch.setattr(settings, "cache_folder", tmp_path_factory.mktemp("nuts-cache"))
        patch.delenv(DATA_OVERRIDE_ENV, raising=False)
        yield


@pytest.fixture(scope="module")
def smartculture() -> gpd.GeoDataFrame:
    return merge(SMARTCULTURE).actors


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch) -> list[MemoryMediaFileStorage]:
    """Keeps AppTest's media storage and manager so tests can fetch downloads."""
    kept: list[Any] = []

    class Storage(MemoryMediaFileStorage):
        def __init__(self, endpoint: str) -> None:
            super().__init__(endpoint)
            kept.append(self)

    class Manager(MediaFileManager):
        def __init__(self, storage: Any) -> None:
            super().__init__(storage)
            kept.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Storage)
    monkeypatch.setattr(app_test_module, "MediaFileManager", Manager)
    return kept


def downloaded(kept: list[Any], button: Any) -> tuple[str, bytes]:
    """(file name, bytes) a click on a download button gives, deferred or not."""
    storage, manager = kept[-2], kept[-1]  # the last run's
    file_id = button.proto.deferred_file_id
    url = manager.execute_deferred(file_id) if file_id else button.proto.url
    stored = storage.get_file(url.rsplit("/", 1)[1])
    return stored.filename, stored.content


def start(**query: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_map_options(at: AppTest) -> AppTest:
    """Open the sidebar's map options: folded away by default, their widgets not drawn."""
    at.session_state[MAP_OPTIONS] = True
    return rerun(at)


def open_more_filters(at: AppTest) -> AppTest:
    """Open the sidebar's NUTS region and theme filters: folded away unless in force."""
    at.session_state[MORE_FILTERS] = True
    return rerun(at)


def spec(at: AppTest) -> dict[str, Any]:
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


def layer(at: AppTest, layer_id: str) -> dict[str, Any]:
    return next(item for item in spec(at)["layers"] if item["id"] == layer_id)


def count_line(at: AppTest) -> str:
    return next(m.value for m in at.sidebar.markdown if "actors**" in m.value)


def click_map(at: AppTest, layer_id: str, item: dict[str, Any]) -> AppTest:
    """Select one object on the map as a click in the browser does. AppTest has no
    public way to set a chart selection (it is read-only), so the widget state the
    browser would send is added to the next run's states."""
    chart = at.get("deck_gl_json_chart")[0]
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = chart.proto.id
    state.string_value = json.dumps(
        {"selection": {"indices": {layer_id: [0]}, "objects": {layer_id: [item]}}}
    )
    at._run(states)
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_bars(at: AppTest, title: str) -> dict[str, dict[str, int]]:
    """The counts per bar and helix of the HTML bar chart titled ``title``."""
    body = next(h.proto.body for h in at.get("html") if f'aria-label="{title}"' in h.proto.body)
    return bar_counts(body)[0]


def card(at: AppTest) -> dict[str, str]:
    """The details card shown (Markdown lines "**Field:** value"), as field -> value with
    the Markdown escapes undone."""
    text = next(m.value for m in at.markdown if m.value.startswith("**Helix:**"))
    fields = re.findall(r"^\*\*(.+?):\*\* (.*?)(?:  )?$", text, flags=re.M)
    return {re.sub(r"\\(.)", r"\1", k): re.sub(r"\\(.)", r"\1", v) for k, v in fields}


def newest_mtime(manifest_path: Path) -> str:
    manifest = load_manifest(manifest_path)
    files = [manifest_path, *(entry.file for entry in manifest.maps)]
    newest = max(int(f.stat().st_mtime) for f in files)
    return dt.datetime.fromtimestamp(newest, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- opening --------------------------------------------------------------------------


def test_app_opens_on_the_bundled_meta_cluster(smartculture: gpd.GeoDataFrame) -> None:
    at = start()
    manifest = load_manifest(SMARTCULTURE)
    assert at.title[0].value == manifest.title
    total = len(smartculture)
    assert count_line(at) == f"**{total:,} of {total:,} actors**"
    assert [item["id"] for item in spec(at)["layers"]] == [
        "countries",
        "borders",
        "regions",
        "region-outlines",
        "links",
        "actors",
    ]
    actors = layer(at, "actors")
    assert sorted(row["id"] for row in actors["data"]) == sorted(smartculture["actor_id"])
    assert actors["pickable"] and layer(at, "regions")["pickable"]
    regions = layer(at, "regions")["data"]["features"]
    assert {f["properties"]["id"] for f in regions} == set(smartculture["nuts2"].dropna())
    # the regions' outlines are segments of a LineLayer (a polygon stroke is a PathLayer,
    # slow in software WebGL): every shaded region outlined, nothing else
    assert not layer(at, "regions")["stroked"]
    outlines = layer(at, "region-outlines")
    assert outlines["@@type"] == "LineLayer" and not outlines["pickable"]
    boundaries = [shapely.boundary(shapely.geometry.shape(f["geometry"])) for f in regions]
    segments = shapely.linestrings([[(x1, y1), (x2, y2)] for x1, y1, x2, y2 in outlines["data"]])
    assert shapely.distance(segments, shapely.union_all(boundaries)).max() < 1e-4
    assert all(shapely.intersects(segments, boundary).any() for boundary in boundaries)
    assert any(settings.attribution in caption.value for caption in at.caption)
    assert "cartocdn" not in at.get("deck_gl_json_chart")[0].proto.json  # offline by default
    assert not at.error and not at.warning
    assert at.query_params == {}  # the default view has a bare URL


def test_large_layers_are_served_as_files_and_small_ones_stay_inline(
    smartculture: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From ``INLINE_BELOW`` characters on, a layer reaches the browser as a static file
    (the JSON5 parser of Streamlit's map would take seconds over 100,000 inline actors)."""
    inline = layer(start(), "actors")["data"]
    assert isinstance(inline, list) and len(inline) == len(smartculture)
    monkeypatch.setattr(mapview, "INLINE_BELOW", 1)
    at = start(helix="academia", nuts="ITI")
    actors = layer(at, "actors")
    url = actors["data"]
    assert isinstance(url, str) and re.fullmatch(r"app/static/actors-[0-9a-f]{16}\.json", url)
    served = json.loads((PROJECT_ROOT / static.FOLDER_NAME / url.rsplit("/", 1)[1]).read_text())
    # the file holds the actors passing the server's criteria (NUTS), the browser draws the
    # academia ones among them
    centre = smartculture[smartculture["nuts1"] == "ITI"]
    assert served == [row for row in inline if row["id"] in set(centre["actor_id"])]
    academia = centre[centre["helix"] == "academia"]
    assert 0 < len(academia) < len(centre)
    assert sorted(r["id"] for r in drawn({**actors, "data": served})) == sorted(
        academia["actor_id"]
    )
    stems = {"countries": "basemap", "borders": "borders"}  # always files
    layers = spec(at)["layers"]
    assert [item["id"] for item in layers] == [
        "countries", "borders", "regions", "region-outlines", "links", "actors"
    ]  # fmt: skip
    for item in layers:
        stem = stems.get(item["id"], item["id"])
        assert re.fullmatch(rf"app/static/{stem}-[0-9a-f]{{16}}\.json", item["data"])
        served = json.loads(
            (
                PROJECT_ROOT / static.FOLDER_NAME / item["data"].removeprefix(static.URL_PREFIX)
            ).read_text()
        )
        assert isinstance(served, list | dict)  # the data itself, not another URL


def test_the_browser_filters_the_actors_it_can_and_the_layer_stays_the_same(
    smartculture: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Helix, cluster and country are applied by deck.gl on the GPU: changing them sends
    the same actor file and other accepted categories; a NUTS region is the server's, and
    changes the file. Whatever the split, the map draws exactly the filtered actors."""
    monkeypatch.setattr(mapview, "INLINE_BELOW", 1)
    at = start()
    urls = []
    for key, value in [
        ("f_helix", ["academia"]),
        ("f_cluster", ["Toscana", "Yugozapaden"]),
        ("f_country", ["BG"]),
        ("f_helix", ["business", "unknown"]),
        ("f_nuts", ["ITI"]),
    ]:
        if key == "f_nuts":
            open_more_filters(at)
        at.multiselect(key=key).set_value(value)
        rerun(at)
        actors = layer(at, "actors")
        assert actors["extensions"] == [
            {"@@type": "DataFilterExtension", "categorySize": 3, "filterSize": 0}
        ]
        urls.append(actors["data"])
        path = PROJECT_ROOT / static.FOLDER_NAME / actors["data"].removeprefix(static.URL_PREFIX)
        rows = drawn({**actors, "data": json.loads(path.read_text())})
        filters = Filters.from_query_params(at.query_params)
        expected = apply_filters(smartculture, filters)
        assert sorted(r["id"] for r in rows) == sorted(expected["actor_id"]), filters
        assert count_line(at) == f"**{len(expected):,} of {len(smartculture):,} actors**"
    assert len(set(urls[:4])) == 1 and urls[4] != urls[0]


def test_more_actors_than_the_map_draws_shade_the_regions_until_the_filters_leave_few(
    smartculture: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over ``settings.max_dots`` filtered actors the map draws the choropleth (even when it
    is hidden) and no dots, and says so; under it, the dots are back, and when the
    server's criteria alone would leave more rows than that, the layer holds only the
    filtered actors (the GPU works on every row, drawn or not)."""
    academia = smartculture[smartculture["helix"] == "academia"]
    limit = len(academia) + 5
    assert limit < len(smartculture)
    monkeypatch.setattr(settings, "max_dots", limit)
    at = start(hide="regions")
    ids = [item["id"] for item in spec(at)["layers"]]
    assert "actors" not in ids and "regions" in ids
    legend = " ".join(block.proto.body for block in at.get("html"))
    assert f"{len(smartculture):,} actors are more than the map draws one by one ({limit})" in (
        legend
    )
    assert "Actors per region" in legend  # the choropleth's ramp, though hidden by the link

    at.multiselect(key="f_helix").set_value(["academia"])
    rerun(at)
    ids = [item["id"] for item in spec(at)["layers"]]
    assert "actors" in ids and "regions" not in ids
    actors = layer(at, "actors")
    assert "extensions" not in actors
    assert sorted(row["id"] for row in actors["data"]) == sorted(academia["actor_id"])
    assert "more than the map draws" not in " ".join(b.proto.body for b in at.get("html"))

    monkeypatch.setattr(settings, "max_dots", len(smartculture))  # every row fits: the GPU
    rerun(at)  # filters, and the rows are all the actors
    actors = layer(at, "actors")
    assert actors["extensions"][0]["@@type"] == "DataFilterExtension"
    assert len(actors["data"]) == len(smartculture)
    assert sorted(row["id"] for row in drawn(actors)) == sorted(academia["actor_id"])


# --- filters --------------------------------------------------------------------------


def test_helix_filter_changes_the_count_the_map_and_the_table(
    smartculture: gpd.GeoDataFrame,
) -> None:
    at = start()
    at.multiselect(key="f_helix").set_value(["academia"])
    rerun(at)
    academia = smartculture[smartculture["helix"] == "academia"]
    assert count_line(at) == f"**{len(academia):,} of {len(smartculture):,} actors**"
    assert sorted(r["id"] for r in drawn(layer(at, "actors"))) == sorted(academia["actor_id"])
    assert at.query_params == {"helix": "academia"}
    at.session_state["tab"] = "Table"
    rerun(at)
    table = at.dataframe[-1].value
    assert sorted(table["Name"]) == sorted(academia["name"])
    assert set(table["Helix"]) == {HELIX_LABELS["academia"]}


def test_country_cluster_and_search_filters_combine(smartculture: gpd.GeoDataFrame) -> None:
    at = start()
    at.multiselect(key="f_country").set_value(["IT"])
    rerun(at)
    in_italy = (smartculture["nuts0"] == "IT") | (smartculture["country"].str.upper() == "IT")
    assert count_line(at).startswith(f"**{in_italy.sum():,} of")
    cluster = load_manifest(SMARTCULTURE).clusters[0]
    at.multiselect(key="f_country").set_value([])
    at.multiselect(key="f_cluster").set_value([cluster])
    rerun(at)
    in_cluster = smartculture["regional_cluster"].map(lambda c: cluster in c)
    assert count_line(at).startswith(f"**{in_cluster.sum():,} of")
    at.text_input(key="f_q").set_value("universit")
    rerun(at)
    named = in_cluster & smartculture["name"].str.lower().str.contains("universit")
    assert count_line(at).startswith(f"**{named.sum():,} of")
    assert at.query_params == {"cluster": cluster, "q": "universit"}


def test_nuts_filter_offers_every_level_by_code_and_name(smartculture: gpd.GeoDataFrame) -> None:
    at = open_more_filters(start())
    nuts = at.multiselect(key="f_nuts")
    for level in range(4):
        for code in smartculture[f"nuts{level}"].dropna().unique():
            assert code in nuts.options or any(o.startswith(f"{code} — ") for o in nuts.options)
    code = "ITI1"
    name = smartculture.loc[smartculture["nuts2"] == code, "nuts2_name"].iloc[0]
    assert f"{code} — {name}" in nuts.options
    nuts.set_value([code])
    rerun(at)
    assert count_line(at).startswith(f"**{(smartculture['nuts2'] == code).sum():,} of")


def test_nuts_and_theme_filters_are_folded_away_until_opened(
    smartculture: gpd.GeoDataFrame,
) -> None:
    """Their lists are long, so they are drawn only when their expander is open; a link
    that sets them opens with them open, and folded they still filter, named in the
    header."""
    more = {"f_nuts", "f_theme"}
    at = start()
    assert not more & {box.key for box in at.multiselect}
    assert not [toggle for toggle in at.toggle if toggle.key == "f_themes_all"]
    open_more_filters(at)
    assert more <= {box.key for box in at.multiselect}
    at.multiselect(key="f_nuts").set_value(["ITI1"])
    rerun(at)
    at.session_state[MORE_FILTERS] = False  # the user folds it while ITI1 filters
    rerun(at)
    assert not more & {box.key for box in at.multiselect}
    assert at.query_params == {"nuts": "ITI1"}
    assert count_line(at).startswith(f"**{(smartculture['nuts2'] == 'ITI1').sum():,} of")
    summary = escape_markdown(Filters(nuts=("ITI1",)).summary())  # "NUTS region: ITI1"
    assert any(summary in m.value for m in at.markdown)
    theme = str(smartculture["themes"].explode().dropna().iloc[0])
    for query in ({"theme": theme}, {"themes_mode": "all"}, {"nuts": "ITI1"}):
        linked = start(**query)  # a copied link shows the filters it sets
        assert linked.multiselect(key="f_theme").value == ([theme] if "theme" in query else [])
        assert linked.toggle(key="f_themes_all").value is ("themes_mode" in query)
    assert not more & {box.key for box in start(helix="academia").multiselect}


def test_reset_clears_the_filters(smartculture: gpd.GeoDataFrame) -> None:
    at = start(helix="business", country="NL")
    assert at.multiselect(key="f_helix").value == ["business"]
    at.sidebar.button[0].click()  # "Reset filters" is the sidebar's only button
    rerun(at)
    assert at.multiselect(key="f_helix").value == []
    assert count_line(at) == f"**{len(smartculture):,} of {len(smartculture):,} actors**"
    assert at.query_params == {}


# --- URL ------------------------------------------------------------------------------


def test_a_copied_url_reopens_the_same_view(smartculture: gpd.GeoDataFrame) -> None:
    query = {
        "helix": ["academia", "government"],
        "country": "IT",
        "level": "3",
        "metric": "balance",
        "hide": "countries",
    }
    at = start(**query)
    assert at.multiselect(key="f_helix").value == ["academia", "government"]
    assert at.multiselect(key="f_country").value == ["IT"]
    # the map options are folded away (not drawn) and still follow the URL
    assert not [box for box in at.selectbox if box.key == "v_level"]
    assert {len(f["properties"]["id"]) for f in layer(at, "regions")["data"]["features"]} == {5}
    open_map_options(at)
    assert at.selectbox(key="v_level").value == 3
    assert at.selectbox(key="v_metric").value == "balance"
    assert at.toggle(key="v_layer_countries").value is False
    # Università degli Studi di Firenze and CNR-ISTI share a project: links stay on
    assert [item["id"] for item in spec(at)["layers"]] == [
        "regions", "region-outlines", "links", "actors"
    ]  # fmt: skip
    assert {len(f["properties"]["id"]) for f in layer(at, "regions")["data"]["features"]} == {5}
    assert at.query_params == query  # nothing lost or added
    kept = smartculture["helix"].isin(["academia", "government"]) & (smartculture["nuts0"] == "IT")
    assert count_line(at).startswith(f"**{kept.sum():,} of")


def test_view_options_go_into_the_url() -> None:
    at = open_map_options(start())
    at.selectbox(key="v_level").set_value(0)
    at.selectbox(key="v_metric").set_value("academia")
    at.toggle(key="v_layer_regions").set_value(False)
    at.toggle(key="v_basemap").set_value(True)
    rerun(at)
    assert at.query_params == {"level": "0", "metric": "academia", "hide": "regions",
                               "basemap": "online"}  # fmt: skip
    chart = spec(at)
    assert chart["mapStyle"] == deck.ONLINE_BASEMAP
    assert [item["id"] for item in chart["layers"]] == ["countries", "borders", "links", "actors"]
    assert any("CARTO" in caption.value for caption in at.caption)


def test_two_helices_chosen_in_the_sidebar_reopen_from_the_copied_url(
    smartculture: gpd.GeoDataFrame,
) -> None:
    at = open_map_options(start())
    at.multiselect(key="f_helix").set_value(["business", "civil_society"])
    at.selectbox(key="v_level").set_value(1)
    rerun(at)
    copied = dict(at.query_params)  # a repeated key as a list, as the browser's URL has it
    assert copied == {"helix": ["business", "civil_society"], "level": "1"}
    reopened = start(**copied)
    assert reopened.multiselect(key="f_helix").value == ["business", "civil_society"]
    assert spec(reopened) == spec(at)  # the same map, layer data and view included
    kept = smartculture["helix"].isin(["business", "civil_society"]).sum()
    assert count_line(reopened) == count_line(at) == f"**{kept:,} of {len(smartculture):,} actors**"


def test_choropleth_metric_level_and_year_change_the_map(
    smartculture: gpd.GeoDataFrame, nuts_mirror: Path
) -> None:
    at = open_map_options(start())
    at.selectbox(key="v_metric").set_value("civil_society")
    at.selectbox(key="v_level").set_value(3)
    rerun(at)
    features = layer(at, "regions")["data"]["features"]
    assert {f["properties"]["id"] for f in features} == set(smartculture["nuts3"].dropna())
    civil = smartculture[smartculture["helix"] == "civil_society"]["nuts3"].value_counts()
    top = civil.idxmax()
    fills = {f["properties"]["id"]: f["properties"]["fill"] for f in features}
    assert fills[top][:3] == list(deck.HELIX_COLOURS["civil_society"])  # the maximum: full colour
    empty = next(code for code in fills if code not in civil.index)
    assert fills[empty][:3] == [247, 247, 247]  # no civil-society actor: the ramp's start
    at.selectbox(key="v_year").set_value(2024)
    rerun(at)
    assert at.query_params == {"metric": "civil_society", "level": "3", "year": "2024"}
    joined_2024 = merge(SMARTCULTURE, year=2024).actors
    features = layer(at, "regions")["data"]["features"]
    assert {f["properties"]["id"] for f in features} == set(joined_2024["nuts3"].dropna())
    regions_2024 = gpd.read_file(nuts_mirror / "NUTS_RG_20M_2024_4326_LEVL_3.geojson")
    code = features[0]["properties"]["id"]
    drawn = shapely.geometry.shape(features[0]["geometry"])
    assert drawn.equals_exact(regions_2024.set_index("NUTS_ID").geometry[code], 1e-9)
    # the year stays while another control changes
    at.multiselect(key="f_helix").set_value(["academia"])
    rerun(at)
    assert at.query_params["year"] == "2024"
    assert at.selectbox(key="v_year").value == 2024


def test_a_bad_link_shows_a_warning_and_the_default_view(smartculture: gpd.GeoDataFrame) -> None:
    at = start(helix="artists", level="9")
    assert "artists" in at.warning[0].value
    assert count_line(at) == f"**{len(smartculture):,} of {len(smartculture):,} actors**"


# --- manifests ------------------------------------------------------------------------


def test_the_selector_switches_meta_cluster_and_resets_filters() -> None:
    smartspace = merge(SMARTSPACE).actors
    at = start(helix="academia")
    title = load_manifest(SMARTSPACE).title
    at.selectbox(key="src_manifest").set_value(title)
    rerun(at)
    assert at.title[0].value == title
    assert count_line(at) == f"**{len(smartspace):,} of {len(smartspace):,} actors**"
    assert at.query_params == {"manifest": "smartspace"}
    reopened = start(manifest="smartspace")
    assert reopened.title[0].value == title
    assert set(reopened.multiselect(key="f_cluster").options) == set(
        load_manifest(SMARTSPACE).clusters
    )


# --- export ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "fmt", "what", "name"),
    [
        ("download_actors_geojson", "geojson", "actors", "smartculture-actors-academia-IT.geojson"),
        ("download_actors_csv", "csv", "actors", "smartculture-actors-academia-IT.csv"),
        ("download_actors_kml", "kml", "actors", "smartculture-actors-academia-IT.kml"),
        ("download_regions_geojson", "geojson", "regions",
         "smartculture-regions-nuts2-academia-IT.geojson"),
        ("download_regions_csv", "csv", "regions", "smartculture-regions-nuts2-academia-IT.csv"),
        ("download_map_html", "html", "map", "smartculture-map-academia-IT.html"),
        ("download_map_png", "png", "map", "smartculture-map-academia-IT.png"),
    ],
)  # fmt: skip
def test_downloads_equal_the_library_and_the_cli(
    media: list[Any], smartculture: gpd.GeoDataFrame, key: str, fmt: str, what: str, name: str
) -> None:
    at = start(helix="academia", country="IT")
    at.session_state["tab"] = "Export"
    rerun(at)
    file_name, data = downloaded(media, at.download_button(key=key))
    assert file_name == name
    generated_at = newest_mtime(SMARTCULTURE)
    filters = Filters(helix=("academia",), countries=("IT",))
    expected = render(smartculture, filters, fmt=fmt, what=what, level=2, generated_at=generated_at)
    assert data == expected
    result = CliRunner().invoke(
        cli,
        ["export", str(SMARTCULTURE), "--helix", "academia", "--country", "IT", "--what", what,
         *(["--level", "2"] if what == "regions" else []), "--format", fmt, "-o", "-",
         "--generated-at", generated_at],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == data
    if fmt == "geojson" and what == "actors":
        collection = json.loads(data)
        assert (
            len(collection["features"])
            == ((smartculture["helix"] == "academia") & (smartculture["nuts0"] == "IT")).sum()
        )


def test_region_profile_download_needs_one_place_and_equals_the_cli(
    media: list[Any], smartculture: gpd.GeoDataFrame
) -> None:
    at = start(country="IT")
    at.session_state["tab"] = "Export"
    rerun(at)
    assert at.download_button(key="download_profile_pdf").proto.disabled
    at = start(nuts="ITI1", metric="balance")
    at.session_state["tab"] = "Export"
    rerun(at)
    button = at.download_button(key="download_profile_pdf")
    assert not button.proto.disabled
    file_name, data = downloaded(media, button)
    assert file_name == "smartculture-profile-ITI1.pdf"
    generated_at = newest_mtime(SMARTCULTURE)
    result = CliRunner().invoke(
        cli,
        ["export", str(SMARTCULTURE), "--what", "profile", "--nuts", "ITI1", "--metric",
         "balance", "--format", "pdf", "-o", "-", "--generated-at", generated_at],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == data


# --- upload ---------------------------------------------------------------------------


def test_an_upload_is_merged_and_its_rejects_reported(media: list[Any]) -> None:
    at = start()
    content = (TEST_DATA / "ui_upload_map.csv").read_bytes()
    at.file_uploader(key="upload_files").set_value(("ui_upload_map.csv", content, "text/csv"))
    rerun(at)
    assert count_line(at) == "**2 of 2 actors**"
    assert at.title[0].value == "Ad-hoc layer of 1 map"
    report = at.dataframe[0].value
    assert report.to_dict("records")[0] == {
        "Map": "Ui Upload Map",
        "File": "ui_upload_map.csv",
        "Rows": 3,
        "Accepted": 2,
        "Rejected": 1,
        "Reasons": "no usable location (1)",
    }
    _, rejects = downloaded(media, at.download_button(key="upload_rejects"))
    expected = merge([TEST_DATA / "ui_upload_map.csv"]).report.rejects
    assert rejects == frame_to_csv(expected)  # same rows, same spreadsheet-safe CSV
    assert pd.read_csv(io.BytesIO(rejects), encoding="utf-8-sig")["reason"].tolist() == [
        "no usable location"
    ]
    # the upload survives presentation mode and comes back after it
    at.toggle(key="v_present").set_value(True)
    rerun(at)
    assert len(drawn(layer(at, "actors"))) == 2
    at.button(key="tour_leave").click()
    rerun(at)
    assert count_line(at) == "**2 of 2 actors**"
    at.button(key="upload_clear").click()
    rerun(at)
    assert at.title[0].value == load_manifest(SMARTCULTURE).title


def test_a_bad_upload_shows_the_readers_message_not_a_traceback() -> None:
    at = start()
    broken = (TEST_DATA / "ui_broken.kml").read_bytes()
    at.file_uploader(key="upload_files").set_value(
        ("ui_broken.kml", broken, "application/vnd.google-earth.kml+xml")
    )
    rerun(at)
    assert not at.exception
    shown = escape_markdown("ui_broken.kml: is not well-formed XML")  # Markdown shows it as text
    assert at.error[0].value.startswith(shown)
    assert at.title[0].value == load_manifest(SMARTCULTURE).title  # the bundled data stays


MAPPING_CSV = (
    b"Organisation;Sort;lat;lon;country\n"
    b"Alpha;academia;50.63;3.06;FR\n"
    b"Beta;business;50.64;3.07;FR\n"
    b"Gamma;;50.65;3.08;FR\n"
    b"Delta;;41.72;44.79;GE\n"  # Tbilisi: outside NUTS
    b"Epsilon;;41.65;41.64;GE\n"  # Batumi
)


def helix_colours(at: AppTest) -> list[list[int]]:
    return sorted(row["c"] for row in drawn(layer(at, "actors")))


def test_the_upload_mapping_step_shows_the_guess_and_takes_corrections() -> None:
    from metacluster.schema import HELIX_COLOURS
    from metacluster.ui import mapping

    at = start()
    at.file_uploader(key="upload_files").set_value(("mapping.csv", MAPPING_CSV, "text/csv"))
    rerun(at)
    unknown = list(HELIX_COLOURS["unknown"])
    assert helix_colours(at) == [unknown] * 5  # "Sort" is not a helix header: not guessed
    key = mapping.widget_key("mapping.csv", "helix")
    assert at.selectbox(key=key).value == mapping.NOT_USED
    assert at.selectbox(key=mapping.widget_key("mapping.csv", "name")).value == "Organisation"
    preview = next(d.value for d in at.dataframe if "Sort" in d.value.columns)
    assert preview["Organisation"].tolist() == ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"]
    # the import report counts the actors outside NUTS per country; the summary does not
    # claim complete regions when most helices are unknown
    assert any(c.value == "Outside every NUTS region, per country: GE 2" for c in at.caption)
    assert "2 actors outside every NUTS region" in [e.label for e in at.expander]
    assert not any("all four helices" in s.value for s in at.success)
    assert any("100% of the actors have an unknown helix" in w.value for w in at.warning)

    at.selectbox(key=key).set_value("Sort")
    rerun(at)
    academia, business = list(HELIX_COLOURS["academia"]), list(HELIX_COLOURS["business"])
    assert helix_colours(at) == sorted([academia, business, unknown, unknown, unknown])
    assert at.session_state[mapping.MAPPINGS]["mapping.csv"]["helix"] == "Sort"

    at.selectbox(key=mapping.HELIX_BOX).set_value("civil_society")
    rerun(at)
    civil = list(HELIX_COLOURS["civil_society"])
    assert helix_colours(at) == sorted([academia, business, civil, civil, civil])

    # remembered per file name: the same file uploaded again keeps its columns
    at.button(key="upload_clear").click()
    rerun(at)
    at.file_uploader(key="upload_files").set_value(("mapping.csv", MAPPING_CSV, "text/csv"))
    rerun(at)
    assert helix_colours(at) == sorted([academia, business, civil, civil, civil])
    at.button(key=mapping.widget_key("mapping.csv", "reset")).click()
    rerun(at)
    assert at.selectbox(key=key).value == mapping.NOT_USED
    assert mapping.widget_key("mapping.csv", "reset") not in [b.key for b in at.button]


def test_an_upload_outside_nuts_is_not_called_complete() -> None:
    at = start()
    outside = b"name,helix,lat,lon,country\nTbilisi State University,academia,41.72,44.79,GE\n"
    at.file_uploader(key="upload_files").set_value(("georgia.csv", outside, "text/csv"))
    rerun(at)
    assert not any("all four helices" in s.value for s in at.success)
    assert any(i.value.startswith("No region has actors") for i in at.info)


# --- map and details ------------------------------------------------------------------


def test_tooltips_are_plain_text_and_cards_escape_html() -> None:
    at = start()
    content = (TEST_DATA / "ui_upload_map.csv").read_bytes()
    at.file_uploader(key="upload_files").set_value(("xss.csv", content, "text/csv"))
    rerun(at)
    chart = at.get("deck_gl_json_chart")[0]
    assert json.loads(chart.proto.tooltip) == deck.TOOLTIP  # "text": set with innerText
    rows = drawn(layer(at, "actors"))
    hostile = next(row for row in rows if "onerror" in row["tip"])
    assert hostile["tip"].split("\n")[0] == XSS_NAME  # shown as written, never parsed
    click_map(at, "actors", hostile)
    heading = next(m.value for m in at.markdown if m.value.startswith("####"))
    assert heading == "#### " + escape_markdown(XSS_NAME)  # Markdown shows it as text
    assert "<img" not in heading.replace("\\<img", "")
    assert card(at)["City"] == "Lyon"
    assert all(XSS_NAME not in m.value for m in at.markdown)


def test_clicking_an_actor_opens_its_card(smartculture: gpd.GeoDataFrame) -> None:
    at = start()
    row = drawn(layer(at, "actors"))[0]
    click_map(at, "actors", row)
    actor = smartculture[smartculture["actor_id"] == row["id"]].iloc[0]
    fields = card(at)
    assert fields["Actor id"] == actor["actor_id"]
    assert fields["Helix"] == HELIX_LABELS[actor["helix"]]
    assert actor["nuts3"] in fields["NUTS regions"]
    assert fields["Sources"] == "; ".join(actor["source_maps"])


def test_clicking_a_region_opens_its_profile(smartculture: gpd.GeoDataFrame) -> None:
    at = start()
    feature = layer(at, "regions")["data"]["features"][0]
    code = feature["properties"]["id"]
    click_map(at, "regions", feature)
    heading = next(m.value for m in at.markdown if m.value.startswith("####"))
    name = feature["properties"]["tip"].split("\n")[0].split(" (")[0]
    assert heading == f"#### {escape_markdown(name)} ({code})"
    bars = chart_bars(at, "Actors per helix")
    inside = smartculture[smartculture["nuts2"] == code]
    expected = inside["helix"].value_counts()
    assert {label: sum(b.values()) for label, b in bars.items()} == {
        HELIX_LABELS[h]: expected.get(h, 0) for h in HELIX_LABELS if h != "unknown" or h in expected
    }
    assert sorted(at.dataframe[0].value["Name"]) == sorted(inside["name"])


# --- summary --------------------------------------------------------------------------


def test_summary_counts_helices_per_cluster(smartculture: gpd.GeoDataFrame) -> None:
    at = start()
    bars = chart_bars(at, "Actors per regional cluster and helix")
    exploded = smartculture[["regional_cluster", "helix"]].explode("regional_cluster")
    clusters = load_manifest(SMARTCULTURE).clusters
    assert list(bars) == list(clusters)
    for cluster in clusters:
        expected = exploded.loc[exploded["regional_cluster"] == cluster, "helix"].value_counts()
        assert bars[cluster] == {h: int(n) for h, n in expected.items() if n}


@pytest.mark.parametrize(("level", "helix"), [("2", None), ("3", "academia")])
def test_summary_lists_the_regions_missing_a_helix(
    smartculture: gpd.GeoDataFrame, level: str, helix: str | None
) -> None:
    """The regions whose (filtered) actors lack a helix, read back from the summary's
    HTML and checked against the actors themselves; a table of more than 20 rows (NUTS 3,
    academia only) is HTML too, so no data grid is loaded for it."""
    at = start(level=level, **({"helix": helix} if helix else {}))
    body = next(h.proto.body for h in at.get("html") if "Regions missing a helix" in h.proto.body)
    header, *rows = table_rows(body)
    assert header == ["Region", "Actors", "Missing helices"] and rows
    assert len(rows) > 20 or level == "2"
    assert not at.dataframe
    assert [int(row[1]) for row in rows] == sorted((int(row[1]) for row in rows), reverse=True)
    shown = smartculture if helix is None else smartculture[smartculture["helix"] == helix]
    for region, actors, missing in rows:
        code = region.rsplit("(", 1)[1].rstrip(")")
        inside = shown[shown[f"nuts{level}"] == code]
        assert int(actors) == len(inside), region
        absent = [HELIX_LABELS[h] for h in HELICES if h not in set(inside["helix"])]
        assert missing.split(", ") == absent, region


# --- presentation ---------------------------------------------------------------------


def test_presentation_mode_hides_controls_and_tours_the_clusters(
    smartculture: gpd.GeoDataFrame,
) -> None:
    at = start(present="1")
    assert not at.sidebar.children  # nothing in the sidebar, so no sidebar at all
    assert not (at.multiselect or at.selectbox or at.toggle or at.text_input or at.file_uploader)
    assert {b.key for b in at.button} == {"tour_previous", "tour_next", "tour_leave"}
    assert any('[data-testid="stSidebar"]' in h.value for h in at.html)
    order = [node.type for node in at.main if node.type in ("markdown", "deck_gl_json_chart")]
    legend = next(i for i, n in enumerate(at.main) if "Academia &amp; research" in str(
        getattr(n, "value", "")))  # fmt: skip
    chart = next(i for i, n in enumerate(at.main) if n.type == "deck_gl_json_chart")
    assert "deck_gl_json_chart" in order and legend < chart  # the legend is on screen with the map
    clusters = load_manifest(SMARTCULTURE).clusters
    at.button(key="tour_next").click()
    rerun(at)
    assert at.query_params == {"present": "1", "step": "1"}
    label = f"1 / {len(clusters)} — {escape_markdown(clusters[0])}"  # shown as text
    assert any(label in m.value for m in at.markdown)
    members = smartculture[smartculture["regional_cluster"].map(lambda c: clusters[0] in c)]
    expected = framing.view_for_points(
        members.geometry, width=PRESENT_WIDTH, height=PRESENT_HEIGHT, max_zoom=TOUR_MAX_ZOOM
    )
    assert spec(at)["initialViewState"] == expected.as_dict()
    at.button(key="tour_next").click()
    rerun(at)
    label = f"2 / {len(clusters)} — {escape_markdown(clusters[1])}"
    assert any(label in m.value for m in at.markdown)
    assert spec(at)["initialViewState"] != expected.as_dict()
    at.button(key="tour_previous").click()
    rerun(at)
    assert spec(at)["initialViewState"] == expected.as_dict()
    at.button(key="tour_leave").click()
    rerun(at)
    assert at.multiselect(key="f_helix") is not None
    assert at.query_params == {}  # the sidebar is back and the tour step is gone


def test_a_tour_stop_looks_at_the_clusters_home_region(smartculture: gpd.GeoDataFrame) -> None:
    manifest = load_manifest(SMARTCULTURE)
    number, entry = next(
        (i, e) for i, e in enumerate(manifest.maps, 1) if e.cluster == "Comunidad de Madrid"
    )
    at = start(present="1", step=str(number))
    members = smartculture[smartculture["regional_cluster"].map(lambda c: entry.cluster in c)]
    assert entry.home_nuts == "ES30"  # a NUTS-2 code
    at_home = members[members["nuts2"] == "ES30"]
    # EIT Digital's Madrid office is a branch of the Eindhoven one now, not merged into it
    # (same website, other country): every member of Madrid's map is at home.
    assert 0 < len(at_home) <= len(members)
    expected = framing.view_for_points(
        at_home.geometry, width=PRESENT_WIDTH, height=PRESENT_HEIGHT, max_zoom=TOUR_MAX_ZOOM
    )
    assert spec(at)["initialViewState"] == expected.as_dict()
    assert expected.zoom >= 6.5  # the Madrid region, not half of Europe
    assert any(f"· {len(members)} actors" in m.value for m in at.markdown)


def test_presentation_keeps_the_filters_of_the_link(smartculture: gpd.GeoDataFrame) -> None:
    at = start(present="1", helix="business")
    business = smartculture[smartculture["helix"] == "business"]
    assert sorted(r["id"] for r in drawn(layer(at, "actors"))) == sorted(business["actor_id"])
    assert layer(at, "actors")["radiusMinPixels"] > 3  # bigger points for a projector
