"""Standalone interactive map: one HTML file that opens offline in any browser.

The page holds everything it needs: deck.gl (the bundle pydeck ships for offline use,
inlined in a ``<script>``), the map spec built by the same functions as the app's map
(``metacluster.ui.deck``, framed by ``metacluster.framing``: countries as the basemap,
the choropleth, actors coloured by helix with plain-text tooltips), and the title, filter
summary, legends, attribution and generation date as HTML. No tile server, font or script
is fetched: the countries are GISCO's (``metacluster.countries``, land over the sea) when
they can be had, else NUTS level 0 on a neutral ground, so the file works on a venue's
broken Wi-Fi or as an e-mail attachment.

Size: the deck.gl bundle is about 4.3 MB; the data add about 0.2 KB per actor plus the
region and country outlines (about 0.2 MB at 1:20M); see the README for measurements.
"""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, BinaryIO, Final

import numpy as np
import shapely

from metacluster import countries, framing, settings
from metacluster.nuts import load_nuts
from metacluster.ui import deck
from metacluster.ui.state import METRICS

if TYPE_CHECKING:
    import geopandas as gpd

    from metacluster.export._job import ExportJob

MAP_WIDTH: Final = 1000
MAP_HEIGHT: Final = 600
"""The map size the view is fitted for (the app's framing rule, ``framing.view_for_points``)."""
OUTLINE_DECIMALS: Final = 4
"""Decimals kept in region and country outlines (about 10 m, finer than 1:20M)."""

_PAGE: Final = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="metacluster">
<title>{title}</title>
<style>
html, body {{ margin: 0; height: 100%; font-family: system-ui, sans-serif; color: #222;
  background: #eceeee; }}
#map {{ position: absolute; inset: 0; }}
#panel {{ position: absolute; top: 12px; left: 12px; z-index: 2; max-width: 440px;
  background: rgba(255, 255, 255, 0.94); padding: 10px 14px; border-radius: 6px;
  box-shadow: 0 1px 4px rgba(0, 0, 0, 0.25); font-size: 14px; }}
#panel h1 {{ font-size: 18px; margin: 0 0 4px; }}
#panel p {{ margin: 0 0 6px; }}
#credits {{ position: absolute; right: 0; bottom: 0; z-index: 2; font-size: 11px;
  background: rgba(255, 255, 255, 0.85); padding: 2px 6px; }}
</style>
<script>{bundle}</script>
</head>
<body>
<div id="map"></div>
<div id="panel">
<h1>{title}</h1>
<p id="summary">{summary}</p>
{legends}
</div>
<div id="credits">{credits}</div>
<script type="application/json" id="deck-spec">{spec}</script>
<script type="application/json" id="deck-tooltip">{tooltip}</script>
<script>
createDeck({{
  container: document.getElementById("map"),
  jsonInput: JSON.parse(document.getElementById("deck-spec").textContent),
  tooltip: JSON.parse(document.getElementById("deck-tooltip").textContent),
}});
</script>
</body>
</html>
"""


@cache
def deck_bundle() -> str:
    """deck.gl as pydeck ships it for offline pages, without its source-map comment."""
    static = resources.files("pydeck") / "nbextension" / "static" / "index.js"
    text = static.read_text(encoding="utf-8")
    lines = text.rstrip().splitlines()
    if lines and lines[-1].startswith("//# sourceMappingURL="):
        lines.pop()
    return _script_safe("\n".join(lines))


def _script_safe(text: str) -> str:
    """Text that cannot end the ``<script>`` element it is put in."""
    return text.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")


def _json_safe(text: str) -> str:
    """JSON text with every "<" escaped (``\\u003c``, only ever inside strings), so that no
    value, whatever a map calls an actor, can end or open an element of the page."""
    return text.replace("<", "\\u003c")


def outline_json(frame: gpd.GeoDataFrame, key: str = "NUTS_ID") -> dict[str, str]:
    """Region outlines as GeoJSON text by code, rounded to ``OUTLINE_DECIMALS``."""
    rounded = shapely.transform(
        frame.geometry.to_numpy(), lambda xy: np.round(xy, OUTLINE_DECIMALS)
    )
    texts = shapely.to_geojson(rounded)
    return dict(zip(frame[key].astype(str).tolist(), texts.tolist(), strict=True))


def map_spec(job: ExportJob) -> str:
    """The deck.gl JSON of the job's map: the layers the view shows, fitted like the app."""
    year = job.year or job.actors.attrs.get("nuts_year") or settings.nuts_year
    layers = []
    if "countries" in job.layers:
        world = countries.load_countries(settings.display_scale)
        if world is not None:  # GISCO's countries: land everywhere, over the sea
            outlines = outline_json(world, key="CNTR_ID")
            basemap = deck.countries_features(outlines, backdrop="sea")
        else:  # offline without them: NUTS countries, no sea drawn around them
            level0 = load_nuts(year=int(year), level=0, scale=settings.display_scale)
            outlines = outline_json(level0)
            basemap = deck.countries_features(outlines, backdrop="none")
        layers.append(deck.countries_layer(basemap))
        layers.append(deck.borders_layer(deck.border_segments(outlines)))
    if "regions" in job.layers:
        outlines = outline_json(job.regions)
        layers.append(deck.regions_layer(deck.region_features(job.regions, outlines, job.metric)))
        layers.append(deck.region_outlines_layer(deck.border_segments(outlines)))
    if "actors" in job.layers:
        layers.append(deck.actors_layer(deck.rows_json(deck.actor_rows(job.selected))))
    view = framing.view_for_points(job.selected.geometry, width=MAP_WIDTH, height=MAP_HEIGHT)
    return deck.deck_spec(layers, view=view)


def legends_html(job: ExportJob) -> str:
    """The helix legend with counts and, with the choropleth, its colour ramp."""
    parts = [deck.helix_legend_html(job.helix_totals)]
    if "regions" in job.layers and len(job.regions):
        _, column = METRICS[job.metric]
        vmin, vmax = deck.metric_range(job.metric, job.regions[column].to_numpy(dtype=float))
        parts.append(deck.metric_legend_html(job.metric, vmin, vmax))
    return "\n".join(parts)


def write(out: BinaryIO, job: ExportJob) -> None:
    """Write the job's map as one self-contained HTML page."""
    page = _PAGE.format(
        title=html.escape(job.title),
        summary=html.escape(job.summary),
        legends=legends_html(job),
        credits=html.escape(job.credits),
        bundle=deck_bundle(),
        spec=_json_safe(map_spec(job)),
        tooltip=_json_safe(json.dumps(deck.TOOLTIP)),
    )
    out.write(page.encode("utf-8"))
