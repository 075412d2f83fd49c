"""The actor → NUTS join: exact point-in-polygon, snapping, codes, conflicts, bookkeeping."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from metacluster import _nuts_index, join_nuts, nuts, settings
from metacluster._errors import NutsCodeError
from metacluster.schema import NUTS_COLUMNS

LILLE = Point(3.06, 50.63)  # FRE11 Nord
MADRID = Point(-3.7038, 40.4168)  # ES300 Madrid
OFF_DUNKIRK = Point(2.37, 51.08)  # in the North Sea, about 2 km off the coast of FRE11
MID_ATLANTIC = Point(-40.0, 40.0)


@pytest.fixture(scope="module", autouse=True)
def mirror(nuts_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The NUTS mirror folder as source for the whole module (one join index per version)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "nuts_source", str(nuts_mirror))
        patch.setattr(settings, "cache_folder", tmp_path_factory.mktemp("nuts-cache"))
        patch.setattr(settings, "snap_km", 10.0)
        yield


def actors(
    geometries: list[Point | None], codes: list[str | None] | None = None, **columns: list[object]
) -> gpd.GeoDataFrame:
    data: dict[str, list[object]] = {"name": [f"actor {i}" for i in range(len(geometries))]}
    if codes is not None:
        data["nuts_code"] = codes
    return gpd.GeoDataFrame({**data, **columns}, geometry=geometries, crs=4326)


def row(frame: gpd.GeoDataFrame, position: int) -> dict[str, object]:
    """One result row as plain values (missing values as None)."""
    values = frame.iloc[position]
    return {
        key: (None if pd.isna(value) else value)
        for key, value in values.items()
        if key != "geometry"
    }


def nearest_region(point: Point, year: int, scale: str) -> tuple[str, str, float]:
    """Independently: the NUTS-3 region nearest to a point and its distance in km (3035)."""
    regions = nuts.load_nuts(year, 3, scale, crs=3035)
    where = gpd.GeoSeries([point], crs=4326).to_crs(3035).iloc[0]
    distances = regions.distance(where)
    nearest = int(distances.to_numpy().argmin())
    return (
        regions["NUTS_ID"].iloc[nearest],
        regions["NAME_LATN"].iloc[nearest],
        distances.iloc[nearest] / 1000,
    )


# --- the exact join ------------------------------------------------------------------------


RASTER = (-32.0, 27.0, 45.0, 72.0)
"""The join's raster window (west, south, east, north): beyond it only the exact test runs."""


