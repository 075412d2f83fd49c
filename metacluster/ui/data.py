"""Cached loaders: every file is read and merged once per version, never on a rerun.

A *data version* is the source plus the modification time and size of every file it reads
(a manifest and its maps, uploaded bytes, the benchmark override). Merged layers are kept
with ``st.cache_resource`` keyed on that version and on the NUTS source: ``st.cache_data``
would hand every rerun a fresh unpickled copy, 0.5 s for 100 000 actors, which a filter
change cannot afford. The frames are therefore shared and must be treated as read-only
(``apply_filters`` returns copies). Derived artefacts (serialised map rows, region
geometries) are cached the same way, keyed on the data version.

The data source is, in order: the ``METACLUSTER_APP_DATA`` environment variable (a
GeoParquet or GeoJSON file of located actors, e.g. the benchmark's 100 000 synthetic
actors), an upload, or a manifest in ``layers/`` chosen by its partnership title.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import requests
import streamlit as st

from metacluster import settings
from metacluster._errors import InputFileError, ManifestError, NutsUnavailableError
from metacluster._text import counted
from metacluster.filter import (
    FilterOptions,
    Filters,
    filter_mask,
    offered_values,
    searchable_text,
)
from metacluster.manifest import Manifest, load_manifest
from metacluster.merge import MergeReport, merge
from metacluster.nuts import load_nuts, source_key
from metacluster.read import UPLOAD_SUFFIXES as UPLOAD_SUFFIXES  # the upload widgets' types
from metacluster.read import check_size_limit, read_layer
from metacluster.read.isolated import read_upload
from metacluster.read.parquet import read_actors
from metacluster.schema import ImportResult
from metacluster.ui import browser_filter, deck

PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
LAYERS_FOLDER: Final = PROJECT_ROOT / "layers"
DATA_OVERRIDE_ENV: Final = "METACLUSTER_APP_DATA"
"""Environment variable naming a GeoParquet/GeoJSON of located actors to show instead of
the manifests (used by ``benchmarks/app.py``)."""

BASEMAP_PROBE_URL: str = deck.ONLINE_BASEMAP
"""What ``online_basemap_default`` asks to learn whether the tiles can be had."""


def online_basemap_default() -> bool:
    """Whether a view without a basemap choice gets the online tiles (``settings.basemap``)."""
    if settings.basemap == "auto":
        return _answers(BASEMAP_PROBE_URL)
    return settings.basemap == "online"


@st.cache_resource(show_spinner=False, ttl=600)
def _answers(url: str) -> bool:
    """One quick HEAD request; on workshop Wi-Fi a slow answer counts as none."""
    try:
        headers = {"User-Agent": settings.user_agent}
        return requests.head(url, timeout=(1.0, 1.0), allow_redirects=True, headers=headers).ok
    except requests.RequestException:
        return False


@dataclass(frozen=True)
class Dataset:
    """One merged European layer as the app shows it.

    Attributes
    ----------
    version
        Identifies the data version; the key of every derived cache.
    name
        Short name used in file names ("smartculture").
    title, description
        The partnership's title and one-line description.
    actors
        Located, merged actors with a 0..n-1 index (positions == labels). Read-only.
    report
        The merge report; None for the override file.
    clusters
        Regional clusters in manifest order (the tour's steps).
    homes
        Each regional cluster's home region (the manifest's ``home_nuts``, else derived
        from its actors: ``merge.home_regions``), where the tour looks; empty for the
        override file.
    manifest
        The manifest merged (its links and participations tables), None for the override.
    nuts_year
        NUTS version the actors were joined to.
    generated_at
        Export time stamp, fixed per data version (the newest input file's modification
        time) so that the same data always exports the same bytes.
    """

    version: str
    name: str
    title: str
    description: str
    actors: gpd.GeoDataFrame
    report: MergeReport | None
    clusters: tuple[str, ...]
    nuts_year: int
    generated_at: dt.datetime
    homes: Mapping[str, str] = field(default_factory=dict)
    manifest: Manifest | None = None


def _stamp(paths: Sequence[Path]) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime in ns, size) of each file: changes whenever a file is edited, or
    removed ((path, -1, -1): reading it again then says which file is missing)."""
    return tuple(_file_stamp(Path(p)) for p in paths)


def _file_stamp(path: Path) -> tuple[str, int, int]:
    try:
        status = path.stat()
    except FileNotFoundError:
        return str(path), -1, -1
    return str(path), status.st_mtime_ns, status.st_size


