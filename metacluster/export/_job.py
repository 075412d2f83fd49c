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

from metacluster.engine import aggregate_regions
from metacluster.filter import Filters, apply_filters

if TYPE_CHECKING:
    import geopandas as gpd

ACTORS: Final = "actors"
REGIONS: Final = "regions"


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
    def metadata(self) -> dict[str, Any]:
        """What was exported, recorded in GeoJSON and GeoParquet files."""
        metadata: dict[str, Any] = {
            "what": self.what,
            "filters": self.filters.to_query_params(),
            "actors_selected": len(self.selected),
            "actors_total": len(self.actors),
            "nuts_year": self.actors.attrs.get("nuts_year"),
        }
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
