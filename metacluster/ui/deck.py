"""The map as deck.gl JSON, built by pure functions and spliced rather than re-encoded.

pydeck's ``Deck.to_json`` encodes layer data row by row (0.4–0.6 s for 100 000 points), so
the actor rows are serialised once per data version (``actor_rows``: one JSON object per
actor, only the fields the layer and its tooltip use, coordinates rounded) and every rerun
joins the filtered subset into the spec (``deck_spec``), which ``PrebuiltDeck`` hands to
``st.pydeck_chart`` as it is.

Tooltips are plain text, never HTML: a map drawn by someone else may name an actor
``<img src=x onerror=…>``, and a ``text`` tooltip reaches the page through the browser's
``innerText``, so such a name is shown as it is and never parsed (``TOOLTIP``).

Layers, bottom to top: ``countries`` (GISCO's country outlines over the sea as a light
basemap, so the map reads well with no tile server; NUTS countries over a neutral ground
when the outlines cannot be had), ``regions`` (choropleth of one metric) and ``actors`` (points
coloured by helix). Both upper layers are pickable and carry an ``id`` so that a click
selects an actor or a region.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from metacluster._text import counted
from metacluster.framing import ViewState
from metacluster.schema import HELICES, HELIX_COLOURS, HELIX_LABELS, UNKNOWN_HELIX
from metacluster.ui.state import ACTORS_LAYER, COUNTRIES_LAYER, METRICS, REGIONS_LAYER

COORDINATE_DECIMALS: Final = 5
"""Decimals kept for actor positions on the map (about 1 m)."""

ONLINE_BASEMAP: Final = pdk.map_styles.CARTO_LIGHT
"""Carto's Positron style: needs no token; only used when the user turns it on."""

TOOLTIP: Final[dict[str, Any]] = {
    "text": "{tip}",
    "style": {"fontSize": "13px", "maxWidth": "340px", "whiteSpace": "normal"},
}
"""One template for both pickable layers: each row carries its whole tooltip as plain text
in ``tip`` (GeoJSON features in their properties), one line per fact.

Why text and not HTML: deck.gl sets a ``text`` tooltip with ``innerText``, which cannot run
markup whatever the value holds, while an ``html`` tooltip depends on Streamlit escaping
each value (1.67 does, so values escaped here as well would show as ``&lt;img``). Why one
placeholder: Streamlit fills placeholders one after the other, so a value that contains
``{l1}`` would otherwise receive the next placeholder's text."""

SPREAD_STEP_M: Final = 250.0
"""Spacing of actors drawn around a position they share (a city centre), in metres."""

_GOLDEN_ANGLE: Final = math.pi * (3 - math.sqrt(5))
_METRES_PER_DEGREE: Final = 111_320.0

_SEA: Final = (214, 226, 236, 255)
_LAND: Final = (250, 250, 247, 255)
_NEUTRAL: Final = (232, 231, 226, 255)
_BORDER: Final = (176, 176, 176, 255)
_RAMP_START: Final = (247, 247, 247)
_WORLD_RING: Final = [[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]]

_METRIC_COLOURS: Final[dict[str, tuple[int, int, int]]] = {
    "actors": (37, 52, 148),
    **HELIX_COLOURS,
    "balance": (84, 39, 143),
}


def join_lists(values: pd.Series, separator: str = "; ") -> pd.Series:
    """List cells (lists, tuples, arrays) as one text each; scalars as text, NA as ""."""
    if isinstance(values.dtype, pd.StringDtype) or pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype(object).where(values.notna(), "").astype(str)
    texts = [
        separator.join(map(str, v))
        if isinstance(v, (list, tuple, np.ndarray))
        else ("" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v))
        for v in values.tolist()
    ]
    return pd.Series(texts, index=values.index, dtype=object)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(None, index=frame.index, dtype=object)


def _joined(parts: Sequence[pd.Series], separator: str) -> pd.Series:
    """Row-wise join of text columns, skipping empty cells (vectorised)."""
    result = parts[0].astype(str)
    for part in parts[1:]:
        part = part.astype(str)
        both = (result != "") & (part != "")
        result = (result + separator + part).where(both, result + part)
    return result


