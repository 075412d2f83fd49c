"""NUTS region geometries: GISCO files, a disk cache for offline use, code lookups.

Eurostat's NUTS regions come as GISCO GeoJSON files, one per version, scale and level
(``NUTS_RG_<SCALE>_<YEAR>_4326_LEVL_<LEVEL>.geojson``). A file is looked for, in order:

1. in ``settings.nuts_source`` when that is a folder (a mirror with GISCO's file names),
   read in place;
2. in the disk cache ``settings.cache_folder`` (unless ``settings.use_cache`` is False);
3. at ``settings.nuts_source`` when that is a URL (GISCO by default), then written to the
   cache, but only once it has been checked to be the NUTS file asked for.

Parsed frames are also kept in memory for the life of the process, because the app and every
join ask for the same few files again and again. Workshops without internet fill the cache
beforehand with ``metacluster nuts fetch``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import requests
import shapely
from shapely.geometry.base import BaseGeometry

from metacluster import _http, settings
from metacluster._errors import NutsCodeError, NutsUnavailableError
from metacluster._text import fold

logger = logging.getLogger(__name__)

YEARS: Final = (2021, 2024)
"""The NUTS versions metacluster knows, oldest first: the one place to add a version (plus
its files in the mirror)."""

LEVELS: Final = (0, 1, 2, 3)

SCALES: Final = ("01M", "03M", "10M", "20M", "60M")
"""GISCO's generalisation scales, finest (1:1 million) first."""

NUTS_FIELDS: Final = ("NUTS_ID", "LEVL_CODE", "CNTR_CODE", "NAME_LATN", "NUTS_NAME")
"""The properties kept from GISCO's files (with ``geometry``)."""

MIN_OVERLAP_SHARE: Final = 0.01
"""Regions of the other NUTS version covering less of a code's area are not reported."""

AREA_CRS: Final = 3035
"""ETRS89-LAEA Europe: equal-area, so overlap shares are shares of real area."""

CODE_PATTERN: Final = re.compile(r"[A-Z]{2}[A-Z0-9]{0,3}")
"""A NUTS code of any level (use with ``fullmatch``): country code, then one letter or digit
per level."""

COUNTRY_CODE_PATTERN: Final = re.compile(r"[A-Z]{2}")
"""A two-letter country code (use with ``fullmatch``)."""

ISO_TO_NUTS_COUNTRY: Final[dict[str, str]] = {"GR": "EL", "GB": "UK"}
"""ISO 3166-1 country codes that NUTS (Eurostat) spells differently."""

NUTS_TO_ISO_COUNTRY: Final[dict[str, str]] = {
    nuts: iso for iso, nuts in ISO_TO_NUTS_COUNTRY.items()
}
"""The reverse: Eurostat's EL and UK as ISO's GR and GB."""

_frames: dict[tuple[object, ...], gpd.GeoDataFrame] = {}
_scales: dict[tuple[object, ...], str] = {}


class _BadNutsFile(ValueError):
    """Content that is not the NUTS file it is named after (truncated, wrong level…)."""


class _NutsFileMissing(NutsUnavailableError):
    """The source answered that it has no such file (HTTP 404, or not in the folder)."""


@dataclass(frozen=True)
class NutsRegion:
    """One NUTS region, as ``lookup`` describes it.

    ``year`` is the NUTS version the code belongs to. When the code was asked for in the
    other version, ``note`` says so and ``equivalents`` lists the regions of the requested
    version (same level) that cover its area: ``(code, name, share of the area)``, largest
    share first, shares under 1 % left out. ``parents`` runs from level 0 down to the level
    above the region, as ``(code, name)`` with Latin-script names.
    """

    code: str
    name: str
    name_latn: str
    level: int
    country: str
    parents: tuple[tuple[str, str], ...]
    geometry: BaseGeometry
    year: int
    note: str | None = None
    equivalents: tuple[tuple[str, str, float], ...] = ()


