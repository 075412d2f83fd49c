"""Links in the app: arcs on the map, the cluster × cluster matrix, partners in the actor
card and the region profile, and the partner finder.

The edges are built once per data version (``link_layer``) and their arc rows serialised
once (``_arc_rows``, one JSON object per link), like the actor rows: a rerun only picks the
links whose ends pass the filters and splices them into the spec (no ``Deck.to_json``).
A link is shown when both ends pass the filters, or, with the sidebar switch, when one does
(so that a region's outside partners appear). Suggestions of the partner finder are drawn
as arcs from the region to each suggested actor.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import numpy as np
import pandas as pd
import shapely
import streamlit as st

from metacluster._text import counted
from metacluster.export.csv import frame_to_csv
from metacluster.export.links import render_links
from metacluster.links import (
    LinkedLayer,
    actor_nuts,
    bridging_actors,
    link_layer,
    pair_counts,
    pair_matrix,
    partner_regions,
)
from metacluster.partners import region_mask, suggest_partners
from metacluster.schema import HELICES, HELIX_LABELS
from metacluster.ui import deck
from metacluster.ui.data import Dataset
from metacluster.ui.guard import escape_markdown
from metacluster.ui.state import LINKS_LAYER, Shown

if TYPE_CHECKING:
    from metacluster.ui.mapview import Selected

EITHER_END: Final = "links_either_end"
"""Session key of the switch: show links with one end outside the filters (the view's
``link_ends``, kept in the URL as ``links=either``)."""
SUGGESTION: Final = "links_suggestion"
"""Session key of the partner finder's last request: (region, helix)."""
SUGGESTED_KIND: Final = "suggested partner"

KIND_COLOURS: Final[dict[str, tuple[int, int, int]]] = {
    "project": (86, 180, 233),
    "event": (213, 94, 0),
    "mentoring": (117, 112, 179),
    "staff exchange": (27, 158, 119),
    "publication": (102, 102, 102),
    "MoU": (166, 118, 29),
    SUGGESTED_KIND: (220, 20, 140),
}
OTHER_COLOUR: Final = (140, 140, 140)
"""Kinds outside ``KIND_COLOURS`` (any text a links table uses)."""

_ARC_STYLE: Final[dict[str, Any]] = {
    "pickable": True,
    "autoHighlight": True,
    "getSourcePosition": "@@=s",
    "getTargetPosition": "@@=t",
    "getSourceColor": "@@=c",
    "getTargetColor": "@@=c",
    "getWidth": "@@=w",
    "widthUnits": "pixels",
    "getHeight": "@@=h",
}
"""Arcs of other kinds arch higher than shared projects (``h``), so that a workshop or a
mentoring link between two project partners is not hidden under their project arc."""


def kind_colour(kind: str) -> tuple[int, int, int]:
    return KIND_COLOURS.get(kind, OTHER_COLOUR)


def arc_width(weight: np.ndarray) -> np.ndarray:
    """Pixels: 1.5 for one shared project or activity, growing with the log of the
    weight, at most 8."""
    return np.minimum(8.0, 1.5 + 1.5 * np.log2(np.maximum(weight, 1.0)))


@st.cache_resource(show_spinner=False, max_entries=8)
def linked(version: str, _dataset: Dataset) -> LinkedLayer:
    """The dataset's links (manifest tables read once per data version)."""
    return link_layer(_dataset.manifest, _dataset.actors)


def _display_positions(actors: pd.DataFrame) -> pd.DataFrame:
    """Each actor's position as drawn (``deck.spread_stacked``), by actor id, so that arcs
    end on the dots."""
    geometry = actors.geometry.to_numpy()
    lon, lat = deck.spread_stacked(shapely.get_x(geometry), shapely.get_y(geometry))
    ids = actors["actor_id"].astype(str).to_numpy()
    return pd.DataFrame({"lon": lon, "lat": lat}, index=pd.Index(ids, dtype=object))


