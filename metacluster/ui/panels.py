"""The main panels around the map: header, details card, summary, table, import report.

User-written text (actor names, descriptions…) is shown in dataframes, escaped Markdown or
escaped HTML (``charts``). Charts and tables are built by pure functions, tested on their own.
"""

from __future__ import annotations

from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from metacluster._text import counted
from metacluster.aggregate import aggregate_regions, cluster_helix_counts
from metacluster.export.csv import frame_to_csv
from metacluster.merge import MergeReport
from metacluster.schema import (
    HELIX_LABELS,
    UNKNOWN_HELIX,
    actors_per_helix,
    helix_or_unknown,
)
from metacluster.ui import charts, data
from metacluster.ui import links as links_ui
from metacluster.ui.deck import join_lists
from metacluster.ui.export import downloads
from metacluster.ui.guard import escape_markdown
from metacluster.ui.mapview import Selected
from metacluster.ui.state import LINKS_LAYER, Shown

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

VIEW: Final = "tab"
"""Session key of the view shown under the map (one of ``VIEWS``)."""
VIEWS: Final = ("Summary", "Links", "Table", "Export", "Import report")
PARTNER_FINDER: Final = "partner_finder"
"""Session key of the summary's partner finder expander (True when open)."""


def regions(shown: Shown) -> gpd.GeoDataFrame:
    """The filtered actors counted per NUTS region of the view's level (map, summary,
    details all use this one table); once per data version, filters and level."""
    key = data.filters_key(shown.view.filters)
    return _regions(shown.dataset.version, key, shown.view.level, shown.dataset.nuts_year, shown)


@st.cache_resource(show_spinner=False, max_entries=8)
def _regions(version: str, key: str, level: int, year: int, _shown: Shown) -> gpd.GeoDataFrame:
    return aggregate_regions(_shown.actors, level=level, year=year)


def header(shown: Shown) -> None:
    """Title, description and the live count (the title alone in presentation mode)."""
    dataset = shown.dataset
    st.title(dataset.title, anchor=False)
    if shown.view.present:  # the tour line says where we are; the map needs the room
        return
    total = len(dataset.actors)
    line = f"**{len(shown.actors):,} of {total:,} actors**"
    if not shown.view.filters.is_empty:
        line += " · " + escape_markdown(shown.view.filters.summary())
    if dataset.description:
        line = escape_markdown(dataset.description) + "  \n" + line
    st.markdown(line)


# --- details ---------------------------------------------------------------------------


def _text(value: Any) -> str:
    return join_lists(pd.Series([value], dtype=object)).iloc[0]


def fields_markdown(fields: pd.DataFrame) -> str:
    """A card's (field, value) rows as Markdown lines, so that long values wrap instead of
    being cut at a column's width."""
    return "  \n".join(
        f"**{escape_markdown(field)}:** {escape_markdown(value)}"
        for field, value in fields.itertuples(index=False)
    )


def branch_names(actors: pd.DataFrame, ids: Any) -> str:
    """The other branches of an actor's organisation as "Name (City)", for its card."""
    wanted = [str(i) for i in (ids if isinstance(ids, (list, tuple, np.ndarray)) else [])]
    if not wanted:
        return ""
    rows = actors[actors["actor_id"].isin(wanted)]
    cities = join_lists(rows["city"]) if "city" in rows else pd.Series("", index=rows.index)
    return "; ".join(
        f"{name} ({city})" if city else str(name)
        for name, city in zip(rows["name"].tolist(), cities.tolist(), strict=True)
    )


def actor_fields(actor: pd.Series, *, branches: str = "") -> pd.DataFrame:
    """An actor's card as a two-column table (field, value), empty fields left out;
    ``branches`` names the other branches of its organisation (``branch_names``)."""
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
        ("Country conflict", _text(actor.get("country_conflict"))),
        ("Position suspect", _text(actor.get("position_suspect"))),
        ("Code suspect", _text(actor.get("code_suspect"))),
        ("Merge conflicts", _text(actor.get("merge_conflicts"))),
        ("Same organisation as", branches),
        ("Actor id", _text(actor.get("actor_id"))),
    ]
    return pd.DataFrame([(k, v) for k, v in rows if v], columns=["Field", "Value"])


