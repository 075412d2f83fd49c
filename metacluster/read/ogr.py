"""Any vector format GDAL reads (GeoPackage, Shapefile, FlatGeobuf…) through pyogrio.

Every layer of the file is read, each one a map layer like a KML folder, unless one is
chosen. The file's own CRS travels with the geometries; ``normalise`` reprojects.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

from metacluster._errors import InputFileError
from metacluster.read._raw import RawLayer, check_row_limit, text_frame

SUFFIXES = (".gpkg", ".shp", ".fgb", ".gml", ".gdb", ".sqlite")


def read(path: Path, *, layer: str | None = None) -> RawLayer:
    """Read the vector layers of a GDAL-readable file into raw cells and geometries."""
    errors = (DataSourceError, DataLayerError, FieldError, GeometryError)
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        if layer is not None and layer not in layers:
            raise InputFileError(
                path, f"has no layer named {layer!r}", f"Choose one of: {', '.join(layers)}"
            )
        chosen = [layer] if layer is not None else layers
        counts = [pyogrio.read_info(path, layer=name)["features"] for name in chosen]
        check_row_limit(path, sum(counts))
        frames = [_spatial(pyogrio.read_dataframe(path, layer=name)) for name in chosen]
    except errors as e:
        raise InputFileError(
            path,
            f"cannot be read as a vector file ({e})",
            "Check the file in QGIS, or export it as GeoPackage",
        ) from e
    crs = next((f.crs for f in frames if f.crs is not None), None)
    frames = [f.to_crs(crs) if f.crs is not None and f.crs != crs else f for f in frames]
    table = pd.concat(
        [pd.DataFrame(f.drop(columns=f.geometry.name)) for f in frames], ignore_index=True
    )
    return RawLayer(
        file=path,
        frame=text_frame(table),
        source_row=[row for f in frames for row in range(1, len(f) + 1)],
        source_layer=[name for name, f in zip(chosen, frames, strict=True) for _ in range(len(f))],
        geometry=gpd.GeoSeries(pd.concat([f.geometry for f in frames], ignore_index=True), crs=crs),
    )


def _spatial(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Attribute-only layers (no geometry column) become GeoDataFrames of missing points."""
    if isinstance(frame, gpd.GeoDataFrame):
        return frame
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame)))