def arc_rows(edges: pd.DataFrame, positions: pd.DataFrame) -> np.ndarray:
    """One JSON object (text) per link: ends ``s``/``t``, colour ``c``, width ``w``, a
    plain-text tooltip ``tip`` and ``id``, the link's position in ``edges`` (a click on the
    arc opens its card, ``link_card``)."""
    if edges.empty:
        return np.array([], dtype=object)
    source = positions.reindex(edges["source"].astype(str).to_numpy()).to_numpy()
    target = positions.reindex(edges["target"].astype(str).to_numpy()).to_numpy()
    decimals = deck.COORDINATE_DECIMALS
    projects = deck.join_lists(edges["projects"], ", ")
    label = edges["label"].astype(object).where(edges["label"].notna(), "").astype(str)
    detail = projects.where(projects != "", label)
    year = edges["year"].astype(object).where(edges["year"].notna(), "").astype(str)
    tips = (
        edges["source_name"].astype(str)
        + " — "
        + edges["target_name"].astype(str)
        + "\n"
        + edges["kind"].astype(str)
        + (": " + detail).where(detail != "", "")
        + (" (" + year + ")").where(year != "", "")
    )
    table = pd.DataFrame(
        {
            "s": np.round(source, decimals).tolist(),
            "t": np.round(target, decimals).tolist(),
            "c": [[*kind_colour(k), 200] for k in edges["kind"].astype(str)],
            "w": np.round(arc_width(edges["weight"].to_numpy(dtype=float)), 2),
            "h": np.where(edges["kind"].astype(str) == "project", 0.5, 1.0),
            "tip": tips.to_numpy(),
            "id": np.arange(len(edges)).astype(str),
        }
    )
    lines = table.to_json(orient="records", lines=True, double_precision=decimals)
    return np.array(lines.rstrip("\n").split("\n"), dtype=object)


@st.cache_resource(show_spinner=False, max_entries=8)
def _arc_rows(version: str, _dataset: Dataset) -> np.ndarray:
    layer = linked(version, _dataset)
    return arc_rows(layer.edges, _display_positions(_dataset.actors))


class LinkEnds(NamedTuple):
    """Links and actors as codes of the actor ids, matched once per data version so that a
    rerun only indexes arrays: each link's ``source`` and ``target`` (-1: no such actor)
    and each actor row's code (``actors``; rows that share an id share a code)."""

    source: np.ndarray
    target: np.ndarray
    actors: np.ndarray


def link_ends(edges: pd.DataFrame, actor_ids: pd.Series) -> LinkEnds:
    """The ``LinkEnds`` of ``edges`` among the actors of ``actor_ids``."""
    actors, unique_ids = pd.factorize(actor_ids.astype(str).to_numpy(dtype=object))
    ids = pd.Index(unique_ids)
    source, target = (
        ids.get_indexer(edges[end].astype(str).to_numpy(dtype=object))
        for end in ("source", "target")
    )
    return LinkEnds(source, target, actors)


@st.cache_resource(show_spinner=False, max_entries=8)
def _link_ends(version: str, _dataset: Dataset) -> LinkEnds:
    return link_ends(linked(version, _dataset).edges, _dataset.actors["actor_id"])


def shown_positions(ends: LinkEnds, shown_rows: np.ndarray, *, either_end: bool) -> np.ndarray:
    """Positions of the links to draw when the actor rows ``shown_rows`` are shown: both
    ends shown, or either with ``either_end``."""
    shown = np.zeros(len(ends.actors) + 1, dtype=bool)  # the last slot (-1): no such actor
    shown[ends.actors[np.asarray(shown_rows, dtype=np.int64)]] = True
    source, target = shown[ends.source], shown[ends.target]
    return np.flatnonzero((source | target) if either_end else (source & target))


def _shown_link_positions(shown: Shown) -> np.ndarray:
    dataset = shown.dataset
    return shown_positions(
        _link_ends(dataset.version, dataset),
        shown.actors.index.to_numpy(dtype=np.int64),
        either_end=shown.view.link_ends == "either",
    )


def shown_links(shown: Shown) -> pd.DataFrame:
    """The links the filters keep (both ends, or either with the sidebar switch)."""
    edges = linked(shown.dataset.version, shown.dataset).edges
    return edges.iloc[_shown_link_positions(shown)]


