"""What the app shows, as one value that round-trips through the URL.

``View`` holds the filters (the library's ``Filters``, whose own query parameters are
reused as they are) and the view options: NUTS level and year of the choropleth, its
metric, the layers shown, which links are drawn, the online basemap, presentation mode and
the tour step. A copied
URL therefore reopens the same view: ``view_from_params(view_to_params(v)) == v``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final

from metacluster.filter import QUERY_KEYS, Filters
from metacluster.links import ENDS as LINK_ENDS
from metacluster.nuts import YEARS as NUTS_YEARS
from metacluster.schema import HELICES, HELIX_LABELS, NUTS_LEVELS

if TYPE_CHECKING:
    import geopandas as gpd

    from metacluster.ui.data import Dataset

ACTORS_LAYER: Final = "actors"
REGIONS_LAYER: Final = "regions"
COUNTRIES_LAYER: Final = "countries"
LINKS_LAYER: Final = "links"
LAYERS: Final = (ACTORS_LAYER, LINKS_LAYER, REGIONS_LAYER, COUNTRIES_LAYER)
"""The map's layers a view can show or hide (``hide=`` in the URL), top to bottom."""

METRICS: Final[dict[str, tuple[str, str]]] = {
    "actors": ("Actors", "n_total"),
    **{helix: (f"{HELIX_LABELS[helix]} actors", f"n_{helix}") for helix in HELICES},
    "balance": ("Helix balance index", "helix_balance"),
}
"""Choropleth metrics (``metric=`` in the URL): key -> (label, column of
``aggregate_regions``)."""
DEFAULT_LEVEL: Final = 2
DEFAULT_METRIC: Final = "actors"
VIEW_KEYS: Final = (
    "manifest",
    "level",
    "year",
    "metric",
    "hide",
    "links",
    "basemap",
    "present",
    "step",
)
"""Query parameters of the view; ``Filters`` owns ``filter.QUERY_KEYS``."""


@dataclass(frozen=True)
class View:
    """Filters plus view options; the defaults are what a bare URL shows.

    ``year`` None means "the dataset's NUTS year"; ``step`` 0 means no tour step (the
    overview), 1..n the n-th regional cluster; ``manifest`` is the stem of a manifest in
    ``layers/`` ("" for the first one); ``link_ends`` says which ends of a link must pass
    the filters for its arc to be drawn ("either" shows a region's partners elsewhere).
    """

    filters: Filters = field(default_factory=Filters)
    manifest: str = ""
    level: int = DEFAULT_LEVEL
    year: int | None = None
    metric: str = DEFAULT_METRIC
    layers: tuple[str, ...] = LAYERS
    link_ends: str = LINK_ENDS[0]
    online_basemap: bool = False
    present: bool = False
    step: int = 0

    def __post_init__(self) -> None:
        if self.level not in NUTS_LEVELS:
            raise ValueError(f"level must be one of {NUTS_LEVELS}, not {self.level!r}")
        if self.year is not None and self.year not in NUTS_YEARS:
            raise ValueError(f"year must be one of {NUTS_YEARS}, not {self.year!r}")
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}, not {self.metric!r}")
        unknown = [layer for layer in self.layers if layer not in LAYERS]
        if unknown:
            raise ValueError(f"unknown layer {unknown[0]!r}; layers: {', '.join(LAYERS)}")
        object.__setattr__(self, "layers", tuple(layer for layer in LAYERS if layer in self.layers))
        if self.link_ends not in LINK_ENDS:
            raise ValueError(f"link ends must be one of {', '.join(LINK_ENDS)}")
        if self.step < 0:
            raise ValueError(f"step must be 0 or more, not {self.step}")

    def with_filters(self, filters: Filters) -> View:
        return replace(self, filters=filters)


def view_to_params(view: View, *, default_online: bool = False) -> dict[str, list[str]]:
    """The URL query parameters of a view: the filters' own, then the view options that
    differ from the defaults (``default_online``: the basemap a bare URL gets)."""
    params = view.filters.to_query_params()
    hidden = [layer for layer in LAYERS if layer not in view.layers]
    options: dict[str, list[str]] = {
        "manifest": [view.manifest] if view.manifest else [],
        "level": [str(view.level)] if view.level != DEFAULT_LEVEL else [],
        "year": [str(view.year)] if view.year is not None else [],
        "metric": [view.metric] if view.metric != DEFAULT_METRIC else [],
        "hide": [",".join(hidden)] if hidden else [],
        "links": [view.link_ends] if view.link_ends != LINK_ENDS[0] else [],
        "basemap": (
            []
            if view.online_basemap == default_online
            else ["online" if view.online_basemap else "offline"]
        ),
        "present": ["1"] if view.present else [],
        "step": [str(view.step)] if view.step else [],
    }
    params.update({key: value for key, value in options.items() if value})
    return params


def _one(params: Mapping[str, str | Sequence[str]], key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return value[-1] if len(value) else None


def _integer(params: Mapping[str, str | Sequence[str]], key: str) -> int | None:
    text = _one(params, key)
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError as error:
        raise ValueError(f"query parameter {key}={text!r} is not a whole number") from error


def view_from_params(
    params: Mapping[str, str | Sequence[str]], *, default_online: bool = False
) -> View:
    """The view a URL describes; ValueError names the first bad parameter."""
    filters = Filters.from_query_params({k: v for k, v in params.items() if k in QUERY_KEYS})
    hidden = [layer for layer in (_one(params, "hide") or "").split(",") if layer]
    unknown = [layer for layer in hidden if layer not in LAYERS]
    if unknown:
        raise ValueError(f"query parameter hide: unknown layer {unknown[0]!r} ({LAYERS})")
    level = _integer(params, "level")
    step = _integer(params, "step")
    link_ends = _one(params, "links") or LINK_ENDS[0]
    if link_ends not in LINK_ENDS:
        raise ValueError(f"query parameter links={link_ends!r}: use both or either")
    basemap = _one(params, "basemap") or ""
    if basemap not in ("", "online", "offline"):
        raise ValueError(f"query parameter basemap={basemap!r}: use online or offline")
    return View(
        filters=filters,
        manifest=_one(params, "manifest") or "",
        level=DEFAULT_LEVEL if level is None else level,
        year=_integer(params, "year"),
        metric=_one(params, "metric") or DEFAULT_METRIC,
        layers=tuple(layer for layer in LAYERS if layer not in hidden),
        link_ends=link_ends,
        online_basemap=basemap == "online" or (basemap == "" and default_online),
        present=(_one(params, "present") or "0").lower() in ("1", "true", "yes", "on"),
        step=step or 0,
    )


@dataclass(frozen=True)
class Shown:
    """What the main panels draw: the dataset, the view and the filtered actors."""

    dataset: Dataset
    view: View
    actors: gpd.GeoDataFrame
