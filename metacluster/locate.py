"""Locate: join actors to the NUTS regions (levels 0–3) of one NUTS version.

One exact point-in-polygon pass over the finest regions (NUTS-3, plus the few regions that
have no subdivision in GISCO's files, such as UA and the BA level-2 regions in 2024) gives
each point its region; the coarser levels follow from the code hierarchy, because NUTS codes
are prefixes (FRE11 ⊂ FRE1 ⊂ FRE ⊂ FR).
The join uses the most detailed geometry to hand (``settings.join_scale``, else the finest
scale in the source or the cache), while maps draw the coarse ``display_scale``: a point
near a border lands where the detailed boundary puts it.

Most points lie far from every boundary. A raster over Europe, built once per NUTS version
and scale, answers for those from a table look-up; only points in raster cells that a
boundary passes near (and points outside the raster) go to the exact STRtree test. The
answer is the exact point-in-polygon answer, only faster.

Points outside every region (on the coast, across a border) snap to the nearest region
within ``snap_km``; rows with only a NUTS code are placed at a representative point
of their region; codes that contradict the coordinates are flagged. No row is dropped.
"""

from __future__ import annotations

import logging
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from metacluster import geocode, nuts, postcodes, settings
from metacluster._errors import NutsCodeError, NutsUnavailableError
from metacluster._nuts_index import (
    NO_REGION,
    CellGrid,
    NutsIndex,
    area_transformer,
    nuts_index,
    smallest_per_input,
    take,
)
from metacluster._text import fold_series
from metacluster.schema import NUTS_LEVELS, NUTS_MATCHES

logger = logging.getLogger(__name__)

WITHIN, SNAPPED, FROM_CODE, CODE_CONFLICT, UNMATCHED = range(len(NUTS_MATCHES))
"""Positions of the ``nuts_match`` values in ``schema.NUTS_MATCHES``."""

_STR: Final = pd.StringDtype("pyarrow", na_value=np.nan)
"""pandas' default ``str`` dtype, built from Arrow arrays without a round trip via Python."""


def join_nuts(
    actors: gpd.GeoDataFrame,
    *,
    year: int | None = None,
    snap_km: float | None = None,
    scale: str | None = None,
) -> gpd.GeoDataFrame:
    """Add the NUTS regions (levels 0–3) of each actor, in this process.

    ``metacluster.join_nuts`` (``engine.join_nuts``) takes the same arguments plus
    ``engine`` and runs this, or the same join on a Dask cluster.

    Parameters
    ----------
    actors
        Actors with Point geometries (None or empty where unknown) in any CRS, and
        optionally a ``nuts_code`` column (codes of any level).
    year
        NUTS version (one of ``nuts.YEARS``); None means ``settings.nuts_year``.
    snap_km
        Points outside every NUTS region snap to the nearest one within this distance
        (measured in EPSG:3035); None means ``settings.snap_km``.
    scale
        GISCO scale of the geometries joined against; None means ``settings.join_scale``
        when available, else the finest scale in the source or the cache.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy in EPSG:4326 with the same index and row order, plus ``nuts0``…``nuts3``,
        ``nuts0_name``…``nuts3_name`` (Latin-script names), ``nuts_match`` (within, snapped,
        from_code, code_conflict or unmatched) and ``nuts_note``, which says what happened
        for every row that is not ``within``, and the consistency flags ``country_conflict``
        and ``position_suspect`` (see ``check_consistency``; None where nothing is odd).
        A point on a border shared by two regions goes to the one with the smaller code. A
        given ``nuts_code`` that contradicts the point is kept, and the regions follow the
        point (``code_conflict``). Rows placed by their ``nuts_code`` get a representative
        point of the region and ``position_source = "nuts"``. ``attrs["nuts_year"]`` and
        ``attrs["nuts_scale"]``
        record the version and scale used.

    Raises
    ------
    ValueError
        For actors without a CRS, with non-point geometries, or a negative ``snap_km``.
    NutsUnavailableError
        When no NUTS geometry of that version can be had.
    """
    asked = scale
    year, snap_km, scale = check_arguments(actors, year=year, snap_km=snap_km, scale=scale)
    logger.info("joining %d actors to NUTS %d at scale %s", len(actors), year, scale)
    index = nuts_index(year, scale)
    joined = check_consistency(join_with_index(actors, index, year=year, snap_km=snap_km), index)
    return note_scale(joined, asked)