def arcs_layer(shown: Shown) -> deck.Layer | None:
    """The ArcLayer of the shown links and of the partner finder's suggestions, or None
    when there is nothing to draw."""
    dataset = shown.dataset
    chosen = _shown_link_positions(shown)
    rows = deck.rows_json(_arc_rows(dataset.version, dataset), chosen)
    extra = suggestion_rows(shown)
    if extra:
        rows = "[" + ",".join([*([rows[1:-1]] if len(chosen) else []), *extra]) + "]"
    if rows == "[]":
        return None
    return deck.Layer(LINKS_LAYER, "ArcLayer", rows, _ARC_STYLE)


def kinds_legend_html(kinds: Mapping[str, int], *, large: bool = False) -> str:
    """Arc colours with the number of links of each kind shown (kinds escaped: they come
    from the user's links table)."""
    size = "1.2rem" if large else "0.85rem"
    items = []
    for kind, count in kinds.items():
        r, g, b = kind_colour(kind)
        items.append(
            f'<span style="display:inline-flex;align-items:center;margin-right:1.1em">'
            f'<span style="display:inline-block;width:1.4em;height:0.3em;'
            f'background:rgb({r},{g},{b});margin-right:0.35em"></span>'
            f"{html.escape(kind)} ({count:,})</span>"
        )
    return f'<div style="font-size:{size};line-height:1.8">Links: ' + "".join(items) + "</div>"


def legend_html(shown: Shown, counted: pd.DataFrame | None = None) -> str:
    """The arc colours under the map (when the links layer is on), with the number of
    links of each kind that touch the ``counted`` actors (a tour stop's; all the filtered
    ones by default); "" when no link is drawn."""
    if LINKS_LAYER not in shown.view.layers:
        return ""
    edges = shown_links(shown)
    if counted is not None and counted is not shown.actors:
        ids = pd.Index(counted["actor_id"].astype(str).to_numpy(), dtype=object)
        edges = edges[edges["source"].isin(ids) | edges["target"].isin(ids)]
    kinds = edges["kind"].value_counts().to_dict()
    if st.session_state.get(SUGGESTION):
        kinds[SUGGESTED_KIND] = len(_suggestions(shown))
    return kinds_legend_html(kinds, large=shown.view.present) if kinds else ""


def sidebar_options(*, on_change: Callable[[], None]) -> None:
    """The map options' link switch (beside the layer toggles, in the container the
    caller opened); ``on_change`` writes the view into the URL."""
    st.toggle(
        "Links with one end outside the filters",
        key=EITHER_END,
        on_change=on_change,
        help="Off: a link is drawn when both actors pass the filters. On: when one does, "
        "so that a region's partners elsewhere appear.",
    )


# --- cards ------------------------------------------------------------------------------


OPENED: Final = "links_opened"
"""Session key of a partner opened from an actor card: (partner id, the map's selection
when it was opened); a new click on the map wins."""


def opened(selection: Selected | None) -> Selected | None:
    """The card to show: an actor opened from the card of the map's selection (a partner
    in an actor's card, an end in a link's card), else the map's selection."""
    request = st.session_state.get(OPENED)
    if request and selection is not None and selection.layer in ("actors", LINKS_LAYER):
        partner, origin = request
        if origin == (selection.layer, selection.id):
            return replace(selection, layer="actors", id=partner)
    st.session_state.pop(OPENED, None)
    return selection


