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

import functools
import logging
from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyproj
import shapely

from metacluster import nuts, settings
from metacluster._errors import NutsCodeError, NutsUnavailableError
from metacluster.engine import check_engine
from metacluster.schema import NUTS_LEVELS, NUTS_MATCHES

logger = logging.getLogger(__name__)

WITHIN, SNAPPED, FROM_CODE, CODE_CONFLICT, UNMATCHED = range(len(NUTS_MATCHES))
"""Positions of the ``nuts_match`` values in ``schema.NUTS_MATCHES``."""

_NONE: Final = -1
"""Row number meaning "no region"."""

_NO_ROW: Final = np.iinfo(np.int64).max

_STR: Final = pd.StringDtype("pyarrow", na_value=np.nan)
"""pandas' default ``str`` dtype, built from Arrow arrays without a round trip via Python."""

_TREE_NODE_CAPACITY: Final = 4
"""Small STRtree nodes: measured fastest for these queries (points against ~1,500 polygons
or ~10,000 boundary segments)."""


def join_nuts(
    actors: gpd.GeoDataFrame,
    *,
    year: int | None = None,
    snap_km: float | None = None,
    scale: str | None = None,
    engine: str | None = None,
) -> gpd.GeoDataFrame:
    """Add the NUTS regions (levels 0–3) of each actor.

    Parameters
    ----------
    actors
        Actors with Point geometries (None or empty where unknown) in any CRS, and
        optionally a ``nuts_code`` column (codes of any level).
    year
        NUTS version, 2021 or 2024; None means ``settings.nuts_year``.
    snap_km
        Points outside every NUTS region snap to the nearest one within this distance
        (measured in EPSG:3035); None means ``settings.snap_km``.
    scale
        GISCO scale of the geometries joined against; None means ``settings.join_scale``
        when available, else the finest scale in the source or the cache.
    engine
        "local" (this process) or "dask" (partitions on a Dask cluster, same result; see
        ``metacluster.dask_engine``); None means the engine chosen with
        ``metacluster.engine.use``, "local" by default.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy in EPSG:4326 with the same index and row order, plus ``nuts0``…``nuts3``,
        ``nuts0_name``…``nuts3_name`` (Latin-script names), ``nuts_match`` (within, snapped,
        from_code, code_conflict or unmatched) and ``nuts_note``, which says what happened
        for every row that is not ``within``. A point on a border shared by two regions
        goes to the one with the smaller code. A given ``nuts_code`` that contradicts the
        point is kept, and the regions follow the point (``code_conflict``). Rows placed by
        their ``nuts_code`` get a representative point of the region and
        ``position_source = "nuts"``. ``attrs["nuts_year"]`` and ``attrs["nuts_scale"]``
        record the version and scale used.

    Raises
    ------
    ValueError
        For actors without a CRS, with non-point geometries, or a negative ``snap_km``.
    NutsUnavailableError
        When no NUTS geometry of that version can be had.
    """
    year = nuts.check_year(year)
    snap_km = settings.snap_km if snap_km is None else float(snap_km)
    if not snap_km >= 0:
        raise ValueError(f"snap_km must be a distance in km, 0 or more, not {snap_km!r}")
    _check_actors(actors)
    scale = nuts.best_scale(year) if scale is None else nuts.check_scale(scale)
    if check_engine(engine) == "dask":
        from metacluster import dask_engine  # imports Dask only when asked for

        return dask_engine.join_nuts(actors, year=year, snap_km=snap_km, scale=scale)
    logger.info("joining %d actors to NUTS %d at scale %s", len(actors), year, scale)
    return join_with_index(actors, nuts_index(year, scale), year=year, snap_km=snap_km)


def nuts_index(year: int, scale: str) -> _NutsIndex:
    """The join index of one NUTS version and scale, built once per process and source."""
    return _nuts_index(year, scale, nuts.source_key())


