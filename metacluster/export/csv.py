"""CSV export, safe to open in a spreadsheet.

Text cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a
carriage return) get a leading apostrophe, as OWASP recommends against CSV injection.
Lists are joined with "; ". Points become ``lon``/``lat`` columns. Written as UTF-8 with a
byte-order mark so that Excel shows accents correctly.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = "; "


def neutralise_formula(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would evaluate with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple, np.ndarray)):
        value = LIST_SEPARATOR.join(str(v) for v in value)
    return neutralise_formula(value)


def frame_to_csv(frame: pd.DataFrame, *, coordinate_precision: int = 6) -> bytes:
    """Any table (actors, rejects, regions) as spreadsheet-safe CSV bytes.

    A GeoDataFrame's point geometry becomes ``lon`` and ``lat`` columns rounded to
    ``coordinate_precision`` decimals; other geometries are left out.
    """
    table = pd.DataFrame(frame).copy()
    if isinstance(frame, gpd.GeoDataFrame):
        geometry = frame.geometry
        table = table.drop(columns=[frame.geometry.name])
        is_point = (geometry.geom_type == "Point").to_numpy()
        if is_point.any():
            table["lon"] = np.where(is_point, geometry.x.where(is_point), np.nan).round(coordinate_precision)
            table["lat"] = np.where(is_point, geometry.y.where(is_point), np.nan).round(coordinate_precision)
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]):
            table[column] = table[column].map(_cell)
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
