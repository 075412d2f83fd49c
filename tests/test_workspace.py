"""The partnership workspace on both databases: a SQLite file and a real PostgreSQL + PostGIS.

The PostgreSQL cluster is started for the session by ``tests/postgres.py`` (initdb, pg_ctl
on 127.0.0.1 and a free port); each test gets its own database. Concurrency and crashes
are real: separate processes (``tests/workspace_worker.py``) publishing at the same time,
and one killed with SIGKILL in the middle of its publish transaction.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import pickle
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from metacluster import settings
from metacluster._errors import PublishConflictError, WorkspaceAccessError, WorkspaceError
from metacluster.cli import main
from metacluster.workspace import COORDINATOR, Workspace, _db, init_workspace, tokens
from tests.conftest import PROJECT_ROOT, TEST_DATA
from tests.postgres import has_postgis, new_database, pg_bin, running_cluster

MANIFEST = TEST_DATA / "merge" / "partnership.toml"
WORKER = Path(__file__).with_name("workspace_worker.py")
WORKER_TIMEOUT_S = 120

IDF_V2 = """name,helix,organisation_type,city,lat,lon
Musée d'Orsay,civil_society,Museum,Paris,48.8600,2.3266
Cap Digital,business,Innovation cluster,Paris,48.8770,2.3600
Station F,business,Incubator,Paris,48.8340,2.3700
"""
LAZIO_V2 = """name,helix,city,lat,lon
Sapienza Università di Roma,academia,Roma,41.9029,12.5144
Università Roma Tre,academia,Roma,41.8533,12.4785
"""


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[sa.URL]:
    """A throwaway PostgreSQL + PostGIS cluster; missing binaries fail in CI, skip elsewhere."""
    bin_dir = pg_bin()
    if bin_dir is None or not has_postgis(bin_dir):
        message = (
            "PostgreSQL with PostGIS is not installed (apt-get install postgresql "
            "postgresql-15-postgis-3; .ci/run installs them)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with running_cluster(bin_dir) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgis"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's workspace lives: a SQLite file, or a fresh PostGIS database."""
    if request.param == "sqlite":
        return str(tmp_path / "partnership.sqlite")
    server = request.getfixturevalue("postgres_server")
    return new_database(server).render_as_string(hide_password=False)


@pytest.fixture
def created(mirror: None, target: str) -> Iterator[tuple[Workspace, dict[str, str]]]:
    workspace, handed_out = init_workspace(MANIFEST, target)
    with workspace:
        yield workspace, handed_out


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _names(workspace: Workspace) -> set[str]:
    return set(workspace.merged().actors["name"])


# --- the whole story, through the CLI ---------------------------------------------------


