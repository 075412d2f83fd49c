"""Region aggregation: counts per helix, the helix balance index and missing helices."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point, box

from metacluster import aggregate_regions
from metacluster.aggregate import AGGREGATE_COLUMNS, helix_balance, summarise_regions
from metacluster.nuts import load_nuts


def entropy(counts: list[int]) -> float:
    """Normalised Shannon entropy written out the long way, as a reference."""
    total = sum(counts)
    return -sum((c / total) * math.log(c / total) for c in counts if c) / math.log(4)


@pytest.mark.parametrize(
    "counts",
    [[1, 1, 1, 1], [7, 0, 0, 0], [1, 1, 0, 0], [2, 1, 1, 0], [3, 2, 1, 1], [10, 0, 0, 1]],
)
def test_helix_balance_matches_hand_computed_entropy(counts: list[int]) -> None:
    assert helix_balance(np.array([counts]))[0] == pytest.approx(entropy(counts))


def test_helix_balance_known_values() -> None:
    values = helix_balance(np.array([[5, 5, 5, 5], [3, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]]))
    assert values[0] == pytest.approx(1.0)
    assert values[1] == 0.0 and math.copysign(1, values[1]) == 1  # no "-0.0" in exports
    assert values[2] == pytest.approx(0.5)  # ln 2 / ln 4
    assert math.isnan(values[3])


@pytest.fixture
def regions() -> gpd.GeoDataFrame:
    """Three level-2 regions: two in IT, one in FR."""
    return gpd.GeoDataFrame(
        {
            "NUTS_ID": ["FRE1", "ITI1", "ITI4"],
            "LEVL_CODE": [2, 2, 2],
            "CNTR_CODE": ["FR", "IT", "IT"],
            "NAME_LATN": ["Nord-Pas de Calais", "Toscana", "Lazio"],
            "NUTS_NAME": ["Nord-Pas de Calais", "Toscana", "Lazio"],
        },
        geometry=[box(2, 50, 4, 51), box(10, 43, 12, 44), box(11, 41, 14, 42.5)],
        crs="EPSG:4326",
    )


@pytest.fixture
def actors() -> gpd.GeoDataFrame:
    helix_and_region = [
        ("academia", "ITI4"),
        ("business", "ITI4"),
        ("government", "ITI4"),
        ("civil_society", "ITI4"),
        ("academia", "ITI4"),
        ("unknown", "ITI4"),
        ("business", "FRE1"),
        ("business", "FRE1"),
        (None, "FRE1"),
        ("academia", None),  # unmatched actor: counted nowhere
        ("academia", "DE30"),  # region not among those given
    ]
    return gpd.GeoDataFrame(
        {
            "name": [f"actor {i}" for i in range(len(helix_and_region))],
            "helix": [h for h, _ in helix_and_region],
            "nuts2": [r for _, r in helix_and_region],
        },
        geometry=[Point(12, 42)] * len(helix_and_region),
        crs="EPSG:4326",
    )


def test_summarise_regions_counts_balance_and_missing(actors, regions) -> None:
    result = summarise_regions(actors, regions, level=2)
    assert list(result.columns) == list(AGGREGATE_COLUMNS)
    assert result["NUTS_ID"].tolist() == ["FRE1", "ITI4"]
    fre1, iti4 = result.to_dict("records")
    assert (fre1["n_business"], fre1["n_unknown"], fre1["n_total"]) == (2, 1, 3)
    assert (fre1["n_academia"], fre1["n_government"], fre1["n_civil_society"]) == (0, 0, 0)
    assert fre1["helix_balance"] == 0.0
    assert fre1["missing_helices"] == ["academia", "government", "civil_society"]
    assert [iti4[f"n_{h}"] for h in ("academia", "business", "government", "civil_society")] == [
        2,
        1,
        1,
        1,
    ]
    assert (iti4["n_unknown"], iti4["n_total"]) == (1, 6)
    assert iti4["helix_balance"] == pytest.approx(entropy([2, 1, 1, 1]))
    assert iti4["missing_helices"] == []
    assert iti4["NAME_LATN"] == "Lazio"
    assert iti4["geometry"].equals(box(11, 41, 14, 42.5))
    assert result.attrs["actors_without_region"] == 2
    assert result.attrs["nuts_level"] == 2


def test_include_empty_adds_zero_regions(actors, regions) -> None:
    result = summarise_regions(actors, regions, level=2, include_empty=True)
    assert result["NUTS_ID"].tolist() == ["FRE1", "ITI1", "ITI4"]
    empty = result.set_index("NUTS_ID").loc["ITI1"]
    assert empty["n_total"] == 0
    assert math.isnan(empty["helix_balance"])
    assert empty["missing_helices"] == ["academia", "business", "government", "civil_society"]
    assert result["n_total"].dtype == np.int64


def test_counts_by_chosen_level(actors, regions) -> None:
    actors["nuts0"] = actors["nuts2"].str[:2]
    countries = gpd.GeoDataFrame(
        {"NUTS_ID": ["FR", "IT"], "LEVL_CODE": 0, "CNTR_CODE": ["FR", "IT"]},
        geometry=[box(2, 50, 4, 51), box(10, 41, 14, 44)],
        crs="EPSG:4326",
    ).assign(NAME_LATN=["France", "Italia"], NUTS_NAME=["France", "Italia"])
    result = summarise_regions(actors, countries, level=0)
    assert dict(zip(result["NUTS_ID"], result["n_total"], strict=True)) == {"FR": 3, "IT": 6}


def test_no_actors_gives_no_regions_or_all_empty(actors, regions) -> None:
    none = actors.iloc[0:0]
    assert len(summarise_regions(none, regions, level=2)) == 0
    everything = summarise_regions(none, regions, level=2, include_empty=True)
    assert everything["n_total"].tolist() == [0, 0, 0]


def test_bad_level_and_missing_column(actors, regions) -> None:
    with pytest.raises(ValueError, match="level must be one of"):
        summarise_regions(actors, regions, level=4)
    with pytest.raises(ValueError, match="no 'nuts3' column"):
        summarise_regions(actors, regions, level=3)


def test_aggregate_regions_on_the_nuts_mirror(nuts_from_mirror: Path) -> None:
    actors = gpd.GeoDataFrame(
        {
            "helix": ["academia", "business", "academia", "government"],
            "nuts2": ["ITI4", "ITI4", "FRE1", "XX99"],
        },
        geometry=[Point(12.5, 41.9)] * 4,
        crs="EPSG:4326",
    )
    result = aggregate_regions(actors, level=2, year=2021)
    assert result["NUTS_ID"].tolist() == ["FRE1", "ITI4"]
    assert result["NAME_LATN"].tolist() == ["Nord-Pas de Calais", "Lazio"]
    assert result["n_total"].tolist() == [1, 2]
    assert result["helix_balance"].tolist() == pytest.approx([0.0, 0.5])
    assert (result.geom_type.isin(["Polygon", "MultiPolygon"])).all()
    assert result.attrs == {
        "nuts_level": 2,
        "actors_without_region": 1,
        "nuts_year": 2021,
        "nuts_scale": "20M",
    }
    with_empty = aggregate_regions(actors, level=2, year=2021, include_empty=True)
    assert len(with_empty) == len(load_nuts(2021, level=2, scale="20M"))
    assert with_empty["n_total"].sum() == 3


def test_aggregate_regions_uses_the_actors_nuts_year(nuts_from_mirror: Path) -> None:
    actors = gpd.GeoDataFrame(
        {"helix": ["academia"], "nuts1": ["UKI"]}, geometry=[Point(-0.1, 51.5)], crs="EPSG:4326"
    )
    actors.attrs["nuts_year"] = 2024  # the UK is not in NUTS 2024
    result = aggregate_regions(actors, level=1)
    assert result.attrs["nuts_year"] == 2024
    assert len(result) == 0 and result.attrs["actors_without_region"] == 1
    assert aggregate_regions(actors, level=1, year=2021)["NUTS_ID"].tolist() == ["UKI"]