SCALE_TOLERANCE_KM: Final = {"01M": 0.2, "03M": 0.5, "10M": 1.5, "20M": 3.0, "60M": 8.0}
"""How far a generalised GISCO boundary may stray from the true one (km, rough): points
this close to a border may lie in the neighbouring region."""


def note_scale(joined: gpd.GeoDataFrame, asked: str | None) -> gpd.GeoDataFrame:
    """Record in ``attrs["nuts_scale_note"]`` (and log a warning) when the join could not
    use the preferred detailed scale (``settings.join_scale``) and fell back to a coarser
    one; exports carry the note in their metadata."""
    scale = joined.attrs.get("nuts_scale")
    if asked is None and scale is not None and scale != settings.join_scale:
        note = (
            f"the NUTS {settings.join_scale} boundaries were not available; actors were "
            f"joined at {scale}, whose borders may stray by about "
            f"{SCALE_TOLERANCE_KM.get(scale, 1.0):g} km: actors that close to a border may "
            f"be in the neighbouring region (fetch {settings.join_scale} with `metacluster "
            "nuts fetch` for exact regions)"
        )
        logger.warning(note)
        joined.attrs["nuts_scale_note"] = note
    return joined


def check_arguments(
    actors: gpd.GeoDataFrame, *, year: int | None, snap_km: float | None, scale: str | None
) -> tuple[int, float, str]:
    """``join_nuts``' arguments checked before any work, None replaced by the settings:
    (year, snap_km, scale). Whichever engine joins, it checks with this."""
    year = nuts.check_year(year)
    snap_km = check_snap_km(snap_km)
    _check_actors(actors)
    scale = nuts.best_scale(year) if scale is None else nuts.check_scale(scale)
    return year, snap_km, scale


def check_snap_km(snap_km: float | None) -> float:
    """The snap distance to use: ``snap_km`` or ``settings.snap_km``, checked (0 or more)."""
    snap_km = settings.snap_km if snap_km is None else float(snap_km)
    if not snap_km >= 0:
        raise ValueError(f"snap_km must be a distance in km, 0 or more, not {snap_km!r}")
    return snap_km


def join_with_index(
    actors: gpd.GeoDataFrame, index: NutsIndex, *, year: int, snap_km: float
) -> gpd.GeoDataFrame:
    """``join_nuts`` on checked arguments with a given index: what the Dask engine runs on
    each partition, with the index built once and broadcast to the workers."""
    scale = index.scale
    result = actors.copy(deep=False) if actors.crs.to_epsg() == 4326 else actors.to_crs(4326)
    geometries = np.asarray(result.geometry.array, dtype=object)
    coordinates = np.full((len(result), 2), np.nan)
    xy, has_xy = shapely.get_coordinates(geometries, return_index=True)  # skips None, empty
    coordinates[has_xy] = xy
    has_point = np.isfinite(coordinates).all(axis=1)

    join = _Join(index, has_point)
    join.locate_points(geometries, coordinates, snap_km)
    codes = _given_codes(result)
    join.check_codes(codes, year)
    join.keep_code_placements(result, codes)
    positioned = join.place_by_code(codes, year)
    if positioned.size:
        _set_positions(result, positioned, index, join.level_rows[:, positioned])
    return join.assemble(result, year, scale)


