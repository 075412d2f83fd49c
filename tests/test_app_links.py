"""Links in the app (AppTest, bundled SmartCulture sample): the arc layer and its toggle,
links with one end outside the filters, the Links tab, and "find partners" from the
missing-helices table. Expected numbers come from the library, never from the app."""

from __future__ import annotations

import json
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from metacluster.aggregate import aggregate_regions
from metacluster.filter import Filters, apply_filters
from metacluster.links import LinkedLayer, merge_with_links, select_links
from metacluster.manifest import as_manifest
from metacluster.partners import suggest_partners
from metacluster.schema import HELICES, HELIX_LABELS
from metacluster.ui.panels import PARTNER_FINDER, escape_markdown
from tests.conftest import PROJECT_ROOT
from tests.test_app import (  # noqa: F401 (module fixture)
    mirror_settings,
    open_map_options,
    rerun,
    start,
)

SMARTCULTURE = PROJECT_ROOT / "layers" / "metacluster.toml"


@pytest.fixture(scope="module")
def linked() -> LinkedLayer:
    return merge_with_links(SMARTCULTURE)


def layers(at: AppTest) -> dict[str, dict[str, Any]]:
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    return {item["id"]: item for item in spec["layers"]}


def test_arcs_are_drawn_toggled_and_follow_the_filters(linked: LinkedLayer) -> None:
    at = start()
    arcs = layers(at)["links"]
    assert arcs["@@type"] == "ArcLayer" and arcs["pickable"]
    assert len(arcs["data"]) == len(linked.edges) == 182
    row = arcs["data"][0]
    assert set(row) == {"s", "t", "c", "w", "h", "tip", "id"} and len(row["s"]) == 2
    assert [r["id"] for r in arcs["data"]] == [str(i) for i in range(len(linked.edges))]
    tips = {r["tip"].splitlines()[0] for r in arcs["data"]}
    assert "Brainport Development — Sofia Municipality" in tips
    assert any("Links:" in h.value and "project (167)" in h.value for h in at.html)

    open_map_options(at)
    at.toggle(key="v_layer_links").set_value(False)
    rerun(at)
    assert "links" not in layers(at)
    assert at.query_params["hide"] in ("links", ["links"])
    at.toggle(key="v_layer_links").set_value(True)
    rerun(at)

    # one cluster: links inside it; with the switch, also its links to other clusters
    at.multiselect(key="f_cluster").set_value(["Toscana"])
    rerun(at)
    toscana = apply_filters(linked.actors, Filters(clusters=("Toscana",)))["actor_id"]
    both = select_links(linked.edges, toscana, ends="both")
    either = select_links(linked.edges, toscana, ends="either")
    assert 0 < len(both) < len(either)
    assert len(layers(at)["links"]["data"]) == len(both)
    at.sidebar.toggle(key="links_either_end").set_value(True)
    rerun(at)
    assert len(layers(at)["links"]["data"]) == len(either)
    copied = dict(at.query_params)
    assert copied["links"] == "either"
    reopened = open_map_options(start(**copied))  # the copied URL keeps the switch
    assert reopened.sidebar.toggle(key="links_either_end").value is True
    assert len(layers(reopened)["links"]["data"]) == len(either)


def test_links_tab_shows_the_cluster_matrix(linked: LinkedLayer) -> None:
    at = start()
    at.session_state["tab"] = "Links"
    rerun(at)
    assert any("**182 links**" in m.value for m in at.markdown)
    matrix = next(c for c in at.get("vega_lite_chart") if '"rect"' in c.proto.spec)
    assert matrix is not None
    buttons = [b.proto.label for b in at.get("download_button")]
    assert "Links · GeoJSON" in buttons and "Links · CSV" in buttons


def open_partner_finder(at: AppTest) -> AppTest:
    at.session_state[PARTNER_FINDER] = True
    return rerun(at)


def test_find_partners_from_the_missing_helices_table(linked: LinkedLayer) -> None:
    at = open_partner_finder(start(level="3"))
    regions = aggregate_regions(linked.actors, level=3)
    missing = regions[regions["missing_helices"].map(len) > 0]
    code, helices = str(missing["NUTS_ID"].iloc[0]), list(missing["missing_helices"].iloc[0])
    assert at.selectbox(key="missing_region").value == code
    assert at.selectbox(key="missing_helix").value == helices[0]
    at.button(key="missing_find").click()
    rerun(at)
    expected = suggest_partners(linked.actors, region=code, helix=helices[0], links=linked.edges)
    table = next(d.value for d in at.dataframe if "Why" in d.value.columns)
    assert table["Name"].tolist() == expected["name"].tolist()
    assert table["Why"].tolist() == expected["why"].tolist()
    suggested = [r for r in layers(at)["links"]["data"] if r["tip"].startswith("Suggested")]
    assert len(suggested) == len(expected) > 0
    assert any("suggested partner" in h.value for h in at.html)  # in the legend
    assert any(b.proto.label == "Suggestions · CSV" for b in at.get("download_button"))


