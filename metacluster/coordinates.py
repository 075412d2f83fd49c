"""Positions from a file's cells: coordinates parsed, reprojected, swaps repaired.

Latitude/longitude come from geometries (any type: a point on lines and polygons) or from
coordinate columns (separate or combined, decimal commas, degrees-minutes-seconds with
hemispheres, WKT points); declared CRSs are reprojected to WGS84, undeclared projected
metres and out-of-range values rejected, and swapped latitude/longitude repaired, each with
a note on the row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
import pyproj
import shapely

from metacluster import geocode
from metacluster._errors import InputFileError
from metacluster._rows import Outcome, layer_of
from metacluster._text import counted
from metacluster.read._raw import check_crs
from metacluster.schema import CRS, EUROPE_BBOX

if TYPE_CHECKING:
    from metacluster.read._raw import RawLayer


_DECIMAL_COMMA: Final = r"[+-]?\d+,\d+"
_LATLON: Final = re.compile(
    r"^[\[(]?\s*([+-]?\d+(?:[.,]\d+)?)\s*[,;/\s]\s*([+-]?\d+(?:[.,]\d+)?)\s*[\])]?$"
)
_NUMBER: Final = r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
_WKT_POINT: Final = re.compile(
    rf"^\"?(?:SRID=\d+;\s*)?(?:<[^>]*>\s*)?POINT\s*Z?\s*\(\s*({_NUMBER})\s+({_NUMBER})"
    rf"(?:\s+{_NUMBER})?\s*\)\"?(?:\^\^<[^>]*>)?$",
    re.IGNORECASE,
)
"""A WKT point, longitude first: ``POINT (11.58 48.13)``, PostGIS's ``SRID=4326;POINT(…)``
and Wikidata's ``Point(11.58 48.13)``, with or without its globe or datatype IRI."""
_PRIMES: Final = str.maketrans({"′": "'", "’": "'", "‘": "'", "´": "'", "″": '"', "”": '"',
                                 "“": '"', "º": "°", "˚": "°"})  # fmt: skip
_DEGREES: Final = (
    r"(\d+(?:[.,]\d+)?)\s*°?\s*(?:(\d+(?:[.,]\d+)?)\s*'\s*)?"
    r"(?:(\d+(?:[.,]\d+)?)\s*(?:\"|'')\s*)?"
)
_DMS: Final = re.compile(rf"^([NSEW])?\s*{_DEGREES}([NSEW])?$", re.IGNORECASE)
"""Degrees with minutes and seconds and a hemisphere: 48°7′48″N, 3°41'32" W, N 48° 7.8',
40.4138 N (primes normalised by ``_PRIMES`` first)."""
_DMS_PAIR: Final = re.compile(r"^(\d[^,;/]*?[NS])\s*[,;/]?\s*(\d[^,;/]*?[EW])$", re.IGNORECASE)
"""Latitude and longitude with their hemispheres in one cell: 48°07′48″N 11°35′00″E."""
_PROJECTED_MIN: Final = 1000.0


