"""The workspace: every version of every regional map, and the merged map of the current ones.

Writes are single transactions that first lock what they change (the map's row on
PostgreSQL, the database's write lock on SQLite), so readers see the merged map before a
publish or after it, never half of each; two partners publishing at once both succeed, and
two publishes of one map are serialised (or, when the publish was based on an older
version, refused with ``PublishConflictError``). Nothing is deleted: a restore publishes
an earlier version again as the newest one.

Each version keeps the uploaded file's bytes, its import report and its actors, located
(NUTS columns) when published, so that the merged map needs no re-reading or NUTS join.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metacluster import settings
from metacluster._errors import (
    PublishConflictError,
    WorkspaceAccessError,
    WorkspaceError,
    printable,
)
from metacluster._text import fold
from metacluster.locate import join_nuts
from metacluster.manifest import Manifest, MapEntry, load_manifest
from metacluster.merge import MergeResult, merge_results
from metacluster.read import read_layer
from metacluster.read.isolated import read_upload
from metacluster.schema import CRS, REJECT_COLUMNS, WARNING_COLUMNS, ImportResult, empty_table
from metacluster.workspace import _db, tokens
from metacluster.workspace._db import actors as actors_table
from metacluster.workspace._db import maps as maps_table
from metacluster.workspace._db import tokens as tokens_table
from metacluster.workspace._db import versions as versions_table
from metacluster.workspace._db import workspace as workspace_table
from metacluster.workspace.diff import MapDiff, diff_actors

logger = logging.getLogger(__name__)

COORDINATOR = "coordinator"
"""The label, and the ``--map`` name in token commands, of the coordinator's token."""


def map_slug(cluster: str) -> str:
    """The map's name on the command line: "País Vasco" -> "pais-vasco"."""
    return re.sub(r"[^a-z0-9]+", "-", fold(cluster)).strip("-") or "map"


@dataclass(frozen=True)
class Principal:
    """Who a token belongs to: a partner (its map) or the coordinator (``map_slug`` None)."""

    label: str
    map_slug: str | None

    @property
    def is_coordinator(self) -> bool:
        return self.map_slug is None


@dataclass(frozen=True)
class MapState:
    """One regional map: who draws it and its current version."""

    slug: str
    cluster: str
    partner: str | None
    home_nuts: str | None
    version: int
    updated_at: dt.datetime
    updated_by: str
    actors: int


@dataclass(frozen=True)
class VersionInfo:
    """One stored version of one map (a line of the history)."""

    map_slug: str
    cluster: str
    number: int
    published_at: dt.datetime
    published_by: str
    note: str
    file_name: str
    rows_in: int
    accepted: int
    rejected: int
    current: bool


@dataclass(frozen=True)
class Draft:
    """A read and located upload, not yet published: what the partner reviews."""

    map_slug: str
    base_version: int
    file_name: str
    data: bytes
    result: ImportResult
    diff: MapDiff