@dataclass(frozen=True)
class StoredFile:
    """One NUTS file in the disk cache, as ``fetch`` reports it."""

    path: Path
    size: int
    downloaded: bool
    """False when a valid copy was already in the cache."""


def file_name(year: int, level: int, scale: str) -> str:
    """GISCO's name for the file of one NUTS version, level and scale (EPSG:4326)."""
    return f"NUTS_RG_{scale}_{year}_4326_LEVL_{level}.geojson"


def check_year(year: int | None) -> int:
    """The NUTS version to use: ``year`` or ``settings.nuts_year``, checked."""
    year = settings.nuts_year if year is None else year
    if year not in YEARS:
        raise NutsCodeError(
            f"NUTS version {year!r} is not available: use one of {', '.join(map(str, YEARS))}"
        )
    return int(year)


def check_level(level: int) -> int:
    """A NUTS level, checked: 0 (countries) to 3 (small regions)."""
    if level not in LEVELS:
        raise NutsCodeError(f"NUTS level {level!r} does not exist: use 0, 1, 2 or 3")
    return int(level)


def check_scale(scale: str | None, *, default: str | None = None) -> str:
    """A GISCO scale, checked: ``scale``, else ``default``, else ``settings.display_scale``."""
    scale = scale or default or settings.display_scale
    if scale not in SCALES:
        raise NutsCodeError(
            f"NUTS scale {scale!r} does not exist: use one of {', '.join(SCALES)} "
            "(01M is the most detailed, 60M the most generalised)"
        )
    return scale


def other_years(year: int) -> tuple[int, ...]:
    """The known NUTS versions other than ``year``, nearest first (newer first on a tie)."""
    return tuple(sorted((y for y in YEARS if y != year), key=lambda y: (abs(y - year), -y)))


def years_text(years: Sequence[int]) -> str:
    """NUTS versions in words: "2021", "2021 or 2024", "2016, 2021 or 2024".

    >>> years_text([2016, 2021, 2024])
    '2016, 2021 or 2024'
    """
    names = [str(y) for y in years]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def normalise_code(code: object) -> str:
    """A NUTS code in upper case without surrounding spaces, or NutsCodeError if malformed.

    ISO country prefixes read as Eurostat's, as the readers do: GR30 is EL30, GBI3 is UKI3.
    """
    text = str(code).strip().upper()
    if text[:2] in ISO_TO_NUTS_COUNTRY:
        text = ISO_TO_NUTS_COUNTRY[text[:2]] + text[2:]
    if not CODE_PATTERN.fullmatch(text):
        raise NutsCodeError(
            f"{code!r} is not a NUTS code: a NUTS code is a two-letter country code followed "
            "by 0 to 3 letters or digits, one per level (FR, FRE, FRE1, FRE11)"
        )
    return text


def load_nuts(
    year: int | None = None, level: int = 3, scale: str | None = None, crs: int | str = 4326
) -> gpd.GeoDataFrame:
    """The NUTS regions of one version and level.

    Parameters
    ----------
    year
        NUTS version (one of ``YEARS``); None means ``settings.nuts_year``.
    level
        0 (countries) to 3.
    scale
        GISCO scale, "01M" (most detailed) to "60M"; None means ``settings.display_scale``.
    crs
        CRS of the returned geometries (the files are EPSG:4326).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``NUTS_ID, LEVL_CODE, CNTR_CODE, NAME_LATN, NUTS_NAME, geometry``, sorted by
        ``NUTS_ID``. A cheap copy of the frame kept in memory: changing it does not change
        what the next caller gets (pandas copy-on-write).

    Raises
    ------
    NutsUnavailableError
        When the file is neither in the source folder, the cache, nor downloadable.
    NutsCodeError
        For a year, level or scale that does not exist.
    """
    year, level, scale = check_year(year), check_level(level), check_scale(scale)
    return _frame(year, level, scale, crs=crs).copy(deep=False)


def clear_memory_cache() -> None:
    """Forget the frames and scales kept in memory (the disk cache stays)."""
    _frames.clear()
    _scales.clear()