def _beyond_raster(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    west, south, east, north = RASTER
    return (x < west) | (x > east) | (y < south) | (y > north)


def _points_in_and_around_regions(year: int, scale: str, n: int) -> gpd.GeoDataFrame:
    """Deterministic points: clusters around NUTS-3 regions, more around the overseas ones,
    and points spread over Europe and its seas; minus those within 0.001° (~100 m) of a
    NUTS-3 boundary, where border ties are settled by a rule and GISCO's level files differ
    by slivers of a few metres (HR02/HR06, UKK2, EE00, BE31/BE32)."""
    generator = np.random.default_rng(2024)
    regions = nuts.load_nuts(year, 3, scale)
    polygons = np.asarray(regions.geometry.array, dtype=object)
    centres = shapely.get_coordinates(shapely.point_on_surface(polygons))
    overseas = centres[_beyond_raster(centres[:, 0], centres[:, 1])]
    clustered = np.vstack(
        [
            centres[generator.integers(0, len(centres), n // 2)],
            overseas[generator.integers(0, len(overseas), n // 20)],
        ]
    )
    clustered += generator.normal(0.0, 0.2, clustered.shape)
    spread = generator.uniform((-25.0, 34.0), (45.0, 72.0), (n - len(clustered), 2))
    points = shapely.points(np.vstack([clustered, spread]))
    near_border = shapely.STRtree(shapely.boundary(polygons)).query(
        points, predicate="dwithin", distance=0.001
    )[0]
    return actors(list(np.delete(points, np.unique(near_border))))


@pytest.mark.parametrize("year", [2021, 2024])
def test_join_equals_a_separate_sjoin_at_each_level(year: int) -> None:
    points = _points_in_and_around_regions(year, nuts.best_scale(year), 13_000)
    assert len(points) >= 10_000
    result = join_nuts(points, year=year, snap_km=0)
    scale = result.attrs["nuts_scale"]

    inside = result["nuts_match"] == "within"
    assert 0.4 < inside.mean() < 0.9  # points inside and outside regions
    assert (result.loc[~inside, "nuts_match"] == "unmatched").all()
    beyond = _beyond_raster(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    assert (beyond & inside).sum() > 200  # overseas: the exact test alone
    for level in range(4):
        regions = nuts.load_nuts(year, level, scale)[["NUTS_ID", "NAME_LATN", "geometry"]]
        naive = gpd.sjoin(points, regions, how="left", predicate="within")
        assert naive.index.is_unique  # no point in two regions
        disagree = result[f"nuts{level}"].fillna("-") != naive["NUTS_ID"].fillna("-")
        assert disagree.sum() == 0, result.loc[disagree, ["nuts3"]].join(naive["NUTS_ID"])
        assert result[f"nuts{level}_name"].fillna("-").equals(naive["NAME_LATN"].fillna("-"))


@pytest.mark.parametrize("year", [2021, 2024])
def test_the_raster_never_contradicts_the_exact_test(year: int) -> None:
    """Points right next to boundaries are where a raster shortcut could go wrong."""
    index = _nuts_index.nuts_index(year, nuts.best_scale(year))
    generator = np.random.default_rng(7)
    boundaries = shapely.boundary(nuts.load_nuts(year, 3, nuts.best_scale(year)).geometry.array)
    vertices = shapely.get_coordinates(shapely.segmentize(boundaries, 0.01))
    near = vertices[generator.integers(0, len(vertices), 100_000)]
    near += generator.uniform(-0.03, 0.03, near.shape)  # within two raster cells
    anywhere = generator.uniform((-32.0, 27.0), (45.0, 72.0), (100_000, 2))
    x, y = np.vstack([near, anywhere]).T
    answer = index.grid.lookup(x, y)
    decided = answer != _nuts_index.CellGrid.MIXED
    found, polygon = index.tree.query(shapely.points(x, y), predicate="intersects")
    exact = np.full(x.size, -1)
    exact[found] = polygon  # no ties: random points are never exactly on a boundary
    assert decided.mean() > 0.5
    assert (answer[decided] == exact[decided]).all()


def test_a_point_on_a_shared_border_goes_to_the_smaller_code() -> None:
    regions = nuts.load_nuts(2021, 3, nuts.best_scale(2021)).set_index("NUTS_ID").geometry
    nord, pas_de_calais = regions["FRE11"], regions["FRE12"]
    shared = set(map(tuple, shapely.get_coordinates(nord))) & set(
        map(tuple, shapely.get_coordinates(pas_de_calais))
    )
    corner = Point(sorted(shared)[len(shared) // 2])
    assert nord.intersects(corner) and pas_de_calais.intersects(corner)  # a real tie
    result = join_nuts(actors([corner, corner]))
    assert list(result["nuts3"]) == ["FRE11", "FRE11"]
    assert list(result["nuts_match"]) == ["within", "within"]


def test_a_point_inside_a_region() -> None:
    result = join_nuts(actors([LILLE]))
    assert row(result, 0) == {
        "name": "actor 0",
        "nuts0": "FR",
        "nuts1": "FRE",
        "nuts2": "FRE1",
        "nuts3": "FRE11",
        "nuts0_name": "France",
        "nuts1_name": "Hauts-de-France",
        "nuts2_name": "Nord-Pas de Calais",
        "nuts3_name": "Nord",
        "nuts_match": "within",
        "nuts_note": None,
        "country_conflict": None,
        "position_suspect": None,
        "code_suspect": None,
    }


def test_regions_without_subdivisions_are_joined_at_their_own_level() -> None:
    kyiv, sarajevo = Point(30.52, 50.45), Point(18.41, 43.86)
    result = join_nuts(actors([kyiv, sarajevo]), year=2024)
    codes = [[row(result, i)[f"nuts{level}"] for level in range(4)] for i in range(2)]
    bosnia = nuts.load_nuts(2024, 2).set_index("NUTS_ID").geometry
    sarajevo_region = next(
        code for code in ("BA01", "BA02", "BA03") if bosnia[code].contains(sarajevo)
    )
    assert codes == [["UA", None, None, None], ["BA", "BA0", sarajevo_region, None]]
    assert list(result["nuts_match"]) == ["within", "within"]
    assert row(result, 0)["nuts0_name"] == "Ukraina"


# --- points outside every region -----------------------------------------------------------


def test_a_coastal_point_snaps_to_the_nearest_region() -> None:
    result = join_nuts(actors([OFF_DUNKIRK]))
    code, _, km = nearest_region(OFF_DUNKIRK, 2021, result.attrs["nuts_scale"])
    assert (code, 0.5 < km < 10) == ("FRE11", True)
    assert row(result, 0)["nuts3"] == "FRE11"
    assert row(result, 0)["nuts0"] == "FR"
    assert row(result, 0)["nuts_match"] == "snapped"
    assert row(result, 0)["nuts_note"] == (
        f"outside every NUTS region; snapped to FRE11 (Nord), {km:.1f} km away"
    )
    assert result.geometry.iloc[0].equals(OFF_DUNKIRK)  # the point itself is kept


def test_beyond_the_snap_distance_a_point_stays_unmatched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "snap_km", 0.5)  # the default comes from the settings
    result = join_nuts(actors([OFF_DUNKIRK, MID_ATLANTIC]))
    scale = result.attrs["nuts_scale"]
    for position, point in enumerate([OFF_DUNKIRK, MID_ATLANTIC]):
        code, name, km = nearest_region(point, 2021, scale)
        assert row(result, position)["nuts_match"] == "unmatched"
        assert row(result, position)["nuts3"] is None
        assert row(result, position)["nuts0"] is None
        assert row(result, position)["nuts_note"] == (
            f"outside every NUTS region; the nearest is {code} ({name}), {km:.1f} km away "
            "(more than the 0.5 km snap distance)"
        )
    assert nearest_region(MID_ATLANTIC, 2021, scale)[0] == "PT200"  # the Azores


# --- rows with a NUTS code -----------------------------------------------------------------


def test_rows_with_only_a_code_are_placed_in_their_region() -> None:
    frame = actors(
        [None, Point(), None],
        ["FRE1", " fr ", "FRE11"],
        position_source=["given", None, "city"],
    )
    result = join_nuts(frame)
    assert list(result["nuts_match"]) == ["from_code"] * 3
    assert row(result, 0) | {"name": None, "position_source": None} == {
        "name": None,
        "nuts_code": "FRE1",
        "position_source": None,
        "nuts0": "FR",
        "nuts1": "FRE",
        "nuts2": "FRE1",
        "nuts3": None,
        "nuts0_name": "France",
        "nuts1_name": "Hauts-de-France",
        "nuts2_name": "Nord-Pas de Calais",
        "nuts3_name": None,
        "nuts_match": "from_code",
        "nuts_note": "region from nuts_code FRE1 (Nord-Pas de Calais); placed at a "
        "representative point of that region",
        "country_conflict": None,
        "position_suspect": None,
        "code_suspect": None,
    }
    assert [row(result, 1)[f"nuts{level}"] for level in range(4)] == ["FR", None, None, None]
    assert row(result, 2)["nuts3"] == "FRE11"
    assert list(result["position_source"]) == ["nuts"] * 3
    scale = result.attrs["nuts_scale"]
    for position, (level, code) in enumerate([(2, "FRE1"), (0, "FR"), (3, "FRE11")]):
        region = nuts.load_nuts(2021, level, scale).set_index("NUTS_ID").geometry[code]
        assert region.contains(result.geometry.iloc[position])


def test_the_position_source_column_is_created_when_needed() -> None:
    result = join_nuts(actors([None, LILLE], ["FRE1", None]))
    assert list(result["position_source"].fillna("-")) == ["nuts", "-"]
    assert "position_source" not in join_nuts(actors([LILLE])).columns


def test_a_code_of_the_other_version_uses_its_best_equivalent() -> None:
    result = join_nuts(actors([None], ["PT18"]), year=2024)
    assert row(result, 0)["nuts2"] == "PT1C"
    assert row(result, 0)["nuts2_name"] == "Alentejo"
    assert row(result, 0)["nuts_match"] == "from_code"
    assert row(result, 0)["nuts_note"] == (
        "PT18 (Alentejo) is a NUTS 2021 code, not NUTS 2024; in NUTS 2024 its area lies in "
        "PT1C Alentejo (86%), PT1D Oeste e Vale do Tejo (14%); regions from its largest "
        "part, PT1C (Alentejo, 86%); placed at a representative point of that region"
    )
    assert row(join_nuts(actors([None], ["PT1C"]), year=2021), 0)["nuts2"] == "PT18"


@pytest.mark.parametrize(
    ("code", "note"),
    [
        (
            "ZZ9",
            "nuts_code ZZ9 is not a NUTS 2021 code, nor a NUTS 2024 code: ZZ is not a country "
            "covered by NUTS 2021 (NUTS covers the EU, EFTA and candidate countries): such rows "
            "keep their position, outside any region",
        ),
        ("12345", "nuts_code '12345' is not a NUTS code"),
        (
            "UKC1",
            "UKC1 (Tees Valley and Durham) is a NUTS 2021 code, not NUTS 2024; no NUTS "
            "2024 region covers its area",
        ),
    ],
)
def test_an_unusable_code_without_position_is_unmatched(code: str, note: str) -> None:
    year = 2024 if code.startswith("UK") else 2021
    result = join_nuts(actors([None], [code], position_source=["given"]), year=year)
    assert row(result, 0)["nuts_match"] == "unmatched"
    assert row(result, 0)["nuts_note"] == note
    assert row(result, 0)["nuts0"] is None
    assert result.geometry.iloc[0] is None
    assert row(result, 0)["position_source"] == "given"


def test_no_position_and_no_code() -> None:
    result = join_nuts(actors([None, Point()], [None, "  "]))
    assert list(result["nuts_match"]) == ["unmatched", "unmatched"]
    assert list(result["nuts_note"]) == ["no position and no nuts_code"] * 2
    result = join_nuts(actors([None]))  # no nuts_code column at all
    assert row(result, 0)["nuts_note"] == "no position and no nuts_code"


@pytest.mark.parametrize(
    ("code", "match", "note"),
    [
        ("ES", "within", None),
        (" es30 ", "within", None),
        ("ES300", "within", None),
        (
            "ES21",
            "code_conflict",
            "nuts_code ES21 given but the point lies in ES30 (Comunidad de Madrid)",
        ),
        (
            "ES4",
            "code_conflict",
            "nuts_code ES4 given but the point lies in ES3 (Comunidad de Madrid)",
        ),
        ("FR", "code_conflict", "nuts_code FR given but the point lies in ES (España)"),
        (
            "PT1C",
            "code_conflict",
            "nuts_code PT1C is not a NUTS 2021 code (maybe from another "
            "NUTS version); the regions follow the coordinates",
        ),
        (
            "Madrid",
            "code_conflict",
            "nuts_code 'MADRID' is not a NUTS code; the regions follow the coordinates",
        ),
    ],
)
def test_a_code_is_checked_against_the_point(code: str, match: str, note: str | None) -> None:
    result = join_nuts(actors([MADRID], [code]))
    assert row(result, 0)["nuts_match"] == match
    assert row(result, 0)["nuts_note"] == note
    assert row(result, 0)["nuts_code"] == code  # kept as given
    assert [row(result, 0)[f"nuts{level}"] for level in range(4)] == ["ES", "ES3", "ES30", "ES300"]


def test_a_snapped_point_with_a_contradicting_code_keeps_both_notes() -> None:
    result = join_nuts(actors([OFF_DUNKIRK], ["BE"]))
    assert row(result, 0)["nuts_match"] == "code_conflict"
    note = row(result, 0)["nuts_note"]
    assert note.startswith("outside every NUTS region; snapped to FRE11 (Nord), ")
    assert note.endswith("; nuts_code BE given but the point lies in FR (France)")


def test_a_point_beyond_every_region_takes_the_region_of_its_code() -> None:
    result = join_nuts(actors([MID_ATLANTIC], ["PT2"]))
    assert row(result, 0)["nuts_match"] == "from_code"
    assert row(result, 0)["nuts1"] == "PT2"
    assert row(result, 0)["nuts2"] is None
    assert row(result, 0)["nuts_note"].endswith(
        "(more than the 10 km snap distance); region from nuts_code PT2 (Região Autónoma "
        "dos Açores)"
    )
    assert result.geometry.iloc[0].equals(MID_ATLANTIC)  # the given point is not moved
    assert "position_source" not in result.columns


# --- bookkeeping ---------------------------------------------------------------------------


def test_order_index_and_input_are_preserved() -> None:
    frame = actors([MADRID, None, LILLE, OFF_DUNKIRK, None], [None, "FRE1", None, None, None])
    frame.index = pd.Index([30, 10, 20, 10, 7])
    before = frame.copy()
    result = join_nuts(frame)
    assert result.index.equals(frame.index)
    assert list(result["name"]) == list(frame["name"])
    assert list(result["nuts3"].fillna("-")) == ["ES300", "-", "FRE11", "FRE11", "-"]
    assert list(result["nuts2"].fillna("-")) == ["ES30", "FRE1", "FRE1", "FRE1", "-"]
    assert list(result["nuts_match"]) == ["within", "from_code", "within", "snapped", "unmatched"]
    assert list(result.columns) == [*frame.columns, "position_source", *NUTS_COLUMNS]
    assert all(pd.api.types.is_string_dtype(result[column]) for column in NUTS_COLUMNS)
    pd.testing.assert_frame_equal(frame, before)  # the input is untouched
    assert frame.attrs == {}
    assert result.attrs.keys() == {"nuts_year", "nuts_scale", "nuts_scale_note"}
    assert (result.attrs["nuts_year"], result.attrs["nuts_scale"]) == (2021, "10M")


def test_version_and_scale_are_recorded_with_a_note_when_01m_was_not_available() -> None:
    fallback = join_nuts(actors([LILLE]), year=2024)
    assert (fallback.attrs["nuts_year"], fallback.attrs["nuts_scale"]) == (2024, "20M")
    assert fallback.attrs["nuts_scale_note"].startswith(
        "the NUTS 01M boundaries were not available; actors were joined at 20M, whose "
        "borders may stray by about 3 km"
    )
    chosen = join_nuts(actors([LILLE]), scale="20M")  # asked for: no note
    assert chosen.attrs == {"nuts_year": 2021, "nuts_scale": "20M"}
    assert row(chosen, 0)["nuts3"] == "FRE11"


def test_other_crs_is_reprojected() -> None:
    frame = actors([LILLE, MADRID, None])
    result = join_nuts(frame.to_crs(3857))
    assert result.crs.to_epsg() == 4326
    assert list(result["nuts3"].fillna("-")) == ["FRE11", "ES300", "-"]
    assert result.geometry.iloc[0].distance(LILLE) < 1e-9


def test_an_empty_frame() -> None:
    result = join_nuts(actors([]))
    assert len(result) == 0
    assert set(NUTS_COLUMNS) <= set(result.columns)


@pytest.mark.parametrize(
    ("frame", "arguments", "error", "message"),
    [
        (gpd.GeoDataFrame({"name": ["a"]}, geometry=[LILLE]), {}, ValueError, "have no CRS"),
        (
            actors([LILLE, Polygon([(0, 0), (1, 0), (1, 1)])]),
            {},
            ValueError,
            "join_nuts needs Point geometries: 1 rows have others (first: row 1, a Polygon)",
        ),
        (actors([LILLE]), {"snap_km": -1}, ValueError, "snap_km must be a distance"),
        (actors([LILLE]), {"year": 2016}, NutsCodeError, "NUTS version 2016 is not available"),
        (actors([LILLE]), {"scale": "2M"}, NutsCodeError, "NUTS scale '2M' does not exist"),
        (pd.DataFrame({"name": ["a"]}), {}, TypeError, "needs a GeoDataFrame"),
    ],
)
def test_unusable_input_is_refused(
    frame: pd.DataFrame, arguments: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        join_nuts(frame, **arguments)
    assert message in str(caught.value)


def test_a_code_that_is_not_the_named_region_is_flagged_with_the_code_of_that_name(
    tmp_path: Path,
) -> None:
    from metacluster.read import read_layer

    path = tmp_path / "codes.csv"
    path.write_text(
        "name,country,region,nuts_code,lat,lon\n"
        "Junta de Extremadura,ES,Extremadura,ES4,38.9161,-6.3437\n"  # ES4 is Centro (ES)
        "Université de Lille,FR,Hauts-de-France,FRE11,50.63,3.06\n"  # finer than the name
        "Diputación,ES,Extremadura,ES4,,\n"  # placed by its code, flagged too
        "Old code,ES,Extremadura,ES99,,\n"  # unknown code: the name suggests one
        "Free text,ES,somewhere nice,ES30,40.4168,-3.7038\n",  # no region of that name
        encoding="utf-8",
    )
    joined = join_nuts(read_layer(path).actors, year=2021)
    flags = joined["code_suspect"].tolist()
    assert flags[0] == (
        "nuts_code ES4 is Centro (ES) (NUTS-1), not the row's region 'Extremadura': that is "
        "ES43 Extremadura (NUTS-2)"
    )
    assert pd.isna(flags[1]) and pd.isna(flags[4])
    assert flags[2] == flags[0]
    assert joined["nuts_match"].tolist()[:3] == ["within", "within", "from_code"]
    assert flags[3] == (
        "nuts_code ES99 is not a NUTS 2021 code; the row's region 'Extremadura' is ES43 "
        "Extremadura (NUTS-2)"
    )
    assert "the NUTS 2021 codes under ES are" in joined["nuts_note"].iloc[3]


def test_regions_are_matched_by_name_at_the_preferred_level() -> None:
    regions = [
        ("FR1", "Ile-de-France", 1),
        ("FR10", "Ile-de-France", 2),
        ("ES30", "Comunidad de Madrid", 2),
    ]
    assert nuts.regions_named("Île de France", regions, level=2)[0][0] == "FR10"
    assert nuts.regions_named("Île de France", regions)[0][0] == "FR1"
    assert nuts.regions_named("Madrid", regions) == [("ES30", "Comunidad de Madrid", 2)]
    assert nuts.regions_named("Mad", regions) == []