class Workspace:
    """One partnership workspace in its database. Open with ``Workspace.open``."""

    def __init__(self, engine: sa.Engine, where: str) -> None:
        self.engine = engine
        self.where = where

    # --- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, target: str | Path) -> Workspace:
        """Open an existing workspace (a SQLite file or a database URL), migrating an
        older schema and refusing a newer one."""
        url = _db.database_url(target)
        if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
            raise WorkspaceError(
                f"No workspace at {url.database}: create one with "
                "`metacluster workspace init MANIFEST --db FILE`."
            )
        workspace = cls(_db.create_engine(url), url.render_as_string(hide_password=True))
        try:
            with workspace._write() as connection:
                if _db.schema_version(connection) == 0:
                    raise WorkspaceError(
                        f"{workspace.where} holds no workspace: create one with "
                        "`metacluster workspace init MANIFEST --db ...`."
                    )
                _db.migrate(connection, workspace.where)
        except BaseException:
            workspace.close()
            raise
        return workspace

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (SQLite: holding the write lock from its start)."""
        with (
            self.engine.connect().execution_options(write=True) as connection,
            connection.begin(),
        ):
            yield connection

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        """One read transaction that sees a single snapshot of the whole workspace."""
        options: dict[str, Any] = {}
        if self.engine.dialect.name == "postgresql":
            options["isolation_level"] = "REPEATABLE READ"
        with (
            self.engine.connect().execution_options(**options) as connection,
            connection.begin(),
        ):
            yield connection

    # --- reading ------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """Name, title, description, NUTS year and revision (counts every publish)."""
        with self._read() as connection:
            row = connection.execute(sa.select(workspace_table)).one()
        return dict(row._mapping)

    def revision(self) -> int:
        """A number that changes with every publish or restore (a cache key)."""
        with self._read() as connection:
            return int(connection.scalar(sa.select(workspace_table.c.revision)) or 0)

    def maps(self) -> list[MapState]:
        """The regional maps in manifest order, each with its current version."""
        with self._read() as connection:
            return _map_states(connection)

    def history(self, slug: str | None = None) -> list[VersionInfo]:
        """Every stored version, newest first; of one map when ``slug`` is given."""
        current = versions_table.c.id == maps_table.c.current_version
        query = (
            sa.select(
                versions_table,
                maps_table.c.cluster,
                current.label("is_current"),
            )
            .join(maps_table, maps_table.c.slug == versions_table.c.map_slug)
            .order_by(versions_table.c.published_at.desc(), versions_table.c.id.desc())
        )
        with self._read() as connection:
            if slug is not None:
                _map_row(connection, slug)
                query = query.where(versions_table.c.map_slug == slug)
            rows = connection.execute(query).all()
        return [
            VersionInfo(
                map_slug=row.map_slug,
                cluster=row.cluster,
                number=row.number,
                published_at=_utc(row.published_at),
                published_by=row.published_by,
                note=row.note,
                file_name=row.file_name,
                rows_in=row.rows_in,
                accepted=row.accepted,
                rejected=row.rejected,
                current=bool(row.is_current),
            )
            for row in rows
        ]

    def current(self, slug: str) -> ImportResult:
        """The current version of one map: its actors (located) and import report."""
        with self._read() as connection:
            row = _map_row(connection, slug)
            return _version_result(connection, row.current_version)

    def merged(self) -> MergeResult:
        """The merged map of every map's current version, from one consistent snapshot."""
        with self._read() as connection:
            info = connection.execute(sa.select(workspace_table)).one()
            rows = connection.execute(sa.select(maps_table).order_by(maps_table.c.position))
            maps = [
                (
                    MapEntry(
                        file=Path(row.slug),
                        cluster=row.cluster,
                        partner=row.partner,
                        home_nuts=row.home_nuts,
                    ),
                    _version_result(connection, row.current_version),
                )
                for row in rows
            ]
        result = merge_results(maps, name=info.name, title=info.title)
        result.actors.attrs["nuts_year"] = info.nuts_year
        result.report.nuts_year = info.nuts_year
        return result

    # --- access -------------------------------------------------------------------------

    def authorise(self, token: str | None, *, slug: str | None = None) -> Principal:
        """Who a token belongs to, if it may write ``slug`` (None: coordinator only)."""
        with self._read() as connection:
            return _authorise(connection, token, slug=slug)

    def identify(self, token: str | None) -> Principal:
        """Who a valid, unrevoked token belongs to (what the app shows it may do)."""
        with self._read() as connection:
            return _identify(connection, token)

    # --- writing ------------------------------------------------------------------------

    def prepare(self, slug: str, path: str | Path, *, token: str | None) -> Draft:
        """Read a new version of a map and compare it with the current one, unpublished.

        The token is checked first, so nobody without one makes the server parse a file.
        """
        self.authorise(token, slug=slug)
        path = Path(path)
        with self._read() as connection:
            row = _map_row(connection, slug)
            year = int(_required(connection, sa.select(workspace_table.c.nuts_year)))
            base = _required(
                connection,
                sa.select(versions_table.c.number).where(
                    versions_table.c.id == row.current_version
                ),
            )
            current = _version_result(connection, row.current_version)
        # a partner's file is untrusted: upload formats only, parsed in a limited worker
        result = _read_located(path, orjson.loads(row.read_options), year, read=read_upload)
        return Draft(
            map_slug=slug,
            base_version=int(base),
            file_name=printable(path.name),
            data=path.read_bytes(),
            result=result,
            diff=diff_actors(current.actors, result.actors),
        )

    def publish(self, draft: Draft, *, token: str | None, check_base: bool = True) -> int:
        """Make a draft the map's current version; returns its version number.

        With ``check_base`` a publish based on an older version than the current one is
        refused (someone published in between: review the new diff); without it the
        publish is serialised after any concurrent one.
        """
        with self._write() as connection:
            principal = _authorise(connection, token, slug=draft.map_slug)
            row = _map_row(connection, draft.map_slug, lock=True)
            current = connection.scalar(
                sa.select(versions_table.c.number).where(versions_table.c.id == row.current_version)
            )
            if check_base and current != draft.base_version:
                raise PublishConflictError(
                    f"{row.cluster} was published again (version {current}) since this "
                    f"upload was compared with version {draft.base_version}: nothing was "
                    "published. Upload the file again to see the new differences."
                )
            number = _insert_version(
                connection,
                draft.map_slug,
                result=draft.result,
                file_name=draft.file_name,
                data=draft.data,
                by=principal.label,
                note="",
            )
        logger.info("published %s version %d by %s", draft.map_slug, number, principal.label)
        return number

    def restore(self, slug: str, number: int, *, token: str | None) -> int:
        """Publish an earlier version of a map again as its newest (coordinator only)."""
        with self._write() as connection:
            principal = _authorise(connection, token, slug=None)
            _map_row(connection, slug, lock=True)
            old = connection.execute(
                sa.select(versions_table).where(
                    versions_table.c.map_slug == slug, versions_table.c.number == number
                )
            ).one_or_none()
            if old is None:
                raise WorkspaceError(
                    f"{slug} has no version {number}: see `metacluster workspace history`."
                )
            new_number = _next_number(connection, slug)
            fields = dict(old._mapping)
            del fields["id"]
            fields.update(
                number=new_number,
                published_at=_now(),
                published_by=principal.label,
                note=f"restored version {number}",
            )
            new_id = _inserted_id(connection.execute(sa.insert(versions_table).values(**fields)))
            copied = [c for c in actors_table.c if c.name != "version_id"]
            connection.execute(
                sa.insert(actors_table).from_select(
                    ["version_id", *(c.name for c in copied)],
                    sa.select(sa.literal(new_id, sa.Integer), *copied).where(
                        actors_table.c.version_id == old.id
                    ),
                )
            )
            _make_current(connection, slug, new_id)
        logger.info("restored %s version %d as version %d", slug, number, new_number)
        return new_number

    def rotate_token(self, slug: str | None, *, token: str | None) -> str:
        """Revoke a map's tokens (None: the coordinator's) and return its new one."""
        with self._write() as connection:
            _authorise(connection, token, slug=None)
            label = _revoke(connection, slug)
            return _new_token(connection, slug, label)

    def revoke_tokens(self, slug: str | None, *, token: str | None) -> None:
        """Revoke every token of a map (None: the coordinator's); nobody can publish it
        until the coordinator rotates a new one."""
        with self._write() as connection:
            _authorise(connection, token, slug=None)
            _revoke(connection, slug)