def _numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Coordinate cells → (floats, NaN where blank or bad; mask of bad non-blank cells).

    NaN and ±Infinity count as bad cells, not as blanks.

    Accepts decimal commas ("50,6292") and a trailing degree sign.
    """
    text = values.astype("str").fillna("").str.replace(r"[°\s]", "", regex=True)
    comma = text.str.fullmatch(_DECIMAL_COMMA).fillna(False).astype(bool)
    text = text.where(~comma, text.str.replace(",", ".", regex=False))
    numbers = pd.to_numeric(text.where(text != ""), errors="coerce").to_numpy(dtype=float)
    numbers = np.where(np.isinf(numbers), np.nan, numbers)  # "inf" parses: no coordinate
    bad = (text != "").to_numpy() & np.isnan(numbers)
    if bad.any():
        numbers[bad] = _degrees_minutes_seconds(values[bad])
        bad &= np.isnan(numbers)
    return numbers, bad


def _degrees_minutes_seconds(values: pd.Series) -> np.ndarray:
    """Cells such as 48°7′48″N or 3.6921 W as signed decimal degrees (south and west
    negative); NaN where a cell is not one, or its minutes or seconds reach 60.

    >>> _degrees_minutes_seconds(pd.Series(["48°7′48″N", "3° 41' 31.6\\" W", "40,4138 N",
    ...                                     "N 48° 7.8'", "48°61'N", "north"])).round(4).tolist()
    [48.13, -3.6921, 40.4138, 48.13, nan, nan]
    """
    text = values.astype(str).str.translate(_PRIMES).str.strip()
    parts = text.str.extract(_DMS)
    degrees, minutes, seconds = (
        pd.to_numeric(parts[i].str.replace(",", ".", regex=False), errors="coerce").to_numpy()
        for i in (1, 2, 3)
    )
    minutes, seconds = np.nan_to_num(minutes), np.nan_to_num(seconds)
    hemisphere = parts[0].fillna(parts[4]).str.upper().to_numpy(dtype=object)
    value = degrees + minutes / 60 + seconds / 3600
    value = np.where(np.isin(hemisphere, ["S", "W"]), -value, value)
    marked = pd.notna(hemisphere) | text.str.contains("[°'\"]", regex=True).to_numpy()
    valid = marked & (minutes < 60) & (seconds < 60)
    return np.where(valid, value, np.nan)


def split_latlon(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'50.63,3.06', '50.63, 3.06', '[50.63, 3.06]', '50,63;3,06' and WKT points such as
    'Point(3.06 50.63)' (longitude first, as Wikidata and GIS exports write them), and
    '50°37′45″N 3°03′26″E' → lat and lon cells.

    >>> lat, lon = split_latlon(pd.Series(["50.63, 3.06", "POINT (3.06 50.63)", "nowhere"]))
    >>> lat.tolist(), lon.tolist()
    (['50.63', '50.63', 'nowhere'], ['3.06', '3.06', nan])
    """
    text = values.astype("object").where(values.notna(), "").astype(str).str.strip()
    parts = text.str.extract(_LATLON)
    wkt = text.str.extract(_WKT_POINT)  # (lon, lat)
    dms = text.str.translate(_PRIMES).str.extract(_DMS_PAIR)
    lat = parts[0].where(parts[0].notna(), wkt[1]).where(lambda cells: cells.notna(), dms[0])
    lon = parts[1].where(parts[1].notna(), wkt[0]).where(lambda cells: cells.notna(), dms[1])
    # Unparseable non-blank cells go through as the latitude so that they are reported.
    lat = lat.astype("object").where(lat.notna(), text.where(text != ""))
    return lat.astype("object"), lon.astype("object")


# --------------------------------------------------------------------------- rows


@dataclass
class Positions:
    """Longitude/latitude per row in EPSG:4326 (NaN = none), and what was done to them."""

    x: np.ndarray
    y: np.ndarray
    note: np.ndarray
    shown: np.ndarray  # the position as the file gave it, for reject messages
    column: np.ndarray  # where it came from

    @classmethod
    def empty(cls, rows: int, column: str | None) -> Positions:
        return cls(
            np.full(rows, np.nan),
            np.full(rows, np.nan),
            np.full(rows, None, object),
            np.full(rows, None, object),
            np.full(rows, column, object),
        )