def details(shown: Shown, regions_table: gpd.GeoDataFrame, selection: Selected | None) -> None:
    """The clicked actor's card, the clicked link's card or the clicked region's profile."""
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
        branches = branch_names(shown.dataset.actors, actor.get("same_organisation"))
        st.markdown(fields_markdown(actor_fields(actor, branches=branches)))
        links_ui.actor_links(shown, selection.id, clicked)
        return
    if selection.layer == LINKS_LAYER:
        links_ui.link_card(shown, selection.id)
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
    st.html(charts.helix_counts_html(counts))
    st.dataframe(actors_table(inside), hide_index=True, width="stretch")
    missing = list(rows["missing_helices"].iloc[0]) if len(rows) else []
    links_ui.region_links(shown, code, missing)


# --- summary ---------------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=8)
def _cluster_counts(version: str, key: str, _shown: Shown) -> pd.DataFrame:
    return cluster_helix_counts(_shown.actors, _shown.dataset.clusters)


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


UNKNOWN_SHARE_WARNING: Final = 0.5
"""Above this share of actors with an unknown helix, a region's missing helices may only
be untagged ones: the summary says so instead of reporting complete regions."""


def coverage_verdict(regions_table: pd.DataFrame, helix: pd.Series) -> tuple[str, str] | None:
    """What the summary says above the regions missing a helix, as (Streamlit function,
    text); None when the table says it all. "Every region … has all four helices" only when
    there are regions with actors and most actors have a known helix."""
    with_actors = regions_table[regions_table["n_total"] > 0] if len(regions_table) else None
    unknown = float((helix_or_unknown(helix) == UNKNOWN_HELIX).mean()) if len(helix) else 0.0
    if with_actors is None or with_actors.empty:
        return (
            "info",
            "No region has actors, so none can be checked for missing helices (the shown "
            "actors lie outside every NUTS region, or none match the filters).",
        )
    if unknown > UNKNOWN_SHARE_WARNING:
        return (
            "warning",
            f"{unknown:.0%} of the actors have an unknown helix: a region may have helices "
            "that are not tagged, and regions that look complete may not be. Map the file's "
            "type column or set a default helix.",
        )
    if (with_actors["missing_helices"].map(len) == 0).all():
        return "success", "Every region with actors has all four helices."
    return None


def summary(shown: Shown, regions_table: gpd.GeoDataFrame) -> None:
    """Actors per helix per regional cluster; regions with missing helices.

    Headings, bars and a short table are one ``st.html`` (``charts``): as Streamlit
    subheaders and a table they cost about 80 ms of every filter change in Chromium."""
    key = data.filters_key(shown.view.filters)
    counts = _cluster_counts(shown.dataset.version, key, shown)
    if counts["actors"].sum():
        bars = charts.cluster_bars_html(counts)
    else:
        bars = "<p>No actors match the filters.</p>"
    page = (
        charts.heading_html("Actors per regional cluster and helix")
        + bars
        + charts.heading_html(f"Regions missing a helix (NUTS {shown.view.level})")
    )
    table = missing_helices_table(regions_table)
    verdict = coverage_verdict(regions_table, shown.actors["helix"])
    short = len(table) <= SHORT_TABLE_ROWS
    if verdict is None and short:  # the usual case: one element
        st.html(page + charts.table_html(table))
    else:
        st.html(page)
        if verdict is not None:
            kind, text = verdict
            getattr(st, kind)(text)
        if short and not table.empty:
            st.html(charts.table_html(table))
        elif not short:
            st.dataframe(table, hide_index=True, width="stretch")
    if not table.empty:
        # runs only when opened: its widgets cost every filter change about 0.1 s in Chromium
        finder = st.expander(
            "Find partners for a region missing a helix", key=PARTNER_FINDER, on_change="rerun"
        )
        if finder.open:
            with finder:
                links_ui.find_partners_for_missing(shown, regions_table, counts)


SHORT_TABLE_ROWS: Final = 300
"""Up to this many rows (every NUTS 2 region) the table is plain HTML in a scrolling box:
the data grid's code (about 1.2 MB) and canvas cost the browser a second or more the first
time a filter leaves many regions missing a helix."""


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


