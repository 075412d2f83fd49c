"""A small stand-in for GISCO's countries file (``CNTR_RG_20M_2020_4326.geojson``), written
at test time: the NUTS countries of the 2021 mirror (simplified) plus rough outlines of
the neighbours NUTS leaves out (Ukraine, Belarus, Moldova, western Russia, Georgia), so a
test can tell land outside NUTS from sea. Not real borders: a few dozen vertices each.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import shapely

from metacluster.countries import file_name
from tests.conftest import _QuietHandler

NEIGHBOURS: dict[str, tuple[str, list[tuple[float, float]]]] = {
    "UA": ("Ukraine", [(22.1, 48.4), (24.0, 50.8), (24.1, 51.6), (27.0, 51.8), (30.5, 51.3),
        (33.0, 52.3), (35.5, 50.4), (38.2, 49.9), (40.1, 49.6), (38.3, 47.1), (35.2, 45.5),
        (33.5, 44.4), (32.5, 45.4), (30.2, 45.8), (29.6, 45.4), (28.2, 45.5), (28.9, 46.5),
        (30.0, 48.2), (26.6, 48.3), (22.9, 47.9)]),
    "BY": ("Belarus", [(23.2, 52.1), (23.6, 53.9), (25.8, 54.2), (26.8, 55.7), (28.2, 56.1),
        (30.9, 55.6), (32.7, 53.3), (31.8, 52.1), (30.5, 51.3), (27.0, 51.8), (24.1, 51.6)]),
    "MD": ("Moldova", [(26.6, 48.3), (28.2, 45.5), (28.9, 46.5), (30.0, 48.2)]),
    "RU": ("Russian Federation", [(27.8, 57.5), (28.2, 59.5), (30.0, 60.0), (30.5, 61.3),
        (32.0, 69.9), (40.0, 68.0), (60.0, 69.0), (60.0, 50.0), (48.0, 46.0), (47.0, 42.5),
        (40.0, 43.5), (38.2, 46.8), (40.1, 49.6), (38.2, 49.9), (35.5, 50.4), (33.0, 52.3),
        (31.8, 52.1), (32.7, 53.3), (30.9, 55.6), (28.2, 56.1)]),
    "GE": ("Georgia", [(40.0, 43.4), (42.4, 43.2), (46.6, 41.8), (45.0, 41.2), (43.5, 41.1),
        (41.5, 41.5)]),
}  # fmt: skip


def write_countries(folder: Path, nuts_mirror: Path, scale: str = "20M") -> Path:
    """Write the stand-in countries file into ``folder`` under GISCO's name; its path."""
    nuts0 = gpd.read_file(nuts_mirror / "NUTS_RG_20M_2021_4326_LEVL_0.geojson")
    features = [
        {
            "type": "Feature",
            "properties": {"CNTR_ID": code, "NAME_ENGL": name},
            "geometry": json.loads(shapely.to_geojson(shapely.simplify(geometry, 0.05))),
        }
        for code, name, geometry in zip(
            nuts0["NUTS_ID"], nuts0["NAME_LATN"], nuts0.geometry, strict=True
        )
    ]
    features += [
        {
            "type": "Feature",
            "properties": {"CNTR_ID": code, "NAME_ENGL": name},
            "geometry": json.loads(shapely.to_geojson(shapely.Polygon(ring))),
        }
        for code, (name, ring) in NEIGHBOURS.items()
    ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(scale)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@contextlib.contextmanager
def served(folder: Path) -> Iterator[str]:
    """``folder`` served over HTTP on 127.0.0.1 while the block runs; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
