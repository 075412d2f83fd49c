"""The workspace's database: tables, the point type, engines and versioned migrations.

One workspace is one database: a SQLite file (embedded, no server) or a PostgreSQL
database with PostGIS (``METACLUSTER_DATABASE_URL``). Both go through SQLAlchemy Core with
bound parameters only; the one DDL statement written by hand (``CREATE EXTENSION``) is a
constant.

The schema is versioned: ``meta.schema_version`` records the version a workspace was
written with, ``MIGRATIONS[n]`` brings a version-n workspace to n+1 inside one
transaction, and a workspace newer than this code is refused (it would be damaged by an
older writer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import shapely
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.types import UserDefinedType

from metacluster._errors import WorkspaceError

logger = logging.getLogger(__name__)

SRID: Final = 4326
SCHEMA_VERSION: Final = 1
"""The schema version this code writes; a workspace with a higher one is refused."""

SQLITE_BUSY_TIMEOUT_S: Final = 30.0
"""How long a SQLite writer waits for another process's write to finish."""


class _PostGISPoint(UserDefinedType[Any]):
    """``geometry(Point, 4326)`` in PostGIS: queried, indexed and shown by any GIS."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return f"geometry(Point,{SRID})"


class PointType(sa.types.TypeDecorator[Any]):
    """A shapely point: PostGIS geometry on PostgreSQL, WKB bytes on SQLite.

    PostgreSQL receives hex EWKB (parsed by PostGIS's own input function) and returns hex
    EWKB; SQLite keeps the WKB. Either way the point comes back exactly as stored.
    """

    impl = sa.LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PostGISPoint())
        return dialect.type_descriptor(sa.LargeBinary())

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None or value.is_empty:
            return None
        if dialect.name == "postgresql":
            return shapely.to_wkb(shapely.set_srid(value, SRID), hex=True, include_srid=True)
        return shapely.to_wkb(value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return shapely.from_wkb(bytes(value) if isinstance(value, memoryview) else value)


metadata = sa.MetaData()

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

workspace = sa.Table(
    "workspace",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("nuts_year", sa.Integer, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

maps = sa.Table(
    "maps",
    metadata,
    sa.Column("slug", sa.String(100), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("cluster", sa.Text, nullable=False),
    sa.Column("partner", sa.Text),
    sa.Column("home_nuts", sa.String(10)),
    sa.Column("read_options", sa.Text, nullable=False),
    sa.Column("current_version", sa.Integer),
)

versions = sa.Table(
    "versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("map_slug", sa.String(100), sa.ForeignKey("maps.slug"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("published_by", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("file_bytes", sa.LargeBinary, nullable=False),
    sa.Column("rows_in", sa.Integer, nullable=False),
    sa.Column("accepted", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("columns", sa.Text, nullable=False),
    sa.Column("report", sa.Text, nullable=False),
    sa.UniqueConstraint("map_slug", "number", name="versions_map_number"),
)

actors = sa.Table(
    "actors",
    metadata,
    sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), primary_key=True),
    sa.Column("ordinal", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text),
    sa.Column("helix", sa.String(32)),
    sa.Column("country", sa.String(8)),
    sa.Column("nuts3", sa.String(10)),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("geom", PointType),
)
sa.Index("actors_geom", actors.c.geom, postgresql_using="gist").ddl_if(dialect="postgresql")

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("map_slug", sa.String(100), sa.ForeignKey("maps.slug")),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)
"""Upload tokens; ``map_slug`` None is the coordinator's. Only a hash of the secret is kept."""


# --- engines ------------------------------------------------------------------------------


def database_url(target: str | Path) -> URL:
    """The SQLAlchemy URL of a workspace given as a URL or as a SQLite file path."""
    text = str(target)
    if "://" in text:
        try:
            url = sa.make_url(text)
        except sa.exc.ArgumentError as error:
            raise WorkspaceError(f"{_safe(text)} is not a database URL: {error}") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise WorkspaceError(
                f"{url.get_backend_name()} databases are not supported: use a SQLite file or "
                "postgresql+psycopg://user@host/database"
            )
        if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        return url
    return URL.create("sqlite", database=str(Path(text).resolve()))


def _safe(url: str) -> str:
    """A URL with its password hidden, fit for messages and logs."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "the database URL"


def create_engine(url: URL) -> Engine:
    """An engine whose transactions behave alike on both databases.

    SQLite: WAL journal (readers never wait for a writer), a busy timeout, and writers
    that take the write lock when they begin (``BEGIN IMMEDIATE`` for connections with the
    ``write`` execution option), so that two processes publishing serialise instead of
    failing halfway with "database is locked".
    """
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, poolclass=sa.pool.NullPool
    )

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


# --- migrations ---------------------------------------------------------------------------


def _create_v1(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        try:
            with connection.begin_nested():
                connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
        except sa.exc.DBAPIError as error:
            raise WorkspaceError(
                "PostGIS is not available in this PostgreSQL database: install it "
                "(Debian: postgresql-15-postgis-3) and run CREATE EXTENSION postgis as the "
                "database owner"
            ) from error
    metadata.create_all(connection)


MIGRATIONS: Final[dict[int, Callable[[Connection], None]]] = {0: _create_v1}
"""``MIGRATIONS[n]`` upgrades a version-n workspace (0: empty database) to n+1."""


def schema_version(connection: Connection) -> int:
    """The schema version recorded in the database; 0 for a database without a workspace."""
    if not sa.inspect(connection).has_table(meta.name):
        return 0
    value = connection.scalar(sa.select(meta.c.value).where(meta.c.key == "schema_version"))
    return int(value) if value is not None else 0


def check_version(found: int, where: str) -> None:
    """Refuse a workspace written by a newer metacluster, before touching it."""
    if found > SCHEMA_VERSION:
        raise WorkspaceError(
            f"{where} has schema version {found}, but this metacluster reads up to version "
            f"{SCHEMA_VERSION}: it was written by a newer metacluster. Upgrade metacluster "
            "(pip install -U metacluster) to open it; nothing was changed."
        )


def migrate(connection: Connection, where: str) -> int:
    """Bring the schema up to ``SCHEMA_VERSION`` inside the caller's transaction."""
    found = schema_version(connection)
    check_version(found, where)
    for version in range(found, SCHEMA_VERSION):
        logger.info("%s: migrating the workspace schema from version %d", where, version)
        MIGRATIONS[version](connection)
    if found < SCHEMA_VERSION:
        connection.execute(sa.delete(meta).where(meta.c.key == "schema_version"))
        connection.execute(sa.insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
    return found
