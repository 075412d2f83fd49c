"""Tabular JSON: an array of records, or ``{"data": [...]}``; CORDIS exports included.

CORDIS (the EU's research-project database) publishes ``organization.json`` and
``organization.csv`` with one record per organisation and project: ``name``, ``city``,
``country`` (EL/UK, Eurostat style), ``nutsCode``, ``activityType`` (HES, REC, PRC, PUB,
OTH), ``geolocation`` ("lat,lon") and ``organizationURL``. The column mapping and the helix
table of ``normalise`` and ``helix`` know those names and codes, so CORDIS needs no reader of
its own: its JSON is a plain array of records, its CSV a semicolon CSV.

Nested objects are flattened to dotted column names ("address.city").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from metacluster import settings
from metacluster._errors import InputFileError
from metacluster.read._raw import RawLayer, check_row_limit, check_table_limits, text_frame
from metacluster.read.geojson import load_json

WRAPPER_KEYS = ("data", "records", "results", "items")
"""Keys under which APIs and portals wrap their array of records."""


def read(path: Path) -> RawLayer:
    """Read an array of JSON records into raw cells."""
    document = load_json(path)
    if isinstance(document, dict):
        key = next((k for k in WRAPPER_KEYS if isinstance(document.get(k), list)), None)
        document = document[key] if key else None
    if not isinstance(document, list):
        raise InputFileError(
            path,
            'is JSON but neither an array of records nor {"data": [...]}',
            "Export the table as a JSON array of objects (one per actor), or as CSV",
        )
    check_row_limit(path, len(document))
    raw = RawLayer(file=path, frame=pd.DataFrame(), source_row=[])
    rows = [number for number, record in enumerate(document, start=1) if isinstance(record, dict)]
    for number, record in enumerate(document, start=1):
        if not isinstance(record, dict):
            raw.reject(
                number,
                "not a record",
                "each array element must be an object of column: value pairs",
                value=str(record)[:200],
            )
    records = [record for record in document if isinstance(record, dict)]
    _check_columns(path, records)
    raw.frame = text_frame(path, pd.json_normalize(records) if records else pd.DataFrame())
    raw.source_row = rows
    return raw


def _check_columns(path: Path, records: list[dict[str, Any]]) -> None:
    """Count the flattened columns ("address.city") before ``json_normalize`` builds the
    table, so that records with different keys cannot explode into rows × columns."""
    seen: dict[str, None] = {}
    for record in records:
        stack: list[tuple[str, dict[str, Any]]] = [("", record)]
        while stack:
            prefix, value = stack.pop()
            for key, child in value.items():
                if isinstance(child, dict) and child:
                    stack.append((f"{prefix}{key}.", child))
                else:
                    seen[f"{prefix}{key}"] = None
        if len(seen) > settings.max_columns:
            break
    check_table_limits(path, len(records), len(seen))
