"""Polite HTTP GETs for the NUTS service: one session, timeouts, capped retries with backoff.

GISCO is a public service shared by many users: every request carries a User-Agent and
(connect, read) timeouts, and only failures that may pass (timeouts, dropped connections,
429 and 5xx answers) are retried, a capped number of times with exponentially growing
pauses. Any other answer (404 first of all) is final at once.
"""

from __future__ import annotations

import logging
import time

import requests

from metacluster import settings

logger = logging.getLogger(__name__)

MAX_RETRY_AFTER = 60.0
"""Longest pause (seconds) honoured from a server's Retry-After header."""

_TRANSIENT_ERRORS = (
    requests.Timeout,
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
)

_session: requests.Session | None = None


def session() -> requests.Session:
    """The module's one ``requests.Session`` (created on first use), so connections are reused."""
    global _session
    if _session is None:
        _session = requests.Session()
    return _session


def get_bytes(url: str, *, retries: int | None = None) -> bytes:
    """Download ``url`` and return the body.

    Parameters
    ----------
    url
        What to fetch.
    retries
        How many times a transient failure is retried; None means ``settings.http_retries``.
        Probes that only want to know whether a file exists pass 0.

    Returns
    -------
    bytes
        The body of a successful (2xx) answer.

    Raises
    ------
    requests.HTTPError
        For a final error answer (404 at once; 429/5xx once the retries are used up).
    requests.RequestException
        For a timeout or connection failure that outlasted the retries.
    """
    last_attempt = settings.http_retries if retries is None else max(retries, 0)
    attempt = 0
    while True:
        retry_after = 0.0
        try:
            response = session().get(
                url, timeout=settings.http_timeout, headers={"User-Agent": settings.user_agent}
            )
        except _TRANSIENT_ERRORS as error:
            if attempt == last_attempt:
                raise
            problem = f"{type(error).__name__}: {error}"
        else:
            if not _worth_retrying(response.status_code) or attempt == last_attempt:
                response.raise_for_status()
                logger.info("downloaded %s (%s bytes)", url, f"{len(response.content):,}")
                return response.content
            problem = f"HTTP {response.status_code}"
            retry_after = _retry_after_seconds(response)
        pause = max(settings.http_backoff * 2**attempt, retry_after)
        logger.warning(
            "GET %s failed (%s); retry %d of %d in %.1f s",
            url,
            problem,
            attempt + 1,
            last_attempt,
            pause,
        )
        time.sleep(pause)
        attempt += 1


def _worth_retrying(status: int) -> bool:
    """Rate limiting (429) and server-side trouble (5xx) may pass; other answers are final."""
    return status == 429 or status >= 500


def _retry_after_seconds(response: requests.Response) -> float:
    """The server's Retry-After pause in seconds (capped), 0 when absent or not a number."""
    value = response.headers.get("Retry-After", "")
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return 0.0