def _check_actors(actors: gpd.GeoDataFrame) -> None:
    """Reject what the join cannot use, before any work."""
    if not isinstance(actors, gpd.GeoDataFrame):
        raise TypeError(f"join_nuts needs a GeoDataFrame of actors, not {type(actors).__name__}")
    if actors.crs is None:
        raise ValueError(
            "the actors have no CRS: set it first (actors.set_crs(4326) for longitude/latitude)"
        )
    geometries = np.asarray(actors.geometry.array, dtype=object)
    not_points = np.flatnonzero(shapely.get_type_id(geometries) > 0)  # None is -1, Point 0
    not_points = not_points[~shapely.is_empty(geometries[not_points])]
    if not_points.size:
        first = not_points[0]
        raise ValueError(
            f"join_nuts needs Point geometries: {not_points.size} rows have others (first: "
            f"row {actors.index[first]!r}, a {geometries[first].geom_type})"
        )


def _given_codes(actors: gpd.GeoDataFrame) -> pd.Series:
    """The ``nuts_code`` column in upper case without spaces (missing where none), by row."""
    if "nuts_code" not in actors.columns:
        return pd.Series(pa.nulls(len(actors), pa.large_string()), dtype=_STR)
    codes = actors["nuts_code"].astype("str").str.strip().str.upper().reset_index(drop=True)
    return codes.mask(codes == "")


