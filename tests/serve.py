"""The app served in a subprocess, for a browser to look at (the browser test, the README's
screenshot): ``streamlit run app.py`` on a free port of 127.0.0.1, with no file watcher and
no usage statistics, stopped on exit.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final

PROJECT_ROOT: Final = Path(__file__).resolve().parents[1]
APP: Final = PROJECT_ROOT / "app.py"

CHROMIUM_FLAGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Headless Chromium that contacts nothing but the page it is given."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "_stcore/health", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def running_app(
    env: Mapping[str, str] | None = None, *, timeout_s: float = 30.0, app: Path = APP
) -> Iterator[str]:
    """Serve ``app`` (the project's ``app.py``) while the block runs; yields its URL
    ("http://127.0.0.1:port/").

    ``env`` replaces the process environment (e.g. ``METACLUSTER_NUTS_SOURCE``). The
    server's output goes to a temporary log, quoted in the RuntimeError raised when the
    server exits or does not answer within ``timeout_s``.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.headless", "true", "--server.address", "127.0.0.1",
        "--server.port", str(port), "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory(prefix="metacluster-serve-") as folder:
        log_path = Path(folder) / "streamlit.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=dict(os.environ if env is None else env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + timeout_s
            while not _answers(url):
                if server.poll() is not None:
                    raise RuntimeError(
                        f"streamlit exited with {server.returncode}:\n{log_path.read_text()}"
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"streamlit did not answer in {timeout_s:g} s:\n{log_path.read_text()}"
                    )
                time.sleep(0.3)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
