"""Postcode evidence near borders: Eurostat's postcode → NUTS-3 table decides there."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from metacluster import join_nuts, nuts, postcodes, settings

DATA = Path(__file__).parent / "data"

pytestmark = pytest.mark.usefixtures("mirror")


@pytest.fixture(autouse=True)
def tercet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "postcode_source", str(DATA / "tercet"))


def _actors(points: list[Point], codes: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [f"a{i}" for i in range(len(points))], "country": "FR", "postcode": codes},
        geometry=points,
        crs=4326,
    )


def _just_inside_pas_de_calais(scale: str, metres: float) -> Point:
    """A point ``metres`` inside Pas-de-Calais (FRE12) from its border with Nord (FRE11)."""
    regions = nuts.load_nuts(2021, 3, scale, crs=nuts.AREA_CRS).set_index("NUTS_ID").geometry
    border = shapely.intersection(regions["FRE11"].boundary, regions["FRE12"].boundary)
    anchor = shapely.line_interpolate_point(shapely.line_merge(border), 0.5, normalized=True)
    inner = shapely.buffer(anchor, metres * 1.5).intersection(regions["FRE12"])
    inside = inner.difference(shapely.buffer(regions["FRE12"].boundary, metres * 0.9))
    candidate = gpd.GeoSeries([inside.representative_point()], crs=nuts.AREA_CRS)
    return candidate.to_crs(4326).iloc[0]


def test_tercet_files_are_read() -> None:
    found = postcodes.nuts3_of(
        gpd.pd.Series(["FR", "FR", "XK"]), gpd.pd.Series(["59 000", "62138", "10000"])
    )
    assert found.tolist() == ["FRE11", "FRE12", None]


def test_near_a_border_the_postcode_decides_and_says_so() -> None:
    scale = join_nuts(_actors([Point(3.06, 50.63)], ["59000"])).attrs["nuts_scale"]
    near = _just_inside_pas_de_calais(scale, 500)
    without = join_nuts(_actors([near], [None]))
    assert without["nuts3"].iloc[0] == "FRE12"
    joined = join_nuts(_actors([near], ["59160"]))
    assert joined[["nuts3", "nuts2", "nuts3_name"]].iloc[0].tolist() == ["FRE11", "FRE1", "Nord"]
    assert "region from postcode 59160 (FRE11): the point lies" in joined["nuts_note"].iloc[0]
    assert joined.geometry.iloc[0].equals(near)  # the point itself is never moved


def test_far_from_a_border_a_disagreeing_postcode_is_flagged_not_followed() -> None:
    lille = Point(3.0573, 50.6292)
    joined = join_nuts(_actors([lille], ["62000"]))
    assert joined["nuts3"].iloc[0] == "FRE11"
    flag = joined["position_suspect"].iloc[0]
    assert flag.startswith("postcode 62000 is in FRE12, ") and flag.endswith("(in FRE11)")
    km = float(flag.split(", ")[1].split(" km")[0])
    assert np.isfinite(km) and km > 3
