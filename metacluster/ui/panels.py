"""The main panels around the map: header, details card, summary, table, import report.

User-written text (actor names, descriptions…) is shown in dataframes or escaped Markdown,
never as HTML. Chart specs and tables are built by pure functions, tested on their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

import geopandas as gpd
import pandas as pd
import streamlit as st

from metacluster.aggregate import aggregate_regions
from metacluster.export.csv import frame_to_csv
from metacluster.merge import MergeReport
from metacluster.schema import (
    HELICES,
    HELIX_COLOURS,
    HELIX_LABELS,
    UNKNOWN_HELIX,
    actors_per_helix,
    helix_or_unknown,
)
from metacluster.ui import data
from metacluster.ui import links as links_ui
from metacluster.ui.deck import join_lists
from metacluster.ui.export import downloads
from metacluster.ui.mapview import Selected
from metacluster.ui.state import Shown

TABLE_COLUMNS: Final = {
    "name": "Name",
    "helix": "Helix",
    "organisation_type": "Type",
    "city": "City",
    "country": "Country",
    "nuts2_name": "NUTS 2 region",
    "nuts3": "NUTS 3",
    "regional_cluster": "Regional clusters",
    "themes": "Themes",
    "website": "Website",
}
"""The columns of the actors table, with their headings."""

TABS: Final = "tab"
"""Session key of the open tab ("Summary", "Table", "Export", "Import report")."""

_MARKDOWN_SPECIAL: Final = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&])")

_HELIX_ORDER: Final = (*HELICES, UNKNOWN_HELIX)
_HELIX_DOMAIN: Final = [HELIX_LABELS[h] for h in _HELIX_ORDER]
_HELIX_RANGE: Final = ["#{:02x}{:02x}{:02x}".format(*HELIX_COLOURS[h]) for h in _HELIX_ORDER]


def escape_markdown(text: Any) -> str:
    """Text shown literally by ``st.markdown``: every Markdown and HTML character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def regions(shown: Shown) -> gpd.GeoDataFrame:
    """The filtered actors counted per NUTS region of the view's level (map, summary,
    details all use this one table); once per data version, filters and level."""
    key = data.filters_key(shown.view.filters)
    return _regions(shown.dataset.version, key, shown.view.level, shown.dataset.nuts_year, shown)


@st.cache_resource(show_spinner=False, max_entries=8)
def _regions(version: str, key: str, level: int, year: int, _shown: Shown) -> gpd.GeoDataFrame:
    return aggregate_regions(_shown.actors, level=level, year=year)


def header(shown: Shown) -> None:
    """Title, description and the live count."""
    dataset = shown.dataset
    st.title(dataset.title, anchor=False)
    total = len(dataset.actors)
    line = f"**{len(shown.actors):,} of {total:,} actors**"
    if not shown.view.filters.is_empty:
        line += f" · filters: `{shown.view.filters.describe()}`"
    if dataset.description:
        line = escape_markdown(dataset.description) + "  \n" + line
    st.markdown(line)


# --- details ---------------------------------------------------------------------------


def _text(value: Any) -> str:
    return join_lists(pd.Series([value], dtype=object)).iloc[0]


def actor_fields(actor: pd.Series) -> pd.DataFrame:
    """An actor's card as a two-column table (field, value), empty fields left out."""
    nuts_chain = " › ".join(
        f"{_text(actor.get(f'nuts{level}_name'))} ({_text(actor.get(f'nuts{level}'))})"
        for level in range(4)
        if _text(actor.get(f"nuts{level}"))
    )
    helix = actor.get("helix") or UNKNOWN_HELIX
    rows = [
        ("Helix", HELIX_LABELS.get(helix, str(helix))),
        ("As written in the map", _text(actor.get("helix_raw"))),
        ("Type", _text(actor.get("organisation_type"))),
        ("City", _text(actor.get("city"))),
        ("Country", _text(actor.get("country"))),
        ("NUTS regions", nuts_chain),
        ("Regional clusters", _text(actor.get("regional_cluster"))),
        ("Themes", _text(actor.get("themes"))),
        ("Website", _text(actor.get("website"))),
        ("Description", _text(actor.get("description"))),
        ("Sources", _text(actor.get("source_maps"))),
        ("Position", _text(actor.get("position_source"))),
        ("Position note", _text(actor.get("position_note"))),
        ("NUTS match", _text(actor.get("nuts_match"))),
        ("NUTS note", _text(actor.get("nuts_note"))),
        ("Merge conflicts", _text(actor.get("merge_conflicts"))),
        ("Actor id", _text(actor.get("actor_id"))),
    ]
    return pd.DataFrame([(k, v) for k, v in rows if v], columns=["Field", "Value"])