def test_init_publish_history_restore_export(
    mirror: None, target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.setenv("METACLUSTER_NUTS_SOURCE", str(settings.nuts_source))
    init = runner.invoke(main, ["workspace", "init", str(MANIFEST), "--db", target])
    assert init.exit_code == 0, init.output
    links = dict(re.findall(r"^  (\S+) .*\n .*\?token=(\S+)$", init.output, re.MULTILINE))
    assert set(links) == {"ile-de-france", "lazio", COORDINATOR}
    assert all(len(tokens.split(t)[1]) >= 43 for t in links.values())  # 256 random bits

    idf = _write(tmp_path, "idf-2025.csv", IDF_V2)
    lazio = _write(tmp_path, "lazio-2025.csv", LAZIO_V2)
    publish_idf = runner.invoke(
        main,
        ["workspace", "publish", target, "--map", "ile-de-france", str(idf)],
        env={"METACLUSTER_TOKEN": links["ile-de-france"]},
    )
    assert publish_idf.exit_code == 0, publish_idf.output
    assert "added    Station F" in publish_idf.output
    assert "removed  Sorbonne Université" in publish_idf.output
    assert "changed  Cap Digital organisation_type: 'Cluster' -> 'Innovation cluster'" in (
        publish_idf.output
    )
    assert "Published ile-de-france version 2." in publish_idf.output
    publish_lazio = runner.invoke(
        main,
        ["workspace", "publish", target, "--map", "lazio", str(lazio), "--token", links["lazio"]],
    )
    assert publish_lazio.exit_code == 0, publish_lazio.output

    with Workspace.open(target) as workspace:
        names = _names(workspace)
        assert {"Station F", "Università Roma Tre", "Sapienza Università di Roma"} <= names
        assert not names & {"Sorbonne Université", "Lazio Innova S.p.A."}
        states = {state.slug: state for state in workspace.maps()}
        assert (states["lazio"].version, states["lazio"].updated_by) == (2, "Lazio Innova")
        assert (states["ile-de-france"].updated_by, states["ile-de-france"].actors) == (
            "Cap Digital",
            3,
        )

    history = runner.invoke(main, ["workspace", "history", target, "--json"])
    assert history.exit_code == 0, history.output
    rows = json.loads(history.output)
    assert [(r["map_slug"], r["number"], r["current"]) for r in rows] == [
        ("lazio", 2, True),
        ("ile-de-france", 2, True),
        ("lazio", 1, False),
        ("ile-de-france", 1, False),
    ]

    denied = runner.invoke(
        main,
        ["workspace", "restore", target, "--map", "lazio", "--version", "1"],
        env={"METACLUSTER_TOKEN": links["lazio"]},
    )
    assert denied.exit_code == 1
    assert "Only the coordinator" in denied.output
    restored = runner.invoke(
        main,
        ["workspace", "restore", target, "--map", "lazio", "--version", "1"],
        env={"METACLUSTER_TOKEN": links[COORDINATOR]},
    )
    assert restored.exit_code == 0, restored.output
    assert "as version 3" in restored.output

    out = tmp_path / "academia.csv"
    exported = runner.invoke(
        main, ["workspace", "export", target, "--helix", "academia", "-o", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    table = pd.read_csv(out)
    assert set(table["helix"]) == {"academia"}
    assert "Sapienza Università di Roma" in set(table["name"])  # restored lazio v1
    assert "Università Roma Tre" not in set(table["name"])
    with Workspace.open(target) as workspace:
        lazio_history = workspace.history("lazio")
        assert [(v.number, v.note) for v in lazio_history] == [
            (3, "restored version 1"),
            (2, ""),
            (1, "created from the manifest"),
        ]
        assert "Lazio Innova S.p.A." in _names(workspace)
    text = out.read_text(encoding="utf-8") + init.output.split("Upload links")[0]
    assert not any(token in text for token in links.values())


def test_stored_points_are_postgis_geometries_on_postgresql(
    created: tuple[Workspace, dict[str, str]],
) -> None:
    workspace, _ = created
    with workspace.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            assert connection.scalar(sa.select(sa.func.count()).select_from(_db.actors)) == 10
            return
        srids = connection.scalars(
            sa.select(sa.func.ST_SRID(_db.actors.c.geom)).where(_db.actors.c.geom.is_not(None))
        ).all()
        assert srids and set(srids) == {4326}
        inside = connection.scalar(
            sa.select(sa.func.count())
            .select_from(_db.actors)
            .where(
                sa.func.ST_Intersects(
                    _db.actors.c.geom, sa.func.ST_MakeEnvelope(2.2, 48.8, 2.5, 48.9, 4326)
                )
            )
        )
        assert inside == 4  # Paris actors of both maps' first versions


# --- who may do what ---------------------------------------------------------------------


def test_tokens_missing_wrong_map_malformed_revoked_rotated(
    created: tuple[Workspace, dict[str, str]], tmp_path: Path
) -> None:
    workspace, handed_out = created
    lazio = _write(tmp_path, "lazio.csv", LAZIO_V2)
    for token, message in [
        (None, "No token given"),
        ("", "No token given"),
        ("not-a-token", "not valid"),
        (handed_out["lazio"] + "x", "not valid"),
        (handed_out["ile-de-france"], "publishes the map 'ile-de-france' only"),
    ]:
        with pytest.raises(WorkspaceAccessError, match=message) as error:
            workspace.prepare("lazio", lazio, token=token)
        assert not token or token not in str(error.value)

    draft = workspace.prepare("lazio", lazio, token=handed_out["lazio"])
    with pytest.raises(WorkspaceAccessError, match="publishes the map 'ile-de-france'"):
        workspace.publish(draft, token=handed_out["ile-de-france"])
    with pytest.raises(WorkspaceAccessError, match="Only the coordinator"):
        workspace.rotate_token("lazio", token=handed_out["lazio"])

    workspace.revoke_tokens("lazio", token=handed_out[COORDINATOR])
    with pytest.raises(WorkspaceAccessError, match="revoked"):
        workspace.publish(draft, token=handed_out["lazio"])
    new = workspace.rotate_token("lazio", token=handed_out[COORDINATOR])
    assert new != handed_out["lazio"]
    assert workspace.publish(draft, token=new) == 2
    assert workspace.authorise(handed_out[COORDINATOR], slug="lazio").is_coordinator

    with workspace.engine.connect() as connection:
        stored = connection.execute(sa.select(_db.tokens)).all()
    secrets = [tokens.split(t)[1] for t in (*handed_out.values(), new)]
    dump = repr(stored)
    assert not any(secret in dump for secret in secrets)  # only hashes are stored


def test_token_secrets_compared_in_constant_time(
    created: tuple[Workspace, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace, handed_out = created
    calls = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    workspace.authorise(handed_out["lazio"], slug="lazio")
    key_id, secret = tokens.split(handed_out["lazio"])
    forged = f"{key_id}.{secret[:-1]}{'B' if secret.endswith('A') else 'A'}"  # one char off
    with pytest.raises(WorkspaceAccessError):
        workspace.authorise(forged, slug="lazio")
    assert len(calls) == 2
    assert calls[0][0] == calls[0][1] and calls[1][0] != calls[1][1]


def test_tokens_never_logged(
    created: tuple[Workspace, dict[str, str]], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    workspace, handed_out = created
    lazio = _write(tmp_path, "lazio.csv", LAZIO_V2)
    with caplog.at_level(logging.DEBUG):
        workspace.publish(workspace.prepare("lazio", lazio, token=handed_out["lazio"]),
                          token=handed_out["lazio"])  # fmt: skip
        workspace.restore("lazio", 1, token=handed_out[COORDINATOR])
        with pytest.raises(WorkspaceAccessError):
            workspace.restore("lazio", 1, token=handed_out["lazio"])
    assert "published lazio version 2" in caplog.text
    secrets = [tokens.split(t)[1] for t in handed_out.values()]
    assert not any(secret in caplog.text for secret in secrets)


def test_hostile_upload_refused_before_anything_changes(
    created: tuple[Workspace, dict[str, str]], target: str
) -> None:
    workspace, handed_out = created
    result = CliRunner().invoke(
        main,
        ["workspace", "publish", target, "--map", "lazio", str(TEST_DATA / "billion_laughs.kml")],
        env={"METACLUSTER_TOKEN": handed_out["lazio"]},
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: billion_laughs.kml: ")
    assert "Traceback" not in result.output and handed_out["lazio"] not in result.output
    assert [v.number for v in workspace.history("lazio")] == [1]


# --- transactions between processes -----------------------------------------------------


def _worker_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}


_started: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _no_worker_outlives_its_test() -> Iterator[None]:
    """A failed assertion must not leave a worker running into the next test."""
    yield
    while _started:
        process = _started.pop()
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=WORKER_TIMEOUT_S)


def _start(target: str, draft_file: Path, token: str, *extra: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, str(WORKER), target, str(draft_file), "--token", token, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_worker_env(),
    )
    _started.append(process)
    return process


def _finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=WORKER_TIMEOUT_S)
    assert not err.strip() or process.returncode in (0, 1), err
    return process.returncode, out.strip()


def _wait_for(marker: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    while not marker.exists():
        if process.poll() is not None:
            raise AssertionError(f"worker ended early: {process.communicate()}")
        assert time.monotonic() < deadline, "worker never reached its publish transaction"
        time.sleep(0.05)


def _draft_file(workspace: Workspace, slug: str, path: Path, token: str, folder: Path) -> Path:
    file = folder / f"{slug}-{path.stem}.draft"
    file.write_bytes(pickle.dumps(workspace.prepare(slug, path, token=token)))
    return file


def test_concurrent_publishes_of_two_maps_both_succeed(
    created: tuple[Workspace, dict[str, str]], target: str, tmp_path: Path
) -> None:
    workspace, handed_out = created
    lazio = _draft_file(workspace, "lazio", _write(tmp_path, "l.csv", LAZIO_V2),
                        handed_out["lazio"], tmp_path)  # fmt: skip
    idf = workspace.prepare("ile-de-france", _write(tmp_path, "i.csv", IDF_V2),
                            token=handed_out["ile-de-france"])  # fmt: skip
    marker = tmp_path / "holding"
    holder = _start(target, lazio, handed_out["lazio"], "--check-base", "--hold", "2",
                    "--marker", str(marker))  # fmt: skip
    _wait_for(marker, holder)  # the other process is inside its publish transaction
    assert workspace.publish(idf, token=handed_out["ile-de-france"]) == 2
    assert _finish(holder) == (0, "2")
    states = {state.slug: state.version for state in workspace.maps()}
    assert states == {"ile-de-france": 2, "lazio": 2}
    assert {"Station F", "Università Roma Tre"} <= _names(workspace)


def test_concurrent_publishes_of_one_map_are_serialised(
    created: tuple[Workspace, dict[str, str]], target: str, tmp_path: Path
) -> None:
    workspace, handed_out = created
    token = handed_out["lazio"]
    first_draft = _draft_file(workspace, "lazio", _write(tmp_path, "a.csv", LAZIO_V2), token,
                              tmp_path)  # fmt: skip
    second_draft = _draft_file(workspace, "lazio", _write(tmp_path, "b.csv", IDF_V2), token,
                               tmp_path)  # fmt: skip
    marker = tmp_path / "holding"
    first = _start(target, first_draft, token, "--check-base", "--hold", "2",
                   "--marker", str(marker))  # fmt: skip
    _wait_for(marker, first)
    queued = _start(target, second_draft, token)  # serialised after the first
    # Waits for the first process's transaction, then sees a newer version than its base: a
    # conflict. The queued process may win the lock before or after it, hence version 2 or 3.
    with pytest.raises(PublishConflictError, match=r"published again \(version [23]\)"):
        workspace.publish(pickle.loads(second_draft.read_bytes()), token=token)
    assert _finish(first) == (0, "2")
    assert _finish(queued) == (0, "3")
    assert [v.number for v in workspace.history("lazio")] == [3, 2, 1]  # none lost
    assert "Station F" in _names(workspace)  # the queued publish is the current one


def test_killed_publish_leaves_previous_version(
    created: tuple[Workspace, dict[str, str]], target: str, tmp_path: Path
) -> None:
    workspace, handed_out = created
    token = handed_out["lazio"]
    before = workspace.merged().actors
    draft = _draft_file(workspace, "lazio", _write(tmp_path, "a.csv", LAZIO_V2), token, tmp_path)
    marker = tmp_path / "holding"
    process = _start(target, draft, token, "--hold", "600", "--marker", str(marker))
    _wait_for(marker, process)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=WORKER_TIMEOUT_S)

    with Workspace.open(target) as reopened:
        assert [v.number for v in reopened.history("lazio")] == [1]
        pd.testing.assert_frame_equal(pd.DataFrame(reopened.merged().actors), pd.DataFrame(before))
        assert reopened.publish(pickle.loads(draft.read_bytes()), token=token) == 2
        assert "Università Roma Tre" in _names(reopened)


def test_token_commands(created: tuple[Workspace, dict[str, str]], target: str) -> None:
    _, handed_out = created
    runner = CliRunner()
    coordinator = {"METACLUSTER_TOKEN": handed_out[COORDINATOR]}
    rotated = runner.invoke(
        main, ["workspace", "token", "rotate", target, "--map", "lazio"], env=coordinator
    )
    assert rotated.exit_code == 0, rotated.output
    (new,) = re.findall(r"\?token=(\S+)", rotated.output)
    with Workspace.open(target) as workspace:
        assert workspace.authorise(new, slug="lazio").label == "Lazio Innova"
        with pytest.raises(WorkspaceAccessError, match="revoked"):
            workspace.authorise(handed_out["lazio"], slug="lazio")
    refused = runner.invoke(
        main, ["workspace", "token", "revoke", target, "--map", "lazio", "--token", new]
    )
    assert refused.exit_code == 1
    assert "Only the coordinator" in refused.output and new not in refused.output
    revoked = runner.invoke(
        main, ["workspace", "token", "revoke", target, "--map", "lazio"], env=coordinator
    )
    assert revoked.exit_code == 0, revoked.output
    with Workspace.open(target) as workspace, pytest.raises(WorkspaceAccessError):
        workspace.authorise(new, slug="lazio")


# --- schema versions ---------------------------------------------------------------------


def test_newer_schema_refused_unchanged(
    created: tuple[Workspace, dict[str, str]], target: str
) -> None:
    workspace, _ = created
    newer = _db.SCHEMA_VERSION + 1
    with workspace.engine.begin() as connection:
        connection.execute(
            sa.update(_db.meta).where(_db.meta.c.key == "schema_version").values(value=str(newer))
        )
    with pytest.raises(WorkspaceError, match=rf"schema version {newer}.*newer metacluster"):
        Workspace.open(target)
    result = CliRunner().invoke(main, ["workspace", "history", target])
    assert result.exit_code == 1
    assert "Upgrade metacluster" in result.output and "Traceback" not in result.output
    with workspace.engine.connect() as connection:
        assert _db.schema_version(connection) == newer


def test_init_refuses_existing_workspace_and_open_needs_one(
    created: tuple[Workspace, dict[str, str]], target: str, tmp_path: Path
) -> None:
    with pytest.raises(WorkspaceError, match="already holds a workspace"):
        init_workspace(MANIFEST, target)
    with pytest.raises(WorkspaceError, match="No workspace at"):
        Workspace.open(tmp_path / "missing.sqlite")
    with pytest.raises(WorkspaceError, match=r"No map named 'rome'.*ile-de-france, lazio"):
        created[0].history("rome")
