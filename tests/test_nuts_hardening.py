"""A hostile or broken NUTS source can neither exhaust the process nor poison the cache
(issue 12): size cap and overall deadline per file, gzip bombs refused, geometries checked
before a file enters the cache, a cached file that fails the check fetched again, and
``nuts fetch`` on garbage, nested or huge bodies ends in one clear message.
"""

from __future__ import annotations

import gzip
import http.server
import json
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any, ClassVar

import pytest
import shapely
from click.testing import CliRunner

from metacluster import nuts, settings
from metacluster._errors import NutsUnavailableError
from metacluster.cli import main as cli

LEVEL0 = "NUTS_RG_20M_2021_4326_LEVL_0.geojson"


class _Source(http.server.BaseHTTPRequestHandler):
    """Answers every request with ``answer(path)`` → (body, extra headers)."""

    answer: ClassVar[Callable[[str], tuple[bytes, dict[str, str]]]]
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        body, headers = type(self).answer(self.path)
        with suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(200)
            headers = {"Content-Type": "application/geo+json", **headers}
            if "Content-Length" not in headers and headers.get("Trickle") is None:
                headers["Content-Length"] = str(len(body))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if headers.get("Trickle"):
                for byte in body[:200]:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.1)
                return
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[type[_Source]]:
    _Source.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Source)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setattr(settings, "nuts_source", f"http://127.0.0.1:{server.server_port}/")
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "nuts-cache")
    monkeypatch.setattr(settings, "http_timeout", (2.0, 1.0))
    monkeypatch.setattr(settings, "http_retries", 0)
    nuts.clear_memory_cache()
    try:
        yield _Source
    finally:
        server.shutdown()
        server.server_close()
        nuts.clear_memory_cache()


def _cache() -> list[str]:
    folder = Path(settings.cache_folder)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _code(number: int) -> str:
    """XA, XB, … XZ, YA, … ZZ: level-0 codes no real country has."""
    return f"{chr(88 + number // 26)}{chr(65 + number % 26)}"


def _collection(geometries: list[Any], *, count: int = 37, codes: list[Any] | None = None) -> bytes:
    """A level-0 NUTS file of ``count`` regions (as many as GISCO's), the first ones with
    ``geometries``, the rest squares."""
    codes = codes or [_code(i) for i in range(count)]
    geometries = [*geometries, *[SQUARE] * (count - len(geometries))]
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": geometry,
                    "properties": {
                        "NUTS_ID": code,
                        "LEVL_CODE": 0,
                        "CNTR_CODE": code,
                        "NAME_LATN": f"Land {i}",
                        "NUTS_NAME": f"Land {i}",
                    },
                }
                for i, (code, geometry) in enumerate(zip(codes, geometries, strict=True))
            ],
        }
    ).encode()


SQUARE = {"type": "Polygon", "coordinates": [[[3, 50], [4, 50], [4, 51], [3, 51], [3, 50]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[[3, 50], [4, 51], [4, 50], [3, 51], [3, 50]]]}


@pytest.mark.parametrize(
    ("geometry", "problem"),
    [
        (None, "XB has no geometry"),
        ({"type": "Point", "coordinates": [3, 50]}, "XB is a Point, not a polygon"),
        ({"type": "Polygon", "coordinates": []}, "XB is an empty geometry"),
        ({"type": "Polygon", "coordinates": "garbage"}, "XB has an unreadable geometry"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [400, 0], [400, 10], [0, 0]]]},
            "outside longitude/latitude bounds",
        ),
    ],
)
def test_bad_geometries_are_refused_before_the_cache(
    source: type[_Source], geometry: Any, problem: str
) -> None:
    _Source.answer = staticmethod(lambda path: (_collection([SQUARE, geometry]), {}))
    with pytest.raises(NutsUnavailableError, match=problem):
        nuts.load_nuts(2021, 0)
    assert _cache() == []


def test_an_invalid_polygon_is_made_valid_and_cached(source: type[_Source]) -> None:
    _Source.answer = staticmethod(lambda path: (_collection([SQUARE, BOWTIE]), {}))
    frame = nuts.load_nuts(2021, 0)
    assert frame.geometry.is_valid.all()
    assert frame.geometry.iloc[1].area == pytest.approx(0.5)
    assert _cache() == [LEVEL0]