def from_geometry(raw: RawLayer, crs: pyproj.CRS | None) -> tuple[Positions, pyproj.CRS]:
    positions = Positions.empty(len(raw.frame), "geometry")
    if raw.geometry is None:
        raise ValueError("from_geometry needs a layer with a geometry column")
    source_crs = pyproj.CRS.from_user_input(raw.geometry.crs or crs or CRS)
    geometries = raw.geometry.to_numpy()
    present = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    kinds = np.array(shapely.get_type_id(geometries))
    not_point = present & (kinds != shapely.GeometryType.POINT)
    points = geometries.copy()
    points[not_point] = shapely.point_on_surface(geometries[not_point])
    positions.x[present] = shapely.get_x(points[present])
    positions.y[present] = shapely.get_y(points[present])
    type_names = shapely.get_type_id(geometries[not_point])
    for row, kind in zip(np.flatnonzero(not_point), type_names, strict=True):
        name = shapely.GeometryType(kind).name.title().replace("string", "String")
        positions.note[row] = f"representative point of a {name}"
        raw.warn(
            f"a {name}, not a point: placed at a point on it (position_note says so)",
            row=raw.source_row[row],
            layer=layer_of(raw, row),
            column="geometry",
        )
    positions.shown[present] = [
        f"{x:.6f}, {y:.6f}" for x, y in zip(positions.x[present], positions.y[present], strict=True)
    ]
    return positions, source_crs


def from_columns(
    raw: RawLayer, mapping: dict[str, str], positions: Positions, outcome: Outcome
) -> None:
    """Fill rows without geometry from lat/lon (or combined) columns, rejecting bad cells."""
    if "lat" in mapping:
        lat_cells, lon_cells = raw.frame[mapping["lat"]], raw.frame[mapping["lon"]]
        label = f"{mapping['lat']}/{mapping['lon']}"
    elif "latlon" in mapping:
        lat_cells, lon_cells = split_latlon(raw.frame[mapping["latlon"]])
        label = mapping["latlon"]
    else:
        return
    empty = np.isnan(positions.x)
    lat, bad_lat = _numbers(lat_cells)
    lon, bad_lon = _numbers(lon_cells)
    shown = np.asarray(
        [
            " / ".join(str(v) for v in pair if v is not None)
            for pair in zip(
                lat_cells.where(lat_cells.notna(), None),
                lon_cells.where(lon_cells.notna(), None),
                strict=True,
            )
        ],
        dtype=object,
    )
    outcome.reject(
        empty & (bad_lat | bad_lon),
        "invalid coordinates",
        "latitude and longitude must be decimal degrees such as 50.6292 and "
        "3.0573 (a decimal comma is fine) or degrees, minutes and seconds with the "
        "hemisphere such as 50°37′45″N; fix the cell or leave it empty",
        column=label,
        value=shown,
    )
    one_only = empty & ~(bad_lat | bad_lon) & (np.isnan(lat) != np.isnan(lon))
    outcome.reject(
        one_only,
        "incomplete coordinates",
        "only one of latitude and longitude is given; fill in both or neither",
        column=label,
        value=shown,
    )
    use = empty & ~np.isnan(lat) & ~np.isnan(lon) & outcome.open
    positions.x[use], positions.y[use] = lon[use], lat[use]
    positions.shown[use] = shown[use]
    positions.column[use] = label


def _in_europe(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    west, south, east, north = EUROPE_BBOX
    return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)


def _reproject(positions: Positions, rows: np.ndarray, crs: pyproj.CRS) -> None:
    transformer = pyproj.Transformer.from_crs(crs, CRS, always_xy=True)
    positions.x[rows], positions.y[rows] = transformer.transform(
        positions.x[rows], positions.y[rows]
    )
    note = f"reprojected from {crs.to_string()}"
    positions.note[rows] = [f"{n}; {note}" if n else note for n in positions.note[rows]]


