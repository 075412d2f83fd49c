"""Synthetic actors for benchmarks: points clustered around NUTS-3 centres, reproducibly.

Real regional maps put their actors in towns, so the points here come in clusters around a
representative point of randomly chosen NUTS-3 regions, with a normal spread of
``spread_km``; coastal clusters leave some points at sea, outside every polygon, as real
coastal actors do. Everything follows from ``seed``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from metacluster import nuts
from metacluster.schema import CRS, HELICES

KM_PER_DEGREE = 111.32
"""Length of one degree of latitude (and of longitude at the equator), in km."""


def synthetic_actors(
    n: int,
    *,
    year: int | None = None,
    scale: str | None = None,
    spread_km: float = 15.0,
    seed: int = 0,
) -> gpd.GeoDataFrame:
    """``n`` actors around the representative points of random NUTS-3 regions.

    Parameters
    ----------
    n
        How many actors.
    year, scale
        NUTS version and scale of the regions the clusters are centred on (None: settings).
    spread_km
        Standard deviation of the distance of an actor from its cluster centre.
    seed
        Seed of the random generator: the same arguments give the same actors.

    Returns
    -------
    geopandas.GeoDataFrame
        ``actor_id``, ``name``, ``helix``, ``country``, ``source_file``, ``source_row``,
        ``position_source`` and Point geometries in EPSG:4326, with a RangeIndex.
    """
    regions = nuts.load_nuts(year, 3, scale)
    centres = shapely.get_coordinates(
        shapely.point_on_surface(np.asarray(regions.geometry.array, dtype=object))
    )
    generator = np.random.default_rng(seed)
    cluster = generator.integers(0, len(regions), n)
    offsets_km = generator.normal(0.0, spread_km, (n, 2))
    latitude = centres[cluster, 1] + offsets_km[:, 1] / KM_PER_DEGREE
    longitude = centres[cluster, 0] + offsets_km[:, 0] / (
        KM_PER_DEGREE * np.cos(np.radians(centres[cluster, 1]))
    )
    numbers = pd.Series(np.arange(1, n + 1)).astype("str")
    helix = np.array(HELICES, dtype=object)[generator.integers(0, len(HELICES), n)]
    return gpd.GeoDataFrame(
        {
            "actor_id": "synthetic-" + numbers,
            "name": "Actor " + numbers,
            "helix": pd.array(helix, dtype="str"),
            "country": regions["CNTR_CODE"].to_numpy()[cluster],
            "source_file": "synthetic",
            "source_row": np.arange(1, n + 1),
            "position_source": "given",
        },
        geometry=shapely.points(longitude, latitude),
        crs=CRS,
    )