class _Join:
    """The join's working arrays, one entry per actor, filled stage by stage."""

    def __init__(self, index: NutsIndex, has_point: np.ndarray) -> None:
        size = has_point.size
        self.index = index
        self.has_point = has_point
        self.region = np.full(size, NO_REGION, dtype=np.int64)
        """Row in the index's finest regions of the region each point lies in (or snapped to)."""
        self.level_rows = np.full((len(NUTS_LEVELS), size), NO_REGION, dtype=np.int64)
        """Per level, the row of the actor's region in that level's table."""
        self.match = np.full(size, UNMATCHED, dtype=np.int8)
        self.note = np.full(size, None, dtype=object)

    def add_notes(self, rows: np.ndarray, texts: np.ndarray | str) -> None:
        """Set the notes of ``rows`` (texts in the same order), after any they already have."""
        texts = np.full(rows.size, texts, dtype=object) if isinstance(texts, str) else texts
        before = self.note[rows]
        earlier = pd.notna(before)
        texts[earlier] = before[earlier] + "; " + texts[earlier]
        self.note[rows] = texts

    def locate_points(
        self, geometries: np.ndarray, coordinates: np.ndarray, snap_km: float
    ) -> None:
        """Exact point-in-polygon over the finest regions; points outside all snap or stay out."""
        index = self.index
        rows = np.flatnonzero(self.has_point)
        x, y = coordinates[rows, 0], coordinates[rows, 1]
        region = index.grid.lookup(x, y)
        undecided = np.flatnonzero(region == CellGrid.MIXED)
        found, polygon = index.tree.query(geometries[rows[undecided]], predicate="intersects")
        region[undecided] = smallest_per_input(undecided.size, found, polygon)
        self.region[rows] = region
        self.match[rows[region >= 0]] = WITHIN
        outside = rows[region < 0]
        if outside.size:
            self._snap(outside, coordinates[outside], snap_km)
        self.level_rows[:, rows] = index.finest_ancestors[:, self.region[rows]]

    def _snap(self, rows: np.ndarray, coordinates: np.ndarray, snap_km: float) -> None:
        """Snap points outside every region to the nearest within ``snap_km``; note the rest."""
        index = self.index
        x, y = area_transformer().transform(coordinates[:, 0], coordinates[:, 1])
        points = shapely.points(np.column_stack([x, y]))
        # one search without max_distance: the notes need the distance of far points too, and
        # a bounded search followed by one for the rest measured slower
        region, distance = index.nearest_regions(points)
        snapped = distance <= snap_km * 1000
        far = ~snapped
        self.region[rows[snapped]] = region[snapped]
        self.match[rows[snapped]] = SNAPPED

        where = (
            take(index.finest_codes, region).to_numpy(zero_copy_only=False)
            + " ("
            + take(index.finest_names, region).to_numpy(zero_copy_only=False)
            + "), "
            + np.char.mod("%.1f", distance / 1000).astype(object)
            + " km away"
        )
        self.add_notes(rows[snapped], "outside every NUTS region; snapped to " + where[snapped])
        self.add_notes(
            rows[far],
            "outside every NUTS region; the nearest is "
            + where[far]
            + f" (more than the {snap_km:g} km snap distance)",
        )

    def check_codes(self, codes: pd.Series, year: int) -> None:
        """Flag points whose given code names another region; the regions follow the point."""
        index = self.index
        given = np.flatnonzero(codes.notna().to_numpy() & (self.region >= 0))
        code = codes.iloc[given].reset_index(drop=True)
        level, row = index.find(code)
        code = code.to_numpy(dtype=object)
        point_row = self.level_rows[np.maximum(level, 0), given]
        malformed, unknown = level < 0, (level >= 0) & (row < 0)
        differs = (row >= 0) & (row != point_row)
        self.match[given[malformed | unknown | differs]] = CODE_CONFLICT
        level, point_row = level[differs], point_row[differs]
        self.add_notes(
            given[differs],
            "nuts_code "
            + code[differs]
            + " given but the point lies in "
            + index.texts_at(index.codes, level, point_row)
            + " ("
            + index.texts_at(index.names, level, point_row)
            + ")",
        )
        self.add_notes(
            given[unknown],
            "nuts_code " + code[unknown] + f" is not a NUTS {year} code (maybe from another "
            "NUTS version); the regions follow the coordinates",
        )
        self.add_notes(
            given[malformed],
            "nuts_code '" + code[malformed] + "' is not a NUTS code; the regions follow the "
            "coordinates",
        )

    def keep_code_placements(self, actors: gpd.GeoDataFrame, codes: pd.Series) -> None:
        """Points an earlier join put at their code's region (``position_source`` "nuts",
        as in a re-imported export) stay ``from_code``, not ``within``."""
        if "position_source" not in actors.columns:
            return
        placed = (actors["position_source"].astype("object") == "nuts").to_numpy()
        rows = np.flatnonzero(placed & codes.notna().to_numpy() & (self.match == WITHIN))
        self.match[rows] = FROM_CODE
        self.add_notes(
            rows,
            "region from nuts_code "
            + codes.iloc[rows].to_numpy(dtype=object)
            + "; positioned at a representative point of that region by an earlier join",
        )

    def place_by_code(self, codes: pd.Series, year: int) -> np.ndarray:
        """Regions from the given codes where the coordinates gave none.

        That is rows without a point, and points beyond the snap distance (which keep their
        point). Loops over the distinct codes only. Returns the rows without a point that
        got a region, to be positioned in it.
        """
        has_code = codes.notna().to_numpy()
        rows = np.flatnonzero(has_code & (self.region < 0))
        distinct = pd.Index(codes.iloc[rows].unique())
        resolved = [self._resolve(code, year) for code in distinct]
        which = distinct.get_indexer(codes.iloc[rows])
        level = np.array([level for level, _, _ in resolved], dtype=np.int64)[which]
        row = np.array([row for _, row, _ in resolved], dtype=np.int64)[which]
        notes = np.array([note for _, _, note in resolved], dtype=object)[which]
        found = row >= 0
        for code_level in NUTS_LEVELS:
            at_level = found & (level == code_level)
            self.level_rows[:, rows[at_level]] = self.index.ancestors[code_level][:, row[at_level]]
        self.match[rows[found]] = FROM_CODE
        self.add_notes(rows, notes)
        positioned = rows[found & ~self.has_point[rows]]
        self.add_notes(positioned, "placed at a representative point of that region")
        self.add_notes(np.flatnonzero(~self.has_point & ~has_code), "no position and no nuts_code")
        return positioned

    def _resolve(self, code: str, year: int) -> tuple[int, int, str]:
        """(level, row in that level's table or -1, note) for one given code."""
        index = self.index
        if not nuts.CODE_PATTERN.fullmatch(code):
            return NO_REGION, NO_REGION, f"nuts_code '{code}' is not a NUTS code"
        level = len(code) - 2
        row = index.row_of(level, code)
        if row >= 0:
            return level, row, f"region from nuts_code {code} ({index.name_of(level, row)})"
        try:
            region = nuts.lookup(code, year)
        except NutsCodeError as error:  # says what to try instead
            return NO_REGION, NO_REGION, f"nuts_code {error}"
        except NutsUnavailableError as error:
            logger.warning("could not check %s against the other NUTS version: %s", code, error)
            return (
                NO_REGION,
                NO_REGION,
                (
                    f"nuts_code {code} is not a NUTS {year} code (the other NUTS version could "
                    "not be checked)"
                ),
            )
        if region.year == year or not region.equivalents:
            return (
                NO_REGION,
                NO_REGION,
                region.note
                or (f"nuts_code {code} has no geometry in the NUTS {year} {index.scale} files"),
            )
        best, best_name, share = region.equivalents[0]
        return (
            level,
            index.row_of(level, best),
            (f"{region.note}; regions from its largest part, {best} ({best_name}, {share:.0%})"),
        )

    def assemble(self, result: gpd.GeoDataFrame, year: int, scale: str) -> gpd.GeoDataFrame:
        """Write the NUTS columns into ``result`` (a copy of the actors) and return it."""
        for column, tables in (("nuts{}", self.index.codes), ("nuts{}_name", self.index.names)):
            for level in NUTS_LEVELS:
                values = take(tables[level], self.level_rows[level])
                result[column.format(level)] = pd.Series(values, index=result.index, dtype=_STR)
        labels = pa.array(NUTS_MATCHES, type=pa.large_string()).take(self.match)
        result["nuts_match"] = pd.Series(labels, index=result.index, dtype=_STR)
        notes = pa.array(self.note, type=pa.large_string(), from_pandas=True)
        result["nuts_note"] = pd.Series(notes, index=result.index, dtype=_STR)
        result.attrs["nuts_year"] = year
        result.attrs["nuts_scale"] = scale
        return result