def check_positions(
    raw: RawLayer,
    positions: Positions,
    outcome: Outcome,
    geometry_crs: pyproj.CRS | None,
    column_crs: pyproj.CRS,
    countries: np.ndarray,
) -> None:
    """Reproject declared CRSs, reject out-of-range and undeclared projected positions,
    and repair latitude/longitude swapped on evidence (see ``swap_evidence``)."""
    given = ~np.isnan(positions.x) & outcome.open
    from_geometry = positions.column == "geometry"
    wgs84 = pyproj.CRS.from_user_input(CRS)
    for crs, rows in ((geometry_crs, given & from_geometry), (column_crs, given & ~from_geometry)):
        if crs is not None and not crs.equals(wgs84, ignore_axis_order=True) and rows.any():
            _reproject(positions, rows, crs)
            moved = counted(int(rows.sum()), "position")
            raw.warn(f"{moved} reprojected from {crs.to_string()} to WGS84")
    x, y = positions.x, positions.y
    out_of_range = given & ((np.abs(y) > 90) | (np.abs(x) > 180))
    projected = out_of_range & (np.abs(x) > _PROJECTED_MIN) & (np.abs(y) > _PROJECTED_MIN)
    outcome.reject(
        projected,
        "projected coordinates",
        "these look like metres in a projected coordinate system (such as "
        "EPSG:3035), not degrees, and the file does not say which one; declare "
        "it (GeoJSON crs member, crs= option, --crs) or export WGS84 "
        "latitude/longitude",
        column=positions.column,
        value=positions.shown,
    )
    outcome.reject(
        out_of_range,
        "coordinates out of range",
        "latitude must be within ±90 and longitude within ±180 degrees",
        column=positions.column,
        value=positions.shown,
    )
    swapped, notes = swap_evidence(x, y, countries, given & outcome.open)
    positions.x[swapped], positions.y[swapped] = y[swapped].copy(), x[swapped].copy()
    fixed = [
        f"latitude and longitude were swapped in the file; fixed ({e})" for e in notes[swapped]
    ]
    positions.note[swapped] = [
        f"{n}; {f}" if n else f for n, f in zip(positions.note[swapped], fixed, strict=True)
    ]
    for row in np.flatnonzero(swapped):
        raw.warn(
            f"latitude and longitude swapped ({positions.shown[row]}): fixed ({notes[row]})",
            row=raw.source_row[row],
            layer=layer_of(raw, row),
            column=positions.column[row],
        )


def swap_evidence(
    x: np.ndarray, y: np.ndarray, countries: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which of ``rows`` have latitude and longitude swapped, and the evidence (a note).

    Only on evidence: the given point lies outside Europe (so in no NUTS region of the
    mainland; the outermost regions count as their country) and outside its stated
    country, while the swapped point lies inside the stated country; with no stated
    country, the given point is far from every known place while the swapped point lies
    in a NUTS country. Which country a point lies in comes from the nearest GeoNames
    place (``geocode.country_at``), offline.
    """
    swapped = np.zeros(x.size, dtype=bool)
    notes = np.full(x.size, None, dtype=object)
    candidates = np.flatnonzero(rows & ~_in_europe(x, y) & (np.abs(x) <= 90))
    if not candidates.size:
        return swapped, notes
    given_in = geocode.country_at(x[candidates], y[candidates])
    swapped_in = geocode.country_at(y[candidates], x[candidates])
    stated = countries[candidates]
    has_country = np.array([c is not None for c in stated], dtype=bool)
    by_country = has_country & (given_in != stated) & (swapped_in == stated)
    no_country = ~has_country & np.array(
        [
            g is None and s in geocode.NUTS_COUNTRIES
            for g, s in zip(given_in, swapped_in, strict=True)
        ],
        dtype=bool,
    )
    swapped[candidates[by_country | no_country]] = True
    notes[candidates[by_country]] = [
        f"as given the point lies {'in ' + g if g else 'far from any place'}, not in the "
        f"stated country {c}; swapped it lies in {c}"
        for g, c in zip(given_in[by_country], stated[by_country], strict=True)
    ]
    notes[candidates[no_country]] = [
        f"as given the point is far from any place; swapped it lies in {s}"
        for s in swapped_in[no_country]
    ]
    return swapped, notes


def crs_option(raw: RawLayer, crs: Any) -> pyproj.CRS | None:
    """The ``crs=`` option (``--crs``, a manifest's ``crs``) as a CRS that gives positions
    on the Earth's surface (``check_crs``: geocentric or engineering systems refused)."""
    if crs is None:
        return None
    try:
        parsed = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as e:
        raise InputFileError(
            raw.file,
            f"the coordinate system {crs!r} is not understood",
            "Give an EPSG code such as EPSG:3035",
        ) from e
    return check_crs(raw.file, parsed, given=f"the crs option {crs!r}")