# --- creating -----------------------------------------------------------------------------


def init_workspace(
    manifest_path: str | Path, target: str | Path
) -> tuple[Workspace, dict[str, str]]:
    """Create a workspace from a manifest: its maps as version 1, one token per map and
    one for the coordinator (returned once, keyed by map slug and ``COORDINATOR``)."""
    manifest = load_manifest(manifest_path)
    slugs = [map_slug(entry.cluster) for entry in manifest.maps]
    if len(set(slugs)) != len(slugs) or COORDINATOR in slugs:
        raise WorkspaceError(
            f"{manifest_path}: two maps have the same name once simplified ({', '.join(slugs)})"
            f" or one is called {COORDINATOR!r}: rename a cluster"
        )
    year = manifest.nuts_year or settings.nuts_year
    results = [_read_located(entry.file, _read_options(entry), year) for entry in manifest.maps]
    url = _db.database_url(target)
    engine = _db.create_engine(url)
    workspace = Workspace(engine, url.render_as_string(hide_password=True))
    try:
        handed_out = _create(workspace, manifest, slugs, results, year)
    except BaseException:
        workspace.close()
        raise
    logger.info("created workspace %s with %d maps", workspace.where, len(slugs))
    return workspace, handed_out


def _create(
    workspace: Workspace,
    manifest: Manifest,
    slugs: list[str],
    results: list[ImportResult],
    year: int,
) -> dict[str, str]:
    """Fill an empty database with a new workspace; returns the tokens handed out."""
    handed_out: dict[str, str] = {}
    with workspace._write() as connection:
        if _db.schema_version(connection) > 0:
            raise WorkspaceError(
                f"{workspace.where} already holds a workspace: open it, or choose another "
                "--db to create a new one."
            )
        _db.migrate(connection, workspace.where)
        _insert_workspace(connection, manifest, year)
        for position, (entry, slug, result) in enumerate(
            zip(manifest.maps, slugs, results, strict=True)
        ):
            connection.execute(
                sa.insert(maps_table).values(
                    slug=slug,
                    position=position,
                    cluster=entry.cluster,
                    partner=entry.partner,
                    home_nuts=entry.home_nuts,
                    read_options=orjson.dumps(_read_options(entry)).decode(),
                )
            )
            _insert_version(
                connection,
                slug,
                result=result,
                file_name=printable(entry.file.name),
                data=entry.file.read_bytes(),
                by=COORDINATOR,
                note="created from the manifest",
            )
            handed_out[slug] = _new_token(connection, slug, entry.partner or entry.cluster)
        handed_out[COORDINATOR] = _new_token(connection, None, COORDINATOR)
    return handed_out


