"""GeoParquet export (pyarrow) of actors or region aggregates: the format for large layers.

GeoJSON stays the exchange format for small layers; GeoParquet is columnar, compressed and
typed, so 10^6 actors write and read back in a second or two and keep what text formats
flatten: lists stay lists (themes, source_maps), missing values stay missing, numbers stay
numbers. The export's metadata (the caller's entries, the generation time and the GISCO
attribution) and the layer's ``attrs`` (NUTS year and scale, title) travel in the file and
come back as ``attrs`` (``metacluster.read.parquet.read_actors``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any, Final

import geopandas as gpd

from metacluster.export.geojson import build_metadata
from metacluster.schema import CRS

MEDIA_TYPE: Final = "application/vnd.apache.parquet"


def to_parquet(
    frame: gpd.GeoDataFrame,
    *,
    metadata: Mapping[str, Any] | None = None,
    generated_at: dt.datetime | str | None = None,
) -> bytes:
    """A GeoDataFrame as GeoParquet bytes (EPSG:4326, WKB geometries, zstd-compressed).

    Parameters
    ----------
    frame
        Actors or regions, in any CRS (reprojected to EPSG:4326).
    metadata
        Extra entries recorded with the file, as in the GeoJSON ``metadata`` member.
    generated_at
        Generation time recorded in the metadata; see ``geojson.generation_time``.
    """
    layer = frame.to_crs(CRS) if frame.crs is not None and not frame.crs.equals(CRS) else frame
    layer = layer.copy(deep=False)
    layer.attrs = {
        **frame.attrs,
        "metadata": build_metadata(metadata, count=len(frame), generated_at=generated_at),
    }
    buffer = io.BytesIO()
    layer.to_parquet(buffer, index=False, compression="zstd")
    return buffer.getvalue()
