"""A throwaway PostgreSQL + PostGIS cluster for the tests: initdb, pg_ctl, gone afterwards.

The server runs from the Debian packages (``postgresql``, ``postgresql-15-postgis-3``;
``.ci/run`` installs them) on 127.0.0.1 and a free port, with its data folder in a
temporary folder, trust authentication and no other client. PostgreSQL refuses to run as
root, so under root it runs as the ``postgres`` user (``runuser``). Where the binaries are
missing the tests skip, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

START_TIMEOUT_S = 60


def pg_bin() -> Path | None:
    """The folder of initdb/pg_ctl: on PATH, else Debian's newest /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major, reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _major(path: str) -> int:
    return int(Path(path).parent.parent.name) if Path(path).parent.parent.name.isdigit() else 0


def has_postgis(bin_dir: Path) -> bool:
    """Whether the PostGIS extension is installed for this PostgreSQL."""
    share = subprocess.run(
        [str(bin_dir / "pg_config"), "--sharedir"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return bool(share) and bool(glob.glob(f"{share}/extension/postgis.control"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_cluster(bin_dir: Path) -> Iterator[sa.URL]:
    """A started cluster; yields the URL of its ``postgres`` database (superuser)."""
    folder = Path(tempfile.mkdtemp(prefix="metacluster-pg-"))
    as_user: list[str] = []
    user = pwd.getpwuid(os.getuid()).pw_name
    if os.getuid() == 0:
        user = "postgres"
        shutil.chown(folder, user)
        as_user = ["runuser", "-u", user, "--"]
    data, port = folder / "data", _free_port()
    try:
        subprocess.run(
            [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", user, "--auth=trust",
             "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
            check=True, capture_output=True, timeout=START_TIMEOUT_S,
        )  # fmt: skip
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
             "-l", str(folder / "log"), "-w", "-t", str(START_TIMEOUT_S), "start"],
            check=True, capture_output=True, timeout=START_TIMEOUT_S + 10,
        )  # fmt: skip
        try:
            url = sa.URL.create(
                "postgresql+psycopg", username=user, host="127.0.0.1", port=port,
                database="postgres",
            )  # fmt: skip
            _autocommit(url, f"CREATE DATABASE {TEMPLATE}")
            _autocommit(url.set(database=TEMPLATE), "CREATE EXTENSION postgis")
            yield url
        finally:
            subprocess.run(
                [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True, check=False, timeout=START_TIMEOUT_S,
            )  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)


TEMPLATE = "metacluster_template"
"""A database with PostGIS created once per cluster: copying it is much faster than
creating the extension in every test's database."""


def _autocommit(url: sa.URL, *statements: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))
    engine.dispose()


def new_database(server: sa.URL) -> sa.URL:
    """A fresh database with PostGIS on the cluster, as a workspace's deployment has it."""
    name = f"ws_{uuid.uuid4().hex[:12]}"
    _autocommit(server, f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE}')
    return server.set(database=name)
