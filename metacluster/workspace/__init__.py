"""Partnership workspace: each partner keeps its regional map current, everyone sees one
merged map. Stored in a SQLite file or a PostgreSQL + PostGIS database (see ``store``)."""

from metacluster.workspace.diff import MapDiff, diff_actors
from metacluster.workspace.store import (
    COORDINATOR,
    Draft,
    MapState,
    Principal,
    VersionInfo,
    Workspace,
    init_workspace,
    map_slug,
)

DATABASE_URL_ENV = "METACLUSTER_DATABASE_URL"
"""Environment variable naming the workspace database the app shows (and ``init`` creates
when ``--db`` is not given): a SQLAlchemy URL or a SQLite file path."""

__all__ = [
    "COORDINATOR",
    "DATABASE_URL_ENV",
    "Draft",
    "MapDiff",
    "MapState",
    "Principal",
    "VersionInfo",
    "Workspace",
    "diff_actors",
    "init_workspace",
    "map_slug",
]
