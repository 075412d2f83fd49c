"""GeoJSON FeatureCollections: RFC 7946 (WGS84) and legacy files with a ``crs`` member.

Older tools (QGIS before 3, many open-data portals) still write ``"crs": {"type": "name",
"properties": {"name": "urn:ogc:def:crs:EPSG::3035"}}`` with coordinates in metres; the
declared CRS travels with the geometries and ``normalise`` reprojects them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj
import shapely

from metacluster._errors import InputFileError
from metacluster.read._raw import (
    RawLayer,
    check_crs,
    check_row_limit,
    decode_text,
    geometry_problem,
    text_frame,
)

MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects accepted in a JSON file. GeoJSON needs about 8
(a MultiPolygon's coordinates in a feature in a collection); far deeper documents are
built to exhaust the parser's stack, not to carry data."""


def _declared_crs(path: Path, document: dict[str, Any]) -> pyproj.CRS | None:
    member = document.get("crs")
    if not member:
        return None
    properties = member.get("properties") if isinstance(member, dict) else None
    name = properties.get("name") if isinstance(properties, dict) else None
    try:
        crs = pyproj.CRS.from_user_input(name)
    except (pyproj.exceptions.CRSError, TypeError) as e:
        raise InputFileError(
            path,
            f"declares a coordinate system that is not understood: {str(member)[:200]!r}",
            "Save the file as RFC 7946 GeoJSON (WGS84 longitude/latitude, no crs member)",
        ) from e
    return check_crs(path, crs)


_LONE_SURROGATE_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
"""A ``\\uD800``-style escape that is not half of a pair: it would decode to a lone
surrogate, which no table, export or terminal can hold as UTF-8; read as U+FFFD."""


def load_json(path: Path) -> Any:
    """Parse a JSON file (UTF-8, with or without BOM) or raise InputFileError."""
    text, _ = decode_text(path, path.read_bytes())
    text = _LONE_SURROGATE_ESCAPE.sub(r"\\ufffd", text)
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, ValueError) as e:  # ValueError: a 5,000-digit integer
        raise InputFileError(
            path,
            f"is not valid JSON ({str(e)[:200]})",
            "Check that the export finished, or export it again",
        ) from e
    except RecursionError as e:
        raise _too_deep(path) from e
    if _nested_deeper_than(document, MAX_JSON_DEPTH):
        raise _too_deep(path)
    return document


def _too_deep(path: Path) -> InputFileError:
    return InputFileError(
        path,
        f"nests arrays or objects more than {MAX_JSON_DEPTH} levels deep",
        "Export the layer as GeoJSON features or as a flat array of records",
    )


def _nested_deeper_than(document: Any, limit: int) -> bool:
    """Whether arrays/objects nest more than ``limit`` deep (walked without recursion,
    so that the check itself cannot overflow the stack)."""
    stack = [(document, 1)] if isinstance(document, (dict, list)) else []
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def read(path: Path) -> RawLayer:
    """Read a FeatureCollection (or a single Feature) into raw cells and geometries."""
    document = load_json(path)
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == "Feature":
        features = [document]
    elif kind == "FeatureCollection" and isinstance(document.get("features"), list):
        features = document["features"]
    elif kind == "FeatureCollection":
        raise InputFileError(
            path,
            "is a FeatureCollection whose 'features' member is not an array",
            "Export the layer again; the file is damaged",
        )
    else:
        raise InputFileError(
            path,
            f"is not a GeoJSON FeatureCollection (type: {kind!r})",
            "Export the layer as GeoJSON features, or as CSV with latitude/longitude",
        )
    check_row_limit(path, len(features))
    raw = RawLayer(file=path, frame=pd.DataFrame(), source_row=[])
    records, geometries, rows = [], [], []
    for number, feature in enumerate(features, start=1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        shape, problem = None, None
        if geometry:
            try:
                shape = shapely.from_geojson(json.dumps(geometry, allow_nan=False))
            except ValueError:
                problem = "its coordinates include NaN or Infinity"
            except shapely.errors.GEOSException as e:
                problem = geometry_problem(e)
            if problem:
                raw.reject(
                    number,
                    "invalid geometry",
                    f"the feature's geometry is not valid GeoJSON ({problem}); fix or remove it",
                    column="geometry",
                    value=json.dumps(geometry)[:200],
                )
                continue
        properties = feature.get("properties") if isinstance(feature, dict) else None
        records.append(properties if isinstance(properties, dict) else {})
        geometries.append(shape)
        rows.append(number)
    raw.frame = text_frame(path, records)
    raw.source_row = rows
    raw.geometry = gpd.GeoSeries(geometries, crs=_declared_crs(path, document))
    return raw
