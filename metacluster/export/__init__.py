"""Export: the filtered European layer or its region aggregates as GeoJSON, CSV, KML or
GeoParquet.

One small module per format; ``FORMATS`` registers each one (name, label, file extension,
media type, what it can export, and its writer, which receives an ``ExportJob``). ``write``
(into a file) and ``render`` (bytes) are the single entry point shared by the CLI
(``metacluster export``, whose ``--format`` choices come from ``FORMATS``) and the app's
download buttons (one per entry), so both give the same bytes for the same filters.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

import geopandas as gpd

from metacluster.export import csv, geojson, kml, parquet
from metacluster.export._job import ACTORS, MAP, MAP_LAYERS, PROFILE, REGIONS, ExportJob
from metacluster.export.csv import frame_to_csv as to_csv
from metacluster.export.geojson import to_geojson, write_geojson
from metacluster.export.kml import to_kml
from metacluster.export.parquet import to_parquet
from metacluster.filter import Filters

WHAT: Final = (ACTORS, REGIONS, MAP, PROFILE)
WHAT_LABELS: Final = {
    ACTORS: "Actors",
    REGIONS: "Regions",
    MAP: "Map",
    PROFILE: "Region profile",
}

Writer = Callable[[BinaryIO, ExportJob], None]
"""Writes one export (``ExportJob``) into a binary file."""


@dataclass(frozen=True)
class ExportFormat:
    """An export format: its name, label, file extension, media type and, for each thing
    it can hold ("actors", "regions", "map", "profile"; the first is its default), the
    function that writes it."""

    name: str
    label: str
    extension: str
    media_type: str
    writers: Mapping[str, Writer]

    @property
    def exports(self) -> tuple[str, ...]:
        """What the format can hold, its default first."""
        return tuple(self.writers)


def _write_geojson(out: BinaryIO, job: ExportJob) -> None:
    write_geojson(
        job.frame,
        out,
        metadata=job.metadata,
        generated_at=job.generated_at,
        id_column=job.id_column,
    )


def _write_csv(out: BinaryIO, job: ExportJob) -> None:
    out.write(csv.frame_to_csv(job.frame))


def _write_kml(out: BinaryIO, job: ExportJob) -> None:
    out.write(kml.to_kml(job.frame, name=job.name))


def _write_parquet(out: BinaryIO, job: ExportJob) -> None:
    out.write(parquet.to_parquet(job.frame, metadata=job.metadata, generated_at=job.generated_at))


def _lazy(module: str, name: str) -> Writer:
    """A writer imported on first use: matplotlib and the bundled deck.gl cost about a second
    of start-up, which the app and the data commands should not pay for every run."""

    def write(out: BinaryIO, job: ExportJob) -> None:
        writer: Writer = getattr(importlib.import_module(f"metacluster.export.{module}"), name)
        writer(out, job)

    return write


def _data(writer: Writer, *, regions: bool = True) -> dict[str, Writer]:
    return {ACTORS: writer, REGIONS: writer} if regions else {ACTORS: writer}


FORMATS: Final = {
    f.name: f
    for f in (
        ExportFormat("geojson", "GeoJSON", ".geojson", geojson.MEDIA_TYPE, _data(_write_geojson)),
        ExportFormat("csv", "CSV", ".csv", "text/csv", _data(_write_csv)),
        ExportFormat("kml", "KML", ".kml", kml.MEDIA_TYPE, _data(_write_kml, regions=False)),
        ExportFormat(
            "parquet", "GeoParquet", ".parquet", parquet.MEDIA_TYPE, _data(_write_parquet)
        ),
        ExportFormat("html", "HTML", ".html", "text/html", {MAP: _lazy("html", "write")}),
        ExportFormat("png", "PNG", ".png", "image/png", {MAP: _lazy("figure", "write_png")}),
        ExportFormat("svg", "SVG", ".svg", "image/svg+xml", {MAP: _lazy("figure", "write_svg")}),
        ExportFormat(
            "pdf",
            "PDF",
            ".pdf",
            "application/pdf",
            {MAP: _lazy("figure", "write_pdf_map"), PROFILE: _lazy("profile", "write")},
        ),
    )
}
"""Every export format by name; the CLI's ``--format`` choices and the app's download
buttons are made from it, so adding a format is a writer plus one entry here."""

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
    >>> from metacluster.filter import Filters
    >>> data = render(europe, Filters(helix=("academia",)), fmt="csv")
    >>> data[3:22]  # after a byte-order mark, for Excel
    b'actor_id,name,helix'
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
    metric: str = "actors",
    layers: tuple[str, ...] = MAP_LAYERS,
    links: gpd.GeoDataFrame | None = None,
) -> None:
    """Write one export into a binary file: the format's writer (``FORMATS``) gets the
    filtered actors and, if it asks for them, their region aggregates. GeoJSON is streamed
    in chunks, so that a million actors do not have to be held as text in memory (the CLI
    writes this way).

    Parameters
    ----------
    out
        A binary file open for writing.
    actors
        The merged European layer (``merge(...).actors``).
    filters
        What to keep; None keeps everything.
    fmt
        A name in ``FORMATS``: "geojson", "csv", "kml", "parquet".
    what
        "actors" (points) or "regions" (NUTS polygons with helix counts; not KML) for
        the data formats; "map" (html, png, svg, pdf) or "profile" (pdf) for the
        artefacts people pass around. ``FORMATS[fmt].exports`` says which.
    level, year, include_empty
        For regions and the map's choropleth: see ``aggregate_regions``.
    generated_at
        Time recorded in GeoJSON metadata; see ``geojson.generation_time``.
    name
        Title of the layer (KML document name, GeoJSON metadata, map title); None uses
        the title ``merge`` recorded in ``actors.attrs``.
    metric, layers
        For maps: the choropleth's metric (``metacluster.ui.state.METRICS``) and the
        layers drawn (a subset of ``MAP_LAYERS``), as in the app's view.
    links
        For the profile's partner regions: the links between actors
        (``metacluster.links.merge_with_links(...).edges``, with the manifest's links and
        participations tables); None finds them from the actors' ``projects``.
    """
    export_format = check_export(fmt, what)
    job = ExportJob(
        actors=actors,
        filters=filters if filters is not None else Filters(),
        what=what,
        level=level,
        year=year,
        include_empty=include_empty,
        generated_at=generated_at,
        name=name or actors.attrs.get("title"),
        metric=metric,
        layers=layers,
        links=links,
    )
    export_format.writers[what](out, job)


def export_filename(
    filters: Filters | None, *, fmt: str, what: str = ACTORS, level: int = 2
) -> str:
    """A descriptive file name: "actors-academia-IT.geojson", "regions-nuts2-all.csv",
    "map-IT.html", "profile-ITI1.pdf"."""
    export_format = check_export(fmt, what)
    slug = (filters or Filters()).describe()
    stem = f"regions-nuts{level}-{slug}" if what == REGIONS else f"{what}-{slug}"
    return stem + export_format.extension


__all__ = [
    "ACTORS",
    "FORMATS",
    "MAP",
    "MAP_LAYERS",
    "PROFILE",
    "REGIONS",
    "WHAT",
    "WHAT_LABELS",
    "ExportFormat",
    "ExportJob",
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