def _set_positions(
    result: gpd.GeoDataFrame, rows: np.ndarray, index: NutsIndex, level_rows: np.ndarray
) -> None:
    """Put ``rows`` at a representative point of the finest region their code names."""
    finest = (level_rows >= 0).sum(axis=0) - 1
    points = np.empty(rows.size, dtype=object)
    for level in NUTS_LEVELS:
        at_level = finest == level
        points[at_level] = index.representative_points[level][level_rows[level, at_level]]
    geometries = result.geometry.array.copy()
    geometries[rows] = points
    result[result.geometry.name] = gpd.GeoSeries(geometries, index=result.index, crs=4326)
    sources = (
        result["position_source"]
        if "position_source" in result.columns
        else pd.Series(None, index=result.index, dtype="object")
    ).astype("str")
    sources.iloc[rows] = "nuts"
    result["position_source"] = sources


SUSPECT_CITY_KM: Final = 50.0
"""A given position farther than this from the centre of its stated city is suspect."""

CENTRE_KM: Final = 1.0
"""A given position this close to the centre of its NUTS-0/1/2 region is suspect."""

_CENTRE_LEVELS: Final = (0, 1, 2)


def check_consistency(joined: gpd.GeoDataFrame, index: NutsIndex) -> gpd.GeoDataFrame:
    """Add ``country_conflict`` and ``position_suspect`` to joined actors; rows are kept,
    positions never moved.

    ``country_conflict``: the stated ``country`` differs from the located NUTS-0 (or, outside
    NUTS, from the country the point lies in), with the distance to the stated country's
    nearest town. ``position_suspect``: a given position that looks like a geocoder's
    fallback (the same coordinates as actors in other cities; the centre of a country or
    region) or lies more than ``SUSPECT_CITY_KM`` from its stated city.
    """
    size = len(joined)
    xy = np.full((size, 2), np.nan)
    found, rows = shapely.get_coordinates(
        np.asarray(joined.geometry.array, dtype=object), return_index=True
    )
    xy[rows] = found
    conflict = np.full(size, None, dtype=object)
    suspect: list[list[str]] = [[] for _ in range(size)]
    if "postcode" in joined.columns:
        _postcode_evidence(joined, xy, index, suspect)
    if "country" in joined.columns:
        _country_conflicts(joined, xy, conflict)
    given = _given_positions(joined) & np.isfinite(xy[:, 0])
    if "city" in joined.columns:
        _shared_positions(joined, xy, given, suspect)
        _far_from_city(joined, xy, given, suspect)
    _at_region_centres(joined, xy, given, index, suspect)
    codes = np.full(size, None, dtype=object)
    if "region" in joined.columns and "nuts_code" in joined.columns:
        _code_names(joined, index, codes)
    joined["country_conflict"] = pd.Series(conflict, index=joined.index, dtype=_STR)
    joined["position_suspect"] = pd.Series(
        ["; ".join(s) if s else None for s in suspect], index=joined.index, dtype=_STR
    )
    joined["code_suspect"] = pd.Series(codes, index=joined.index, dtype=_STR)
    return joined


