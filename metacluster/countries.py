"""Country outlines for the map's basemap: GISCO's countries dataset, the world's land.

NUTS covers Europe's statistical regions only: drawn alone, Ukraine, Belarus, Russia or
Georgia (and Great Britain with NUTS 2024) look like sea. GISCO publishes every country's
outline beside NUTS (``distribution/v2/countries/geojson/``); it is read through the same
mechanism as the NUTS files: a source folder with GISCO's file names, else the disk cache,
else a download from the source URL, validated and cached atomically.

The source follows ``settings.countries_source``; when that is empty it is derived from
``settings.nuts_source``: GISCO's NUTS service means GISCO's countries service, and a NUTS
mirror folder is looked at for the countries file too. An offline mirror may lack it:
``load_countries`` then returns None and the map draws a neutral background, never sea.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Final

import geopandas as gpd
import requests

from metacluster import _http, nuts, settings

logger = logging.getLogger(__name__)

GISCO_COUNTRIES_URL: Final = (
    "https://gisco-services.ec.europa.eu/distribution/v2/countries/geojson/"
)
"""GISCO's distribution service for country outlines."""

COUNTRIES_YEAR: Final = 2020
"""Edition of GISCO's countries dataset (the latest with every scale)."""

FIELDS: Final = ("CNTR_ID", "NAME_ENGL")

_frames: dict[tuple[object, ...], gpd.GeoDataFrame | None] = {}


def file_name(scale: str) -> str:
    """GISCO's name of the countries file at ``scale`` (EPSG:4326 polygons)."""
    return f"CNTR_RG_{scale}_{COUNTRIES_YEAR}_4326.geojson"


def source() -> str:
    """Where the countries file comes from: a folder or a base URL (see the module doc)."""
    if settings.countries_source:
        return str(settings.countries_source)
    nuts_source = str(settings.nuts_source)
    if nuts_source.rstrip("/") == settings.gisco_url.rstrip("/"):
        return GISCO_COUNTRIES_URL
    return nuts_source


def load_countries(scale: str | None = None) -> gpd.GeoDataFrame | None:
    """Every country's outline (``CNTR_ID``, ``NAME_ENGL``, geometry), or None when the
    file can be had neither from the source nor the cache (offline without it)."""
    scale = nuts.check_scale(scale)
    key = (scale, source(), str(settings.cache_folder), settings.use_cache)
    if key not in _frames:
        _frames[key] = _load(scale)
    frame = _frames[key]
    return None if frame is None else frame.copy(deep=False)


def _load(scale: str) -> gpd.GeoDataFrame | None:
    name = file_name(scale)
    origin = source()
    if not origin.startswith(("http://", "https://")):
        path = Path(origin).expanduser() / name
        if path.is_file():
            return _parse_or_none(path.read_bytes(), str(path))
    cached = Path(settings.cache_folder) / name
    if settings.use_cache and cached.is_file():
        frame = _parse_or_none(cached.read_bytes(), str(cached))
        if frame is not None:
            return frame
        cached.unlink(missing_ok=True)
    if not origin.startswith(("http://", "https://")):
        logger.info("no %s in %s: the map's background stays neutral", name, origin)
        return None
    url = origin.rstrip("/") + "/" + name
    try:
        data = _http.get_bytes(url)
    except requests.RequestException as error:
        logger.warning("countries outlines unavailable (%s): neutral background", error)
        return None
    frame = _parse_or_none(data, url)
    if frame is not None and settings.use_cache:
        nuts.write_atomically(cached, data)
    return frame


def _parse_or_none(data: bytes, where: str) -> gpd.GeoDataFrame | None:
    """The countries FeatureCollection read, or None (with a warning) when it is not one."""
    try:
        document = json.loads(data)
        features = document["features"]
        if not features or any(not set(FIELDS) <= f["properties"].keys() for f in features):
            raise ValueError(f"features lack the properties {', '.join(FIELDS)}")
        frame = gpd.read_file(data, columns=list(FIELDS))
    except (ValueError, KeyError, TypeError, RecursionError) as problem:
        logger.warning("%s is not a usable GISCO countries file (%s)", where, problem)
        return None
    return frame[[*FIELDS, "geometry"]].set_crs(4326, allow_override=True)
