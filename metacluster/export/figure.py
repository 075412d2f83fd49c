"""Figure for reports: the current view as a static map (PNG at 300 dpi, SVG or PDF).

Drawn with matplotlib and geopandas, so it needs no browser and works in the CLI. The map
is in Web Mercator, framed by the app's rule (``metacluster.framing.view_for_points`` for a
map of ``MAP_WIDTH`` × ``MAP_HEIGHT`` px), over the NUTS level-0 outlines as a neutral
basemap: NUTS regions coloured by the chosen metric with a colour bar, actors coloured by
helix (Okabe–Ito, ``schema.HELIX_COLOURS``) and also shaped by helix (circle, square,
triangle, diamond), so the figure still reads when printed in greyscale; a legend with the
count of each helix, the title, the filters in words, the attribution and the date.

The same view and time give the same bytes: the PNG carries no software version, the SVG
uses a fixed id salt and the generation time as its date, the PDF its creation date.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any, BinaryIO, Final

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import shapely
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from metacluster import countries, framing, settings
from metacluster.nuts import load_nuts
from metacluster.schema import HELICES, HELIX_COLOURS, HELIX_LABELS, UNKNOWN_HELIX, helix_or_unknown
from metacluster.ui import deck
from metacluster.ui.state import METRICS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from metacluster.export._job import ExportJob

MERCATOR: Final = "EPSG:3857"
DPI: Final = 300
FIGURE_INCHES: Final = (10.0, 8.0)
MAP_WIDTH: Final = 1000
MAP_HEIGHT: Final = 600
"""The map size (px) the view is fitted for, as in the app; the axes keep this shape."""

HELIX_MARKERS: Final = {
    "academia": "o",
    "business": "s",
    "government": "^",
    "civil_society": "D",
    UNKNOWN_HELIX: "X",
}
"""One marker shape per helix, so that helices differ in greyscale prints too."""

METRIC_RAMPS: Final = {
    "actors": (37, 52, 148),
    **{helix: HELIX_COLOURS[helix] for helix in HELICES},
    "balance": (84, 39, 143),
}
"""End colour of each metric's ramp (from near-white), as in the app's choropleth."""

_EARTH_CIRCUMFERENCE_M: Final = 2 * math.pi * 6_378_137.0
_RAMP_START: Final = (247, 247, 247)
_LAND: Final = "#fafaf7"
_BORDER: Final = "#b0b0b0"
_BACKGROUND: Final = "#eceeee"
_SEA: Final = "#d6e2ec"
_SVG_SALT: Final = "metacluster"


def rgb(colour: tuple[int, int, int]) -> tuple[float, float, float]:
    """An 0–255 RGB colour as matplotlib's 0–1 floats."""
    return (colour[0] / 255, colour[1] / 255, colour[2] / 255)


def metric_colormap(metric: str) -> LinearSegmentedColormap:
    """The metric's colour ramp, near-white to its colour."""
    return LinearSegmentedColormap.from_list(metric, [rgb(_RAMP_START), rgb(METRIC_RAMPS[metric])])


def map_extent(
    geometry: gpd.GeoSeries, *, width: float = MAP_WIDTH, height: float = MAP_HEIGHT
) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) in Web Mercator metres of the app's view of these points.

    The app fits the points into a map of width × height px (``framing.view_for_points``);
    at zoom z a pixel spans circumference / (512 · 2**z) metres.
    """
    view = framing.view_for_points(geometry, width=width, height=height)
    metres_per_px = _EARTH_CIRCUMFERENCE_M / (512.0 * 2.0**view.zoom)
    centre = shapely.points(view.longitude, view.latitude)
    x, y = _to_mercator(np.array([centre]))[0].coords[0]
    half_w, half_h = width / 2 * metres_per_px, height / 2 * metres_per_px
    return (x - half_w, y - half_h, x + half_w, y + half_h)


def _to_mercator(points: np.ndarray) -> np.ndarray:
    return gpd.GeoSeries(points, crs="EPSG:4326").to_crs(MERCATOR).to_numpy()


def _clipped(frame: gpd.GeoDataFrame, extent: tuple[float, float, float, float]) -> Any:
    """The frame in Web Mercator cut to the extent (smaller vector files, faster drawing)."""
    projected = frame.to_crs(MERCATOR)
    minx, miny, maxx, maxy = extent
    margin = (maxx - minx) * 0.05
    projected = projected.set_geometry(
        shapely.clip_by_rect(
            projected.geometry.to_numpy(),
            minx - margin,
            miny - margin,
            maxx + margin,
            maxy + margin,
        )
    )
    return projected[~projected.geometry.is_empty]


def draw_map(
    ax: Axes,
    job: ExportJob,
    actors: gpd.GeoDataFrame,
    *,
    marker_size: float = 28.0,
    width: float = MAP_WIDTH,
    height: float = MAP_HEIGHT,
    frame_on: gpd.GeoSeries | None = None,
    region_alpha: float = 0.75,
) -> Any:
    """Draw the job's layers on ``ax`` framed on ``actors`` (or on the points
    ``frame_on``); returns the colour bar's mappable (None without the choropleth)."""
    extent = map_extent(
        actors.geometry if frame_on is None else frame_on, width=width, height=height
    )
    ax.set_facecolor(_BACKGROUND)
    year = int(job.year or job.actors.attrs.get("nuts_year") or settings.nuts_year)
    if "countries" in job.layers:
        world = countries.load_countries(settings.display_scale)
        if world is not None:  # GISCO's countries: land everywhere, the rest is sea
            ax.set_facecolor(_SEA)
            outlines = world
        else:  # offline without them: NUTS countries on a neutral ground, never sea
            outlines = load_nuts(year=year, level=0, scale=settings.display_scale)
        _clipped(outlines, extent).plot(ax=ax, color=_LAND, edgecolor=_BORDER, linewidth=0.4)
    mappable = None
    if "regions" in job.layers and len(job.regions):
        _, column = METRICS[job.metric]
        values = job.regions[column].to_numpy(dtype=float)
        vmin, vmax = deck.metric_range(job.metric, values)
        norm = Normalize(vmin=vmin, vmax=vmax if vmax > vmin else vmin + 1)
        cmap = metric_colormap(job.metric)
        regions = _clipped(job.regions.assign(_value=values), extent)
        if len(regions):
            regions.plot(
                ax=ax,
                column="_value",
                cmap=cmap,
                norm=norm,
                edgecolor="#5a5a5a",
                linewidth=0.35,
                alpha=region_alpha,
                missing_kwds={"color": "#dddddd"},
            )
        mappable = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
        mappable.set_array(values)
    if "actors" in job.layers and len(actors):
        _draw_actors(ax, actors, marker_size)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    return mappable