def _newest(stamp: tuple[tuple[str, int, int], ...]) -> dt.datetime:
    newest_ns = max(mtime for _, mtime, _ in stamp)
    return dt.datetime.fromtimestamp(newest_ns // 1_000_000_000, tz=dt.timezone.utc)


def slug(text: str) -> str:
    """A file-name-safe lower-case slug ("SmartCulture" -> "smartculture")."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "metacluster"


def _version(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _prepared(actors: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A 0..n-1 index, so that row labels are positions in the serialised map rows."""
    return actors.reset_index(drop=True)


def _from_merge(
    manifest: Manifest,
    version: str,
    generated_at: dt.datetime,
    year: int | None,
    read: Callable[..., ImportResult] = read_layer,
) -> Dataset:
    result = merge(manifest, year=year, read=read)
    actors = _prepared(result.actors)
    year = year or actors.attrs.get("nuts_year") or manifest.nuts_year or settings.nuts_year
    return Dataset(
        version=version,
        name=slug(manifest.name),
        title=manifest.title,
        description=manifest.description,
        actors=actors,
        report=result.report,
        clusters=manifest.clusters,
        nuts_year=int(year),
        generated_at=generated_at,
        homes=result.report.homes,
        manifest=manifest,
    )


def manifests(folder: Path | None = None) -> dict[str, Path]:
    """The bundled manifests by partnership title, in file-name order."""
    folder = folder or LAYERS_FOLDER
    paths = sorted(folder.glob("*.toml"))
    return _manifest_titles(tuple(str(p) for p in paths), _stamp(paths))


@st.cache_data(show_spinner=False, max_entries=16)
def _manifest_titles(
    paths: tuple[str, ...], stamp: tuple[tuple[str, int, int], ...]
) -> dict[str, Path]:
    """``stamp`` (the files') is part of the cache key, so an edited title shows at once."""
    titles: dict[str, Path] = {}
    for path in paths:
        manifest = _manifest(path, _stamp([Path(path)]))
        title = manifest.title if manifest.title not in titles else f"{manifest.title} ({path})"
        titles[title] = Path(path)
    return titles


def load_manifest_dataset(path: Path, year: int | None = None) -> Dataset:
    """A manifest's maps, merged (joined to NUTS ``year``, None: the manifest's): read
    again only when a file changes."""
    own = _stamp([path])
    manifest = _manifest(str(path), own)
    tables = [table for table in (manifest.links, manifest.participations) if table]
    stamp = own + _stamp([*(entry.file for entry in manifest.maps), *tables])
    return _merged_manifest(str(path), stamp, year, source_key())


@st.cache_resource(show_spinner=False, max_entries=16)
def _manifest(path: str, stamp: tuple[tuple[str, int, int], ...]) -> Manifest:
    """The manifest at ``path``, parsed again only when it changes (about 10 ms of every
    rerun otherwise). Frozen, so one parse serves every session."""
    return load_manifest(path)


@st.cache_resource(show_spinner="Merging the regional maps…", max_entries=8)
def _merged_manifest(
    path: str, stamp: tuple[tuple[str, int, int], ...], year: int | None, source: tuple[object, ...]
) -> Dataset:
    version = _version(stamp, year, source)
    return _from_merge(load_manifest(path), version, _newest(stamp), year)


def load_override(path: Path) -> Dataset:
    """The benchmark's data source: a GeoParquet or GeoJSON of located actors."""
    if not path.is_file():
        raise ManifestError(
            f"{DATA_OVERRIDE_ENV}={path}: file not found. Point it at a GeoParquet or "
            "GeoJSON of located actors, or unset it to use the bundled manifests."
        )
    return _override(str(path), _stamp([path]))


@st.cache_resource(show_spinner="Loading actors…", max_entries=4)
def _override(path: str, stamp: tuple[tuple[str, int, int], ...]) -> Dataset:
    file = Path(path)
    if file.suffix.lower() == ".parquet":
        actors = read_actors(file)  # list columns come back as Python lists
    elif file.suffix.lower() in (".geojson", ".json"):
        actors = gpd.read_file(file)
    else:
        raise InputFileError(
            file, "not a GeoParquet (.parquet) or GeoJSON (.geojson) file", "Convert it first."
        )
    clusters = (
        pd.Series(actors["regional_cluster"]).explode().dropna().drop_duplicates().tolist()
        if "regional_cluster" in actors.columns
        else []
    )
    year = int(actors.attrs.get("nuts_year") or settings.nuts_year)
    actors.attrs["nuts_year"] = year
    return Dataset(
        version=_version(stamp),
        name=slug(file.stem),
        title=f"{file.name} ({counted(len(actors), 'actor')})",
        description="",
        actors=_prepared(actors),
        report=None,
        clusters=tuple(str(c) for c in clusters),
        nuts_year=year,
        generated_at=_newest(stamp),
    )


def override_path() -> Path | None:
    """The ``METACLUSTER_APP_DATA`` file, when set."""
    value = os.environ.get(DATA_OVERRIDE_ENV, "").strip()
    return Path(value) if value else None


def safe_name(name: str, taken: set[str]) -> str:
    """A plain file name for an uploaded file: the base name only (no folders, whatever
    the browser sent), unusual characters replaced, and unique among ``taken``."""
    base = re.split(r"[\\/]", name)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^\w\- ]+", "_", stem).strip("._ -")[:50] or "upload"  # ≤ 255 bytes
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix).lower()
    candidate = f"{stem}.{suffix}" if suffix else stem
    number = 2
    while candidate in taken:
        candidate = f"{stem}-{number}.{suffix}" if suffix else f"{stem}-{number}"
        number += 1
    return candidate


