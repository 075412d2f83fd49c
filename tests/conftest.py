"""Shared fixtures: the NUTS mirror in ../shared/nuts, as a folder and as a local HTTP server.

Tests never touch the internet. Every test that needs NUTS geometries points
``settings.nuts_source`` at the mirror (a folder, or the mirror served on 127.0.0.1) and
``settings.cache_folder`` at a temporary folder.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

# No test may reach for the internet: the app's basemap check included (also inherited by
# the app servers the browser tests start).
os.environ.setdefault("METACLUSTER_BASEMAP", "offline")

from metacluster import settings  # after the environment it reads
from tests.browser_fixtures import app_url, browser, chromium, countries_url, page  # noqa: F401

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = Path(__file__).resolve().parent / "data"


def _shared_dir() -> Path:
    return Path(os.environ.get("METACLUSTER_SHARED", PROJECT_ROOT.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder beside the project (seeds, NUTS mirror, real My Maps exports)."""
    path = _shared_dir()
    if not (path / "nuts").is_dir():
        pytest.fail(f"{path} has no nuts/ mirror: clone the project with ../shared beside it")
    return path


@pytest.fixture(scope="session")
def nuts_mirror(shared_dir: Path) -> Path:
    """The folder mirroring GISCO's NUTS GeoJSON files (10M/20M 2021, 20M 2024)."""
    return shared_dir / "nuts"


@pytest.fixture(scope="session")
def realdata(shared_dir: Path) -> Path:
    """Real Google My Maps exports (third-party files; read, never copied)."""
    return shared_dir / "realdata"


@pytest.fixture
def nuts_from_mirror(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, nuts_mirror: Path) -> Path:
    """Settings pointing at the mirror folder as NUTS source, with an empty cache in tmp_path."""
    cache = tmp_path / "nuts-cache"
    monkeypatch.setattr(settings, "nuts_source", str(nuts_mirror))
    monkeypatch.setattr(settings, "cache_folder", cache)
    return cache


@pytest.fixture(scope="module")
def mirror(nuts_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The NUTS mirror as source for a whole module, so that its frames load once."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "nuts_source", str(nuts_mirror))
        patch.setattr(settings, "cache_folder", tmp_path_factory.mktemp("nuts-cache"))
        yield


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def nuts_http_server(nuts_mirror: Path) -> Iterator[str]:
    """The NUTS mirror served over HTTP on 127.0.0.1; yields its base URL (ending in /)."""
    handler = functools.partial(_QuietHandler, directory=str(nuts_mirror))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def nuts_from_http(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, nuts_http_server: str) -> Path:
    """Settings pointing at the mirror served over local HTTP, with an empty cache in tmp_path."""
    cache = tmp_path / "nuts-cache"
    monkeypatch.setattr(settings, "nuts_source", nuts_http_server)
    monkeypatch.setattr(settings, "cache_folder", cache)
    monkeypatch.setattr(settings, "http_backoff", 0.01)
    return cache


FETCHED = "FETCHED-BY-THE-SERVER"
"""What ``request_recorder`` answers: it must never appear in anything a test reads."""


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        body = f"name,latitude,longitude\n{FETCHED},50.6,3.0\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def request_recorder() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request (a test for no outside contact
    asserts the list stays empty); yields (base URL without a trailing /, requests)."""
    requests: list[str] = []
    handler = type("Recorder", (_Recorder,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def app_on_mirror(monkeypatch: pytest.MonkeyPatch, nuts_mirror: Path, tmp_path: Path) -> None:
    """Settings for an ``AppTest`` of app.py: the NUTS mirror, an empty cache, the bundled
    manifests (no data override)."""
    from metacluster.ui.data import DATA_OVERRIDE_ENV

    monkeypatch.setattr(settings, "nuts_source", str(nuts_mirror))
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "nuts-cache")
    monkeypatch.delenv(DATA_OVERRIDE_ENV, raising=False)