def actor_links(shown: Shown, actor_id: str, origin: Selected | None = None) -> None:
    """The actor card's projects and partners; a click on a partner's row opens its card
    (``origin``: what was selected on the map, by default this actor)."""
    layer = linked(shown.dataset.version, shown.dataset)
    actors = layer.actors
    row = actors[actors["actor_id"].astype(str) == actor_id]
    projects = row["projects"].iloc[0] if "projects" in row and len(row) else []
    if isinstance(projects, list) and projects:
        st.markdown("**Projects:** " + ", ".join(f"`{p}`" for p in projects))
    edges = layer.edges
    touching = edges[(edges["source"] == actor_id) | (edges["target"] == actor_id)]
    if touching.empty:
        return
    other_is_target = touching["source"] == actor_id
    table = pd.DataFrame(
        {
            "id": touching["target"].where(other_is_target, touching["source"]),
            "Partner": touching["target_name"].where(other_is_target, touching["source_name"]),
            "Cluster": touching["target_cluster"].where(
                other_is_target, touching["source_cluster"]
            ),
            "Kind": touching["kind"],
            "About": deck.join_lists(touching["projects"], ", ").where(
                touching["projects"].map(bool), touching["label"]
            ),
        }
    ).sort_values(["Partner", "Kind"])
    st.markdown(f"**Partners ({table['Partner'].nunique():,})** — click one to open its card")
    event = st.dataframe(
        table.drop(columns="id"),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=f"partners_{actor_id}",
    )
    rows = event.selection.rows if event is not None else []
    if rows:
        clicked = (origin.layer, origin.id) if origin is not None else ("actors", actor_id)
        _open(str(table["id"].iloc[rows[0]]), clicked, table=f"partners_{actor_id}")


def _open(actor_id: str, origin: tuple[str, str], *, table: str) -> None:
    """Open an actor's card in place of the card of the map's selection ``origin``
    (layer, id). The clicked ``table``'s row and the opened card's partner table start
    unselected, so that coming back to a card does not open its partner again."""
    st.session_state[OPENED] = (actor_id, origin)
    st.session_state.pop(table, None)
    st.session_state.pop(f"partners_{actor_id}", None)
    st.rerun()


def link_card(shown: Shown, link_id: str) -> None:
    """The card of a clicked arc: both ends (each opens its actor's card), kind, shared
    projects or label, year and weight."""
    edges = linked(shown.dataset.version, shown.dataset).edges
    position = int(link_id) if link_id.isdigit() else -1
    if not 0 <= position < len(edges):
        st.info("That link is no longer in the data.")
        return
    link = edges.iloc[position]
    st.markdown(f"#### {escape_markdown(link['kind'])} link")
    ends = pd.DataFrame(
        {
            "Actor": [link["source_name"], link["target_name"]],
            "Cluster": [link["source_cluster"], link["target_cluster"]],
            "NUTS": [link["source_nuts"], link["target_nuts"]],
        }
    )
    st.markdown("**Between** — click one to open its card")
    event = st.dataframe(
        ends,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=f"link_ends_{link_id}",
    )
    facts = [("Kind", link["kind"])]
    projects = link["projects"]
    if isinstance(projects, list) and projects:
        facts.append((f"Shared projects ({len(projects)})", ", ".join(projects)))
    elif isinstance(link["label"], str) and link["label"]:
        facts.append(("About", link["label"]))
    if not pd.isna(link["year"]):
        facts.append(("Year", str(link["year"])))
    facts.append(("Weight", f"{link['weight']:g}"))
    st.markdown("  \n".join(f"**{name}:** {escape_markdown(str(value))}" for name, value in facts))
    rows = event.selection.rows if event is not None else []
    if rows:
        end = link["source"] if rows[0] == 0 else link["target"]
        _open(str(end), (LINKS_LAYER, link_id), table=f"link_ends_{link_id}")


def region_links(shown: Shown, code: str, missing: list[str]) -> None:
    """The region profile's links leaving the region, and the partner finder for it (the
    helices it lacks first, then the others from its weakest)."""
    edges = linked(shown.dataset.version, shown.dataset).edges
    partners = partner_regions(edges, code)
    if len(partners):
        st.markdown(f"**Links leaving {code}: {int(partners['links'].sum()):,}**")
        st.dataframe(
            partners.assign(projects=deck.join_lists(partners["projects"], ", ")).rename(
                columns=str.capitalize
            ),
            hide_index=True,
            width="stretch",
        )
    inside = actor_nuts(shown.actors).fillna("").astype(str).str.startswith(code)
    helices = weakest_first(shown.actors["helix"][inside], missing)
    with st.expander(f"Find partners for {code}", expanded=bool(missing)):
        find_partners(shown, {code: helices}, key=f"profile_{code}")