def _postcode_evidence(
    joined: gpd.GeoDataFrame, xy: np.ndarray, index: NutsIndex, suspect: list[list[str]]
) -> None:
    """Where the postcode's NUTS-3 region (Eurostat's exact correspondence; the country is
    the stated one, else the point's) differs from the point's: within the scale's border
    tolerance of that region the postcode decides (noted in ``nuts_note``); farther away
    the row is flagged."""
    match = joined["nuts_match"].astype("object").to_numpy()
    rows = np.flatnonzero(np.isin(match, ["within", "snapped"]) & np.isfinite(xy[:, 0]))
    if not rows.size or not postcodes.available():
        return
    country = joined["nuts0"].astype("object")  # where the row states none
    if "country" in joined.columns:
        country = joined["country"].astype("object").where(joined["country"].notna(), country)
    claimed = postcodes.nuts3_of(
        country.iloc[rows].reset_index(drop=True),
        joined["postcode"].iloc[rows].reset_index(drop=True),
    )
    located = joined["nuts3"].astype("object").to_numpy()[rows]
    finest = pd.Index(index.finest_codes.to_pylist())
    differs = np.flatnonzero(
        pd.notna(claimed) & (claimed != located) & (finest.get_indexer(claimed) >= 0)
    )
    if not differs.size:
        return
    tolerance = SCALE_TOLERANCE_KM.get(index.scale, 1.0)
    transformer = area_transformer()
    polygons = index.tree.geometries[finest.get_indexer(claimed[differs])]
    projected = shapely.transform(
        polygons, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1]))
    )
    at = rows[differs]
    px, py = transformer.transform(xy[at, 0], xy[at, 1])
    km = shapely.distance(projected, shapely.points(px, py)) / 1000
    for row, code, distance in zip(at, claimed[differs], km, strict=True):
        postcode = joined["postcode"].iloc[row]
        if distance <= tolerance:
            _move_to_region(joined, row, code, index)
            note = (
                f"region from postcode {postcode} ({code}): the point lies {distance:.1f} km "
                f"from it, within the {index.scale} boundaries' tolerance of {tolerance:g} km"
            )
            before = joined["nuts_note"].iloc[row]
            joined.iloc[row, joined.columns.get_loc("nuts_note")] = (
                f"{before}; {note}" if isinstance(before, str) else note
            )
        else:
            suspect[row].append(
                f"postcode {postcode} is in {code}, {distance:.0f} km from the point "
                f"(in {joined['nuts3'].iloc[row]})"
            )


def _move_to_region(joined: gpd.GeoDataFrame, row: int, code: str, index: NutsIndex) -> None:
    """Set the NUTS columns of one row to the NUTS-3 region ``code`` and its parents."""
    level3 = index.row_of(3, code)
    for level in NUTS_LEVELS:
        at = int(index.ancestors[3][level, level3])
        joined.iloc[row, joined.columns.get_loc(f"nuts{level}")] = index.codes[level][at].as_py()
        joined.iloc[row, joined.columns.get_loc(f"nuts{level}_name")] = index.name_of(level, at)