def load_upload(
    files: Sequence[tuple[str, bytes]],
    year: int | None = None,
    *,
    columns: Mapping[str, Mapping[str, str | None]] | None = None,
    helix_default: str | None = None,
) -> Dataset:
    """Uploaded layer files merged as one regional map each (like ``Manifest.from_files``).

    ``columns`` maps an uploaded file's name to its column mapping (``read_layer``'s
    ``columns``: the user's corrections of the guessed one); ``helix_default`` is the helix
    of actors nothing else tags (a manifest's ``helix``). Cached on the names, bytes and
    these options, so the same upload is merged once; the files are written under plain
    names (``safe_name``) to a temporary folder that is removed as soon as the merge is
    done, whether it succeeds or not. Files over ``settings.max_file_bytes`` are refused
    before anything is written.
    """
    taken: set[str] = set()
    named = []
    for name, data in files:
        check_size_limit(name, len(data))
        safe = safe_name(name, taken)
        if Path(safe).suffix not in UPLOAD_SUFFIXES:
            raise InputFileError(
                name,
                "is not one of the map formats accepted for upload",
                f"Upload a file ending in one of: {', '.join(UPLOAD_SUFFIXES)}",
            )
        taken.add(safe)
        named.append((safe, data))
    mappings = tuple(tuple(sorted((columns or {}).get(name, {}).items())) for name, _ in files)
    digest = _version(
        tuple((name, hashlib.sha256(data).hexdigest()) for name, data in named),
        mappings,
        helix_default,
    )
    return _merged_upload(digest, year, source_key(), tuple(named), mappings, helix_default)


@st.cache_resource(show_spinner="Merging the uploaded maps…", max_entries=4)
def _merged_upload(
    digest: str,
    year: int | None,
    source: tuple[object, ...],
    _files: tuple[tuple[str, bytes], ...],
    _mappings: tuple[tuple[tuple[str, str | None], ...], ...],
    _helix_default: str | None,
) -> Dataset:
    with tempfile.TemporaryDirectory(prefix="metacluster-upload-") as folder:
        paths = []
        for name, data in _files:
            path = Path(folder) / name
            path.write_bytes(data)
            paths.append(path)
        manifest = Manifest.from_files(paths).with_defaults(helix=_helix_default)
        maps = tuple(
            dataclasses.replace(entry, columns=dict(mapping) or None)
            for entry, mapping in zip(manifest.maps, _mappings, strict=True)
        )
        manifest = dataclasses.replace(manifest, maps=maps)
        # No file times for an upload: the time of its (one, cached) merge stands for them.
        merged_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        return _from_merge(
            manifest, _version(digest, year, source), merged_at, year, read=read_upload
        )


# --- derived artefacts, keyed on the data version ---------------------------------------


@st.cache_resource(show_spinner=False, max_entries=8)
def actor_rows(version: str, _dataset: Dataset) -> np.ndarray:
    """The map rows of every actor, serialised once per data version."""
    return deck.actor_rows(_dataset.actors, categories(version, _dataset).codes)


