"""metacluster's Streamlit app: ``streamlit run app.py`` (or ``make run``).

Page configuration and one call per panel; everything else lives in ``metacluster.ui``.
The view (meta-cluster, filters, map options, presentation mode) is kept in the URL.
Set ``METACLUSTER_APP_DATA`` to a GeoParquet/GeoJSON of located actors to show that file
instead of the bundled manifests (``benchmarks/app.py`` does).
"""

import geopandas as gpd
import streamlit as st

from metacluster.ui import guard, mapview, panels, present, sidebar, workspace
from metacluster.ui.state import Shown

# No page_icon: a Material icon there is fetched from Google, and the app must work offline.
st.set_page_config(page_title="metacluster", layout="wide")


@st.fragment
def map_and_details(shown: Shown, regions: gpd.GeoDataFrame, step: present.TourStep | None) -> None:
    """The map and what was clicked on it: a click reruns only this part of the page."""
    with guard.shown_errors():
        if shown.view.present:
            map_area = details_area = st.container()
        else:
            map_area, details_area = st.columns([5, 2])
        with map_area:
            if step is None:
                selection = mapview.show(shown, regions, None)
            else:
                selection = mapview.show(shown, regions, step.view, members=step.members)
        with details_area:
            panels.details(shown, regions, selection)


with guard.shown_errors():
    workspace.take_token()  # before the URL is read: an upload link's token leaves it
    view = sidebar.url_view()
    present.page_setup(view)
    shown = sidebar.controls(sidebar.data_source(view), view)
    regions = panels.regions(shown)
    panels.header(shown)
    step = present.tour(shown)
    map_and_details(shown, regions, step)
    if not view.present:
        panels.views(shown, regions)
