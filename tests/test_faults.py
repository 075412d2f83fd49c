"""Network faults: a local server that misbehaves on purpose stands in for GISCO.

The server on 127.0.0.1 serves the NUTS mirror (../shared/nuts) and, per request, follows
a script of faults: answers too slow for the read timeout, 500s, a body cut short, an HTML
page instead of GeoJSON, a connection dropped half-way, a download trickled out slowly
enough to kill the process in the middle of it. Whatever happens, the cache never holds a
partial or wrong file, a cached copy is used when the network fails, the error otherwise
says what to do, and the app keeps serving.
"""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest
from streamlit.testing.v1 import AppTest

from metacluster import _http, nuts, settings
from metacluster._errors import NutsUnavailableError
from metacluster.ui.data import DATA_OVERRIDE_ENV
from tests.conftest import PROJECT_ROOT

LEVEL0 = "NUTS_RG_20M_2021_4326_LEVL_0.geojson"
COUNTRIES_2021 = 37  # features of LEVEL0 in GISCO's file
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1></body></html>"


class _FaultyHandler(http.server.BaseHTTPRequestHandler):
    """Serves the mirror's files; each request first takes the next fault from ``faults``
    (then ``"ok"`` once the script is used up, or ``always`` when set)."""

    mirror: ClassVar[Path]
    faults: ClassVar[list[str]] = []
    always: ClassVar[str | None] = None
    requests: ClassVar[list[str]] = []
    half_sent: ClassVar[threading.Event] = threading.Event()

    def do_GET(self) -> None:
        self.requests.append(self.path)
        fault = self.always or (self.faults.pop(0) if self.faults else "ok")
        path = self.mirror / self.path.rsplit("/", 1)[-1]
        body = path.read_bytes() if path.is_file() else b""
        if fault == "ok" and not body:
            fault = "404"
        with suppress(BrokenPipeError, ConnectionResetError):
            getattr(self, f"_{fault}")(body)

    def _answer(
        self,
        status: int,
        body: bytes,
        length: int | None = None,
        content_type: str = "application/geo+json",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()

    def _ok(self, body: bytes) -> None:
        self._answer(200, body)
        self.wfile.write(body)

    def _404(self, body: bytes) -> None:
        self._answer(404, b"")

    def _500(self, body: bytes) -> None:
        self._answer(500, b"")

    def _slow(self, body: bytes) -> None:
        time.sleep(1.0)  # longer than the read timeout the tests set
        self._ok(body)

    def _truncated(self, body: bytes) -> None:
        self._ok(body[: len(body) // 2])  # a complete answer of half a file

    def _html(self, body: bytes) -> None:
        self._answer(200, HTML_PAGE, content_type="text/html")
        self.wfile.write(HTML_PAGE)

    def _drop(self, body: bytes) -> None:
        self._answer(200, body, length=len(body))  # promises the whole file…
        self.wfile.write(body[: len(body) // 2])  # …sends half and hangs up
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)

    def _trickle(self, body: bytes) -> None:
        self._answer(200, body)
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.half_sent.set()
        time.sleep(30)  # the client is killed meanwhile
        self.wfile.write(body[len(body) // 2 :])

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def faulty(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, nuts_mirror: Path
) -> Iterator[type[_FaultyHandler]]:
    """The misbehaving server as ``settings.nuts_source``, an empty cache, short timeouts,
    three retries; yields the handler class to script faults on."""
    _FaultyHandler.mirror = nuts_mirror
    _FaultyHandler.faults = []
    _FaultyHandler.always = None
    _FaultyHandler.requests = []
    _FaultyHandler.half_sent = threading.Event()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FaultyHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setattr(settings, "nuts_source", f"http://127.0.0.1:{server.server_port}/gisco/")
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "nuts-cache")
    monkeypatch.setattr(settings, "http_timeout", (2.0, 0.5))
    monkeypatch.setattr(settings, "http_retries", 3)
    monkeypatch.setattr(settings, "http_backoff", 0.01)
    nuts.clear_memory_cache()
    try:
        yield _FaultyHandler
    finally:
        server.shutdown()
        server.server_close()
        nuts.clear_memory_cache()


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses between retries (not slept, so the tests stay fast)."""
    slept: list[float] = []
    monkeypatch.setattr(_http, "time", SimpleNamespace(sleep=slept.append))
    return slept


def _cache_files() -> list[str]:
    folder = Path(settings.cache_folder)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _assert_clear(message: str) -> None:
    assert "metacluster nuts fetch --year 2021 --level 0 --scale 20M" in message
    assert "METACLUSTER_NUTS_SOURCE" in message
    assert "Error" not in message and "Exception" not in message


# --- retries ---------------------------------------------------------------------------------


def test_timeouts_are_retried_with_backoff_until_the_file_comes(
    faulty: type[_FaultyHandler], pauses: list[float], nuts_mirror: Path
) -> None:
    faulty.faults = ["slow", "slow"]
    assert len(nuts.load_nuts(2021, 0)) == COUNTRIES_2021
    assert len(faulty.requests) == 3
    assert pauses == [0.01, 0.02]  # doubling
    assert (Path(settings.cache_folder) / LEVEL0).read_bytes() == (
        nuts_mirror / LEVEL0
    ).read_bytes()


def test_server_errors_are_retried_and_then_the_file_is_cached(
    faulty: type[_FaultyHandler], pauses: list[float]
) -> None:
    faulty.faults = ["500", "500", "500"]
    assert len(nuts.load_nuts(2021, 0)) == COUNTRIES_2021
    assert len(faulty.requests) == 4
    assert pauses == [0.01, 0.02, 0.04]
    assert _cache_files() == [LEVEL0]


def test_a_connection_dropped_midway_is_retried(
    faulty: type[_FaultyHandler], pauses: list[float]
) -> None:
    faulty.faults = ["drop"]
    assert len(nuts.load_nuts(2021, 0)) == COUNTRIES_2021
    assert len(faulty.requests) == 2
    assert _cache_files() == [LEVEL0]


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("500", "answered HTTP 500"),
        ("slow", "could not be reached (it did not answer in time)"),
        ("drop", "could not be reached (the download broke off before the end)"),
    ],
)
def test_a_source_that_keeps_failing_gives_up_after_the_retries_and_caches_nothing(
    faulty: type[_FaultyHandler], pauses: list[float], fault: str, said: str
) -> None:
    faulty.always = fault
    with pytest.raises(NutsUnavailableError) as raised:
        nuts.load_nuts(2021, 0)
    assert len(faulty.requests) == 4
    assert said in str(raised.value)
    _assert_clear(str(raised.value))
    assert _cache_files() == []


# --- wrong content ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "problem"),
    [("truncated", "not valid JSON"), ("html", "not valid JSON")],
)
def test_wrong_content_is_refused_and_never_cached(
    faulty: type[_FaultyHandler], fault: str, problem: str
) -> None:
    faulty.always = fault
    with pytest.raises(
        NutsUnavailableError,
        match=f"did not answer with a usable NUTS file \\({problem}.*nothing was cached",
    ):
        nuts.load_nuts(2021, 0)
    assert len(faulty.requests) == 1  # a complete answer: nothing to retry
    assert _cache_files() == []
    faulty.always = None  # the next try, once the source is fixed, works
    assert len(nuts.load_nuts(2021, 0)) == COUNTRIES_2021
    assert _cache_files() == [LEVEL0]


# --- the cache -------------------------------------------------------------------------------


def test_a_cached_copy_is_used_when_the_network_fails(faulty: type[_FaultyHandler]) -> None:
    downloaded = nuts.load_nuts(2021, 0)
    nuts.clear_memory_cache()
    faulty.always = "500"
    requests_before = len(faulty.requests)
    assert nuts.load_nuts(2021, 0).equals(downloaded)
    assert len(faulty.requests) == requests_before  # read from the cache, no request


def test_offline_without_a_cache_the_error_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setattr(settings, "nuts_source", f"http://127.0.0.1:{port}/")
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    monkeypatch.setattr(settings, "http_backoff", 0.0)
    nuts.clear_memory_cache()
    with pytest.raises(NutsUnavailableError) as raised:
        nuts.load_nuts(2021, 0)
    message = str(raised.value)
    assert f"http://127.0.0.1:{port}/{LEVEL0} could not be reached (no connection" in message
    _assert_clear(message)


def test_an_interrupted_cache_write_leaves_no_file(
    faulty: type[_FaultyHandler], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(source: str, target: str) -> None:
        assert Path(source).stat().st_size > 0  # the data was being written…
        raise KeyboardInterrupt  # …when the user pressed Ctrl-C

    monkeypatch.setattr(nuts.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        nuts.load_nuts(2021, 0)
    assert _cache_files() == []


def test_a_process_killed_during_the_download_leaves_no_partial_file(
    faulty: type[_FaultyHandler], tmp_path: Path
) -> None:
    faulty.always = "trickle"
    program = (
        "import sys\n"
        "from metacluster import nuts, settings\n"
        "settings.nuts_source, settings.cache_folder = sys.argv[1], sys.argv[2]\n"
        "settings.http_timeout = (5.0, 60.0)\n"
        "nuts.load_nuts(2021, 0)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", program, settings.nuts_source, str(settings.cache_folder)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert faulty.half_sent.wait(timeout=60), "the download never started"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert _cache_files() == []
    faulty.always = None
    assert len(nuts.load_nuts(2021, 0)) == COUNTRIES_2021  # the next run starts afresh
    assert _cache_files() == [LEVEL0]


# --- the app ---------------------------------------------------------------------------------


def test_the_app_keeps_serving_while_the_nuts_download_fails(
    faulty: type[_FaultyHandler], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATA_OVERRIDE_ENV, raising=False)
    monkeypatch.setattr(settings, "http_retries", 1)
    faulty.always = "500"
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    messages = [e.value for e in at.error]
    assert len(messages) == 1, messages
    assert "NUTS" in messages[0] and "metacluster nuts fetch" in messages[0]
    assert "Error" not in messages[0] and "Traceback" not in messages[0]
    faulty.always = None  # the network is back: the next run shows the map
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert at.get("deck_gl_json_chart")