def weakest_first(helix: pd.Series, missing: Sequence[str] = ()) -> list[str]:
    """The four helices to look for: ``missing`` ones first, then the others from the one
    with the fewest actors in ``helix`` (a region's or cluster's actors)."""
    counts = helix.value_counts()
    rest = sorted(
        (h for h in HELICES if h not in missing), key=lambda h: (int(counts.get(h, 0)), h)
    )
    return [*missing, *rest]


# --- partner finder ---------------------------------------------------------------------


def _request(region: str, helix: str) -> None:
    st.session_state[SUGGESTION] = (region, helix)


def find_partners(shown: Shown, options: Mapping[str, list[str]], *, key: str) -> None:
    """Pick a region and a helix it lacks (``options``: region -> missing helices), then
    "Find partners": the suggestions are listed with their reasons, drawn on the map and
    offered as CSV."""
    columns = st.columns([2, 2, 1], vertical_alignment="bottom")
    region = columns[0].selectbox("Region or cluster", list(options), key=f"{key}_region") or ""
    helix = columns[1].selectbox(
        "Helix to find",
        options.get(region, []),
        key=f"{key}_helix",
        format_func=lambda value: HELIX_LABELS.get(value, value),
    )
    columns[2].button(
        "Find partners",
        key=f"{key}_find",
        icon=":material/handshake:",
        on_click=_request,
        args=(region, helix),
    )
    if st.session_state.get(SUGGESTION) == (region, helix):
        suggestions_table(shown, key=key)


def find_partners_for_missing(
    shown: Shown, regions: pd.DataFrame, cluster_counts: pd.DataFrame
) -> None:
    """The partner finder for the regions of the missing-helices table (their missing
    helices), then for every regional cluster (its helices from the weakest;
    ``cluster_counts`` as ``aggregate.cluster_helix_counts`` gives them)."""
    missing = regions[regions["missing_helices"].map(len) > 0]
    options = {
        str(code): list(helices)
        for code, helices in zip(missing["NUTS_ID"], missing["missing_helices"], strict=True)
    }
    totals = cluster_counts.groupby("cluster", sort=False)["actors"].sum()
    known = cluster_counts[cluster_counts["helix"].isin(HELICES)]
    weakest_first = (
        known.sort_values(["actors", "helix"]).groupby("cluster", sort=False)["helix"].agg(list)
    )
    for cluster in totals.index[totals.to_numpy() > 0]:
        options.setdefault(str(cluster), weakest_first.get(cluster, []))
    if options:
        find_partners(shown, options, key="missing")


@st.cache_resource(show_spinner=False, max_entries=32)
def _suggested(version: str, region: str, helix: str, _dataset: Dataset) -> pd.DataFrame:
    layer = linked(version, _dataset)
    try:
        return suggest_partners(layer.actors, region=region, helix=helix, links=layer.edges)
    except ValueError:
        return pd.DataFrame(columns=["actor_id", "name", "why"])


def _suggestions(shown: Shown) -> pd.DataFrame:
    request = st.session_state.get(SUGGESTION)
    if not request:
        return pd.DataFrame(columns=["actor_id", "name", "why"])
    region, helix = request
    return _suggested(shown.dataset.version, region, helix, shown.dataset)


def suggestions_table(shown: Shown, *, key: str) -> None:
    """The last request's suggestions with their reasons and a CSV download (``key``: the
    finder's, as two finders may show the same request)."""
    region, helix = st.session_state[SUGGESTION]
    found = _suggestions(shown)
    if found.empty:
        st.info(f"No {HELIX_LABELS[helix].lower()} actor outside {region}'s clusters.")
        return
    st.caption(f"Suggested partners for {region} ({HELIX_LABELS[helix]}), shown on the map")
    st.dataframe(
        found[["name", "cluster", "country", "score", "why"]].rename(columns=str.capitalize),
        hide_index=True,
        width="stretch",
    )
    st.download_button(
        "Suggestions · CSV",
        frame_to_csv(found),
        file_name=f"{shown.dataset.name}-partners-{region}-{helix}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"{key}_download_{region}_{helix}",
    )


