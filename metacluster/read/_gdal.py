"""GDAL locked down before any file is opened through it: a data file must never make GDAL
read another file, run a query on the server's behalf or call out to the network.

GDAL picks a driver from a file's content, and several drivers exist to reference other
data: a VRT document names any local file or URL as its source, a GDALG file runs a
pipeline, an SQLite database can declare ``VirtualOGR`` virtual tables over any dataset
(``/etc/passwd`` read as CSV, ``/vsicurl/http://…`` fetched from the local network), and
the network drivers (WFS, OGC API, Elasticsearch…) fetch by design. ``harden`` removes those
drivers from GDAL's registry (whoever imported pyogrio first, so the environment variable
``GDAL_SKIP`` alone would not do) and sets the configuration options that close the rest:
no VirtualOGR listing, no ``/vsicurl/`` (no URL has an allowed extension), no GML schema
download, no directory listing beside the file. ``metacluster.read.ogr`` also checks the
content and the driver that opened the file against an allow-list per extension.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

import pyogrio

REMOVED_DRIVERS = (
    # indirection: documents that name other files, URLs or pipelines
    "OGR_VRT",
    "VRT",
    "GDALG",
    "STACIT",
    "STACTA",
    # SQLite-based drivers that evaluate virtual tables and views the file declares
    "SQLite",
    "MBTiles",
    "VFK",
    # network drivers
    "HTTP",
    "WFS",
    "OAPIF",
    "OGCAPI",
    "CSW",
    "EEDA",
    "Elasticsearch",
    "Carto",
    "AmigoCloud",
    "PLSCENES",
    "NGW",
    "ADBC",
    "WMS",
    "WMTS",
    "WCS",
    "DAAS",
    "PLMOSAIC",
    # runs an external program
    "GPSBabel",
)
"""GDAL drivers removed from the registry: none of them is needed to read a map file."""

CONFIG_OPTIONS = {
    "OGR_SQLITE_LIST_VIRTUAL_OGR": "NO",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".metacluster-no-network",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GML_DOWNLOAD_WFS_SCHEMA": "NO",
    "GML_SKIP_RESOLVE_ELEMS": "ALL",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_TIMEOUT": "1",
}
"""GDAL configuration options set in this process before any file is opened:
``/vsicurl/`` tries only URLs ending in an extension nothing has, and any HTTP request
GDAL would still make goes to a proxy on the discard port, which refuses it."""


def _library() -> ctypes.CDLL | None:
    """The GDAL library pyogrio loaded (its wheel bundles one), or None when not found."""
    folder = Path(pyogrio.__file__).parent
    candidates = sorted((folder.parent / "pyogrio.libs").glob("libgdal*")) + sorted(
        folder.glob("libgdal*")
    )
    for candidate in candidates:
        try:
            return ctypes.CDLL(str(candidate))
        except OSError:
            continue
    try:
        return ctypes.CDLL("libgdal.so")
    except OSError:
        return None


@functools.cache
def harden() -> tuple[str, ...]:
    """Remove ``REMOVED_DRIVERS`` and set ``CONFIG_OPTIONS`` (once per process).

    Returns the drivers still registered that are in ``REMOVED_DRIVERS`` (empty when the
    lockdown worked); ``metacluster.read.ogr`` refuses to open anything otherwise.
    """
    pyogrio.set_gdal_config_options(CONFIG_OPTIONS)
    library = _library()
    if library is not None:
        library.GDALGetDriverByName.restype = ctypes.c_void_p
        library.GDALGetDriverByName.argtypes = [ctypes.c_char_p]
        library.GDALDeregisterDriver.argtypes = [ctypes.c_void_p]
        for name in REMOVED_DRIVERS:
            driver = library.GDALGetDriverByName(name.encode())
            if driver:
                library.GDALDeregisterDriver(driver)
    registered = set(pyogrio.list_drivers())
    return tuple(name for name in REMOVED_DRIVERS if name in registered)