def _code_names(joined: gpd.GeoDataFrame, index: NutsIndex, flags: np.ndarray) -> None:
    """Flag given codes that are not the region the row names, with the code of that name.

    The row's ``region`` (a name) must be the code's region or one of its parents (a code
    finer than the name is fine: FRE11 in "Hauts-de-France"). Otherwise, and when a region
    of the code's country (else the stated or located country) has that name, the flag
    names it: "Extremadura" with ES4 (Centro (ES), NUTS-1) suggests ES43. Unknown codes get
    the same suggestion. Names that match no region (a city, a free text) are left alone.
    """
    codes = _given_codes(joined).to_numpy(dtype=object)
    stated = joined["region"].astype("object").to_numpy()
    rows = np.flatnonzero(pd.notna(codes) & pd.notna(stated))
    if not rows.size:
        return
    regions = [
        (code, name, level)
        for level in NUTS_LEVELS
        for code, name in zip(
            index.codes[level].to_pylist(), index.names[level].to_pylist(), strict=True
        )
    ]
    countries = _row_countries(joined)
    year = joined.attrs.get("nuts_year")
    pairs = pd.DataFrame({"code": codes[rows], "region": stated[rows], "country": countries[rows]})
    for (code, region, country), group in pairs.groupby(
        ["code", "region", "country"], dropna=False, sort=False
    ).groups.items():
        flag = _code_name_flag(str(code), str(region), country, regions, index, year)
        if flag:
            flags[rows[group]] = flag


def _row_countries(joined: gpd.GeoDataFrame) -> np.ndarray:
    """The NUTS country of each row: the stated one (GR/GB as EL/UK), else the located one."""
    located = joined["nuts0"].astype("object")
    if "country" not in joined.columns:
        return located.to_numpy()
    stated = (
        joined["country"]
        .astype("object")
        .map(
            lambda c: (
                nuts.ISO_TO_NUTS_COUNTRY.get(c.strip().upper(), c.strip().upper())
                if isinstance(c, str) and c.strip()
                else None
            )
        )
    )
    return stated.where(stated.notna(), located).to_numpy()


def _code_name_flag(
    code: str,
    region: str,
    country: object,
    regions: list[nuts.NamedRegion],
    index: NutsIndex,
    year: object,
) -> str | None:
    known = nuts.CODE_PATTERN.fullmatch(code) is not None
    level = len(code) - 2 if known else None
    row = index.row_of(level, code) if level is not None else NO_REGION
    where = code[:2] if row >= 0 else country
    named = nuts.regions_named(region, [r for r in regions if r[0][:2] == where], level=level)
    if not named or any(code.startswith(found) for found, _, _ in named):
        return None
    best, best_name, best_level = named[0]
    if row < 0 or level is None:
        return (
            f"nuts_code {code} is not a NUTS {year} code; the row's region "
            f"{region!r} is {best} {best_name} (NUTS-{best_level})"
        )
    return (
        f"nuts_code {code} is {index.name_of(level, row)} (NUTS-{level}), not the row's "
        f"region {region!r}: that is {best} {best_name} (NUTS-{best_level})"
    )


def _given_positions(joined: gpd.GeoDataFrame) -> np.ndarray:
    if "position_source" not in joined.columns:
        return np.ones(len(joined), dtype=bool)
    source = joined["position_source"].astype("object").to_numpy()
    return np.array([s in (None, "given") or s != s for s in source], dtype=bool)


def _country_conflicts(joined: gpd.GeoDataFrame, xy: np.ndarray, conflict: np.ndarray) -> None:
    stated = joined["country"].astype("object").to_numpy()
    stated = np.array(
        [c.strip().upper() if isinstance(c, str) and c.strip() else None for c in stated],
        dtype=object,
    )
    located = joined["nuts0"].astype("object").to_numpy()
    located = np.array([c if isinstance(c, str) else None for c in located], dtype=object)
    has_point = np.isfinite(xy[:, 0])
    outside = np.flatnonzero(
        has_point & (located == None) & (stated != None)  # noqa: E711 (element-wise)
    )
    if outside.size:
        located = located.copy()
        located[outside] = geocode.country_at(xy[outside, 0], xy[outside, 1])
    rows = np.flatnonzero(
        has_point & (stated != None) & (located != None) & (stated != located)  # noqa: E711
    )
    for country in pd.unique(stated[rows]):
        at = rows[stated[rows] == country]
        names, _, km = geocode.nearest_places(xy[at, 0], xy[at, 1], country=country)
        source = np.where(
            joined["nuts0"].astype("object").to_numpy()[at] == located[at], "NUTS-0", "nearest town"
        )
        conflict[at] = [
            f"stated country {country}, but the point lies in {where} ({how})"
            + (f"; {d:.0f} km from the nearest town of {country} ({n})" if np.isfinite(d) else "")
            for where, how, d, n in zip(located[at], source, km, names, strict=True)
        ]


