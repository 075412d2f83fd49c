"""Presentation mode for workshops: big type, a full-width map and a guided tour.

``?present=1`` (or the sidebar toggle) hides every control except the tour buttons. The
tour steps through the regional clusters in manifest order; each step zooms the map onto
that cluster's actors and says where it is ("3 / 8 — Toscana"). The step lives in the URL
(``step``), so a presenter can bookmark any stop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd
import streamlit as st

from metacluster import framing
from metacluster._text import counted
from metacluster.merge import home_nuts_of
from metacluster.ui.guard import escape_markdown
from metacluster.ui.mapview import PRESENT_HEIGHT, PRESENT_WIDTH
from metacluster.ui.sidebar import url_view, write_url
from metacluster.ui.state import Shown, View

PAGE_CSS: Final = """
<style>
.stMainBlockContainer, .block-container { padding-top: 3rem !important; }
.stMarkdown p, .stMarkdown li, [data-testid="stTable"] td { overflow-wrap: anywhere; }
</style>
"""
"""Less room above the title, so that the map, its legend and attribution fit one screen."""

PRESENT_CSS: Final = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarCollapseButton"] { display: none !important; }
.stMainBlockContainer, .block-container { max-width: 100% !important;
  padding-left: 1.5rem !important; padding-right: 1.5rem !important;
  padding-top: 3.2rem !important; padding-bottom: 0 !important; }
.stMarkdown p, .stMarkdown li { font-size: 1.3rem !important; }
.stCaption p { font-size: 0.95rem !important; }
h1 { font-size: 2.1rem !important; padding: 0 !important; }
.stButton button p { font-size: 1.2rem !important; }
</style>
"""


TOUR_MAX_ZOOM: Final = framing.REGION_MAX_ZOOM
"""A tour stop shows the whole region around its actors with its neighbours, even when
they all sit in one city."""


@dataclass(frozen=True)
class TourStep:
    """One stop of the tour: its number (1-based), the total, the cluster and the view."""

    number: int
    total: int
    cluster: str
    view: framing.ViewState
    actors: int
    members: gpd.GeoDataFrame = field(compare=False, repr=False)
    """The cluster's (filtered) actors: the legend counts them."""

    @property
    def label(self) -> str:
        return f"{self.number} / {self.total} — {self.cluster}"


def home_region(members: gpd.GeoDataFrame, home: str | None) -> pd.Series:
    """Which of a cluster's actors lie in its home region: the manifest's ``home_nuts``,
    else the NUTS-2 region where most of them are (``home_nuts_of``). A map also lists
    partners from far away (EIT Digital in Eindhoven on Madrid's map), which would otherwise
    zoom out to Europe."""
    home = home or home_nuts_of(members)
    column = f"nuts{len(home) - 2}" if home else ""
    if column not in members:
        return pd.Series(False, index=members.index)
    return (members[column] == home).fillna(False).astype(bool)


def tour_step(
    actors: gpd.GeoDataFrame,
    clusters: tuple[str, ...],
    step: int,
    *,
    homes: Mapping[str, str] | None = None,
    width: int = PRESENT_WIDTH,
    height: int = PRESENT_HEIGHT,
) -> TourStep | None:
    """The tour's ``step``-th stop (1-based; 0 or beyond the end: None, the overview).

    The view fits the cluster's actors (among ``actors``, the filtered ones) in its home
    region (``homes``: cluster -> NUTS code; ``home_region``), or all of them when none is
    there; ``actors`` counts every actor on the cluster's map.
    """
    if not 1 <= step <= len(clusters):
        return None
    cluster = clusters[step - 1]
    member = actors["regional_cluster"].map(lambda values: cluster in list(values or []))
    members = actors[member.to_numpy(dtype=bool)]
    at_home = members[home_region(members, (homes or {}).get(cluster)).to_numpy(dtype=bool)]
    fitted = at_home if len(at_home) else members
    return TourStep(
        number=step,
        total=len(clusters),
        cluster=cluster,
        view=framing.view_for_points(
            fitted.geometry, width=width, height=height, max_zoom=TOUR_MAX_ZOOM
        ),
        actors=len(members),
        members=members,
    )


PAGE_SCRIPT: Final = (Path(__file__).with_name("page.js")).read_text(encoding="utf-8")
"""Wheel, zoom buttons, clicker keys and the presentation map's height (``page.js``)."""


def page_setup(view: View) -> None:
    """Large type and no sidebar in presentation mode; a compact page with the sidebar
    otherwise; the page script in both."""
    if view.present:
        st.set_page_config(initial_sidebar_state="collapsed")
        st.html(PRESENT_CSS)
    else:
        st.set_page_config(initial_sidebar_state="expanded")
        st.html(PAGE_CSS)
    st.html(f"<script>{PAGE_SCRIPT}</script>", unsafe_allow_javascript=True)


def _go(step: int) -> None:
    view = url_view(warn=False)
    write_url(replace(view, step=step))


def _leave() -> None:
    write_url(replace(url_view(warn=False), present=False, step=0))


def tour(shown: Shown) -> TourStep | None:
    """Tour buttons and the current stop (only in presentation mode)."""
    if not shown.view.present:
        return None
    clusters = shown.dataset.clusters
    step = tour_step(shown.actors, clusters, shown.view.step, homes=shown.dataset.homes)
    current = step.number if step else 0
    back, where, forward, leave = st.columns([1, 3.4, 1, 1.6], vertical_alignment="center")
    back.button(
        "Previous",
        key="tour_previous",
        on_click=_go,
        args=(max(current - 1, 0),),
        disabled=current == 0,
        icon=":material/arrow_back:",
        width="stretch",
    )
    forward.button(
        "Next",
        key="tour_next",
        on_click=_go,
        args=(min(current + 1, len(clusters)),),
        disabled=current >= len(clusters),
        icon=":material/arrow_forward:",
        width="stretch",
    )
    leave.button("Leave presentation", key="tour_leave", on_click=_leave, width="stretch")
    if step is None:
        where.markdown(
            f"**Overview — {len(clusters)} regional clusters.** Press Next to start the tour."
        )
    else:
        where.markdown(f"**{escape_markdown(step.label)}** · {counted(step.actors, 'actor')}")
    return step
