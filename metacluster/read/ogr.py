"""GeoPackage, Shapefile, FlatGeobuf and GML through GDAL (pyogrio), one driver each.

Every layer of the file is read, each one a map layer like a KML folder, unless one is
chosen. The file's own CRS travels with the geometries; ``normalise`` reprojects.

GDAL is locked down first (``_gdal.harden``: no VRT, no SQLite virtual tables, no network),
the caller has already checked that the content agrees with the extension, and the driver
GDAL actually opened the file with must be the one allowed for the extension.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyogrio import errors as ogr_errors

from metacluster._errors import InputFileError
from metacluster.read._gdal import harden
from metacluster.read._raw import (
    RawLayer,
    check_crs,
    check_row_limit,
    check_table_limits,
    text_frame,
)

harden()  # at import: before anything in this process can open a file through GDAL

_ERRORS = (
    ogr_errors.DataSourceError,
    ogr_errors.DataLayerError,
    ogr_errors.FieldError,
    ogr_errors.GeometryError,
    ogr_errors.FeatureError,
)


def _unreadable(path: Path, problem: str) -> InputFileError:
    return InputFileError(
        path,
        f"cannot be read as a vector file ({problem})",
        "Check the file in QGIS, or export it as GeoPackage",
    )


def read(path: Path, *, driver: str, layer: str | None = None) -> RawLayer:
    """Read the vector layers of a file that ``driver`` (and only it) must open."""
    still_there = harden()
    if still_there:
        raise _unreadable(path, f"GDAL could not be locked down: {', '.join(still_there)}")
    try:
        str(path).encode()
    except UnicodeEncodeError:
        raise InputFileError(
            path,
            "its path has bytes that are not UTF-8, and GDAL opens files only by a UTF-8 name",
            "Rename the file (and its folders) with a UTF-8 name",
        ) from None
    source = path
    try:
        with _gdal_source(path, driver) as source:
            frames, chosen = _read_layers(path, source, driver, layer)
    except ogr_errors.DataSourceError as e:
        if driver == "GPKG" and "not recognized as being in a supported" in str(e):
            # GDAL opens a GeoPackage without feature tables only for writing
            raise InputFileError(
                path,
                "has no layer of features GDAL can read (an empty GeoPackage, or one holding "
                "only raster tiles or attribute tables GDAL does not list): nothing to import",
                "Export the map's actors into it as a layer of points or areas",
            ) from e
        raise _unreadable(path, str(e).replace(str(source), path.name)) from e
    except _ERRORS as e:
        raise _unreadable(path, str(e).replace(str(source), path.name)) from e
    crs = check_crs(path, next((f.crs for f in frames if f.crs is not None), None))
    frames = [f.to_crs(crs) if f.crs is not None and f.crs != crs else f for f in frames]
    table = pd.concat(
        [pd.DataFrame(f.drop(columns=f.geometry.name)) for f in frames], ignore_index=True
    )
    return RawLayer(
        file=path,
        frame=text_frame(path, table),
        source_row=[row for f in frames for row in range(1, len(f) + 1)],
        source_layer=[name for name, f in zip(chosen, frames, strict=True) for _ in range(len(f))],
        geometry=gpd.GeoSeries(pd.concat([f.geometry for f in frames], ignore_index=True), crs=crs),
    )


def _read_layers(
    path: Path, source: Path, driver: str, layer: str | None
) -> tuple[list[gpd.GeoDataFrame], list[str]]:
    """The chosen layers (all by default) of ``source``, named ``path`` in messages."""
    layers = [str(name) for name, _ in pyogrio.list_layers(source)]
    if not layers:
        raise InputFileError(path, "has no layers: nothing to import", "Export it again")
    opened_by = pyogrio.read_info(source, layer=layers[0])["driver"]
    if opened_by != driver:
        raise _unreadable(path, f"GDAL opened it as {opened_by}, not {driver}")
    if layer is not None and layer not in layers:
        raise InputFileError(
            path, f"has no layer named {layer!r}", f"Choose one of: {', '.join(layers)}"
        )
    chosen = [layer] if layer is not None else layers
    infos = [pyogrio.read_info(source, layer=name) for name in chosen]
    check_row_limit(path, sum(info["features"] for info in infos))
    fields = {str(name) for info in infos for name in info["fields"]}
    check_table_limits(path, sum(info["features"] for info in infos), len(fields))
    frames = [_spatial(pyogrio.read_dataframe(source, layer=name)) for name in chosen]
    return frames, chosen


@contextlib.contextmanager
def _gdal_source(path: Path, driver: str) -> Iterator[Path]:
    """The path GDAL opens. A GML file is opened through a link in an empty private folder:
    GDAL would otherwise read an ``.xsd`` or ``.gfs`` schema lying beside it and write a
    ``.gfs`` file there (reading a file must not write into the user's folder)."""
    if driver != "GML":
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="metacluster-gml-") as folder:
        link = Path(folder) / "layer.gml"
        link.symlink_to(path.resolve())
        yield link


def _spatial(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Attribute-only layers (no geometry column) become GeoDataFrames of missing points."""
    if isinstance(frame, gpd.GeoDataFrame):
        return frame
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame)))