def source_key() -> tuple[object, ...]:
    """What, besides year, level and scale, decides which frame a load returns: part of the
    key of every in-memory cache of NUTS data (here and in callers that keep their own)."""
    return (settings.nuts_source, str(settings.cache_folder), settings.use_cache)


def _frame(
    year: int, level: int, scale: str, *, crs: int | str = 4326, retries: int | None = None
) -> gpd.GeoDataFrame:
    """The in-memory frame for one file (loaded on first use); callers must not change it."""
    key = (year, level, scale, crs, *source_key())
    frame = _frames.get(key)
    if frame is None:
        if crs == 4326:
            frame = _load_file(year, level, scale, retries=retries)
        else:
            frame = _frame(year, level, scale, retries=retries).to_crs(crs)
        _frames[key] = frame
    return frame


def _source_folder() -> Path | None:
    """``settings.nuts_source`` as a folder, or None when it is a URL."""
    source = str(settings.nuts_source)
    if source.startswith(("http://", "https://")):
        return None
    return Path(source).expanduser()


def _load_file(year: int, level: int, scale: str, *, retries: int | None) -> gpd.GeoDataFrame:
    name = file_name(year, level, scale)
    folder = _source_folder()
    if folder is not None and (folder / name).is_file():
        path = folder / name
        try:
            return _parse(path.read_bytes(), level)
        except _BadNutsFile as problem:
            raise NutsUnavailableError(
                f"{path} is not a usable NUTS file ({problem}): replace it with GISCO's file "
                "of that name"
            ) from problem
    cached = _cached_frame(name, level)
    if cached is not None:
        return cached
    data = _source_bytes(name, year, level, scale, retries=retries)
    try:
        frame = _parse(data, level)
    except _BadNutsFile as problem:
        raise NutsUnavailableError(
            f"{_url(name)} did not answer with a usable NUTS file ({problem}); nothing was "
            "cached. Try again later, or set METACLUSTER_NUTS_SOURCE to a folder or URL "
            "that mirrors GISCO's NUTS files"
        ) from problem
    if settings.use_cache:
        write_atomically(Path(settings.cache_folder) / name, data)
    return frame


def _cached_frame(name: str, level: int) -> gpd.GeoDataFrame | None:
    """The cached file parsed, or None on a miss; a corrupt cached file is removed."""
    path = Path(settings.cache_folder) / name
    if not settings.use_cache or not path.is_file():
        return None
    try:
        frame = _parse(path.read_bytes(), level)
    except _BadNutsFile as problem:
        logger.warning("cached %s is unusable (%s): removing it to fetch it again", path, problem)
        path.unlink(missing_ok=True)
        return None
    logger.info("NUTS cache hit: %s", path)
    return frame


def _url(name: str) -> str:
    return str(settings.nuts_source).rstrip("/") + "/" + name


def _source_bytes(
    name: str, year: int, level: int, scale: str, *, retries: int | None = None
) -> bytes:
    """The file's bytes from ``settings.nuts_source`` (folder or URL), unchecked."""
    folder = _source_folder()
    if folder is not None:
        path = folder / name
        if not path.is_file():
            raise _NutsFileMissing(
                _unavailable_message(name, year, level, scale, f"{path} does not exist")
            )
        return path.read_bytes()
    try:
        return _http.get_bytes(_url(name), retries=retries)
    except requests.HTTPError as error:
        status = error.response.status_code
        reason = f"{_url(name)} answered HTTP {status}"
        error_class = _NutsFileMissing if status == 404 else NutsUnavailableError
        raise error_class(_unavailable_message(name, year, level, scale, reason)) from error
    except requests.RequestException as error:
        reason = f"{_url(name)} could not be reached ({_network_problem(error)})"
        raise NutsUnavailableError(
            _unavailable_message(name, year, level, scale, reason)
        ) from error


def _network_problem(error: requests.RequestException) -> str:
    """What went wrong on the network, in words rather than exception names."""
    if isinstance(error, _http.DownloadRefused):
        return str(error)
    if isinstance(error, requests.Timeout):
        return "it did not answer in time"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "the download broke off before the end"
    if isinstance(error, requests.ConnectionError):
        return "no connection: offline, or the server refused it"
    return "the request failed"


