"""Polite HTTP GETs for the NUTS service: one session, timeouts, capped retries with backoff.

GISCO is a public service shared by many users: every request carries a User-Agent and
(connect, read) timeouts, and only failures that may pass (timeouts, dropped connections,
429 and 5xx answers) are retried, a capped number of times with exponentially growing
pauses. Any other answer (404 first of all) is final at once.
"""

from __future__ import annotations

import logging
import time
from time import monotonic

import requests
import urllib3

from metacluster import settings

logger = logging.getLogger(__name__)

MAX_RETRY_AFTER = 60.0
"""Longest pause (seconds) honoured from a server's Retry-After header."""

_TRANSIENT_ERRORS = (
    requests.Timeout,
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
)

_CHUNK_BYTES = 1024 * 1024


class DownloadRefused(requests.RequestException):
    """A download stopped on purpose: over the size cap, past the deadline, or a
    compression bomb. Never retried: the same source would send the same again."""


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
    DownloadRefused
        The body is over ``settings.max_download_bytes``, expands more than
        ``settings.max_zip_ratio`` times (gzip/deflate bomb), or the whole download, retries
        included, takes longer than ``settings.http_deadline`` seconds.
    """
    last_attempt = settings.http_retries if retries is None else max(retries, 0)
    deadline = monotonic() + settings.http_deadline
    attempt = 0
    while True:
        retry_after = 0.0
        try:
            response = session().get(
                url,
                timeout=settings.http_timeout,
                headers={"User-Agent": settings.user_agent},
                stream=True,
            )
            with response:
                if not _worth_retrying(response.status_code) or attempt == last_attempt:
                    response.raise_for_status()
                    body = _body(url, response, deadline)
                    logger.info("downloaded %s (%s bytes)", url, f"{len(body):,}")
                    return body
                problem = f"HTTP {response.status_code}"
                retry_after = _retry_after_seconds(response)
        except _TRANSIENT_ERRORS as error:
            if attempt == last_attempt or monotonic() > deadline:
                raise
            problem = f"{type(error).__name__}: {error}"
        pause = max(settings.http_backoff * 2**attempt, retry_after)
        if monotonic() + pause > deadline:
            raise DownloadRefused(_past_deadline(url))
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


def _past_deadline(url: str) -> str:
    return (
        f"the download of {url} took longer than {settings.http_deadline:.0f} s "
        "(settings.http_deadline), so it was stopped"
    )


def _body(url: str, response: requests.Response, deadline: float) -> bytes:
    """The answer's body, decompressed, read as it arrives and stopped as soon as it
    passes the size cap, the compression ratio or the deadline. Each read returns what
    the socket has (``read1``), so a server trickling one byte at a time cannot hold the
    download open past the deadline: the read timeout bounds each wait."""
    limit = settings.max_download_bytes
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise DownloadRefused(
            f"{url} announces {int(declared):,} bytes, over the limit of {limit:,} "
            "(settings.max_download_bytes)"
        )
    chunks, size = [], 0
    try:
        while chunk := response.raw.read1(_CHUNK_BYTES, decode_content=True):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise DownloadRefused(
                    f"{url} sent more than {limit:,} bytes (settings.max_download_bytes)"
                )
            if size > _CHUNK_BYTES and size / (response.raw.tell() or 1) > settings.max_zip_ratio:
                raise DownloadRefused(
                    f"{url} sent a body that expands more than {settings.max_zip_ratio:.0f} "
                    "times (a compression bomb?)"
                )
            if monotonic() > deadline:
                raise DownloadRefused(_past_deadline(url))
    except urllib3.exceptions.ReadTimeoutError as error:
        raise requests.exceptions.ConnectionError(error) from error
    except urllib3.exceptions.ProtocolError as error:
        raise requests.exceptions.ChunkedEncodingError(error) from error
    except urllib3.exceptions.DecodeError as error:
        raise requests.exceptions.ContentDecodingError(error) from error
    return b"".join(chunks)


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
