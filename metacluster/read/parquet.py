"""GeoParquet: actor layers too large for text formats (written by ``export --format parquet``
or by any tool that writes GeoParquet, such as GeoPandas, GDAL or DuckDB).

``read`` gives raw cells like every reader, so a GeoParquet layer goes through the same
normalisation as a CSV or a KML map. ``read_actors`` is the exact inverse of
``export.parquet.to_parquet`` for layers that are already actors: it keeps types, lists
and missing values, and the ``attrs`` the file was written with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO, TypeVar

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyproj
from shapely.errors import ShapelyError

from metacluster import settings
from metacluster._errors import InputFileError, InputLimitError
from metacluster.read._raw import (
    RawLayer,
    check_crs,
    check_row_limit,
    check_table_limits,
    geometry_problem,
    text_frame,
)

T = TypeVar("T")

MAGIC = b"PAR1"
"""The first (and last) four bytes of every Parquet file."""


def read(path: Path) -> RawLayer:
    """Read a GeoParquet file (or a plain Parquet table with coordinate columns) into
    raw cells and geometries."""
    with path.open("rb") as source:
        metadata = _checked(pq.read_metadata, path, source)
        rows = metadata.num_rows
        check_row_limit(path, rows)
        check_table_limits(path, rows, metadata.num_columns)
        unpacked = sum(
            metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)
        )
        if unpacked > settings.max_unzipped_bytes:
            raise InputLimitError(
                path,
                f"unpacks to {unpacked:,} bytes, over the limit of {settings.max_unzipped_bytes:,}",
                "Split the layer, or raise settings.max_unzipped_bytes",
            )
        frame = _read_actors(path, source)
    geometry = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else None
    if geometry is not None:
        check_crs(path, geometry.crs)
    table = frame.drop(columns=geometry.name) if geometry is not None else frame
    return RawLayer(
        file=path,
        frame=text_frame(path, table.reset_index(drop=True)),
        source_row=list(range(1, rows + 1)),
        geometry=geometry.reset_index(drop=True) if geometry is not None else None,
    )


def read_actors(path: str | Path) -> gpd.GeoDataFrame | pd.DataFrame:
    """A GeoParquet layer exactly as written: columns, dtypes, lists as Python lists,
    missing values, CRS and ``attrs``. A Parquet file without geometry is read as a
    table (a pandas DataFrame)."""
    path = Path(path)
    with path.open("rb") as source:
        return _read_actors(path, source)


def _read_actors(path: Path, source: BinaryIO) -> gpd.GeoDataFrame | pd.DataFrame:
    """``read_actors`` from an open file: Arrow gets the file, not its name, so a name
    that is not UTF-8 (which Arrow cannot encode) reads like any other."""
    schema = _checked(pq.read_schema, path, source)
    lists = [f.name for f in schema if pa.types.is_list(f.type) or pa.types.is_large_list(f.type)]
    try:
        source.seek(0)
        frame = gpd.read_parquet(source) if b"geo" in (schema.metadata or {}) else None
        if frame is None:
            source.seek(0)
            frame = pq.read_table(source).to_pandas()
        python_lists(frame, source, lists)
    except (pa.ArrowException, ValueError, pyproj.exceptions.CRSError, ShapelyError) as e:
        raise InputFileError(
            path,
            f"cannot be read as GeoParquet ({geometry_problem(e)})",
            "Write the file again, or export it as GeoPackage",
        ) from e
    return frame


def python_lists(frame: pd.DataFrame, source: BinaryIO, columns: Sequence[str]) -> None:
    """Make the Arrow list ``columns`` of ``frame`` (read from ``source``) Python lists again.

    GeoPandas gives Parquet lists back as numpy arrays; the schema has lists. Arrow converts
    them in C (a Python loop over 100 000 arrays takes 0.6 s).
    """
    if not columns:
        return
    source.seek(0)
    table = pq.read_table(source, columns=list(columns))
    for name in columns:
        frame[name] = pd.Series(table.column(name).to_pylist(), index=frame.index, dtype=object)


def _checked(read_footer: Callable[[BinaryIO], T], path: Path, source: BinaryIO) -> T:
    """``read_footer(source)``, or an InputFileError saying ``path`` is not Parquet."""
    try:
        source.seek(0)
        return read_footer(source)
    except (pa.ArrowException, OSError) as e:
        raise InputFileError(
            path,
            f"is not a readable Parquet file ({e})",
            "Write the file again, or export it as GeoPackage",
        ) from e