def suggestion_rows(shown: Shown) -> list[str]:
    """Arc rows (JSON text) from the requested region's centre to each suggestion."""
    found = _suggestions(shown)
    if found.empty:
        return []
    region, _helix = st.session_state[SUGGESTION]
    actors = linked(shown.dataset.version, shown.dataset).actors
    inside = actors[region_mask(actors, region)]
    if inside.empty or math.isnan(inside.geometry.x.mean()):
        return []
    centre = [round(inside.geometry.x.mean(), 5), round(inside.geometry.y.mean(), 5)]
    positions = _display_positions(actors).reindex(found["actor_id"].astype(str).to_numpy())
    rows = []
    for (lon, lat), name, why in zip(
        positions.to_numpy().tolist(), found["name"], found["why"], strict=True
    ):
        if not (math.isnan(lon) or math.isnan(lat)):
            row = {
                "s": centre,
                "t": [round(lon, 5), round(lat, 5)],
                "c": [*KIND_COLOURS[SUGGESTED_KIND], 230],
                "w": 3,
                "h": 0.3,
                "tip": f"Suggested partner for {region}: {name}\n{why}",
            }
            rows.append(pd.Series([row]).to_json(orient="values")[1:-1])
    return rows


# --- the Links tab ----------------------------------------------------------------------


def matrix_spec(matrix: pd.DataFrame) -> dict[str, Any]:
    """A Vega-Lite heat map of links per pair of clusters."""
    long = matrix.rename_axis("a").reset_index().melt(id_vars="a", var_name="b", value_name="n")
    return {
        "data": {"values": long.to_dict(orient="records")},
        "mark": {"type": "rect", "tooltip": True},
        "encoding": {
            "x": {"field": "b", "type": "nominal", "title": None, "sort": list(matrix.columns)},
            "y": {"field": "a", "type": "nominal", "title": None, "sort": list(matrix.index)},
            "color": {"field": "n", "type": "quantitative", "title": "links"},
        },
    }


def links_tab(shown: Shown) -> None:
    """The cluster × cluster matrix, region pairs, bridging actors, downloads, rejects."""
    layer = linked(shown.dataset.version, shown.dataset)
    edges = shown_links(shown)
    between = int((edges["source_cluster"] != edges["target_cluster"]).sum())
    st.markdown(
        f"**{counted(len(edges), 'link')}** between the filtered actors ({between:,} between "
        "clusters). Shared projects link every pair of their participants once."
    )
    if edges.empty:
        st.info("No links among the filtered actors.")
    else:
        st.subheader("Links between clusters", anchor=False)
        st.vega_lite_chart(matrix_spec(pair_matrix(edges)), width="stretch")
        st.subheader(f"Partner regions (NUTS {shown.view.level})", anchor=False)
        pairs = pair_counts(edges, by="region", level=shown.view.level)
        pairs = pairs[pairs["a"] != pairs["b"]]
        st.dataframe(
            pairs.assign(projects=deck.join_lists(pairs["projects"], ", ")).rename(
                columns={"a": "Region", "b": "Partner region"}
            ),
            hide_index=True,
            width="stretch",
        )
        st.subheader("Bridging actors", anchor=False)
        bridges = bridging_actors(layer.actors, edges).head(20)
        st.dataframe(
            bridges.reset_index(drop=True)[["name", "clusters_reached", "degree", "betweenness"]],
            hide_index=True,
            width="stretch",
        )
        columns = st.columns(2)
        for column, fmt, mime in (
            (columns[0], "geojson", "application/geo+json"),
            (columns[1], "csv", "text/csv"),
        ):
            column.download_button(
                f"Links · {fmt.upper() if fmt == 'csv' else 'GeoJSON'}",
                render_links(
                    edges,
                    layer.actors,
                    fmt=fmt,
                    metadata={"links_selected": len(edges), "links_total": len(layer.edges)},
                    generated_at=shown.dataset.generated_at,
                ),
                file_name=f"{shown.dataset.name}-links.{fmt}",
                mime=mime,
                icon=":material/download:",
                key=f"download_links_{fmt}",
            )
    rejects = layer.rejects()
    if len(rejects):
        with st.expander(f"{counted(len(rejects), 'row')} of the links tables not used"):
            st.dataframe(rejects, hide_index=True, width="stretch")