def _draw_actors(ax: Axes, actors: gpd.GeoDataFrame, marker_size: float) -> None:
    geometry = actors.geometry.to_numpy()
    lon, lat = deck.spread_stacked(shapely.get_x(geometry), shapely.get_y(geometry))
    points = _to_mercator(shapely.points(lon, lat))
    x, y = shapely.get_x(points), shapely.get_y(points)
    helix = helix_or_unknown(actors["helix"]).to_numpy()
    for value in (*HELICES, UNKNOWN_HELIX):
        chosen = helix == value
        if chosen.any():
            # a white halo under each marker keeps it apart from dark regions, in greyscale too
            for colour, edge, width, size in (
                ("white", "white", 2.0, marker_size),
                (rgb(HELIX_COLOURS[value]), "black", 0.5, marker_size),
            ):
                ax.scatter(
                    x[chosen],
                    y[chosen],
                    s=size,
                    marker=HELIX_MARKERS[value],
                    color=colour,
                    edgecolors=edge,
                    linewidths=width,
                    zorder=3,
                )


def helix_handles(counts: dict[str, int]) -> list[Line2D]:
    """Legend entries: marker and colour of each helix shown, with its count."""
    return [
        Line2D(
            [],
            [],
            linestyle="none",
            marker=HELIX_MARKERS[helix],
            markersize=7,
            markerfacecolor=rgb(HELIX_COLOURS[helix]),
            markeredgecolor="black",
            markeredgewidth=0.5,
            label=f"{HELIX_LABELS[helix]} ({counts.get(helix, 0):,})",
        )
        for helix in (*HELICES, UNKNOWN_HELIX)
        if counts.get(helix)
    ]


def build(job: ExportJob) -> Figure:
    """The figure of the job's view: title, filters, map, legend, colour bar, credits."""
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    width_in, height_in = FIGURE_INCHES
    figure.text(0.03, 0.975, job.title, fontsize=15, fontweight="bold", va="top")
    figure.text(0.03, 0.935, job.summary, fontsize=9, va="top", wrap=True)
    map_height = 0.94 * MAP_HEIGHT / MAP_WIDTH * width_in / height_in
    ax = figure.add_axes((0.03, 0.9 - map_height, 0.94, map_height))
    mappable = draw_map(ax, job, job.selected)
    if "actors" in job.layers:
        figure.legend(
            handles=helix_handles(job.helix_totals),
            loc="upper right",
            bbox_to_anchor=(0.97, 0.88 - map_height),
            ncol=2,
            fontsize=8,
            frameon=False,
            title="Actors by helix",
            title_fontsize=8,
        )
    if mappable is not None:
        label, _ = METRICS[job.metric]
        bar_ax = figure.add_axes((0.03, 0.83 - map_height, 0.35, 0.018))
        bar = figure.colorbar(mappable, cax=bar_ax, orientation="horizontal")
        bar.set_label(f"{label} per region (NUTS {job.level})", fontsize=8)
        bar.ax.tick_params(labelsize=7)
    figure.text(0.97, 0.025, job.credits, fontsize=7, ha="right", va="bottom", color="#444")
    return figure


def save(figure: Figure, out: BinaryIO, fmt: str, job: ExportJob) -> None:
    """Write the figure as png, svg or pdf with metadata fixed by the job's time."""
    metadata: dict[str, Any]
    if fmt == "png":
        metadata = {"Software": None, "Title": job.title}
    elif fmt == "svg":
        metadata = {"Date": job.generated.isoformat(), "Creator": "metacluster", "Title": job.title}
    else:
        metadata = {"CreationDate": job.generated, "Creator": "metacluster", "Title": job.title}
    buffer = io.BytesIO()
    with mpl.rc_context({"svg.hashsalt": _SVG_SALT, "pdf.compression": 6}):
        figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata, facecolor="white")
    out.write(buffer.getvalue())


def _writer(fmt: str) -> Any:
    def write(out: BinaryIO, job: ExportJob) -> None:
        save(build(job), out, fmt, job)

    write.__doc__ = f"Write the job's map as a {fmt.upper()} figure."
    return write


write_png = _writer("png")
write_svg = _writer("svg")
write_pdf_map = _writer("pdf")