def _set_state(at: AppTest, element: Any, value: dict[str, Any]) -> AppTest:
    """Send a widget state as the browser does (AppTest cannot click charts or tables)."""
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = element.proto.id
    state.string_value = json.dumps(value)
    at._run(states)
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_actor_card_lists_projects_and_opens_a_partner(linked: LinkedLayer) -> None:
    at = start()
    sofia = linked.actors[linked.actors["name"] == "Sofia Municipality"].iloc[0]
    chart = at.get("deck_gl_json_chart")[0]
    item = {"id": sofia["actor_id"]}
    _set_state(
        at, chart, {"selection": {"indices": {"actors": [0]}, "objects": {"actors": [item]}}}
    )
    assert any(m.value.startswith("**Projects:** `OPENCULTDATA`") for m in at.markdown)
    table = next(d for d in at.dataframe if "Partner" in d.value.columns)
    edges = linked.edges
    touching = edges[
        (edges["source"] == sofia["actor_id"]) | (edges["target"] == sofia["actor_id"])
    ]
    # 15 project links (7 SmartCulture partners, 8 OPENCULTDATA ones) and 4 from links.csv
    # (two workshops, a staff exchange, mentoring) with partners it also has projects with
    assert len(table.value) == len(touching) == 19
    assert table.value["Partner"].nunique() == 15
    first = table.value["Partner"].iloc[0]
    _set_state(at, table, {"selection": {"rows": [0], "columns": []}})
    assert any(m.value == f"#### {escape_markdown(first)}" for m in at.markdown)  # its card


def test_presentation_tour_shows_the_arcs_with_the_stops_counts(linked: LinkedLayer) -> None:
    at = start(present="1", step="2")
    assert len(layers(at)["links"]["data"]) == len(linked.edges)
    legend = next(h.value for h in at.html if "Links:" in h.value)  # large type
    cluster = as_manifest(SMARTCULTURE).clusters[1]
    members = linked.actors[linked.actors["regional_cluster"].map(lambda c: cluster in c)]
    touching = select_links(linked.edges, members["actor_id"], ends="either")
    counts = touching["kind"].value_counts()
    assert 0 < len(touching) < len(linked.edges)
    for kind, count in counts.items():
        assert f"{kind} ({count:,})" in legend
    assert f"project ({(linked.edges['kind'] == 'project').sum():,})" not in legend


def test_clicking_an_arc_opens_the_link_card_and_its_ends(linked: LinkedLayer) -> None:
    at = start()
    edges = linked.edges
    weights = edges["weight"].where(edges["kind"] == "project", 0.0).to_numpy()
    position = int(weights.argmax())  # the project link with most shared projects
    link = edges.iloc[position]
    row = layers(at)["links"]["data"][position]
    chart = at.get("deck_gl_json_chart")[0]
    _set_state(
        at, chart, {"selection": {"indices": {"links": [position]}, "objects": {"links": [row]}}}
    )
    assert any(m.value == "#### project link" for m in at.markdown)
    ends = next(d for d in at.dataframe if "Actor" in d.value.columns)
    assert ends.value["Actor"].tolist() == [link["source_name"], link["target_name"]]
    assert ends.value["Cluster"].tolist() == [link["source_cluster"], link["target_cluster"]]
    facts = next(m.value for m in at.markdown if m.value.startswith("**Kind:**"))
    shared = f"**Shared projects ({len(link['projects'])}):** "
    assert shared + escape_markdown(", ".join(link["projects"])) in facts
    assert f"**Weight:** {link['weight']:g}" in facts and link["weight"] == len(link["projects"])
    _set_state(at, ends, {"selection": {"rows": [1], "columns": []}})  # the target's card
    assert any(m.value == f"#### {escape_markdown(link['target_name'])}" for m in at.markdown)


def test_find_partners_for_a_cluster_and_from_the_region_profile(linked: LinkedLayer) -> None:
    at = start(level="3")
    assert not any(s.key == "missing_region" for s in at.selectbox)  # runs only when opened
    finder = open_partner_finder(at).selectbox(key="missing_region")
    clusters = as_manifest(SMARTCULTURE).clusters
    assert set(clusters) <= set(finder.options)
    finder.set_value("Toscana")
    rerun(at)
    helix = at.selectbox(key="missing_helix").value
    toscana = apply_filters(linked.actors, Filters(clusters=("Toscana",)))
    counts = toscana["helix"].value_counts()
    assert counts.get(helix, 0) == min(counts.get(h, 0) for h in HELICES)  # weakest first
    at.button(key="missing_find").click()
    rerun(at)
    expected = suggest_partners(linked.actors, region="Toscana", helix=helix, links=linked.edges)
    table = next(d.value for d in at.dataframe if "Why" in d.value.columns)
    assert table["Name"].tolist() == expected["name"].tolist() and len(expected)

    # the region profile: its own finder, whatever helices the region has
    code = str(linked.actors.loc[linked.actors["name"] == "Sofia Municipality", "nuts3"].iloc[0])
    chart = at.get("deck_gl_json_chart")[0]
    _set_state(
        at,
        chart,
        {"selection": {"indices": {"regions": [0]}, "objects": {"regions": [{"id": code}]}}},
    )
    assert at.selectbox(key=f"profile_{code}_region").options == [code]
    helices = at.selectbox(key=f"profile_{code}_helix").options
    assert sorted(helices) == sorted(HELIX_LABELS[h] for h in HELICES)
    at.button(key=f"profile_{code}_find").click()
    rerun(at)
    first = at.selectbox(key=f"profile_{code}_helix").value
    expected = suggest_partners(linked.actors, region=code, helix=first, links=linked.edges)
    tables = [d.value for d in at.dataframe if "Why" in d.value.columns]
    assert [t["Name"].tolist() for t in tables] == [expected["name"].tolist()]