@st.cache_resource(show_spinner=False, max_entries=8)
def categories(version: str, _dataset: Dataset) -> browser_filter.Categories:
    """The actors' categories under the filters the browser applies, once per version."""
    return browser_filter.categorise(_dataset.actors)


def browser_split(dataset: Dataset, filters: Filters) -> browser_filter.Split:
    """``filters`` divided between the server and the map in the browser."""
    return browser_filter.split(filters, categories(dataset.version, dataset))


def actors_json(dataset: Dataset, filters: Filters) -> str:
    """The map rows (``actor_rows``) of the actors passing ``filters``, as one JSON text,
    joined once per data version and filters: a click on the map or a filter the browser
    applies reuses it."""
    return _actors_json(dataset.version, filters_key(filters), dataset, filters)


@st.cache_resource(show_spinner=False, max_entries=4)
def _actors_json(version: str, key: str, _dataset: Dataset, _filters: Filters) -> str:
    rows = actor_rows(version, _dataset)
    return deck.rows_json(rows, filtered_positions(_dataset, _filters))


FINE_SCALE: Final = "10M"
"""The scale of region outlines when the map is zoomed past country level, where 1:20M
polygons look blocky (used when the source or cache has it)."""


def display_scales(*, fine: bool) -> tuple[str, ...]:
    """Scales to try for drawing, best first: the fine one when zoomed in, then the
    display scale (``settings.display_scale``)."""
    return tuple(
        dict.fromkeys((FINE_SCALE, settings.display_scale) if fine else (settings.display_scale,))
    )


@st.cache_resource(show_spinner=False, max_entries=16, ttl=600)
def nuts_geometries(
    year: int, level: int, scale: str, source: tuple[object, ...]
) -> dict[str, str] | None:
    """Region geometries at ``scale`` as GeoJSON text, by NUTS code; None when that scale
    cannot be had (asked again after ten minutes, not on every rerun)."""
    try:
        return deck.geometry_json(load_nuts(year=year, level=level, scale=scale))
    except NutsUnavailableError:
        if scale == settings.display_scale:
            raise
        return None


def region_geometries(year: int, level: int, *, fine: bool = False) -> dict[str, str]:
    """``nuts_geometries`` for the current NUTS source (read once per source), at the fine
    scale when ``fine`` and the source or cache has it, else at the display scale."""
    for scale in display_scales(fine=fine):
        geometries = nuts_geometries(year, level, scale, source_key())
        if geometries is not None:
            return geometries
    raise AssertionError("unreachable: the display scale raises when it is missing")


def filters_key(filters: Filters) -> str:
    """A cache key for a set of filters (their URL form)."""
    return json.dumps(filters.to_query_params(), sort_keys=True)


def filtered(dataset: Dataset, filters: Filters) -> gpd.GeoDataFrame:
    """The filtered actors, computed once per data version and filters (read-only)."""
    return _filtered(dataset.version, filters_key(filters), dataset, filters)


@st.cache_resource(show_spinner=False, max_entries=8)
def _filtered(version: str, key: str, _dataset: Dataset, _filters: Filters) -> gpd.GeoDataFrame:
    """``apply_filters``, through ``filtered_positions``; a rerun that changes no filter (a
    click on the map, a tour step) reuses the result."""
    return _dataset.actors.iloc[filtered_positions(_dataset, _filters)].copy()


def filtered_positions(dataset: Dataset, filters: Filters) -> np.ndarray:
    """The positions of the filtered actors (no copy), once per data version and filters."""
    return _positions(dataset.version, filters_key(filters), dataset, filters)


@st.cache_resource(show_spinner=False, max_entries=16)
def _positions(version: str, key: str, _dataset: Dataset, _filters: Filters) -> np.ndarray:
    """``filter_mask`` with the dataset's search text folded once, not on every keystroke."""
    text = _search_text(version, _dataset) if _filters.search else None
    return np.flatnonzero(filter_mask(_dataset.actors, _filters, search_text=text))


@st.cache_resource(show_spinner=False, max_entries=8)
def _search_text(version: str, _dataset: Dataset) -> pa.Array:
    """The folded text free-text search looks in, once per data version."""
    return searchable_text(_dataset.actors)


@st.cache_resource(show_spinner=False, max_entries=8)
def filter_options(version: str, _dataset: Dataset) -> FilterOptions:
    """The sidebar's options for one data version (computed once)."""
    return offered_values(_dataset.actors, _dataset.clusters)