def _unavailable_message(name: str, year: int, level: int, scale: str, reason: str) -> str:
    return (
        f"The NUTS file {name} is needed but is not in the cache ({settings.cache_folder}) "
        f"and could not be had: {reason}. Either run `metacluster nuts fetch --year {year} "
        f"--level {level} --scale {scale}` on a machine that is online (and copy the cache "
        "folder), or set METACLUSTER_NUTS_SOURCE to a folder or URL that mirrors GISCO's "
        "NUTS files under the same names"
    )


def _parse(data: bytes, level: int) -> gpd.GeoDataFrame:
    """Check that ``data`` is a GISCO NUTS FeatureCollection of ``level`` whose geometries
    are usable regions (``_checked_geometry``), then read it. Nothing else enters the cache,
    and a cached file that fails the check is discarded and fetched again."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _BadNutsFile(f"not valid JSON: {error}") from error
    except RecursionError as error:
        raise _BadNutsFile("not valid JSON: nested too deeply") from error
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise _BadNutsFile("not a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise _BadNutsFile("no features")
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict) or not set(NUTS_FIELDS) <= properties.keys():
            raise _BadNutsFile(f"features lack the properties {', '.join(NUTS_FIELDS)}")
        if properties["LEVL_CODE"] != level:
            raise _BadNutsFile(
                f"{properties['NUTS_ID']} is a level-{properties['LEVL_CODE']} region in a "
                f"level-{level} file"
            )
    _check_regions([feature["properties"]["NUTS_ID"] for feature in features], level)
    geometries = [_checked_geometry(feature) for feature in features]
    frame = gpd.GeoDataFrame(
        [{name: feature["properties"][name] for name in NUTS_FIELDS} for feature in features],
        geometry=geometries,
        crs=4326,
    )
    return frame.sort_values("NUTS_ID", ignore_index=True)


PLAUSIBLE_REGIONS: Final = {0: (27, 60), 1: (80, 200), 2: (200, 500), 3: (900, 2500)}
"""How many regions a NUTS file of each level may hold: GISCO's hold 37–39, 115–125,
299–334 and 1,345–1,514 (2021, 2024); the EU alone has 27, 92, 242 and 1,165. Fewer is a
truncated or partial file, more is not a NUTS file."""


def _check_regions(codes: list[Any], level: int) -> None:
    """The file's regions are plausibly one whole NUTS level: codes of that level's shape
    (country, then one letter or digit per level), each once, and about as many as GISCO
    publishes (``PLAUSIBLE_REGIONS``); else ``_BadNutsFile``."""
    shape = re.compile(f"[A-Z]{{2}}[A-Z0-9]{{{level}}}")
    for code in codes:
        if not isinstance(code, str) or not shape.fullmatch(code):
            raise _BadNutsFile(f"{code!r} is not a level-{level} NUTS code")
    repeated = next((code for code, n in Counter(codes).items() if n > 1), None)
    if repeated is not None:
        raise _BadNutsFile(f"{repeated} appears more than once")
    low, high = PLAUSIBLE_REGIONS[level]
    if not low <= len(codes) <= high:
        raise _BadNutsFile(
            f"{len(codes):,} level-{level} regions, where a whole NUTS level has "
            f"{low:,} to {high:,}: a partial file, or not a NUTS file"
        )


def _checked_geometry(feature: dict[str, Any]) -> BaseGeometry:
    """A feature's geometry if it is a usable region: polygonal, not empty, within
    longitude/latitude bounds, made valid when it is not; else ``_BadNutsFile``."""
    code = feature["properties"].get("NUTS_ID")
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        raise _BadNutsFile(f"{code} has no geometry")
    try:
        shape = shapely.from_geojson(json.dumps(geometry, allow_nan=False))
    except (ValueError, TypeError, shapely.errors.GEOSException) as error:
        raise _BadNutsFile(f"{code} has an unreadable geometry") from error
    if shape is None or shape.is_empty or shape.geom_type not in ("Polygon", "MultiPolygon"):
        kind = "an empty geometry" if shape is None or shape.is_empty else f"a {shape.geom_type}"
        raise _BadNutsFile(f"{code} is {kind}, not a polygon")
    west, south, east, north = shape.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise _BadNutsFile(f"{code} lies outside longitude/latitude bounds: not WGS84")
    if not shape.is_valid:
        shape = shapely.make_valid(shape)
        polygons = [g for g in getattr(shape, "geoms", [shape]) if g.geom_type.endswith("Polygon")]
        shape = shapely.union_all(polygons) if polygons else shapely.Polygon()
        if shape.is_empty:
            raise _BadNutsFile(f"{code} is an invalid polygon that cannot be repaired")
    return shape


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that no reader ever sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    logger.info("cached %s (%s bytes)", path, f"{len(data):,}")


def fetch(
    years: Iterable[int] | None = None,
    levels: Iterable[int] | None = None,
    scale: str | None = None,
) -> list[StoredFile]:
    """Fill the disk cache with NUTS files, for use without internet later.

    Parameters
    ----------
    years
        NUTS versions; None means ``[settings.nuts_year]``.
    levels
        NUTS levels; None means all four.
    scale
        GISCO scale; None means ``settings.display_scale``.

    Returns
    -------
    list of StoredFile
        One per file, in the cache folder; ``downloaded`` is False for files that were
        already cached and valid.
    """
    years = [check_year(year) for year in years] if years else [check_year(None)]
    levels = [check_level(level) for level in (levels or LEVELS)]
    scale = check_scale(scale)
    stored = []
    for year in years:
        for level in levels:
            name = file_name(year, level, scale)
            path = Path(settings.cache_folder) / name
            downloaded = _cached_frame(name, level) is None
            if downloaded:
                data = _source_bytes(name, year, level, scale)
                try:
                    _parse(data, level)
                except _BadNutsFile as problem:
                    raise NutsUnavailableError(
                        f"{name} from {settings.nuts_source} is not a usable NUTS file "
                        f"({problem}); nothing was cached"
                    ) from problem
                write_atomically(path, data)
            stored.append(StoredFile(path, path.stat().st_size, downloaded))
    return stored


def best_scale(year: int | None = None, preferred: str | None = None) -> str:
    """The finest scale at which the NUTS files of ``year`` can be had, for the join.

    ``preferred`` (None means ``settings.join_scale``) when its files can be had; otherwise
    the finest scale whose four level files are in the source folder or the cache, or that a
    URL source has (probed finest first, without retries: a 404 or an unreachable source
    moves on at once). The answer is kept for the life of the process.
    """
    year = check_year(year)
    preferred = check_scale(preferred, default=settings.join_scale)
    key = (year, preferred, *source_key())
    if key not in _scales:
        _scales[key] = _find_best_scale(year, preferred)
        logger.info("NUTS %d join scale: %s", year, _scales[key])
    return _scales[key]


def _find_best_scale(year: int, preferred: str) -> str:
    source_is_url = _source_folder() is None
    for scale in dict.fromkeys((preferred, *SCALES)):
        if _has_locally(year, scale):
            return scale
        if source_is_url:
            try:
                _frame(year, 3, scale, retries=0)
            except _NutsFileMissing:
                continue
            except NutsUnavailableError as error:
                logger.warning("NUTS source unreachable, using the cache only: %s", error)
                source_is_url = False
                continue
            return scale
    raise NutsUnavailableError(
        _unavailable_message(
            file_name(year, 3, preferred),
            year,
            3,
            preferred,
            f"no scale of NUTS {year} is in {settings.nuts_source} or the cache",
        )
    )


def _has_locally(year: int, scale: str) -> bool:
    """True when all four level files are in the source folder or the disk cache."""
    folders = [Path(settings.cache_folder)] if settings.use_cache else []
    folder = _source_folder()
    if folder is not None:
        folders.append(folder)
    return all(
        any((place / file_name(year, level, scale)).is_file() for place in folders)
        for level in LEVELS
    )


def lookup(code: str, year: int | None = None, *, scale: str | None = None) -> NutsRegion:
    """Describe a NUTS code: name, level, country, parent regions, geometry.

    Parameters
    ----------
    code
        A NUTS code of any level ("FR", "FRE", "FRE1", "FRE11"); case and surrounding
        spaces do not matter.
    year
        The NUTS version asked about; None means ``settings.nuts_year``.
    scale
        Scale of the geometries; None means ``settings.display_scale``.

    Returns
    -------
    NutsRegion
        For a code of the other version (PT18 exists in 2021 only; in 2024 Alentejo is PT1C)
        the region as that version defines it, with ``note`` saying so and ``equivalents``
        giving the best-overlapping regions of ``year``.

    Raises
    ------
    NutsCodeError
        When the code is malformed, or exists in neither version.
    """
    code = normalise_code(code)
    year, scale = check_year(year), check_scale(scale)
    region = _region(code, year, scale)
    if region is not None:
        return region
    found = (
        (other, candidate)
        for other in other_years(year)
        if (candidate := _region(code, other, scale)) is not None
    )
    match = next(found, None)
    if match is None:
        raise NutsCodeError(
            f"{code} is not a NUTS {year} code, nor a NUTS {years_text(other_years(year))} "
            f"code: {_suggestions(code, year, scale)}"
        )
    other, region = match
    equivalents = _equivalents(code, region.level, other, year, scale)
    if equivalents:
        matches = ", ".join(f"{c} {n} ({share:.0%})" for c, n, share in equivalents)
        where = f"in NUTS {year} its area lies in {matches}"
    else:
        where = f"no NUTS {year} region covers its area"
    named = regions_named(region.name_latn, _named_regions(year, scale), level=region.level)
    if named and named[0][0] not in {code, *(c for c, _, _ in equivalents)}:
        where += f"; the NUTS {year} region named like it is {named[0][0]} {named[0][1]}"
    note = f"{code} ({region.name_latn}) is a NUTS {other} code, not NUTS {year}; {where}"
    return replace(region, note=note, equivalents=equivalents)


NamedRegion = tuple[str, str, int]
"""(code, Latin-script name, level) of one NUTS region."""


def name_key(name: str) -> str:
    """A region name as compared with a row's: folded, without a bracketed country
    ("Centro (ES)" and "centro" are one key)."""
    return fold(re.sub(r"\([^)]*\)", " ", str(name)))


def regions_named(
    stated: str, regions: Iterable[NamedRegion], *, level: int | None = None
) -> list[NamedRegion]:
    """The regions whose name is ``stated`` (folded; else whose name contains it as whole
    words, or is contained in it), ``level`` first, then coarser levels first; empty when no
    name fits. Used to suggest the right code for a region named in a row.

    >>> regions_named("Extremadura", [("ES4", "Centro (ES)", 1), ("ES43", "Extremadura", 2)])
    [('ES43', 'Extremadura', 2)]
    """
    key = name_key(stated)
    if not key:
        return []
    keyed = [(name_key(name), (code, name, lvl)) for code, name, lvl in regions]
    found = [region for k, region in keyed if k == key]
    if not found:
        padded = f" {key} "
        found = [r for k, r in keyed if k and (padded in f" {k} " or f" {k} " in padded)]
    return sorted(found, key=lambda r: (r[2] != level, r[2], r[0]))


def _named_regions(year: int, scale: str, country: str | None = None) -> list[NamedRegion]:
    """Every region of ``year`` (of ``country`` when given) as (code, name, level)."""
    regions: list[NamedRegion] = []
    for level in LEVELS:
        frame = _frame(year, level, scale)
        if country is not None:
            frame = frame[frame["CNTR_CODE"] == country]
        regions.extend(zip(frame["NUTS_ID"], frame["NAME_LATN"], [level] * len(frame), strict=True))
    return regions


def _suggestions(code: str, year: int, scale: str) -> str:
    """What to try instead of an unknown code: its country is not covered by NUTS, or the
    codes of ``year`` under its nearest existing parent."""
    countries = _frame(year, 0, scale)["NUTS_ID"]
    if code[:2] not in set(countries):
        covered = [
            other
            for other in other_years(year)
            if code[:2] in set(_frame(other, 0, scale)["NUTS_ID"])
        ]
        later = (
            f"; it is in NUTS {years_text(covered)} (look the code up there with --year)"
            if covered
            else ""
        )
        return (
            f"{code[:2]} is not a country covered by NUTS {year} (NUTS covers the EU, EFTA "
            f"and candidate countries): such rows keep their position, outside any "
            f"region{later}"
        )
    for up in range(len(code) - 3, -1, -1):
        parent = code[: 2 + up]
        children = _frame(year, up + 1, scale)["NUTS_ID"]
        children = children[children.str.startswith(parent)]
        if len(children):
            shown = ", ".join(
                f"{c} ({_name_latn(c, year, scale)})" for c in children.head(_SHOWN_SUGGESTIONS)
            )
            more = (
                f" and {len(children) - _SHOWN_SUGGESTIONS} more"
                if len(children) > _SHOWN_SUGGESTIONS
                else ""
            )
            return f"the NUTS {year} codes under {parent} are {shown}{more}{_OLDER}"
    return "check it against Eurostat's NUTS classification" + _OLDER


_OLDER: Final = (
    "; an older code (NUTS 2016 or before) cannot be checked here: only NUTS "
    f"{years_text(YEARS)} are available offline, see Eurostat's NUTS history "
    "(https://ec.europa.eu/eurostat/web/nuts/history) for its successor"
)


_SHOWN_SUGGESTIONS: Final = 8


def _region(code: str, year: int, scale: str) -> NutsRegion | None:
    """The region ``code`` in ``year``, or None when that version has no such code."""
    level = len(code) - 2
    frame = _frame(year, level, scale)
    position = _position(frame, code)
    if position is None:
        return None
    row = frame.iloc[position]
    parents = tuple(
        (code[: 2 + up], _name_latn(code[: 2 + up], year, scale)) for up in range(level)
    )
    return NutsRegion(
        code=code,
        name=row["NUTS_NAME"],
        name_latn=row["NAME_LATN"],
        level=level,
        country=row["CNTR_CODE"],
        parents=parents,
        geometry=row["geometry"],
        year=year,
    )


def _name_latn(code: str, year: int, scale: str) -> str:
    frame = _frame(year, len(code) - 2, scale)
    return frame["NAME_LATN"].iat[_position(frame, code)]


def _position(frame: gpd.GeoDataFrame, code: str) -> int | None:
    """Row number of ``code`` in a frame sorted by NUTS_ID, or None when absent."""
    position = int(np.searchsorted(frame["NUTS_ID"].to_numpy(), code))
    if position < len(frame) and frame["NUTS_ID"].iat[position] == code:
        return position
    return None


def _equivalents(
    code: str, level: int, code_year: int, year: int, scale: str
) -> tuple[tuple[str, str, float], ...]:
    """Regions of ``year`` covering more than 1 % of ``code``'s area, largest share first."""
    source = _frame(code_year, level, scale, crs=AREA_CRS)
    shape = source.geometry.iat[_position(source, code)]
    candidates = _frame(year, level, scale, crs=AREA_CRS)
    touching = candidates.sindex.query(shape, predicate="intersects")
    shares = shapely.area(shapely.intersection(candidates.geometry.array[touching], shape))
    shares = shares / shape.area
    order = np.argsort(-shares, kind="stable")
    return tuple(
        (candidates["NUTS_ID"].iat[i], candidates["NAME_LATN"].iat[i], float(share))
        for i, share in zip(touching[order], shares[order], strict=True)
        if share > MIN_OVERLAP_SHARE
    )
