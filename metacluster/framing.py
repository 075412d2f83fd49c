"""Where a map looks: the centre and zoom that fit a set of places into a map of a given
size in pixels (Web Mercator, as deck.gl and every web map draw it).

Used by the app's map, the tour, and by the standalone HTML and figure exports, so each
frames the same actors the same way for the size it is drawn at.

Examples
--------
>>> view = view_for_bounds((10.0, 43.0, 12.0, 44.0), width=600, height=400)
>>> round(view.longitude, 2), view.zoom < MAX_ZOOM
(11.0, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np
import shapely

WORLD_TILE_PX: Final = 512.0
"""Width of the whole world at zoom 0 in deck.gl's Web Mercator, in pixels."""

MAX_ZOOM: Final = 9.0
"""The closest a fitted view comes: about a city with its surroundings (some 60 km across
a laptop's map), so one actor alone still shows where it is."""

REGION_MAX_ZOOM: Final = 7.0
"""The closest a view of one region comes (a tour stop): the region with its neighbours."""

PADDING: Final = 0.08
"""Share of the map kept free on each side, so edge dots are drawn whole."""

ZOOM_STEP: Final = 0.25
"""Fitted zooms are rounded down to quarter steps (as Leaflet's ``zoomSnap``) and fitted
centres moved onto a grid (``snapped``): a filter that barely changes the actors' extent,
such as one helix of 100,000 actors spread over Europe, leaves the map where it was. The
map does not twitch, and the browser draws it once, not twice (a new view is drawn again
after the new layers)."""

EUROPE_VIEW: Final[dict[str, float]] = {"latitude": 50.0, "longitude": 10.0, "zoom": 3.2}
"""Where a map opens when there is nothing to fit."""


@dataclass(frozen=True)
class ViewState:
    """Where the map looks: centre and zoom (deck.gl ``initialViewState``)."""

    latitude: float
    longitude: float
    zoom: float

    def as_dict(self) -> dict[str, float]:
        return {
            "latitude": round(self.latitude, 4),
            "longitude": round(self.longitude, 4),
            "zoom": round(self.zoom, 2),
        }


def mercator_y(lat: float) -> float:
    """Web Mercator y of a latitude (radians of the unit circle), clipped at ±85°."""
    lat = max(min(lat, 85.0), -85.0)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def project(
    lon: float, lat: float, view: ViewState, *, width: float, height: float
) -> tuple[float, float]:
    """Pixel position (x right, y down, from the map's top-left) of a place in a map of
    ``width`` × ``height`` px looking at ``view``; what deck.gl draws.

    >>> project(10.0, 50.0, ViewState(50.0, 10.0, 4.0), width=800, height=600)
    (400.0, 300.0)
    """
    scale = WORLD_TILE_PX * 2**view.zoom
    dx = (lon - view.longitude) / 360.0 * scale
    dy = (mercator_y(view.latitude) - mercator_y(lat)) / (2 * math.pi) * scale
    return width / 2 + dx, height / 2 + dy


def view_for_bounds(
    bounds: tuple[float, float, float, float],
    *,
    width: float,
    height: float,
    padding: float = PADDING,
    max_zoom: float = MAX_ZOOM,
) -> ViewState:
    """The centre and zoom that fit (minx, miny, maxx, maxy) into a map of width × height px.

    At zoom z the world is 512 · 2**z pixels wide. ``padding`` is the share of the map kept
    free on each side. A single point gets ``max_zoom``.
    """
    minx, miny, maxx, maxy = bounds
    y0, y1 = mercator_y(miny), mercator_y(maxy)
    centre_lat = math.degrees(2 * math.atan(math.exp((y0 + y1) / 2)) - math.pi / 2)
    share_x = (maxx - minx) / 360.0
    share_y = (y1 - y0) / (2 * math.pi)
    usable = 1 - 2 * padding
    zooms = [
        math.log2(usable * size / (WORLD_TILE_PX * share))
        for size, share in ((width, share_x), (height, share_y))
        if share > 0
    ]
    zoom = min([*zooms, max_zoom])
    return ViewState(latitude=centre_lat, longitude=(minx + maxx) / 2, zoom=max(zoom, 0.0))


def snapped(view: ViewState, *, width: float, height: float, padding: float) -> ViewState:
    """``view`` with its zoom rounded down to a ``ZOOM_STEP`` and its centre moved to the
    nearest node of a grid whose cells are ``padding`` × the map's shorter side (in pixels
    at that zoom). Zooming out only brings places towards the centre, and the centre moves
    by at most half the padding: whatever ``view_for_bounds`` fitted inside stays inside.

    >>> snapped(ViewState(43.77, 11.25, 6.9), width=800, height=600, padding=0.08).zoom
    6.75
    """
    zoom = max(math.floor(view.zoom / ZOOM_STEP + 1e-9) * ZOOM_STEP, 0.0)
    cell = padding * min(width, height)
    if cell <= 0:
        return ViewState(latitude=view.latitude, longitude=view.longitude, zoom=zoom)
    scale = WORLD_TILE_PX * 2**zoom  # the world's width in pixels at this zoom
    x = round((view.longitude + 180.0) / 360.0 * scale / cell) * cell
    y = round((math.pi - mercator_y(view.latitude)) / (2 * math.pi) * scale / cell) * cell
    latitude = math.degrees(
        2 * math.atan(math.exp(math.pi - 2 * math.pi * y / scale)) - math.pi / 2
    )
    return ViewState(latitude=latitude, longitude=x / scale * 360.0 - 180.0, zoom=zoom)


def view_for_points(
    geometry: gpd.GeoSeries,
    *,
    width: float,
    height: float,
    max_zoom: float = MAX_ZOOM,
    padding: float = PADDING,
) -> ViewState:
    """The view that fits the points into a map of ``width`` × ``height`` px: on the grid
    of ``snapped`` views, unless it is at ``max_zoom``.

    Far outliers (1 % on each side) are left out when there are 100 points or more, so
    that one actor in the Canaries does not zoom out all of Europe; below that every point
    is inside the view.
    """
    values = geometry.to_numpy()
    points = values[~(shapely.is_missing(values) | shapely.is_empty(values))]
    if len(points) == 0:
        return ViewState(**EUROPE_VIEW)
    x, y = shapely.get_x(points), shapely.get_y(points)
    share = 0.01 if len(points) >= 100 else 0.0
    lo, hi = share, 1 - share
    bounds = (
        float(np.quantile(x, lo)),
        float(np.quantile(y, lo)),
        float(np.quantile(x, hi)),
        float(np.quantile(y, hi)),
    )
    fitted = view_for_bounds(bounds, width=width, height=height, padding=padding, max_zoom=max_zoom)
    if fitted.zoom >= max_zoom:  # a few places close together: centred on them exactly
        return fitted
    return snapped(fitted, width=width, height=height, padding=padding)