def _insert_workspace(connection: Connection, manifest: Manifest, year: int) -> None:
    connection.execute(
        sa.insert(workspace_table).values(
            id=1,
            name=manifest.name,
            title=manifest.title,
            description=manifest.description,
            nuts_year=year,
            revision=0,
            created_at=_now(),
        )
    )


def _read_options(entry: MapEntry) -> dict[str, Any]:
    return {"columns": entry.columns, "sheet": entry.sheet, "country": entry.country}


def _read_located(
    path: Path,
    options: dict[str, Any],
    year: int,
    read: Callable[..., ImportResult] = read_layer,
) -> ImportResult:
    """A map file read with its map's options and joined to NUTS regions."""
    result = read(path, **options)
    result.actors = join_nuts(result.actors, year=year)
    return result


# --- helpers over one connection --------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back; they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _map_row(connection: Connection, slug: str, *, lock: bool = False) -> Any:
    query = sa.select(maps_table).where(maps_table.c.slug == slug)
    row = connection.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        names = connection.scalars(sa.select(maps_table.c.slug).order_by(maps_table.c.position))
        raise WorkspaceError(f"No map named {slug!r} in this workspace; maps: {', '.join(names)}")
    return row


def _map_states(connection: Connection) -> list[MapState]:
    counts = (
        sa.select(actors_table.c.version_id, sa.func.count().label("n"))
        .group_by(actors_table.c.version_id)
        .subquery()
    )
    query = (
        sa.select(
            maps_table,
            versions_table.c.number,
            versions_table.c.published_at,
            versions_table.c.published_by,
            sa.func.coalesce(counts.c.n, 0).label("n"),
        )
        .join(versions_table, versions_table.c.id == maps_table.c.current_version)
        .outerjoin(counts, counts.c.version_id == versions_table.c.id)
        .order_by(maps_table.c.position)
    )
    return [
        MapState(
            slug=row.slug,
            cluster=row.cluster,
            partner=row.partner,
            home_nuts=row.home_nuts,
            version=row.number,
            updated_at=_utc(row.published_at),
            updated_by=row.published_by,
            actors=int(row.n),
        )
        for row in connection.execute(query)
    ]


def _authorise(connection: Connection, token: str | None, *, slug: str | None) -> Principal:
    """The token's owner if it may write ``slug`` (None: coordinator's work)."""
    principal = _identify(connection, token)
    if principal.is_coordinator or (slug is not None and principal.map_slug == slug):
        return principal
    if slug is None:
        raise WorkspaceAccessError("Only the coordinator's token can do this.")
    raise WorkspaceAccessError(
        f"This token publishes the map {principal.map_slug!r} only, not {slug!r}."
    )


def _identify(connection: Connection, token: str | None) -> Principal:
    """The owner of a valid, unrevoked token; the messages never repeat the token."""
    if not token:
        raise WorkspaceAccessError(
            "No token given: only partners (with their upload link or --token) and the "
            "coordinator can change the workspace."
        )
    parts = tokens.split(token)
    row = None
    if parts is not None:
        row = connection.execute(
            sa.select(tokens_table).where(tokens_table.c.key_id == parts[0])
        ).one_or_none()
    if row is None or parts is None or not tokens.matches(parts[1], row.secret_hash):
        raise WorkspaceAccessError("This token is not valid for this workspace.")
    if row.revoked_at is not None:
        raise WorkspaceAccessError(
            "This token was revoked: ask the coordinator for the new link of your map."
        )
    return Principal(label=row.label, map_slug=row.map_slug)


def _new_token(connection: Connection, slug: str | None, label: str) -> str:
    token, key_id, secret_hash = tokens.new_token()
    connection.execute(
        sa.insert(tokens_table).values(
            key_id=key_id, map_slug=slug, label=label, secret_hash=secret_hash, created_at=_now()
        )
    )
    return token