def join_with_index(
    actors: gpd.GeoDataFrame, index: _NutsIndex, *, year: int, snap_km: float
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

    def __init__(self, index: _NutsIndex, has_point: np.ndarray) -> None:
        size = has_point.size
        self.index = index
        self.has_point = has_point
        self.region = np.full(size, _NONE, dtype=np.int64)
        """Row in the index's finest regions of the region each point lies in (or snapped to)."""
        self.level_rows = np.full((len(NUTS_LEVELS), size), _NONE, dtype=np.int64)
        """Per level, the row of the actor's region in that level's table."""
        self.match = np.full(size, UNMATCHED, dtype=np.int8)
        self.note = np.full(size, None, dtype=object)

    def add_notes(self, rows: np.ndarray, texts: np.ndarray | str) -> None:
        """Set the notes of ``rows`` (texts in the same order), after any they already have."""
        texts = np.full(rows.size, texts, dtype=object) if isinstance(texts, str) else texts
        before = self.note[rows]
        earlier = np.not_equal(before, None)
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
        undecided = np.flatnonzero(region == _CellGrid.MIXED)
        found, polygon = index.tree.query(geometries[rows[undecided]], predicate="intersects")
        region[undecided] = _smallest_per_input(undecided.size, found, polygon)
        self.region[rows] = region
        self.match[rows[region >= 0]] = WITHIN
        outside = rows[region < 0]
        if outside.size:
            self._snap(outside, coordinates[outside], snap_km)
        self.level_rows[:, rows] = index.finest_ancestors[:, self.region[rows]]

    def _snap(self, rows: np.ndarray, coordinates: np.ndarray, snap_km: float) -> None:
        """Snap points outside every region to the nearest within ``snap_km``; note the rest."""
        index = self.index
        x, y = _to_area_crs().transform(coordinates[:, 0], coordinates[:, 1])
        points = shapely.points(np.column_stack([x, y]))
        # one search without max_distance: the notes need the distance of far points too, and
        # a bounded search followed by one for the rest measured slower
        region, distance = index.nearest_regions(points)
        snapped = distance <= snap_km * 1000
        far = ~snapped
        self.region[rows[snapped]] = region[snapped]
        self.match[rows[snapped]] = SNAPPED

        where = (
            _take(index.finest_codes, region).to_numpy(zero_copy_only=False)
            + " ("
            + _take(index.finest_names, region).to_numpy(zero_copy_only=False)
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
            return _NONE, _NONE, f"nuts_code '{code}' is not a NUTS code"
        level = len(code) - 2
        row = index.row_of(level, code)
        if row >= 0:
            return level, row, f"region from nuts_code {code} ({index.name_of(level, row)})"
        try:
            region = nuts.lookup(code, year)
        except NutsCodeError:
            other = nuts.other_year(year)
            return _NONE, _NONE, f"nuts_code {code} is neither a NUTS {year} nor {other} code"
        except NutsUnavailableError as error:
            logger.warning("could not check %s against the other NUTS version: %s", code, error)
            return (
                _NONE,
                _NONE,
                (
                    f"nuts_code {code} is not a NUTS {year} code (the other NUTS version could "
                    "not be checked)"
                ),
            )
        if region.year == year or not region.equivalents:
            return (
                _NONE,
                _NONE,
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
                values = _take(tables[level], self.level_rows[level])
                result[column.format(level)] = pd.Series(values, index=result.index, dtype=_STR)
        labels = pa.array(NUTS_MATCHES, type=pa.large_string()).take(self.match)
        result["nuts_match"] = pd.Series(labels, index=result.index, dtype=_STR)
        notes = pa.array(self.note, type=pa.large_string(), from_pandas=True)
        result["nuts_note"] = pd.Series(notes, index=result.index, dtype=_STR)
        result.attrs["nuts_year"] = year
        result.attrs["nuts_scale"] = scale
        return result


def _set_positions(
    result: gpd.GeoDataFrame, rows: np.ndarray, index: _NutsIndex, level_rows: np.ndarray
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


def _smallest_per_input(size: int, inputs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each of ``size`` inputs the smallest of its ``rows`` (so the smaller NUTS code
    when a point is on a shared border or equidistant), -1 for inputs without any."""
    smallest = np.full(size, _NO_ROW, dtype=np.int64)
    np.minimum.at(smallest, inputs, rows)
    smallest[smallest == _NO_ROW] = _NONE
    return smallest


def _take(table: pa.Array, rows: np.ndarray) -> pa.Array:
    """``table[rows]``, null where a row is -1."""
    return table.take(pa.array(rows, mask=rows < 0))


@functools.cache
def _to_area_crs() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(4326, nuts.AREA_CRS, always_xy=True)


@dataclass(frozen=True)
class _NutsIndex:
    """Everything the join needs about one NUTS version at one scale, built once."""

    scale: str
    lookups: tuple[pd.Index, ...]
    """Per level, the codes as an index, for finding rows."""
    codes: tuple[pa.Array, ...]
    names: tuple[pa.Array, ...]
    ancestors: tuple[np.ndarray, ...]
    """Per level L, an array (4, rows of L + 1): the row at each level of the region's
    ancestors (itself at L, -1 below L); the last column, picked by row -1, is all -1."""
    representative_points: tuple[np.ndarray, ...]
    finest_codes: pa.Array
    """The finest regions, sorted by code: those of level 3 and those of a coarser level
    without subdivisions in the files. Every point lies in at most one of them."""
    finest_names: pa.Array
    finest_ancestors: np.ndarray
    """(4, finest regions + 1): the row at each level of each finest region's ancestors."""
    tree: shapely.STRtree
    """Polygons of the finest regions (EPSG:4326)."""
    boundary_tree: shapely.STRtree
    """The outer boundary segments of the finest regions in EPSG:3035 (see
    ``_outer_segments``), for distances to regions."""
    boundary_region: np.ndarray
    """Finest region of each boundary segment."""
    grid: _CellGrid

    def row_of(self, level: int, code: str) -> int:
        """The row of ``code`` in the table of ``level``, or -1."""
        return int(self.lookups[level].get_indexer([code])[0])

    def name_of(self, level: int, row: int) -> str:
        return self.names[level][row].as_py()

    def find(self, codes: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Level (-1 if malformed) and table row (-1 if unknown) of each code."""
        valid = codes.str.fullmatch(nuts.CODE_PATTERN.pattern).fillna(False).to_numpy(dtype=bool)
        level = np.where(valid, codes.str.len().fillna(0).to_numpy(dtype=np.int64) - 2, _NONE)
        row = np.full(len(codes), _NONE, dtype=np.int64)
        for code_level in NUTS_LEVELS:
            at_level = np.flatnonzero(level == code_level)
            row[at_level] = self.lookups[code_level].get_indexer(codes.iloc[at_level])
        return level, row

    @staticmethod
    def texts_at(
        tables: tuple[pa.Array, ...], level: int | np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        """``tables[level][row]`` for each row (None where the row is -1), as Python strings."""
        level = np.broadcast_to(level, rows.shape)
        texts = np.full(rows.size, None, dtype=object)
        for table_level in NUTS_LEVELS:
            at_level = np.flatnonzero(level == table_level)
            texts[at_level] = _take(tables[table_level], rows[at_level]).to_numpy(
                zero_copy_only=False
            )
        return texts

    def nearest_regions(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest finest region and distance (m) of each point in EPSG:3035; for points
        outside every region, that is the distance to the region."""
        (found, segment), distances = self.boundary_tree.query_nearest(
            points, return_distance=True, all_matches=True
        )
        distance = np.full(points.size, np.inf)
        distance[found] = distances
        return _smallest_per_input(points.size, found, self.boundary_region[segment]), distance


@functools.lru_cache(maxsize=4)
def _nuts_index(year: int, scale: str, source_key: tuple[object, ...]) -> _NutsIndex:
    """Build (once per version, scale and source) the tables, trees and raster of the join."""
    tables = [nuts.load_nuts(year, level, scale) for level in NUTS_LEVELS]
    lookups = tuple(pd.Index(table["NUTS_ID"]) for table in tables)
    ancestors = []
    for level, table in enumerate(tables):
        rows = np.full((len(NUTS_LEVELS), len(table) + 1), _NONE, dtype=np.int64)
        for upper in range(level + 1):
            rows[upper, :-1] = lookups[upper].get_indexer(table["NUTS_ID"].str[: 2 + upper])
        ancestors.append(rows)
    finest = _finest_regions(tables)
    polygons = np.asarray(finest.geometry.array, dtype=object)
    rings, ring_polygon = _rings(polygons)
    boundary, boundary_region = _outer_segments(rings, ring_polygon)
    finest_ancestors = np.full((len(NUTS_LEVELS), len(finest) + 1), _NONE, dtype=np.int64)
    for level in NUTS_LEVELS:
        at_level = np.flatnonzero(finest["LEVL_CODE"].to_numpy() == level)
        finest_ancestors[:, at_level] = ancestors[level][:, finest["row"].to_numpy()[at_level]]
    logger.info("building the NUTS %d %s join index (%d regions)", year, scale, len(finest))
    return _NutsIndex(
        scale=scale,
        lookups=lookups,
        codes=tuple(pa.array(table["NUTS_ID"], type=pa.large_string()) for table in tables),
        names=tuple(pa.array(table["NAME_LATN"], type=pa.large_string()) for table in tables),
        ancestors=tuple(ancestors),
        representative_points=tuple(
            shapely.point_on_surface(np.asarray(table.geometry.array, dtype=object))
            for table in tables
        ),
        finest_codes=pa.array(finest["NUTS_ID"], type=pa.large_string()),
        finest_names=pa.array(finest["NAME_LATN"], type=pa.large_string()),
        finest_ancestors=finest_ancestors,
        tree=shapely.STRtree(polygons, node_capacity=_TREE_NODE_CAPACITY),
        boundary_tree=shapely.STRtree(boundary, node_capacity=_TREE_NODE_CAPACITY),
        boundary_region=boundary_region,
        grid=_CellGrid(rings, ring_polygon),
    )


def _finest_regions(tables: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Level-3 regions and the coarser regions that the next level does not subdivide,
    sorted by code, with their ``row`` in their level's table."""
    finest = []
    for level, table in enumerate(tables):
        leaves = table.assign(row=np.arange(len(table)))
        if level < NUTS_LEVELS[-1]:
            subdivided = tables[level + 1]["NUTS_ID"].str[:-1]
            leaves = leaves[~leaves["NUTS_ID"].isin(subdivided)]
        finest.append(leaves)
    return pd.concat(finest).sort_values("NUTS_ID", ignore_index=True)


def _rings(polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All rings (outer and inner) of the polygons, and the polygon of each."""
    parts, part_polygon = shapely.get_parts(polygons, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    return rings, part_polygon[ring_part]


def _outer_segments(rings: np.ndarray, ring_polygon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The boundary segments that no two regions share, in EPSG:3035, with their regions.

    For a point outside every region, the distance to a region is the distance to its
    boundary, and the nearest boundary point lies on the outline of all regions together
    (coasts, outer borders): a segment shared by two regions lies inside that outline. Short
    segments keep each distance computation cheap; dropping the shared ones (three quarters
    of them) keeps the tree small.
    """
    coordinates, ring = shapely.get_coordinates(rings, return_index=True)
    edge = np.flatnonzero(ring[:-1] == ring[1:])
    start, end = coordinates[edge], coordinates[edge + 1]
    forward = (start[:, 0] < end[:, 0]) | ((start[:, 0] == end[:, 0]) & (start[:, 1] < end[:, 1]))
    low = np.where(forward[:, None], start, end)
    high = np.where(forward[:, None], end, start)
    _, twin, count = np.unique(
        np.column_stack([low, high]), axis=0, return_inverse=True, return_counts=True
    )
    outer = count[twin] == 1
    x, y = _to_area_crs().transform(
        np.column_stack([start[outer, 0], end[outer, 0]]),
        np.column_stack([start[outer, 1], end[outer, 1]]),
    )
    segments = shapely.linestrings(np.stack([x, y], axis=-1))
    return segments, ring_polygon[ring[edge[outer]]]


def _concatenated_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised."""
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + offsets


class _CellGrid:
    """A raster over Europe that answers point-in-polygon for points far from boundaries.

    Each cell holds the row of the polygon that contains all of it, ``OUTSIDE`` when no
    polygon touches it, or ``MIXED`` when a boundary passes through or near it. Cells are
    filled by scanlines through their centres (even–odd rule), then every cell within a
    quarter cell of a boundary vertex (boundaries densified to quarter-cell steps) is
    marked MIXED: a boundary crossing a cell has such a vertex within an eighth of a cell,
    so an unmarked cell holds no boundary and its centre speaks for all of it. Points in
    MIXED cells, and outside the raster (overseas regions), need the exact test.
    """

    WINDOW: Final = (-32.0, 27.0, 45.0, 72.0)
    """West, south, east, north (degrees): the Azores and Canaries to Cyprus and North Cape."""
    CELLS_PER_DEGREE: Final = 64
    MIXED: Final = -2
    OUTSIDE: Final = _NONE

    def __init__(self, rings: np.ndarray, ring_polygon: np.ndarray) -> None:
        west, south, east, north = self.WINDOW
        shape = (
            round((north - south) * self.CELLS_PER_DEGREE),
            round((east - west) * self.CELLS_PER_DEGREE),
        )
        self.cells = self._fill_by_scanlines(shape, rings, ring_polygon)  # int16: < 32,767
        self._mark_boundaries(rings)

    def _cell_of(self, values: np.ndarray, origin: float) -> np.ndarray:
        return np.floor((values - origin) * self.CELLS_PER_DEGREE).astype(np.int64)

    def _fill_by_scanlines(
        self, shape: tuple[int, int], rings: np.ndarray, ring_polygon: np.ndarray
    ) -> np.ndarray:
        """Cells holding the polygon their centre lies in, OUTSIDE where none."""
        west, south = self.WINDOW[:2]
        coordinates, ring = shapely.get_coordinates(rings, return_index=True)
        edge = np.flatnonzero(ring[:-1] == ring[1:])
        (x0, y0), (x1, y1) = coordinates[edge].T, coordinates[edge + 1].T
        # scanline r runs through the cell centres y = south + (r + 0.5) / cells_per_degree;
        # an edge crosses the scanlines with low <= y < high (half-open: vertices count once)
        first = np.ceil((np.minimum(y0, y1) - south) * self.CELLS_PER_DEGREE - 0.5)
        stop = np.ceil((np.maximum(y0, y1) - south) * self.CELLS_PER_DEGREE - 0.5)
        counts = (stop - first).astype(np.int64)
        e = np.repeat(np.arange(edge.size), counts)
        line = _concatenated_ranges(first.astype(np.int64), counts)
        line_y = south + (line + 0.5) / self.CELLS_PER_DEGREE
        crossing_x = x0[e] + (line_y - y0[e]) * (x1[e] - x0[e]) / (y1[e] - y0[e])
        polygon = ring_polygon[ring[edge]][e]
        order = np.lexsort((crossing_x, line, polygon))
        crossing_x, line, polygon = crossing_x[order], line[order], polygon[order]
        # even–odd: crossings 0-1, 2-3… of one polygon on one scanline bound its inside
        start_col = np.ceil((crossing_x[0::2] - west) * self.CELLS_PER_DEGREE - 0.5)
        stop_col = np.ceil((crossing_x[1::2] - west) * self.CELLS_PER_DEGREE - 0.5)
        rows, columns = shape
        start_col = np.clip(start_col, 0, columns).astype(np.int64)
        stop_col = np.clip(stop_col, 0, columns).astype(np.int64)
        span_line, span_value = line[0::2], polygon[0::2] + 1
        keep = (span_line >= 0) & (span_line < rows) & (stop_col > start_col)
        # polygon + 1 from each span's start to its stop, as a running sum along the rows
        steps = np.zeros((rows, columns + 1), dtype=np.int32)
        np.add.at(steps, (span_line[keep], start_col[keep]), span_value[keep])
        np.add.at(steps, (span_line[keep], stop_col[keep]), -span_value[keep])
        return (np.cumsum(steps[:, :-1], axis=1, dtype=np.int32) - 1).astype(np.int16)

    def _mark_boundaries(self, rings: np.ndarray) -> None:
        step = 0.25 / self.CELLS_PER_DEGREE
        vertices = shapely.get_coordinates(shapely.segmentize(rings, step))
        for dx in (-step, step):
            for dy in (-step, step):
                row, column, inside = self._cells(vertices[:, 0] + dx, vertices[:, 1] + dy)
                self.cells[row[inside], column[inside]] = self.MIXED

    def _cells(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row and column of the cell of each point, and whether it is inside the raster."""
        west, south = self.WINDOW[:2]
        row, column = self._cell_of(y, south), self._cell_of(x, west)
        rows, columns = self.cells.shape
        return row, column, (row >= 0) & (row < rows) & (column >= 0) & (column < columns)

    def lookup(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Polygon row, OUTSIDE, or MIXED (exact test needed) for each point."""
        row, column, inside = self._cells(x, y)
        answer = np.full(x.size, self.MIXED, dtype=np.int64)
        answer[inside] = self.cells[row[inside], column[inside]]
        return answer