def import_report(
    report: MergeReport | None, actors: pd.DataFrame | None = None, *, key: str = "report"
) -> None:
    """Accepted and rejected rows per file with reasons (rejects downloadable as CSV), the
    actors outside every NUTS region, the merge conflicts and the warnings."""
    if report is None:
        st.info("This data was loaded from a prepared file: there is no import report.")
        return
    unmatched = unmatched_actors(actors if actors is not None else pd.DataFrame())
    st.dataframe(import_table(report), hide_index=True, width="stretch")
    st.markdown(
        " · ".join(
            [
                counted(report.rows_in, "row") + " read",
                counted(report.actors_out, "actor"),
                counted(report.duplicates_merged, "duplicate") + " merged",
                f"{report.rejects.shape[0]:,} rejected",
                counted(report.conflict_count, "conflict"),
                counted(len(unmatched), "actor") + " outside every NUTS region",
            ]
        )
    )
    if len(report.rejects):
        st.dataframe(blank_missing(report.rejects), hide_index=True, width="stretch")
        st.download_button(
            "Download the rejected rows (CSV)",
            data=frame_to_csv(report.rejects),
            file_name=f"{key}-rejected-rows.csv",
            mime="text/csv",
            on_click="ignore",
            key=f"{key}_rejects",
            icon=":material/download:",
        )
    if report.outside_nuts:
        st.caption("Outside every NUTS region, per country: " + outside_text(report.outside_nuts))
    _listed(
        unmatched,
        counted(len(unmatched), "actor") + " outside every NUTS region",
        "Shown on the map but counted in no region: their place is outside the regions of "
        "this NUTS version, or too far from the nearest one.",
    )
    flagged = flagged_actors(actors if actors is not None else pd.DataFrame())
    _listed(
        flagged,
        counted(len(flagged), "actor") + " flagged by the consistency checks",
        "Kept as given and never moved: check the stated country, the position or the NUTS "
        "code of these rows.",
    )
    _listed(
        report.conflicts,
        counted(report.conflict_count, "conflict") + " between merged maps",
        "Merged actors whose maps disagree; the first map's value is shown.",
    )
    _listed(report.warnings, counted(len(report.warnings), "warning"))


def _listed(table: pd.DataFrame, title: str, caption: str | None = None) -> None:
    """A table of the import report in a closed expander, when it has rows."""
    if not len(table):
        return
    with st.expander(title):
        if caption:
            st.caption(caption)
        st.dataframe(blank_missing(table), hide_index=True, width="stretch")


def outside_text(outside: dict[str, int]) -> str:
    """Actors outside NUTS per country, most first, as text.

    >>> outside_text({"GE": 3, "US": 1})
    'GE 3, US 1'
    """
    return ", ".join(f"{escape_markdown(country)} {count:,}" for country, count in outside.items())


def unmatched_actors(actors: pd.DataFrame) -> pd.DataFrame:
    """Actors the NUTS join placed in no region: name, city, country, regional clusters
    and the join's note, for the import report."""
    if "nuts_match" not in actors:
        return pd.DataFrame(columns=["name", "city", "country", "regional_cluster", "nuts_note"])
    rows = actors[actors["nuts_match"].astype(str) == "unmatched"]
    columns = [c for c in ("name", "city", "country", "regional_cluster", "nuts_note") if c in rows]
    table = pd.DataFrame({c: join_lists(rows[c]) for c in columns})
    return table.reset_index(drop=True)


FLAG_COLUMNS: Final = ("country_conflict", "position_suspect", "code_suspect")
"""The join's consistency flags (``schema.NUTS_COLUMNS``), None where nothing is odd."""


def flagged_actors(actors: pd.DataFrame) -> pd.DataFrame:
    """Actors with at least one consistency flag: name, city, country, NUTS match and the
    flags that are set, for the import report."""
    flags = [c for c in FLAG_COLUMNS if c in actors]
    if not flags:
        return pd.DataFrame(columns=["name", "city", "country", "nuts_match", *FLAG_COLUMNS])
    rows = actors[actors[flags].notna().any(axis=1)]
    columns = [c for c in ("name", "city", "country", "nuts_match", *flags) if c in rows]
    return pd.DataFrame({c: join_lists(rows[c]) for c in columns}).reset_index(drop=True)


def blank_missing(table: pd.DataFrame) -> pd.DataFrame:
    """A table for display with list cells joined and missing cells empty (not "None")."""
    return pd.DataFrame({column: join_lists(table[column]) for column in table.columns})


def views(shown: Shown, regions_table: gpd.GeoDataFrame) -> None:
    """Summary, links, table, export and import report under the map, one at a time.

    A segmented control picks the view, not ``st.tabs``: only the shown view runs either
    way, but the browser draws the tab bar and its five panels again on every rerun (about
    0.1 s of each filter change in Chromium), the control's buttons much faster.
    """
    shown_view = st.segmented_control(
        "Under the map",
        VIEWS,
        default=VIEWS[0],
        required=True,
        key=VIEW,
        label_visibility="collapsed",
    )
    if shown_view == "Summary":
        summary(shown, regions_table)
    elif shown_view == "Links":
        links_ui.links_tab(shown)
    elif shown_view == "Table":
        table(shown)
    elif shown_view == "Export":
        downloads(shown)
    elif shown_view == "Import report":
        import_report(shown.dataset.report, shown.dataset.actors)
