"""The map: actors by helix over a choropleth of NUTS regions, a legend and attribution.

Up to ``settings.max_dots`` filtered actors are dots; with more, the choropleth stands in
for them (drawn even when turned off) and a line above the map says why.

The spec is spliced from cached parts (``deck``): the actor rows serialised once per data
version, region geometries once per NUTS file, the countries basemap once per version; a
rerun only joins the filtered rows and recolours the regions. Clicking an actor, an arc or a
region selects it (``on_select="rerun"``); ``selected`` says which.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import streamlit as st

from metacluster import countries, framing, settings
from metacluster._text import counted
from metacluster.nuts import source_key
from metacluster.schema import actors_per_helix
from metacluster.ui import browser_filter, data, deck, static
from metacluster.ui import links as links_ui
from metacluster.ui.state import (
    ACTORS_LAYER,
    COUNTRIES_LAYER,
    LINKS_LAYER,
    METRICS,
    REGIONS_LAYER,
    Shown,
)

MAP_KEY: Final = "map"
MAP_WIDTH: Final = 560
MAP_HEIGHT: Final = 560
"""The map's size in the narrowest layout the app is made for (a 1280 px window with the
sidebar open: the map column is 578 px wide): the view is fitted to it, so every filtered
actor is inside the map at that size and at every wider one."""
PRESENT_WIDTH: Final = 1200
PRESENT_HEIGHT: Final = 320
"""The presentation map's smallest size (a 1280×720 projector); it grows with the window."""
FINE_ZOOM: Final = 5.5
"""From this zoom on (closer than a country) regions are drawn at ``data.FINE_SCALE``."""
INLINE_BELOW: Final = 200_000
"""Layers with this many characters of JSON and more (about 800 actors, or regions or
links as large) are served as files (``static.layer_data``): inline, the browser's JSON5
parser would take seconds over 100,000 actors on every filter change."""
CARTO_ATTRIBUTION: Final = "Basemap © CARTO, © OpenStreetMap contributors."


@dataclass(frozen=True)
class Selected:
    """What was clicked on the map: ``layer`` is "actors", "links" or "regions", ``id`` the
    actor_id, the link's position in the edges or the NUTS code."""

    layer: str
    id: str


def selected(event: Any) -> Selected | None:
    """The clicked actor, link or region in a ``st.pydeck_chart`` selection event, if any."""
    objects = (event or {}).get("selection", {}).get("objects", {}) or {}
    for layer in (ACTORS_LAYER, LINKS_LAYER, REGIONS_LAYER):
        for item in objects.get(layer) or []:
            properties = item.get("properties", item) if isinstance(item, dict) else {}
            identifier = properties.get("id")
            if identifier:
                return Selected(layer=layer, id=str(identifier))
    return None


@st.cache_resource(show_spinner=False, max_entries=8)
def _countries(
    year: int, source: tuple[object, ...], *, online: bool, fine: bool
) -> tuple[str, str]:
    """The basemap's features and border segments: the world's countries over the sea
    when GISCO's outlines can be had, else NUTS countries over a neutral ground; outlines
    only over tiles."""
    world = None
    if not online:
        for scale in data.display_scales(fine=fine):
            world = countries.load_countries(scale)
            if world is not None:
                break
    if world is not None:
        outlines = deck.geometry_json(world, key="CNTR_ID")
        return deck.countries_features(outlines, backdrop="sea"), deck.border_segments(outlines)
    geometries = data.region_geometries(year, 0, fine=fine)
    backdrop = "none" if online else "neutral"
    return deck.countries_features(geometries, backdrop=backdrop), deck.border_segments(geometries)


@st.cache_resource(show_spinner=False, max_entries=16)
def _region_outlines(
    year: int, level: int, codes: tuple[str, ...], source: tuple[object, ...], *, fine: bool
) -> str:
    """The outlines of the shaded regions ``codes`` as segments: computed once per set of
    regions, so a filter change that shades the same regions reuses them."""
    geometries = data.region_geometries(year, level, fine=fine)
    return deck.border_segments({code: geometries[code] for code in codes if code in geometries})


def map_view_state(shown: Shown, tour_view: framing.ViewState | None) -> framing.ViewState:
    """The tour step's view when touring, else the view that fits the filtered actors."""
    if tour_view is not None:
        return tour_view
    present = shown.view.present
    width, height = (PRESENT_WIDTH, PRESENT_HEIGHT) if present else (MAP_WIDTH, MAP_HEIGHT)
    return framing.view_for_points(shown.actors.geometry, width=width, height=height)


