"""The polite HTTP layer: one session, User-Agent, timeouts, capped retries with backoff."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import ClassVar

import pytest
import requests

from metacluster import _http, settings


@dataclass
class _Answer:
    status: int
    body: bytes = b""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class _ScriptedHandler(http.server.BaseHTTPRequestHandler):
    """Answers each path from a script: answers used in turn, the last one repeated."""

    script: ClassVar[dict[str, list[_Answer]]] = {}
    seen: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("User-Agent", "")))
        answers = self.script.get(self.path) or [_Answer(404, b"not here")]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        time.sleep(answer.delay)
        self.send_response(answer.status)
        for name, value in {"Content-Length": str(len(answer.body)), **answer.headers}.items():
            self.send_header(name, value)
        self.end_headers()
        with suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A scripted HTTP server on 127.0.0.1, fast retries; yields its base URL."""
    monkeypatch.setattr(settings, "http_backoff", 0.01)
    monkeypatch.setattr(settings, "http_retries", 3)
    _ScriptedHandler.script = {}
    _ScriptedHandler.seen = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ScriptedHandler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_success_returns_the_body_and_sends_the_user_agent(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "user_agent", "metacluster-test/1")
    _ScriptedHandler.script["/file"] = [_Answer(200, b"payload")]
    assert _http.get_bytes(f"{server}/file") == b"payload"
    assert _ScriptedHandler.seen == [("/file", "metacluster-test/1")]


def test_server_errors_and_rate_limits_are_retried_until_success(server: str) -> None:
    _ScriptedHandler.script["/flaky"] = [
        _Answer(503, b"busy"),
        _Answer(429, b"slow down"),
        _Answer(500, b"oops"),
        _Answer(200, b"finally"),
    ]
    assert _http.get_bytes(f"{server}/flaky") == b"finally"
    assert [path for path, _ in _ScriptedHandler.seen] == ["/flaky"] * 4


def test_retries_are_capped_and_the_last_error_is_raised(server: str) -> None:
    _ScriptedHandler.script["/down"] = [_Answer(502, b"bad gateway")]
    with pytest.raises(requests.HTTPError) as caught:
        _http.get_bytes(f"{server}/down")
    assert caught.value.response.status_code == 502
    assert len(_ScriptedHandler.seen) == 1 + settings.http_retries


def test_not_found_is_final_at_once(server: str) -> None:
    with pytest.raises(requests.HTTPError) as caught:
        _http.get_bytes(f"{server}/missing")
    assert caught.value.response.status_code == 404
    assert len(_ScriptedHandler.seen) == 1


def test_retries_zero_asks_once(server: str) -> None:
    _ScriptedHandler.script["/busy"] = [_Answer(503, b"busy"), _Answer(200, b"late")]
    with pytest.raises(requests.HTTPError):
        _http.get_bytes(f"{server}/busy", retries=0)
    assert len(_ScriptedHandler.seen) == 1


def test_read_timeouts_are_retried(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "http_timeout", (2.0, 0.2))
    _ScriptedHandler.script["/slow"] = [
        _Answer(200, b"too late", delay=1.0),
        _Answer(200, b"in time"),
    ]
    assert _http.get_bytes(f"{server}/slow") == b"in time"
    assert len(_ScriptedHandler.seen) == 2


def test_backoff_doubles_and_honours_retry_after(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(_http, "time", SimpleNamespace(sleep=pauses.append))
    monkeypatch.setattr(settings, "http_backoff", 0.5)
    _ScriptedHandler.script["/flaky"] = [
        _Answer(503),
        _Answer(429, headers={"Retry-After": "3"}),
        _Answer(503),
        _Answer(200, b"ok"),
    ]
    assert _http.get_bytes(f"{server}/flaky") == b"ok"
    assert pauses == [0.5, 3.0, 2.0]


def test_retry_after_header_is_read_and_capped() -> None:
    def answer(value: str) -> requests.Response:
        response = requests.Response()
        response.headers["Retry-After"] = value
        return response

    assert _http._retry_after_seconds(answer("7")) == 7.0
    assert _http._retry_after_seconds(answer("86400")) == _http.MAX_RETRY_AFTER
    assert _http._retry_after_seconds(answer("Wed, 21 Oct 2015 07:28:00 GMT")) == 0.0


def test_unreachable_host_raises_a_connection_error_after_the_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "http_backoff", 0.0)
    monkeypatch.setattr(settings, "http_retries", 2)
    attempts: list[str] = []
    real_get = _http.session().get

    def counting_get(url: str, **kwargs: object) -> requests.Response:
        attempts.append(url)
        return real_get(url, **kwargs)

    monkeypatch.setattr(_http.session(), "get", counting_get)
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(requests.ConnectionError):
        _http.get_bytes(f"http://127.0.0.1:{port}/file")
    assert len(attempts) == 3


def test_one_session_is_reused() -> None:
    assert _http.session() is _http.session()
    assert isinstance(_http.session(), requests.Session)
