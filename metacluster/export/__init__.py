"""Export: the filtered European layer or its region aggregates as GeoJSON, CSV, KML or
GeoParquet.

One small module per format; ``FORMATS`` registers each one (name, file extension, media
type, what it can export). ``write`` (into a file) and ``render`` (bytes) are the single
entry point shared by the CLI (``metacluster export``) and the app's download buttons, so
both give the same bytes for the same filters.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

import geopandas as gpd

from metacluster.aggregate import aggregate_regions
from metacluster.export import geojson, kml, parquet
from metacluster.export.csv import frame_to_csv as to_csv
from metacluster.export.geojson import to_geojson, write_geojson
from metacluster.export.kml import to_kml
from metacluster.export.parquet import to_parquet
from metacluster.filter import Filters, apply_filters

ACTORS: Final = "actors"
REGIONS: Final = "regions"
WHAT: Final = (ACTORS, REGIONS)


@dataclass(frozen=True)
class ExportFormat:
    """An export format: its name, file extension, media type and what it can hold."""

    name: str
    extension: str
    media_type: str
    exports: tuple[str, ...]


FORMATS: Final = {
    "geojson": ExportFormat("geojson", ".geojson", geojson.MEDIA_TYPE, (ACTORS, REGIONS)),
    "csv": ExportFormat("csv", ".csv", "text/csv", (ACTORS, REGIONS)),
    "kml": ExportFormat("kml", ".kml", kml.MEDIA_TYPE, (ACTORS,)),
    "parquet": ExportFormat("parquet", ".parquet", parquet.MEDIA_TYPE, (ACTORS, REGIONS)),
}
_EXTENSIONS: Final = {
    **{f.extension: name for name, f in FORMATS.items()},
    ".json": "geojson",
}


def format_for_path(path: str | Path) -> str | None:
    """The export format a file name asks for by its extension, or None."""
    return _EXTENSIONS.get(Path(path).suffix.lower())


def check_export(fmt: str, what: str) -> ExportFormat:
    """The format, after checking that it exists and can hold ``what`` (ValueError if not)."""
    if what not in WHAT:
        raise ValueError(f"what must be one of {', '.join(WHAT)}, not {what!r}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    export_format = FORMATS[fmt]
    if what not in export_format.exports:
        can = ", ".join(n for n, f in FORMATS.items() if what in f.exports)
        raise ValueError(f"{fmt} cannot export {what}; use {can}")
    return export_format


def render(actors: gpd.GeoDataFrame, filters: Filters | None = None, **options: Any) -> bytes:
    """The bytes of one export (what the app's download buttons give): see ``write``.

    Examples
    --------
    >>> europe = merge("layers/metacluster.toml").actors  # doctest: +SKIP
    >>> data = render(europe, Filters(helix=("academia",)), fmt="csv")  # doctest: +SKIP
    """
    buffer = io.BytesIO()
    write(buffer, actors, filters, **options)
    return buffer.getvalue()


def write(
    out: BinaryIO,
    actors: gpd.GeoDataFrame,
    filters: Filters | None = None,
    *,
    fmt: str = "geojson",
    what: str = ACTORS,
    level: int = 2,
    year: int | None = None,
    include_empty: bool = False,
    generated_at: dt.datetime | str | None = None,
    name: str | None = None,
) -> None:
    """Write one export into a binary file: filter the actors, aggregate if asked, write
    the format. GeoJSON is streamed in chunks, so that a million actors do not have to be
    held as text in memory (the CLI writes this way).

    Parameters
    ----------
    out
        A binary file open for writing.
    actors
        The merged European layer (``merge(...).actors``).
    filters
        What to keep; None keeps everything.
    fmt
        "geojson", "csv", "kml" or "parquet" (``FORMATS``).
    what
        "actors" (points) or "regions" (NUTS polygons with helix counts; not KML).
    level, year, include_empty
        For regions: see ``aggregate_regions``.
    generated_at
        Time recorded in GeoJSON metadata; see ``geojson.generation_time``.
    name
        Title of the layer (KML document name, GeoJSON metadata); None uses the title
        ``merge`` recorded in ``actors.attrs``.
    """
    check_export(fmt, what)
    name = name or actors.attrs.get("title")
    filters = filters if filters is not None else Filters()
    selected = apply_filters(actors, filters)
    metadata: dict[str, Any] = {
        "what": what,
        "filters": filters.to_query_params(),
        "actors_selected": len(selected),
        "actors_total": len(actors),
        "nuts_year": actors.attrs.get("nuts_year"),
    }
    if name:
        metadata["name"] = name
    if what == REGIONS:
        regions = aggregate_regions(selected, level=level, year=year, include_empty=include_empty)
        metadata.update(
            nuts_year=regions.attrs.get("nuts_year"),
            nuts_level=level,
            nuts_scale=regions.attrs.get("nuts_scale"),
            actors_without_region=regions.attrs.get("actors_without_region"),
        )
        if fmt == "csv":
            out.write(to_csv(regions))
        elif fmt == "parquet":
            out.write(to_parquet(regions, metadata=metadata, generated_at=generated_at))
        else:
            write_geojson(
                regions, out, metadata=metadata, generated_at=generated_at, id_column="NUTS_ID"
            )
    elif fmt == "csv":
        out.write(to_csv(selected))
    elif fmt == "kml":
        out.write(to_kml(selected, name=name))
    elif fmt == "parquet":
        out.write(to_parquet(selected, metadata=metadata, generated_at=generated_at))
    else:
        id_column = "actor_id" if "actor_id" in selected.columns else None
        write_geojson(
            selected, out, metadata=metadata, generated_at=generated_at, id_column=id_column
        )


def export_filename(
    filters: Filters | None, *, fmt: str, what: str = ACTORS, level: int = 2
) -> str:
    """A descriptive file name: "actors-academia-IT.geojson", "regions-nuts2-all.csv"."""
    export_format = check_export(fmt, what)
    slug = (filters or Filters()).describe()
    stem = f"regions-nuts{level}-{slug}" if what == REGIONS else f"actors-{slug}"
    return stem + export_format.extension


__all__ = [
    "FORMATS",
    "WHAT",
    "ExportFormat",
    "check_export",
    "export_filename",
    "format_for_path",
    "render",
    "to_csv",
    "to_geojson",
    "to_kml",
    "to_parquet",
    "write",
    "write_geojson",
]
