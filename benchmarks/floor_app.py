"""The floor under ``benchmarks.browser``: a page with what ours has in common with every
Streamlit + pydeck app, and nothing of ours.

A helix list and an actor count in the sidebar, and a map with one dot. Timed the same
way as the app, it measures what the platform itself costs in this browser: the bundle,
the websocket, React's first render and deck.gl's start on page load, and Streamlit's
rerun on a filter change. The app's numbers are read against it.
"""

import pydeck as pdk
import streamlit as st

from metacluster.schema import HELICES, HELIX_LABELS

st.set_page_config(page_title="floor", layout="wide")
with st.sidebar:
    chosen = st.multiselect(
        "Helix", HELICES, format_func=HELIX_LABELS.__getitem__, placeholder="All"
    )
    st.markdown(f"**{len(chosen) or len(HELICES)} of {len(HELICES)} actors**")
dot = pdk.Layer(
    "ScatterplotLayer",
    data=[{"position": [4.35, 50.85]}],
    get_position="position",
    get_radius=5,
    radius_units="pixels",
)
view = pdk.ViewState(latitude=50, longitude=10, zoom=3)
st.pydeck_chart(pdk.Deck(layers=[dot], initial_view_state=view, map_style=None), height=560)
