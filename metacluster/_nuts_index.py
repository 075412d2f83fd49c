"""The NUTS join index: one NUTS version at one scale, built once per process and source.

The finest regions' polygons in an STRtree, their outer boundary segments (for the distance
of points outside every region), the code tables of every level with each region's
ancestors, and a raster over Europe (``CellGrid``) that answers point-in-polygon from a
table look-up for points far from every boundary. ``locate`` joins with it; the Dask engine
broadcasts it to its workers.
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

from metacluster import nuts
from metacluster.schema import EUROPE_BBOX, NUTS_LEVELS

logger = logging.getLogger(__name__)

NO_REGION: Final = -1
"""Row number meaning "no region"."""

_NO_ROW: Final = np.iinfo(np.int64).max

_TREE_NODE_CAPACITY: Final = 4
"""Small STRtree nodes: measured fastest for these queries (points against ~1,500 polygons
or ~10,000 boundary segments)."""


def nuts_index(year: int, scale: str) -> NutsIndex:
    """The join index of one NUTS version and scale, built once per process and source."""
    return _build(year, scale, nuts.source_key())


def smallest_per_input(size: int, inputs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each of ``size`` inputs the smallest of its ``rows`` (so the smaller NUTS code
    when a point is on a shared border or equidistant), -1 for inputs without any."""
    smallest = np.full(size, _NO_ROW, dtype=np.int64)
    np.minimum.at(smallest, inputs, rows)
    smallest[smallest == _NO_ROW] = NO_REGION
    return smallest


def take(table: pa.Array, rows: np.ndarray) -> pa.Array:
    """``table[rows]``, null where a row is -1."""
    return table.take(pa.array(rows, mask=rows < 0))


@functools.cache
def area_transformer() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(4326, nuts.AREA_CRS, always_xy=True)


@dataclass(frozen=True)
class NutsIndex:
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
    centres: tuple[np.ndarray, ...]
    """Per level, the centroid of each region's largest part (lon/lat, shape (rows, 2)):
    where geocoders put an address they only resolved to a country or region."""
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
    grid: CellGrid

    def row_of(self, level: int, code: str) -> int:
        """The row of ``code`` in the table of ``level``, or -1."""
        return int(self.lookups[level].get_indexer([code])[0])

    def name_of(self, level: int, row: int) -> str:
        return self.names[level][row].as_py()

    def find(self, codes: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Level (-1 if malformed) and table row (-1 if unknown) of each code."""
        valid = codes.str.fullmatch(nuts.CODE_PATTERN.pattern).fillna(False).to_numpy(dtype=bool)
        level = np.where(valid, codes.str.len().fillna(0).to_numpy(dtype=np.int64) - 2, NO_REGION)
        row = np.full(len(codes), NO_REGION, dtype=np.int64)
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
            texts[at_level] = take(tables[table_level], rows[at_level]).to_numpy(
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
        return smallest_per_input(points.size, found, self.boundary_region[segment]), distance


@functools.lru_cache(maxsize=4)
def _build(year: int, scale: str, source_key: tuple[object, ...]) -> NutsIndex:
    """Build (once per version, scale and source) the tables, trees and raster of the join."""
    tables = [nuts.load_nuts(year, level, scale) for level in NUTS_LEVELS]
    lookups = tuple(pd.Index(table["NUTS_ID"]) for table in tables)
    ancestors = []
    for level, table in enumerate(tables):
        rows = np.full((len(NUTS_LEVELS), len(table) + 1), NO_REGION, dtype=np.int64)
        for upper in range(level + 1):
            rows[upper, :-1] = lookups[upper].get_indexer(table["NUTS_ID"].str[: 2 + upper])
        ancestors.append(rows)
    finest = _finest_regions(tables)
    polygons = np.asarray(finest.geometry.array, dtype=object)
    rings, ring_polygon = _rings(polygons)
    boundary, boundary_region = _outer_segments(rings, ring_polygon)
    finest_ancestors = np.full((len(NUTS_LEVELS), len(finest) + 1), NO_REGION, dtype=np.int64)
    for level in NUTS_LEVELS:
        at_level = np.flatnonzero(finest["LEVL_CODE"].to_numpy() == level)
        finest_ancestors[:, at_level] = ancestors[level][:, finest["row"].to_numpy()[at_level]]
    logger.info("building the NUTS %d %s join index (%d regions)", year, scale, len(finest))
    return NutsIndex(
        scale=scale,
        lookups=lookups,
        codes=tuple(pa.array(table["NUTS_ID"], type=pa.large_string()) for table in tables),
        names=tuple(pa.array(table["NAME_LATN"], type=pa.large_string()) for table in tables),
        ancestors=tuple(ancestors),
        representative_points=tuple(
            shapely.point_on_surface(np.asarray(table.geometry.array, dtype=object))
            for table in tables
        ),
        centres=tuple(_centres(np.asarray(table.geometry.array, dtype=object)) for table in tables),
        finest_codes=pa.array(finest["NUTS_ID"], type=pa.large_string()),
        finest_names=pa.array(finest["NAME_LATN"], type=pa.large_string()),
        finest_ancestors=finest_ancestors,
        tree=shapely.STRtree(polygons, node_capacity=_TREE_NODE_CAPACITY),
        boundary_tree=shapely.STRtree(boundary, node_capacity=_TREE_NODE_CAPACITY),
        boundary_region=boundary_region,
        grid=CellGrid(rings, ring_polygon),
    )


def _centres(polygons: np.ndarray) -> np.ndarray:
    """Centroid of the largest part of each (multi)polygon, as (lon, lat) rows."""
    parts, owner = shapely.get_parts(polygons, return_index=True)
    order = np.lexsort((-shapely.area(parts), owner))
    first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
    centres = np.full((polygons.size, 2), np.nan)
    centres[owner[first]] = shapely.get_coordinates(shapely.centroid(parts[first]))
    return centres


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
    x, y = area_transformer().transform(
        np.column_stack([start[outer, 0], end[outer, 0]]),
        np.column_stack([start[outer, 1], end[outer, 1]]),
    )
    segments = shapely.linestrings(np.stack([x, y], axis=-1))
    return segments, ring_polygon[ring[edge[outer]]]


def _concatenated_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised."""
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + offsets


class CellGrid:
    """A raster over Europe that answers point-in-polygon for points far from boundaries.

    Each cell holds the row of the polygon that contains all of it, ``OUTSIDE`` when no
    polygon touches it, or ``MIXED`` when a boundary passes through or near it. Cells are
    filled by scanlines through their centres (even–odd rule), then every cell within a
    quarter cell of a boundary vertex (boundaries densified to quarter-cell steps) is
    marked MIXED: a boundary crossing a cell has such a vertex within an eighth of a cell,
    so an unmarked cell holds no boundary and its centre speaks for all of it. Points in
    MIXED cells, and outside the raster (overseas regions), need the exact test.
    """

    WINDOW: Final = EUROPE_BBOX
    CELLS_PER_DEGREE: Final = 64
    MIXED: Final = -2
    OUTSIDE: Final = NO_REGION

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