def actor_tooltips(actors: pd.DataFrame) -> pd.Series:
    """Each actor's tooltip as plain text (``TOOLTIP``), empty lines left out.

    The lines: the name; helix and organisation type; city with the NUTS-3 and NUTS-2
    names (the NUTS-3 name only when it is not the city's); the regional clusters whose
    maps list the actor.
    """
    helix = _column(actors, "helix").fillna(UNKNOWN_HELIX)
    helix_label = helix.map(HELIX_LABELS).fillna(helix)
    city = join_lists(_column(actors, "city"))
    nuts3 = join_lists(_column(actors, "nuts3_name"))
    nuts3 = nuts3.where(nuts3.str.casefold() != city.str.casefold(), "")
    place = _joined([city, nuts3, join_lists(_column(actors, "nuts2_name"))], ", ")
    clusters = join_lists(_column(actors, "regional_cluster"))
    lines = [
        join_lists(_column(actors, "name")),
        _joined([helix_label, join_lists(_column(actors, "organisation_type"))], " · "),
        place,
        ("Regional cluster: " + clusters).where(clusters != "", ""),
    ]
    return _joined(lines, "\n")


def spread_stacked(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions for drawing: actors that share one point fan out around it.

    Positions at city level put every actor of a city on the same pixel, so that only the
    topmost can be seen or clicked. The k-th actor of a shared point (in row order) is
    drawn ``SPREAD_STEP_M * sqrt(k)`` metres away at k golden angles (a sunflower
    pattern), the first one on the point itself. Display only: the data keep the point.
    """
    keys = pd.DataFrame({"lon": lon, "lat": lat})
    k = keys.groupby(["lon", "lat"], sort=False, dropna=False).cumcount().to_numpy()
    radius = SPREAD_STEP_M * np.sqrt(k) / _METRES_PER_DEGREE
    angle = k * _GOLDEN_ANGLE
    shrink = np.cos(np.radians(np.clip(lat, -85.0, 85.0)))
    return lon + radius * np.sin(angle) / shrink, lat + radius * np.cos(angle)


def actor_rows(actors: gpd.GeoDataFrame, categories: np.ndarray | None = None) -> np.ndarray:
    """One JSON object (text) per actor, in row order: all the actor layer needs.

    Fields: ``id`` (actor_id, to find the actor when it is clicked), ``lon``/``lat``
    (rounded), ``c`` (helix colour), the plain-text tooltip ``tip`` and, given
    ``categories`` (one row per actor, one column per criterion: ``browser_filter``), the
    categories ``g`` the browser filters by. Built once per data version; ``rows_json``
    splices any subset into the spec.
    """
    if len(actors) == 0:
        return np.array([], dtype=object)
    geometry = actors.geometry.to_numpy()
    lon, lat = spread_stacked(shapely.get_x(geometry), shapely.get_y(geometry))
    colours = {helix: list(rgb) for helix, rgb in HELIX_COLOURS.items()}
    helix = _column(actors, "helix")
    table = pd.DataFrame(
        {
            "id": _column(actors, "actor_id").astype(object).where(lambda s: s.notna(), ""),
            "lon": np.round(lon, COORDINATE_DECIMALS),
            "lat": np.round(lat, COORDINATE_DECIMALS),
            "c": helix.where(helix.isin(list(colours)), UNKNOWN_HELIX).map(colours),
            "tip": actor_tooltips(actors),
        },
        index=actors.index,
    )
    if categories is not None and categories.shape[1]:
        one = categories.shape[1] == 1  # one criterion: a number, not a list (deck.gl's rule)
        table["g"] = categories[:, 0] if one else categories.tolist()
    lines = table.to_json(orient="records", lines=True, double_precision=COORDINATE_DECIMALS)
    return np.array(lines.rstrip("\n").split("\n"), dtype=object)


def rows_json(rows: np.ndarray, positions: np.ndarray | None = None) -> str:
    """A JSON array of the serialised rows at ``positions`` (all rows when None)."""
    chosen = rows if positions is None else rows[np.asarray(positions, dtype=np.int64)]
    return "[" + ",".join(chosen.tolist()) + "]"


def ramp_colours(
    values: np.ndarray, *, colour: tuple[int, int, int], vmin: float, vmax: float, alpha: int = 190
) -> np.ndarray:
    """RGBA per value on a linear ramp from near-white (vmin) to ``colour`` (vmax); NaN
    values get a transparent grey."""
    values = np.asarray(values, dtype=float)
    missing = np.isnan(values)
    span = vmax - vmin
    share = np.clip((values - vmin) / span, 0.0, 1.0) if span > 0 else np.ones_like(values)
    share[missing] = 0.0
    start, end = np.array(_RAMP_START, dtype=float), np.array(colour, dtype=float)
    rgb = np.rint(start + share[:, None] * (end - start)).astype(int)
    rgba = np.column_stack([rgb, np.full(len(values), alpha)])
    rgba[missing] = (200, 200, 200, 60)
    return rgba


def metric_range(metric: str, values: np.ndarray) -> tuple[float, float]:
    """Colour scale limits: 0–1 for the balance index, 0–max for counts."""
    if metric == "balance":
        return 0.0, 1.0
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return 0.0, float(finite.max()) if len(finite) else 1.0


def geometry_json(frame: gpd.GeoDataFrame, key: str = "NUTS_ID") -> dict[str, str]:
    """Each region's geometry as GeoJSON text, by code: serialised once per NUTS file."""
    texts = shapely.to_geojson(frame.geometry.to_numpy())
    return dict(zip(frame[key].astype(str).tolist(), texts.tolist(), strict=True))


def _feature_collection(features: list[str]) -> str:
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def _feature(geometry: str, properties: Mapping[str, Any]) -> str:
    head = '{"type":"Feature","geometry":' + geometry
    return head + ',"properties":' + json.dumps(properties) + "}"


def region_features(regions: pd.DataFrame, geometries: Mapping[str, str], metric: str) -> str:
    """The choropleth's GeoJSON: one feature per region of ``aggregate_regions``' table.

    Properties: ``id`` (NUTS code), ``fill`` (RGBA of the metric) and the plain-text
    tooltip ``tip``. Regions whose geometry is unknown at this NUTS version are left out.
    """
    label, column = METRICS[metric]
    values = pd.to_numeric(regions[column], errors="coerce").to_numpy(dtype=float)
    vmin, vmax = metric_range(metric, values)
    fills = ramp_colours(values, colour=_METRIC_COLOURS[metric], vmin=vmin, vmax=vmax)
    columns = [regions[f"n_{h}"].to_numpy(dtype=np.int64) for h in HELICES]
    features = []
    # a loop, not pandas string ops: at most ~1,500 regions, where each pandas op costs more
    for i, (code, name, total, missing, value, fill) in enumerate(
        zip(
            regions["NUTS_ID"].astype(str).tolist(),
            regions["NAME_LATN"].astype(str).tolist(),
            regions["n_total"].to_numpy(dtype=np.int64).tolist(),
            regions["missing_helices"].tolist(),
            values.tolist(),
            fills.tolist(),
            strict=True,
        )
    ):
        if code not in geometries:
            continue
        counts = " · ".join(
            f"{int(c[i])} {_short(h)}" for c, h in zip(columns, HELICES, strict=True)
        )
        lacking = ", ".join(map(_short, missing))
        tip = "\n".join(
            [
                f"{name} ({code})",
                f"{counted(total, 'actor')}: {counts}",
                f"Missing: {lacking}" if lacking else "All four helices present",
                f"{label}: {_format_value(value)}",
            ]
        )
        features.append(_feature(geometries[code], {"id": code, "fill": fill, "tip": tip}))
    return _feature_collection(features)


def _short(helix: str) -> str:
    """ "civil_society" -> "civil society"."""
    return helix.replace("_", " ")


def _format_value(value: float) -> str:
    if not np.isfinite(value):
        return "–"
    return f"{value:.2f}" if value != int(value) else f"{int(value):,}"


BACKDROPS: Final = ("sea", "neutral", "none")


def countries_features(geometries: Mapping[str, str], *, backdrop: str) -> str:
    """Countries as a light basemap over a backdrop: ``sea`` when the countries are the
    whole world's (GISCO's countries), ``neutral`` when they are only NUTS countries, so
    land outside NUTS never looks like water, ``none`` (outlines only) over online tiles."""
    if backdrop not in BACKDROPS:
        raise ValueError(f"backdrop must be one of {BACKDROPS}, not {backdrop!r}")
    features = []
    if backdrop != "none":
        world = json.dumps({"type": "Polygon", "coordinates": [_WORLD_RING]})
        fill = _SEA if backdrop == "sea" else _NEUTRAL
        features.append(_feature(world, {"fill": list(fill)}))
    land = [0, 0, 0, 0] if backdrop == "none" else list(_LAND)
    features += [_feature(g, {"fill": land}) for g in geometries.values()]
    return _feature_collection(features)


def border_segments(geometries: Mapping[str, str]) -> str:
    """Outlines (countries', regions') as straight segments ``[x1, y1, x2, y2]`` for a
    LineLayer.

    A polygon layer's own stroke is a PathLayer, whose shader costs about a second per
    frame in software WebGL (a browser without a GPU, headless Chromium) for Europe's
    borders; plain 1 px segments look the same and cost a few tens of milliseconds.
    """
    if not geometries:
        return "[]"
    shapes = shapely.from_geojson(list(geometries.values()))
    lines = shapely.get_parts(shapely.get_parts(shapely.boundary(shapes)))
    xy, line = shapely.get_coordinates(lines, return_index=True)
    same = line[:-1] == line[1:]  # consecutive points of one ring make a segment
    segments = np.round(np.hstack([xy[:-1][same], xy[1:][same]]), 5)
    return json.dumps(segments.tolist())


_PLACEHOLDER = "__metacluster_{}__"
BORDERS_LAYER_ID: Final = "borders"
"""Part of the countries basemap: shown and hidden with it."""
REGION_OUTLINES_LAYER_ID: Final = "region-outlines"
"""Part of the choropleth: shown and hidden with it."""

_COUNTRIES_STYLE: Final[dict[str, Any]] = {
    "pickable": False,
    "stroked": False,  # the borders are their own, cheaper layer (border_segments)
    "filled": True,
    "getFillColor": "@@=properties.fill",
}
_BORDERS_STYLE: Final[dict[str, Any]] = {
    "pickable": False,
    "getSourcePosition": "@@=[this[0], this[1]]",
    "getTargetPosition": "@@=[this[2], this[3]]",
    "getColor": list(_BORDER),
    "getWidth": 1,
    "widthUnits": "pixels",
}
_REGION_OUTLINES_STYLE: Final[dict[str, Any]] = {
    **_BORDERS_STYLE,
    "getColor": [90, 90, 90, 200],
}
_REGIONS_STYLE: Final[dict[str, Any]] = {
    "pickable": True,
    "autoHighlight": True,
    "stroked": False,  # the outlines are their own, cheaper layer (border_segments)
    "filled": True,
    "getFillColor": "@@=properties.fill",
}
_ACTORS_STYLE: Final[dict[str, Any]] = {
    "pickable": True,
    "autoHighlight": True,
    "getPosition": "@@=[lon, lat]",
    "getFillColor": "@@=c",
    "getLineColor": [255, 255, 255],
    "stroked": True,
    "lineWidthMinPixels": 1,
    "radiusUnits": "pixels",
}
"""deck.gl properties of the layers (the actors' radius depends on the mode)."""

POINT_RADIUS_PX: Final = 5.0
"""Actor radius on a laptop's map: a dot of at least 7 px can be clicked."""


@dataclass(frozen=True)
class Layer:
    """One deck.gl layer of the map: its id, deck.gl class, pre-serialised data (JSON
    text, spliced into the spec as it is) and its other properties."""

    id: str
    kind: str
    data: str
    style: Mapping[str, Any]


def countries_layer(data: str) -> Layer:
    """The basemap of countries (``countries_features``), not pickable."""
    return Layer(COUNTRIES_LAYER, "GeoJsonLayer", data, _COUNTRIES_STYLE)


def borders_layer(data: str) -> Layer:
    """The countries' borders (``border_segments``), drawn over the countries layer."""
    return Layer(BORDERS_LAYER_ID, "LineLayer", data, _BORDERS_STYLE)


def regions_layer(data: str) -> Layer:
    """The choropleth (``region_features``); a click selects a region."""
    return Layer(REGIONS_LAYER, "GeoJsonLayer", data, _REGIONS_STYLE)


def region_outlines_layer(data: str) -> Layer:
    """The shaded regions' outlines (``border_segments``), drawn over the choropleth."""
    return Layer(REGION_OUTLINES_LAYER_ID, "LineLayer", data, _REGION_OUTLINES_STYLE)


def actors_layer(
    data: str,
    *,
    point_radius: float = POINT_RADIUS_PX,
    categories: Sequence[Sequence[int]] = (),
) -> Layer:
    """The actors (``rows_json``) as dots of ``point_radius`` px, bounded so that they
    stay readable and clickable (at least 7 px across) at every zoom.

    ``categories`` (``browser_filter.Split.accepted``), one sequence per column of the
    rows' ``g``: deck.gl's ``DataFilterExtension`` draws only the actors whose every
    category is accepted, on the GPU.
    """
    style: dict[str, Any] = {
        **_ACTORS_STYLE,
        "getRadius": point_radius,
        "radiusMinPixels": max(point_radius * 0.7, 3.5),
        "radiusMaxPixels": point_radius * 2,
    }
    if categories:
        accepted = [list(allowed) for allowed in categories]
        style |= {
            "extensions": [
                {"@@type": "DataFilterExtension", "categorySize": len(accepted), "filterSize": 0}
            ],
            "getFilterCategory": "@@=g",
            "filterCategories": accepted if len(accepted) > 1 else accepted[0],
        }
    return Layer(ACTORS_LAYER, "ScatterplotLayer", data, style)


CONTROLLER: Final[dict[str, Any]] = {"scrollZoom": True, "doubleClickZoom": True, "keyboard": False}
"""Map controls: drag to pan, double click and wheel to zoom; the app's page script
(``ui/page.js``) lets the wheel through only with Ctrl/⌘ or once the map was clicked, so
that scrolling the page over the map scrolls the page, and adds zoom buttons. No keyboard
control: the arrow keys belong to the presentation clicker."""


def deck_spec(
    layers: Sequence[Layer],
    *,
    view: ViewState,
    online_basemap: bool = False,
) -> str:
    """The deck.gl JSON spec of the map, with pre-serialised layer data spliced in.

    Parameters
    ----------
    layers
        Bottom to top (e.g. ``countries_layer``, ``regions_layer``, ``actors_layer``;
        other modules add theirs, such as arcs between partners).
    view
        The initial view state.
    online_basemap
        Draw Carto's Positron tiles under the layers (needs the internet); otherwise no
        tile server is contacted and the countries layer is the basemap.
    """
    basemap = (
        pdk.Deck(map_provider="carto", map_style=ONLINE_BASEMAP)
        if online_basemap
        else (pdk.Deck(map_provider=None))
    )
    ids = [layer.id for layer in layers]
    if len(set(ids)) != len(ids):
        raise ValueError(f"layer ids must be unique, got {ids}")
    spec: dict[str, Any] = {
        "initialViewState": view.as_dict(),
        "layers": [
            {
                "@@type": layer.kind,
                "id": layer.id,
                "data": _PLACEHOLDER.format(layer.id),
                **layer.style,
            }
            for layer in layers
        ],
        "mapStyle": basemap.map_style,
        "views": [{"@@type": "MapView", "controller": CONTROLLER}],
    }
    if basemap.map_provider:
        spec["mapProvider"] = basemap.map_provider
    text = json.dumps(spec)
    for layer in layers:
        text = text.replace(json.dumps(_PLACEHOLDER.format(layer.id)), layer.data, 1)
    return text


class PrebuiltDeck(pdk.Deck):
    """A pydeck ``Deck`` whose JSON is already built: ``st.pydeck_chart`` only calls
    ``to_json`` (and reads the tooltip), so the spliced spec reaches the browser as is."""

    def __init__(self, spec: str, *, tooltip: Mapping[str, Any] | None = None) -> None:
        # not pydeck's __init__: it tries to import its Jupyter widget on every call (3 ms)
        self.layers: list[pdk.Layer] = []
        self._tooltip = dict(tooltip or TOOLTIP)
        self._spec = spec

    def to_json(self) -> str:
        return self._spec


def helix_legend_html(counts: Mapping[str, int], *, large: bool = False) -> str:
    """The helix colour legend with the number of (filtered) actors of each helix."""
    size = "1.25rem" if large else "0.9rem"
    dot = "1.1em"
    items = []
    for helix in (*HELICES, UNKNOWN_HELIX):
        if helix == UNKNOWN_HELIX and not counts.get(helix):
            continue
        r, g, b = HELIX_COLOURS[helix]
        items.append(
            f'<span style="display:inline-flex;align-items:center;margin-right:1.2em">'
            f'<span style="display:inline-block;width:{dot};height:{dot};border-radius:50%;'
            f'background:rgb({r},{g},{b});border:1px solid #fff;margin-right:0.35em"></span>'
            f"{html.escape(HELIX_LABELS[helix])} ({counts.get(helix, 0):,})</span>"
        )
    return f'<div style="font-size:{size};line-height:1.8">' + "".join(items) + "</div>"


def metric_legend_html(metric: str, vmin: float, vmax: float, *, large: bool = False) -> str:
    """The choropleth's colour ramp with its label and limits."""
    label, _ = METRICS[metric]
    r, g, b = _METRIC_COLOURS[metric]
    start = "rgb({},{},{})".format(*_RAMP_START)
    size = "1.1rem" if large else "0.85rem"
    return (
        f'<div style="font-size:{size}">{html.escape(label)} per region: '
        f"{_format_value(vmin)} "
        f'<span style="display:inline-block;width:8em;height:0.8em;vertical-align:middle;'
        f'background:linear-gradient(to right,{start},rgb({r},{g},{b}))"></span> '
        f"{_format_value(vmax)}</div>"
    )