def _shared_positions(
    joined: gpd.GeoDataFrame, xy: np.ndarray, given: np.ndarray, suspect: list[list[str]]
) -> None:
    """Identical coordinates given for actors of different cities: a geocoder's fallback."""
    rows = np.flatnonzero(given)
    table = pd.DataFrame(
        {
            "key": [f"{x:.5f},{y:.5f}" for x, y in xy[rows]],
            "city": fold_series(joined["city"].iloc[rows].reset_index(drop=True)).to_numpy(),
            "row": rows,
        }
    ).dropna(subset=["city"])
    cities = table.groupby("key")["city"].nunique()
    shared = table[table["key"].isin(cities.index[cities > 1])]
    for _, group in shared.groupby("key"):
        names = joined["city"].iloc[group["row"]].astype("str")
        for row, own in zip(group["row"], group["city"], strict=True):
            others = sorted(set(names[(group["city"] != own).to_numpy()]))
            suspect[row].append(
                f"same coordinates as actors in {', '.join(others[:3])}"
                + (" …" if len(others) > 3 else "")
                + ": a geocoder's fallback?"
            )


def _far_from_city(
    joined: gpd.GeoDataFrame, xy: np.ndarray, given: np.ndarray, suspect: list[list[str]]
) -> None:
    """Given positions more than ``SUSPECT_CITY_KM`` from the centre of their stated city."""
    city = joined["city"].astype("object")
    rows = np.flatnonzero(given & city.notna().to_numpy())
    if not rows.size:
        return
    country = (
        joined["country"].astype("object").iloc[rows]
        if "country" in joined.columns
        else pd.Series(None, index=joined.index[rows], dtype="object")
    )
    km, matched = geocode.city_distances(
        city.iloc[rows].to_numpy(), country.to_numpy(), xy[rows, 0], xy[rows, 1]
    )
    for at in np.flatnonzero(np.nan_to_num(km, nan=0.0) > SUSPECT_CITY_KM):
        suspect[rows[at]].append(
            f"{km[at]:.0f} km from the centre of {matched[at]}, its stated city"
        )


def _at_region_centres(
    joined: gpd.GeoDataFrame,
    xy: np.ndarray,
    given: np.ndarray,
    index: NutsIndex,
    suspect: list[list[str]],
) -> None:
    """Given positions at the centre of their NUTS-0/1/2 region (a geocoder's fallback);
    the coarsest such region is named."""
    given = given.copy()
    for level in _CENTRE_LEVELS:
        column = f"nuts{level}"
        if column not in joined.columns:
            continue
        codes = joined[column].astype("object")
        rows = np.flatnonzero(given & codes.notna().to_numpy())
        if not rows.size:
            continue
        table_rows = index.lookups[level].get_indexer(codes.iloc[rows])
        known = table_rows >= 0
        rows, table_rows = rows[known], table_rows[known]
        centre = index.centres[level][table_rows]
        km = geocode.distance_km(xy[rows, 0], xy[rows, 1], centre[:, 0], centre[:, 1])
        given[rows[km < CENTRE_KM]] = False
        for row, code in zip(rows[km < CENTRE_KM], codes.iloc[rows[km < CENTRE_KM]], strict=True):
            suspect[row].append(
                f"at the centre of {code} (NUTS-{level}): a geocoder's fallback for an "
                "address it could not find?"
            )
