"""One export asked for: the data, the view and the options, shared by every writer.

``ExportJob`` is what a format's writer receives (``FORMATS[name].writer(out, job)``): the
merged actors, the filters and the view options, plus what the writers derive from them —
the selected actors, the region aggregates and the export metadata — each computed once,
on first use, so that a format that never looks at the regions never aggregates them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

from metacluster import settings
from metacluster.engine import aggregate_regions
from metacluster.export.geojson import generation_time
from metacluster.filter import Filters, apply_filters
from metacluster.schema import HELIX_LABELS, actors_per_helix
from metacluster.ui.state import LAYERS

if TYPE_CHECKING:
    import geopandas as gpd

ACTORS: Final = "actors"
REGIONS: Final = "regions"
MAP: Final = "map"
PROFILE: Final = "profile"
MAP_LAYERS: Final = LAYERS
"""The layers a map export can show: the app's (``actors``, ``regions``, ``countries``)."""


@dataclass(frozen=True)
class ExportJob:
    """The export of one view: see ``metacluster.export.write`` for the fields."""

    actors: gpd.GeoDataFrame
    filters: Filters = field(default_factory=Filters)
    what: str = ACTORS
    level: int = 2
    year: int | None = None
    include_empty: bool = False
    generated_at: dt.datetime | str | None = None
    name: str | None = None
    metric: str = "actors"
    layers: tuple[str, ...] = MAP_LAYERS
    links: gpd.GeoDataFrame | None = None

    @cached_property
    def selected(self) -> gpd.GeoDataFrame:
        """The actors the filters keep."""
        return apply_filters(self.actors, self.filters)

    @cached_property
    def regions(self) -> gpd.GeoDataFrame:
        """The selected actors counted per NUTS region of ``level`` (``aggregate_regions``)."""
        return aggregate_regions(
            self.selected, level=self.level, year=self.year, include_empty=self.include_empty
        )

    @property
    def frame(self) -> gpd.GeoDataFrame:
        """What a data format writes: the regions for ``what="regions"``, else the actors."""
        return self.regions if self.what == REGIONS else self.selected

    @property
    def id_column(self) -> str | None:
        """The column whose values identify a feature of ``frame`` (None when absent)."""
        column = "NUTS_ID" if self.what == REGIONS else "actor_id"
        return column if column in self.frame.columns else None

    @cached_property
    def generated(self) -> dt.datetime:
        """The generation time (``generated_at``, else ``SOURCE_DATE_EPOCH``, else now)."""
        return dt.datetime.fromisoformat(generation_time(self.generated_at).replace("Z", "+00:00"))

    @cached_property
    def helix_totals(self) -> dict[str, int]:
        """Selected actors per helix, the four helices then unknown (legends)."""
        return actors_per_helix(self.selected["helix"])

    @property
    def title(self) -> str:
        """The map's title: the layer's name, else "metacluster"."""
        return self.name or "metacluster"

    @cached_property
    def summary(self) -> str:
        """What is shown, in words: filters, count and the choropleth."""
        shown = f"{len(self.selected):,} of {len(self.actors):,} actors"
        text = f"{filters_in_words(self.filters)} · {shown}"
        year = self.year or self.actors.attrs.get("nuts_year")
        if "regions" in self.layers:
            text += f" · regions: NUTS {self.level}" + (f" ({year})" if year else "")
        return text

    @property
    def credits(self) -> str:
        """Attribution and generation date, as printed under every map."""
        return f"{settings.attribution} · Generated {self.generated:%Y-%m-%d}"

    @cached_property
    def metadata(self) -> dict[str, Any]:
        """What was exported, recorded in GeoJSON and GeoParquet files."""
        metadata: dict[str, Any] = {
            "what": self.what,
            "filters": self.filters.to_query_params(),
            "actors_selected": len(self.selected),
            "actors_total": len(self.actors),
            "nuts_year": self.actors.attrs.get("nuts_year"),
        }
        # the scale the actors were joined at, beside the regions' drawing scale below
        for key, attr in (
            ("nuts_join_scale", "nuts_scale"),
            ("nuts_join_scale_note", "nuts_scale_note"),
        ):
            if self.actors.attrs.get(attr):
                metadata[key] = self.actors.attrs[attr]
        if self.name:
            metadata["name"] = self.name
        if self.what == REGIONS:
            regions = self.regions
            metadata.update(
                nuts_year=regions.attrs.get("nuts_year"),
                nuts_level=self.level,
                nuts_scale=regions.attrs.get("nuts_scale"),
                actors_without_region=regions.attrs.get("actors_without_region"),
            )
        return metadata


def filters_in_words(filters: Filters) -> str:
    """The filters as a reader would say them: "Academia & research in IT, search
    'museum'", or "All actors".

    Examples
    --------
    >>> filters_in_words(Filters(helix=("academia",), countries=("IT",), search="museum"))
    "Academia & research · country IT · search 'museum'"
    """
    parts = []
    if filters.helix:
        parts.append(" or ".join(HELIX_LABELS.get(h, h) for h in filters.helix))
    for label, values in (
        ("regional cluster", filters.clusters),
        ("country", filters.countries),
        ("NUTS region", filters.nuts),
    ):
        if values:
            parts.append(f"{label} {' or '.join(values)}")
    if filters.themes:
        joiner = " and " if filters.themes_mode == "all" else " or "
        parts.append(f"theme {joiner.join(filters.themes)}")
    if filters.search:
        parts.append(f"search {filters.search!r}")
    if filters.bbox:
        parts.append("inside " + ", ".join(f"{v:g}" for v in filters.bbox))
    return " · ".join(parts) if parts else "All actors"