def show(
    shown: Shown,
    regions: gpd.GeoDataFrame,
    tour_view: framing.ViewState | None,
    *,
    members: gpd.GeoDataFrame | None = None,
) -> Selected | None:
    """Draw the map with its legend and attribution; return what was clicked.

    In presentation mode the legend comes first, in large type, so that it is on the
    projected screen together with the map; ``members`` (a tour stop's actors) are the
    actors its counts describe, by default all the filtered ones.
    """
    view, dataset = shown.view, shown.dataset
    view_state = map_view_state(shown, tour_view)
    fine = view_state.zoom >= FINE_ZOOM
    layers = []
    if COUNTRIES_LAYER in view.layers:
        source = (*source_key(), countries.source())
        basemap, borders = _countries(
            dataset.nuts_year, source, online=view.online_basemap, fine=fine
        )
        # served as files: the same URLs on every rerun, so the browser keeps the layers
        layers.append(deck.countries_layer(static.layer_data(basemap, stem="basemap")))
        layers.append(deck.borders_layer(static.layer_data(borders, stem="borders")))
    dots = _actor_dots(shown)
    if _shades_regions(shown):
        geometries = data.region_geometries(dataset.nuts_year, view.level, fine=fine)
        features = deck.region_features(regions, geometries, view.metric)
        layers.append(_large_as_file(deck.regions_layer(features)))
        codes = tuple(regions["NUTS_ID"].astype(str))
        outlines = _region_outlines(dataset.nuts_year, view.level, codes, source_key(), fine=fine)
        layers.append(_large_as_file(deck.region_outlines_layer(outlines)))
    arcs = links_ui.arcs_layer(shown) if LINKS_LAYER in view.layers else None
    if arcs is not None:
        layers.append(_large_as_file(arcs))
    if dots is not None:
        layers.append(dots)
    spec = deck.deck_spec(layers, view=view_state, online_basemap=view.online_basemap)
    members = shown.actors if members is None else members
    if view.present:
        legend(shown, regions, members)
    if too_many_dots(shown):  # above the map, where it is seen with the regions
        st.html(too_many_html(len(shown.actors)))
    event = st.pydeck_chart(
        deck.PrebuiltDeck(spec),
        on_select="rerun",
        selection_mode="single-object",
        key=MAP_KEY,
        height=PRESENT_HEIGHT if view.present else MAP_HEIGHT,
        alt=f"Map of {counted(len(shown.actors), 'actor')} "
        + ("shaded by region" if too_many_dots(shown) else "coloured by helix"),
    )
    attribution(shown)  # under the map, where maps credit their sources
    if not view.present:
        legend(shown, regions, members)
    return selected(event)


def too_many_dots(shown: Shown) -> bool:
    """Whether the actors layer is on but more actors are filtered than the map draws
    (``settings.max_dots``)."""
    return ACTORS_LAYER in shown.view.layers and len(shown.actors) > settings.max_dots


def _shades_regions(shown: Shown) -> bool:
    """The choropleth is drawn when turned on, and always in place of too many dots."""
    return REGIONS_LAYER in shown.view.layers or too_many_dots(shown)


def _actor_dots(shown: Shown) -> deck.Layer | None:
    """The actors layer, or None when more than ``settings.max_dots`` actors are filtered.

    Its rows pass the server's criteria and the browser applies the others, so the rows (a
    file, when large) stay the same while only those change. When the server's criteria
    alone leave more than ``max_dots`` rows, the server applies every filter instead: the
    GPU works on every row of the layer, shown or not, so a helix picked among 100,000
    actors must not send 100,000 rows.
    """
    if ACTORS_LAYER not in shown.view.layers or too_many_dots(shown):
        return None
    view, dataset = shown.view, shown.dataset
    on_map = data.browser_split(dataset, view.filters)
    if len(data.filtered_positions(dataset, on_map.server)) > settings.max_dots:
        on_map = browser_filter.Split(server=view.filters, accepted=())
    actors = deck.actors_layer(
        data.actors_json(dataset, on_map.server),
        point_radius=7.0 if view.present else 5.0,
        categories=on_map.accepted,
    )
    return _large_as_file(actors)


def _large_as_file(layer: deck.Layer) -> deck.Layer:
    """``layer`` (whose data changes with the filters) with its data served as a file when
    it is large (``INLINE_BELOW``)."""
    served = static.layer_data(layer.data, stem=layer.id, inline_below=INLINE_BELOW)
    return layer if served is layer.data else dataclasses.replace(layer, data=served)


def legend(shown: Shown, regions: gpd.GeoDataFrame, members: gpd.GeoDataFrame) -> None:
    """Helix colours with the number of ``members`` (the actors counted) of each helix, and
    the choropleth's ramp."""
    large = shown.view.present
    parts = [deck.helix_legend_html(actors_per_helix(members["helix"]), large=large)]
    if _shades_regions(shown) and len(regions):
        _, column = METRICS[shown.view.metric]
        vmin, vmax = deck.metric_range(shown.view.metric, regions[column].to_numpy(dtype=float))
        parts.append(deck.metric_legend_html(shown.view.metric, vmin, vmax, large=large))
    parts.append(links_ui.legend_html(shown, members))
    st.html("".join(parts))  # HTML, not Markdown: nothing to parse in the browser


def too_many_html(count: int) -> str:
    """Says why the map shows regions and not the ``count`` actors, and how to see them."""
    return (
        '<p style="font-size:0.9rem;margin:0">'
        f"{count:,} actors are more than the map draws one by one ({settings.max_dots:,}), "
        "so it shades the regions instead. Narrow the filters (a country, a cluster, a helix, "
        "a NUTS region) to see each actor.</p>"
    )


def attribution(shown: Shown) -> None:
    """The boundaries' attribution (GISCO's licence asks for it), and Carto's when its
    tiles are drawn."""
    credits = settings.attribution
    if shown.view.online_basemap:
        credits += " " + CARTO_ATTRIBUTION
    st.caption(credits)