def helix_bar_spec(counts: dict[str, int], *, title: str = "") -> dict[str, Any]:
    """Vega-Lite spec of a horizontal bar per helix, in the helix colours."""
    values = [
        {"helix": HELIX_LABELS[h], "actors": counts.get(h, 0)}
        for h in _HELIX_ORDER
        if h != UNKNOWN_HELIX or counts.get(h, 0)
    ]
    return {
        "title": title,
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "helix", "type": "nominal", "sort": _HELIX_DOMAIN, "title": None},
            "x": {"field": "actors", "type": "quantitative", "title": "Actors"},
            "color": {
                "field": "helix",
                "type": "nominal",
                "scale": {"domain": _HELIX_DOMAIN, "range": _HELIX_RANGE},
                "legend": None,
            },
        },
    }


def details(shown: Shown, regions_table: gpd.GeoDataFrame, selection: Selected | None) -> None:
    """The clicked actor's card or the clicked region's profile."""
    clicked = selection
    selection = links_ui.opened(selection)
    if selection is None:
        st.info(
            "Click an actor or a region on the map to see its details.", icon=":material/touch_app:"
        )
        return
    if selection.layer == "actors":
        matches = shown.dataset.actors[shown.dataset.actors["actor_id"] == selection.id]
        if matches.empty:
            st.info("That actor is no longer in the data.")
            return
        actor = matches.iloc[0]
        st.markdown(f"#### {escape_markdown(actor['name'])}")
        website = _text(actor.get("website"))
        if website.startswith(("https://", "http://")):
            st.link_button("Website", website, icon=":material/open_in_new:")
        st.dataframe(actor_fields(actor), hide_index=True, width="stretch")
        links_ui.actor_links(shown, selection.id, clicked.id if clicked else None)
        return
    region_profile(shown, regions_table, selection.id)


def region_profile(shown: Shown, regions_table: gpd.GeoDataFrame, code: str) -> None:
    """A region's helix breakdown and the filtered actors in it."""
    level = shown.view.level
    rows = regions_table[regions_table["NUTS_ID"] == code]
    name = str(rows["NAME_LATN"].iloc[0]) if len(rows) else code
    st.markdown(f"#### {escape_markdown(name)} ({escape_markdown(code)})")
    inside = shown.actors[shown.actors[f"nuts{level}"] == code]
    counts = actors_per_helix(inside["helix"])
    if len(rows):
        missing = rows["missing_helices"].iloc[0]
        if len(missing):
            labels = ", ".join(HELIX_LABELS[h] for h in missing)
            st.warning(f"Missing helices: {labels}", icon=":material/warning:")
    st.vega_lite_chart(helix_bar_spec(counts), width="stretch", height=160)
    st.dataframe(actors_table(inside), hide_index=True, width="stretch")
    missing = list(rows["missing_helices"].iloc[0]) if len(rows) else []
    links_ui.region_links(shown, code, missing)


# --- summary ---------------------------------------------------------------------------


def cluster_helix_counts(actors: pd.DataFrame, clusters: Sequence[str]) -> pd.DataFrame:
    """Actors per regional cluster and helix (long form: cluster, helix, actors).

    An actor found on several clusters' maps counts in each of them. Clusters come in
    manifest order, helices in display order; zero counts are kept so bars line up.
    """
    exploded = pd.DataFrame(
        {
            "cluster": actors["regional_cluster"].to_numpy(),
            "helix": helix_or_unknown(actors["helix"]).to_numpy(),
        }
    ).explode("cluster")
    exploded = exploded.dropna(subset=["cluster"])
    order = list(dict.fromkeys([*clusters, *sorted(exploded["cluster"].unique())]))
    table = pd.crosstab(exploded["cluster"], exploded["helix"]).reindex(
        index=order, columns=list(_HELIX_ORDER), fill_value=0
    )
    long = table.rename_axis(index="cluster", columns="helix").stack().rename("actors")
    return long.reset_index().astype({"actors": "int64"})


@st.cache_resource(show_spinner=False, max_entries=8)
def _cluster_counts(version: str, key: str, _shown: Shown) -> pd.DataFrame:
    return cluster_helix_counts(_shown.actors, _shown.dataset.clusters)


def stacked_bar_spec(counts: pd.DataFrame) -> dict[str, Any]:
    """Vega-Lite spec: one stacked bar per regional cluster, coloured by helix (stacked in
    display order)."""
    values = counts.assign(
        order=counts["helix"].map({h: i for i, h in enumerate(_HELIX_ORDER)}),
        helix=counts["helix"].map(HELIX_LABELS),
    )
    clusters = list(dict.fromkeys(counts["cluster"]))
    return {
        "data": {"values": values.to_dict("records")},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "cluster", "type": "nominal", "sort": clusters, "title": None},
            "x": {"field": "actors", "type": "quantitative", "stack": "zero", "title": "Actors"},
            "color": {
                "field": "helix",
                "type": "nominal",
                "title": "Helix",
                "scale": {"domain": _HELIX_DOMAIN, "range": _HELIX_RANGE},
            },
            "order": {"field": "order", "type": "quantitative"},
        },
    }