def _revoke(connection: Connection, slug: str | None) -> str:
    """Revoke a map's active tokens; returns the label its tokens carry."""
    if slug is not None:
        row = _map_row(connection, slug)
        label = row.partner or row.cluster
    else:
        label = COORDINATOR
    owner = tokens_table.c.map_slug.is_(None) if slug is None else tokens_table.c.map_slug == slug
    connection.execute(
        sa.update(tokens_table)
        .where(owner, tokens_table.c.revoked_at.is_(None))
        .values(revoked_at=_now())
    )
    return label


def _required(connection: Connection, query: sa.Select[Any]) -> Any:
    """A value the workspace always has (its NUTS year, a current version's number)."""
    value = connection.scalar(query)
    if value is None:
        raise WorkspaceError("This workspace database is incomplete: restore it from a backup.")
    return value


def _inserted_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise WorkspaceError("The database did not return the new version's id.")
    return int(key[0])


def _next_number(connection: Connection, slug: str) -> int:
    last = connection.scalar(
        sa.select(sa.func.max(versions_table.c.number)).where(versions_table.c.map_slug == slug)
    )
    return int(last or 0) + 1


def _make_current(connection: Connection, slug: str, version_id: int) -> None:
    connection.execute(
        sa.update(maps_table).where(maps_table.c.slug == slug).values(current_version=version_id)
    )
    connection.execute(sa.update(workspace_table).values(revision=workspace_table.c.revision + 1))


def _insert_version(
    connection: Connection,
    slug: str,
    *,
    result: ImportResult,
    file_name: str,
    data: bytes,
    by: str,
    note: str,
) -> int:
    """Store a version with its actors and make it current; returns its number."""
    number = _next_number(connection, slug)
    columns = [c for c in result.actors.columns if c != "geometry"]
    report = {
        "rejects": _records(result.rejects),
        "warnings": _records(result.warnings),
    }
    version_id = _inserted_id(
        connection.execute(
            sa.insert(versions_table).values(
                map_slug=slug,
                number=number,
                published_at=_now(),
                published_by=by,
                note=note,
                file_name=file_name,
                file_sha256=hashlib.sha256(data).hexdigest(),
                file_bytes=data,
                rows_in=result.rows_in,
                accepted=result.accepted,
                rejected=result.rejected,
                columns=orjson.dumps(columns).decode(),
                report=orjson.dumps(report).decode(),
            )
        )
    )
    _insert_actors(connection, version_id, result.actors, columns)
    _make_current(connection, slug, version_id)
    return number


def _insert_actors(
    connection: Connection, version_id: int, actors: gpd.GeoDataFrame, columns: list[str]
) -> None:
    records = _records(actors[columns])
    rows = [
        {
            "version_id": version_id,
            "ordinal": ordinal,
            "name": record.get("name"),
            "helix": record.get("helix"),
            "country": record.get("country"),
            "nuts3": record.get("nuts3"),
            "record": orjson.dumps(record).decode(),
            "geom": point,
        }
        for ordinal, (record, point) in enumerate(zip(records, actors.geometry, strict=True))
    ]
    if rows:
        connection.execute(sa.insert(actors_table), rows)


def _version_result(connection: Connection, version_id: int) -> ImportResult:
    """A stored version as the ``ImportResult`` it was published from."""
    version = connection.execute(
        sa.select(versions_table).where(versions_table.c.id == version_id)
    ).one()
    rows = connection.execute(
        sa.select(actors_table.c.record, actors_table.c.geom)
        .where(actors_table.c.version_id == version_id)
        .order_by(actors_table.c.ordinal)
    ).all()
    columns = orjson.loads(version.columns)
    frame = pd.DataFrame([orjson.loads(row.record) for row in rows], columns=columns)
    actors = gpd.GeoDataFrame(
        frame, geometry=gpd.GeoSeries([row.geom for row in rows], crs=CRS), crs=CRS
    )
    report = orjson.loads(version.report)
    return ImportResult(
        file=version.file_name,
        rows_in=version.rows_in,
        actors=actors,
        rejects=_table(report["rejects"], REJECT_COLUMNS),
        warnings=_table(report["warnings"], WARNING_COLUMNS),
    )


def _table(records: Sequence[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    if not records:
        return empty_table(columns)
    return pd.DataFrame(list(records)).reindex(columns=list(columns))


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: missing values as None, numpy values as Python ones."""
    return [{key: _plain(value) for key, value in row.items()} for row in table.to_dict("records")]


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        return value.isoformat()
    return value
