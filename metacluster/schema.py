"""The actor schema shared by every stage, and the four helices of the quadruple helix.

An *actor* is one organisation of a regional innovation ecosystem, one row of a
GeoDataFrame in EPSG:4326 with Point geometry. Readers produce the columns in
``ACTOR_COLUMNS`` (plus any extra columns of the source file under their own names);
``locate`` adds ``NUTS_COLUMNS``; ``merge`` adds ``MERGE_COLUMNS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import pandas as pd

from metacluster import projects
from metacluster._errors import printable

CRS: Final = "EPSG:4326"

HELICES: Final[tuple[str, ...]] = ("academia", "business", "government", "civil_society")
"""The four canonical helix values, in display order."""

UNKNOWN_HELIX: Final = "unknown"

HELIX_VALUES: Final[tuple[str, ...]] = (*HELICES, UNKNOWN_HELIX)
"""Every value the ``helix`` column can hold, in display order."""

EUROPE_BBOX: Final = (-32.0, 27.0, 45.0, 72.0)
"""(west, south, east, north) in degrees: generous Europe, the Azores and Canaries to Cyprus
and North Cape (used to notice swapped latitude/longitude, and as the join's raster)."""

HELIX_LABELS: Final[dict[str, str]] = {
    "academia": "Academia & research",
    "business": "Business & industry",
    "government": "Government & public bodies",
    "civil_society": "Civil society & culture",
    UNKNOWN_HELIX: "Unknown helix",
}

HELIX_COLOURS: Final[dict[str, tuple[int, int, int]]] = {
    # Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
    "academia": (0, 114, 178),  # blue
    "business": (230, 159, 0),  # orange
    "government": (0, 158, 115),  # bluish green
    "civil_society": (204, 121, 167),  # reddish purple
    UNKNOWN_HELIX: (153, 153, 153),  # grey
}

POSITION_SOURCES: Final = ("given", "city", "nuts")
"""Where an actor's point comes from: the file's own coordinates or geometry, the city
name (GeoNames, offline), or the representative point of its NUTS region."""

ACTOR_COLUMNS: Final[tuple[str, ...]] = (
    "actor_id",
    "name",
    "helix",
    "helix_raw",
    "helix_source",
    "organisation_type",
    "city",
    "country",
    "nuts_code",
    "themes",
    "projects",
    "website",
    "description",
    "source_file",
    "source_layer",
    "source_row",
    "position_source",
    "position_note",
    "geometry",
)
"""Columns every reader returns. ``themes`` and ``projects`` hold lists of strings (empty
when none; ``projects`` names the projects an actor takes part in, see ``projects.py``);
``source_row`` is the 1-based data row (or placemark number) in the source file;
``position_note`` says what was done to the position (swapped lat/lon fixed, reprojected,
representative point of a polygon…) or is None."""

NUTS_LEVELS: Final = (0, 1, 2, 3)

NUTS_COLUMNS: Final[tuple[str, ...]] = (
    *(f"nuts{level}" for level in NUTS_LEVELS),
    *(f"nuts{level}_name" for level in NUTS_LEVELS),
    "nuts_match",
    "nuts_note",
    "country_conflict",
    "position_suspect",
    "code_suspect",
)
"""Columns added by ``locate.join_nuts``; the last three are consistency flags (None when
nothing is odd), shown wherever ``nuts_match`` is."""

NUTS_MATCHES: Final = ("within", "snapped", "from_code", "code_conflict", "unmatched")

MERGE_COLUMNS: Final[tuple[str, ...]] = ("regional_cluster", "source_maps")
"""Columns added by ``merge``: the regional clusters an actor belongs to (list) and the
maps it was found in (list of "cluster: file#row")."""

REJECT_COLUMNS: Final[tuple[str, ...]] = (
    "file",
    "layer",
    "row",
    "column",
    "value",
    "reason",
    "detail",
)
"""Columns of a rejects table. ``reason`` is a short stable phrase ("no usable location"),
``detail`` the specifics and what to do."""

WARNING_COLUMNS: Final[tuple[str, ...]] = ("file", "layer", "row", "column", "message")


def helix_or_unknown(helix: pd.Series) -> pd.Series:
    """``helix`` with every value outside the four helices (None, odd text) as ``unknown``.

    >>> helix_or_unknown(pd.Series(["business", "Business", None])).tolist()
    ['business', 'unknown', 'unknown']
    """
    return helix.where(helix.isin(HELICES), UNKNOWN_HELIX)


def actors_per_helix(helix: pd.Series) -> dict[str, int]:
    """How many values of ``helix`` fall in each of ``HELIX_VALUES`` (all five keys, odd
    values counted as unknown).

    >>> actors_per_helix(pd.Series(["business", "business", "nonsense"]))
    {'academia': 0, 'business': 2, 'government': 0, 'civil_society': 0, 'unknown': 1}
    """
    counts = helix_or_unknown(helix).value_counts()
    return {h: int(counts.get(h, 0)) for h in HELIX_VALUES}


def empty_actors() -> gpd.GeoDataFrame:
    """An actors GeoDataFrame with the schema's columns and no rows."""
    columns = {c: pd.Series(dtype="object") for c in ACTOR_COLUMNS if c != "geometry"}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)


def empty_table(columns: tuple[str, ...]) -> pd.DataFrame:
    """A DataFrame with the given columns and no rows (rejects, warnings)."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


@dataclass
class ImportResult:
    """What reading one file gives: the accepted actors, the rejected rows, the warnings.

    Every input row ends in exactly one of ``actors`` or ``rejects``, or is folded into
    the actor of its organisation (``folded``: further participations of a CORDIS-style
    file, one row per organisation and project):
    ``rows_in == len(actors) + len(rejects) + folded``.
    """

    file: str
    rows_in: int
    actors: gpd.GeoDataFrame = field(default_factory=empty_actors)
    rejects: pd.DataFrame = field(default_factory=lambda: empty_table(REJECT_COLUMNS))
    warnings: pd.DataFrame = field(default_factory=lambda: empty_table(WARNING_COLUMNS))
    folded: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    """Which file column fed each schema column (given or guessed), for users to check."""
    participations: int = 0
    """Rows that name a project (participations), folded or not."""
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The first rows of the file as read (its own columns, cells as text), so that a user
    can check the column mapping against them (the app's upload)."""
    title: str | None = None
    """The name the file gives its map (a My Maps KML's title), if any."""

    @property
    def accepted(self) -> int:
        return len(self.actors)

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    def helix_counts(self) -> dict[str, int]:
        """Accepted actors per helix, ``unknown`` included when present."""
        return {h: n for h, n in actors_per_helix(self.actors["helix"]).items() if n}

    def reason_counts(self) -> dict[str, int]:
        """Rejected rows per reason."""
        return {str(k): int(v) for k, v in self.rejects["reason"].value_counts().items()}

    def summary(self) -> dict[str, object]:
        """The JSON-ready summary that ``metacluster validate --json`` prints per file."""
        return {
            "file": printable(self.file),
            "rows_in": self.rows_in,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "folded": self.folded,
            "columns": dict(self.columns),
            "helix": self.helix_counts(),
            "reasons": self.reason_counts(),
            **({"participations": self.participation_counts()} if self.participations else {}),
        }

    def participation_counts(self) -> dict[str, int]:
        """Participations (rows naming a project), organisations with a project, and
        distinct projects: "1,076 participations of 765 organisations in 26 projects"."""
        return projects.counts(self.participations, self.actors)