def missing_helices_table(regions_table: pd.DataFrame) -> pd.DataFrame:
    """The regions that lack at least one helix, most actors first."""
    missing = regions_table[regions_table["missing_helices"].map(len) > 0]
    table = pd.DataFrame(
        {
            "Region": missing["NAME_LATN"].astype(str) + " (" + missing["NUTS_ID"] + ")",
            "Actors": missing["n_total"].astype(int),
            "Missing helices": missing["missing_helices"].map(
                lambda helices: ", ".join(HELIX_LABELS[h] for h in helices)
            ),
        }
    )
    return table.sort_values(["Actors", "Region"], ascending=[False, True]).reset_index(drop=True)


def summary(shown: Shown, regions_table: gpd.GeoDataFrame) -> None:
    """Actors per helix per regional cluster; regions with missing helices."""
    key = data.filters_key(shown.view.filters)
    counts = _cluster_counts(shown.dataset.version, key, shown)
    st.subheader("Actors per regional cluster and helix", anchor=False)
    if counts["actors"].sum():
        st.vega_lite_chart(stacked_bar_spec(counts), width="stretch")
    else:
        st.info("No actors match the filters.")
    st.subheader(f"Regions missing a helix (NUTS {shown.view.level})", anchor=False)
    table = missing_helices_table(regions_table)
    if table.empty:
        st.success("Every region with actors has all four helices.")
    else:
        st.dataframe(table, hide_index=True, width="stretch")
        with st.expander("Find partners for a region missing a helix"):
            links_ui.find_partners_for_missing(shown, regions_table)


# --- table -----------------------------------------------------------------------------


def actors_table(actors: pd.DataFrame) -> pd.DataFrame:
    """The useful columns of the actors, lists joined, helix labels spelled out."""
    present = [c for c in TABLE_COLUMNS if c in actors.columns]
    table = pd.DataFrame(actors[present]).copy()
    for column in ("regional_cluster", "themes"):
        if column in table:
            table[column] = join_lists(table[column])
    if "helix" in table:
        table["helix"] = table["helix"].map(HELIX_LABELS).fillna(table["helix"])
    return table.rename(columns=TABLE_COLUMNS).reset_index(drop=True)


def table(shown: Shown) -> None:
    """The filtered actors as a sortable table."""
    st.dataframe(
        actors_table(shown.actors),
        hide_index=True,
        width="stretch",
        column_config={"Website": st.column_config.LinkColumn("Website")},
    )


# --- import report ---------------------------------------------------------------------


def import_table(report: MergeReport) -> pd.DataFrame:
    """One row per map: rows read, accepted, rejected and the reasons."""
    rows = []
    for cluster, result in zip(report.clusters, report.imports, strict=True):
        reasons = result.reason_counts()
        rows.append(
            {
                "Map": cluster,
                "File": result.file.replace("\\", "/").rsplit("/", 1)[-1],
                "Rows": result.rows_in,
                "Accepted": result.accepted,
                "Rejected": result.rejected,
                "Reasons": "; ".join(f"{reason} ({n})" for reason, n in reasons.items()),
            }
        )
    return pd.DataFrame(rows, columns=["Map", "File", "Rows", "Accepted", "Rejected", "Reasons"])


def import_report(report: MergeReport | None, *, key: str = "report") -> None:
    """Accepted and rejected rows per file with reasons; rejects downloadable as CSV."""
    if report is None:
        st.info("This data was loaded from a prepared file: there is no import report.")
        return
    st.dataframe(import_table(report), hide_index=True, width="stretch")
    st.markdown(
        f"{report.rows_in:,} rows read · {report.actors_out:,} actors · "
        f"{report.duplicates_merged:,} duplicates merged · {len(report.rejects):,} rejected · "
        f"{report.conflict_count:,} conflicts"
    )
    if len(report.rejects):
        st.dataframe(report.rejects, hide_index=True, width="stretch")
        st.download_button(
            "Download the rejected rows (CSV)",
            data=frame_to_csv(report.rejects),
            file_name=f"{key}-rejected-rows.csv",
            mime="text/csv",
            on_click="ignore",
            key=f"{key}_rejects",
            icon=":material/download:",
        )
    if len(report.warnings):
        with st.expander(f"{len(report.warnings):,} warnings"):
            st.dataframe(report.warnings, hide_index=True, width="stretch")


def tabs(shown: Shown, regions_table: gpd.GeoDataFrame) -> None:
    """Summary, table, export and import report; only the open tab's content runs."""
    summary_tab, links_tab, table_tab, export_tab, report_tab = st.tabs(
        ["Summary", "Links", "Table", "Export", "Import report"], key=TABS, on_change="rerun"
    )
    if links_tab.open:
        with links_tab:
            links_ui.links_tab(shown)
    if summary_tab.open:
        with summary_tab:
            summary(shown, regions_table)
    if table_tab.open:
        with table_tab:
            table(shown)
    if export_tab.open:
        with export_tab:
            downloads(shown)
    if report_tab.open:
        with report_tab:
            import_report(shown.dataset.report)
