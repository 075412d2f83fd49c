"""CSV export, safe to open in a spreadsheet.

Text cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a
carriage return) get a leading apostrophe, as OWASP recommends against CSV injection; so do
column names, and formulas that start after a ``;`` or ``,`` inside a cell (a spreadsheet
set to another separator splits the cell there: European Excel splits on ``;``).
Lists are joined with "; ". Points become ``lon``/``lat`` columns. Written as UTF-8 with a
byte-order mark so that Excel shows accents correctly. Rows end in "\n", so a carriage
return inside a cell (old Mac line ends) is written as "\n": unquoted, a lone "\r" would
end the row early in every CSV reader.
"""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_EMBEDDED_FORMULA = re.compile(r"([;,][ ]*)(?=[=+\-@\t\r])")
LIST_SEPARATOR = "; "


def neutralise_formula(value: Any) -> Any:
    """Prefix with an apostrophe a text cell that a spreadsheet would evaluate, and every
    part of it after a ``;`` or ``,`` that would be a formula on its own."""
    if isinstance(value, str):
        value = _EMBEDDED_FORMULA.sub(r"\1'", value)
        if value.startswith(_FORMULA_STARTS):
            return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple, np.ndarray)):
        value = LIST_SEPARATOR.join(str(v) for v in value)
    value = neutralise_formula(value)
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def point_coordinates(geometries: np.ndarray) -> np.ndarray:
    """(n, 2) lon/lat of point geometries; NaN for missing, empty or non-point ones."""
    geometries = np.asarray(geometries, dtype=object)
    coordinates = np.full((len(geometries), 2), np.nan)
    is_point = shapely.get_type_id(geometries) == shapely.GeometryType.POINT
    is_point &= ~shapely.is_empty(geometries)
    coordinates[is_point] = shapely.get_coordinates(geometries[is_point])
    return coordinates


def frame_to_csv(frame: pd.DataFrame, *, coordinate_precision: int = 6) -> bytes:
    """Any table (actors, rejects, regions) as spreadsheet-safe CSV bytes.

    A GeoDataFrame's point geometry becomes ``lon`` and ``lat`` columns rounded to
    ``coordinate_precision`` decimals; other geometries are left out.
    """
    table = pd.DataFrame(frame).copy()
    if isinstance(frame, gpd.GeoDataFrame):
        table = table.drop(columns=[frame.geometry.name])
        coordinates = point_coordinates(frame.geometry.to_numpy())
        if not np.isnan(coordinates).all():
            rounded = coordinates.round(coordinate_precision)
            table["lon"], table["lat"] = rounded[:, 0], rounded[:, 1]
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]):
            table[column] = table[column].map(_cell)
    table.columns = [_cell(str(column)) for column in table.columns]
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