def test_a_poisoned_cached_file_is_discarded_and_fetched_again(source: type[_Source]) -> None:
    folder = Path(settings.cache_folder)
    folder.mkdir(parents=True)
    (folder / LEVEL0).write_bytes(_collection([SQUARE, {"type": "Point", "coordinates": [0, 0]}]))
    _Source.answer = staticmethod(lambda path: (_collection([SQUARE]), {}))
    frame = nuts.load_nuts(2021, 0)
    assert frame["NUTS_ID"].tolist()[:2] == ["XA", "XB"] and len(frame) == 37
    assert len(_Source.requests) == 1
    assert shapely.equals(frame.geometry.iloc[1], shapely.geometry.shape(SQUARE))


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (lambda: _collection([], count=5), "5 level-0 regions, where a whole NUTS level has 27"),
        (lambda: _collection([], count=70), "70 level-0 regions"),
        (
            lambda: _collection([], codes=["FR1", *map(_code, range(1, 37))]),
            "'FR1' is not a level-0 NUTS code",
        ),
        (lambda: _collection([], codes=[None, *map(_code, range(1, 37))]), "None is not a"),
        (lambda: _collection([], codes=["XA", *map(_code, range(36))]), "XA appears more than"),
    ],
    ids=["truncated", "too many", "wrong level", "no code", "repeated"],
)
def test_a_file_that_is_not_one_whole_nuts_level_is_refused_before_the_cache(
    source: type[_Source], body: Callable[[], bytes], problem: str
) -> None:
    _Source.answer = staticmethod(lambda path: (body(), {}))
    with pytest.raises(NutsUnavailableError, match=problem):
        nuts.load_nuts(2021, 0)
    assert _cache() == []


def test_a_cached_file_that_is_not_one_whole_level_is_discarded_and_fetched_again(
    source: type[_Source],
) -> None:
    folder = Path(settings.cache_folder)
    folder.mkdir(parents=True)
    (folder / LEVEL0).write_bytes(_collection([], count=3))  # a truncated download, say
    _Source.answer = staticmethod(lambda path: (_collection([]), {}))
    assert len(nuts.load_nuts(2021, 0)) == 37
    assert len(_Source.requests) == 1
    assert (folder / LEVEL0).read_bytes() == _collection([])


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_gzip_bomb_is_refused_while_it_streams(
    source: type[_Source], monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    spaces = b" " * (50 * 1024 * 1024)  # 50 MB in ~50 KB
    bomb = (
        gzip.compress(spaces, compresslevel=9) if encoding == "gzip" else zlib.compress(spaces, 9)
    )
    _Source.answer = staticmethod(lambda path: (bomb, {"Content-Encoding": encoding}))
    with pytest.raises(NutsUnavailableError, match=r"expands more than 200 times"):
        nuts.load_nuts(2021, 0)
    assert _cache() == []


def test_a_body_over_the_size_cap_is_refused(
    source: type[_Source], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "max_download_bytes", 1024 * 1024)
    big = _collection([SQUARE]) + b" " * (2 * 1024 * 1024)
    _Source.answer = staticmethod(lambda path: (big, {}))
    with pytest.raises(NutsUnavailableError, match=r"over the limit of 1,048,576"):
        nuts.load_nuts(2021, 0)
    assert _cache() == []


def test_a_source_trickling_bytes_is_stopped_at_the_overall_deadline(
    source: type[_Source], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "http_deadline", 1.0)
    _Source.answer = staticmethod(lambda path: (_collection([SQUARE]), {"Trickle": "1"}))
    started = time.monotonic()
    with pytest.raises(NutsUnavailableError, match=r"took longer than 1 s"):
        nuts.load_nuts(2021, 0)
    assert time.monotonic() - started < 10  # not the 20 s the trickle would last
    assert _cache() == []


def test_nuts_fetch_on_a_body_over_the_size_cap_ends_in_one_clear_message(
    source: type[_Source], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "max_download_bytes", 1024 * 1024)
    _Source.answer = staticmethod(lambda path: (b" " * (3 * 1024 * 1024), {}))
    result = CliRunner().invoke(cli, ["nuts", "fetch", "--year", "2021", "--level", "0"])
    assert result.exit_code == 1
    assert "over the limit of 1,048,576" in result.output
    assert "Traceback" not in result.output
    assert _cache() == []


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"\x00\xff garbage \x89PNG", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"type": "FeatureCollection", "features": "x"}', "no features"),
    ],
)
def test_nuts_fetch_on_a_hostile_body_ends_in_one_clear_message(
    source: type[_Source], body: bytes, said: str
) -> None:
    _Source.answer = staticmethod(lambda path: (body, {}))
    result = CliRunner().invoke(cli, ["nuts", "fetch", "--year", "2021", "--level", "0"])
    assert result.exit_code == 1
    assert said in result.output
    assert "Traceback" not in result.output
    assert _cache() == []
