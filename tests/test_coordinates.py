"""Positions: swapped latitude/longitude repaired only on evidence; consistency flags."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from metacluster import _nuts_index, join_nuts, read_layer
from metacluster.coordinates import _numbers, split_latlon

DATA = Path(__file__).parent / "data"

pytestmark = pytest.mark.usefixtures("mirror")


@pytest.fixture(scope="module")
def abroad() -> gpd.GeoDataFrame:
    return read_layer(DATA / "outermost_and_abroad.csv").actors.set_index("name")


@pytest.mark.parametrize(
    "name",
    [
        "Université de La Réunion",
        "Centre Universitaire de Mayotte",
        "Université des Antilles",
        "Université de Guyane",
        "Universidade dos Açores",
        "Universidad de La Laguna",
        "King Saud University",
        "Qatar University",
        "Quaid-i-Azam University",
        "Khalifa University",
    ],
)
def test_correct_positions_outside_europe_are_never_swapped(
    abroad: gpd.GeoDataFrame, name: str
) -> None:
    assert abroad.loc[name, "position_note"] is None


@pytest.mark.parametrize(
    ("name", "xy", "evidence"),
    [
        ("Université de Lille (swapped)", (3.0715, 50.6313), "far from any place"),
        ("Universität Wien (swapped)", (16.36, 48.213), "lies in YE, not in the stated country AT"),
    ],
)
def test_swaps_need_evidence_and_are_noted(
    abroad: gpd.GeoDataFrame, name: str, xy: tuple[float, float], evidence: str
) -> None:
    point = abroad.geometry[name]
    assert (point.x, point.y) == pytest.approx(xy, abs=1e-6)
    assert abroad.loc[name, "position_note"].startswith(
        "latitude and longitude were swapped in the file; fixed"
    )
    assert evidence in abroad.loc[name, "position_note"]


def test_a_point_inside_a_nuts_region_is_kept_and_flagged_not_swapped() -> None:
    result = read_layer(DATA / "outermost_and_abroad.csv")
    joined = join_nuts(result.actors, year=2021).set_index("name")
    karachi = joined.loc["University of Karachi (swapped)"]
    assert karachi["position_note"] is None  # lat 67, lon 25 is in Lapland: not swapped
    assert karachi["nuts0"] == "FI"
    assert karachi["country_conflict"].startswith("stated country PK, but the point lies in FI")
    assert "km from the nearest town of PK" in karachi["country_conflict"]
    assert "km from the centre of Karachi, its stated city" in karachi["position_suspect"]
    # the outermost regions are France, Spain and Portugal, not unmatched or Ireland
    assert joined.loc["Université de La Réunion", "nuts3"] == "FRY40"
    assert joined.loc["Centre Universitaire de Mayotte", "nuts3"] == "FRY50"
    assert joined.loc["Universidad de La Laguna", "nuts0"] == "ES"
    # outside NUTS, in their own stated countries: unmatched, and nothing to flag
    for name in ("King Saud University", "Qatar University", "Khalifa University"):
        assert joined.loc[name, "nuts_match"] == "unmatched"
        assert joined.loc[name, ["country_conflict", "position_suspect"]].isna().all()
    assert joined[["country_conflict", "position_suspect"]].notna().sum().tolist() == [1, 1]


def _actors(rows: list[tuple[str, str, str, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": [r[0] for r in rows],
            "city": [r[1] for r in rows],
            "country": [r[2] for r in rows],
            "position_source": "given",
        },
        geometry=[Point(r[3], r[4]) for r in rows],
        crs=4326,
    )


def test_country_conflict_states_the_distance_to_the_stated_country() -> None:
    joined = join_nuts(_actors([("Strasbourg actor", "Strasbourg", "DE", 7.7521, 48.5734)]))
    assert joined["nuts0"].iloc[0] == "FR"
    assert (
        joined["country_conflict"]
        .iloc[0]
        .startswith("stated country DE, but the point lies in FR (NUTS-0); ")
    )
    distance = float(joined["country_conflict"].iloc[0].split("; ")[1].split(" km")[0])
    assert 0 < distance < 15  # Kehl is across the Rhine


def test_geocoder_fallbacks_and_far_positions_are_suspect_but_kept() -> None:
    rows = [
        ("A", "Lyon", "FR", 4.8357, 45.764),
        ("B", "Lyon", "FR", 4.8357, 45.764),  # same city, same point: fine
        ("C", "Nantes", "FR", 4.8357, 45.764),  # a Nantes actor at Lyon's point
        ("D", "Lille", "FR", 5.3698, 43.2965),  # Marseille, not Lille
        ("E", "Lille", "FR", 3.0573, 50.6292),
    ]
    joined = join_nuts(_actors(rows)).set_index("name")
    assert joined.loc["A", "position_suspect"] == (
        "same coordinates as actors in Nantes: a geocoder's fallback?"
    )
    assert joined.loc["C", "position_suspect"].startswith("same coordinates as actors in Lyon")
    assert "km from the centre of Lille, its stated city" in joined.loc["D", "position_suspect"]
    assert joined.loc[["E"], "position_suspect"].isna().all()
    assert len(joined) == 5  # flagged, never dropped or moved
    assert joined.geometry["D"].equals(Point(5.3698, 43.2965))


def test_a_position_at_the_centre_of_a_region_is_suspect() -> None:
    plain = join_nuts(_actors([("G", None, "FR", 2.35, 48.85)]))
    index = _nuts_index.nuts_index(2021, plain.attrs["nuts_scale"])
    row = index.row_of(1, "FR1")
    lon, lat = index.centres[1][row]
    joined = join_nuts(_actors([("F", None, "FR", lon + 0.001, lat)]))
    assert joined["position_suspect"].iloc[0] == (
        "at the centre of FR1 (NUTS-1): a geocoder's fallback for an address it could not find?"
    )
    assert plain["position_suspect"].isna().all()


@pytest.mark.parametrize(
    "cell",
    [
        "Point(11.568 48.14956)",  # a Wikidata Query Service CSV download
        '"Point(11.568 48.14956)"^^<http://www.opengis.net/ont/geosparql#wktLiteral>',
        "<http://www.wikidata.org/entity/Q2> Point(11.568 48.14956)",  # globe IRI
        "POINT (11.568 48.14956)",  # QGIS's and GDAL's WKT column
        "SRID=4326;POINT(11.568 48.14956)",  # PostGIS EWKT
        "point z (11.568 48.14956 519)",
        "48.14956, 11.568",
        "48°8′58.416″N 11°34′4.8″E",  # as Wikipedia writes them
        "48° 8' 58.416\" N, 11° 34' 4.8\" E",
    ],
)
def test_a_combined_cell_may_be_a_wkt_point_longitude_first_or_degrees(cell: str) -> None:
    lat, lon = split_latlon(pd.Series([cell]))
    numbers = [_numbers(pd.Series([part]))[0][0] for part in (lat[0], lon[0])]
    assert numbers == pytest.approx([48.14956, 11.568], abs=1e-9)


def test_degrees_minutes_seconds_with_their_hemisphere_are_read(tmp_path: Path) -> None:
    table = tmp_path / "wikipedia.csv"
    table.write_text(
        "name,type,latitude,longitude\n"
        "Museo del Prado,museum,40°24′50″N,3°41′32″W\n"
        "Museu Nacional d'Art de Catalunya,museum,41.3686 N,2.1534 E\n"
        "Somewhere,museum,41°75′N,2°E\n",
        encoding="utf-8",
    )
    result = read_layer(table)
    prado = result.actors.set_index("name").loc["Museo del Prado", "geometry"]
    assert (prado.y, prado.x) == pytest.approx((40.41389, -3.69222), abs=1e-5)  # west: < 0
    assert result.rejects["reason"].tolist() == ["invalid coordinates"]  # 75 minutes
    assert "50°37′45″N" in result.rejects["detail"].iloc[0]  # the reason shows the form


def test_a_wkt_cell_that_is_not_a_point_is_reported_as_it_is() -> None:
    polygon = "POLYGON ((7 45, 8 45, 8 46, 7 45))"
    lat, lon = split_latlon(pd.Series([polygon, None]))
    assert lat.tolist()[0] == polygon and pd.isna(lon[0])  # rejected, quoted in the reason
    assert pd.isna(lat[1]) and pd.isna(lon[1])  # a blank cell is no position


def test_a_wikidata_query_download_is_read_without_a_mapping() -> None:
    """Shaped like a Wikidata Query Service CSV (``?item ?itemLabel ?coord ?typeLabel``;
    the identifiers are illustrative): the label is the name, the WKT ``coord`` the
    position (longitude first), the type's label the helix, an item without coordinates
    rejected with its reason."""
    result = read_layer(DATA / "wikidata_munich.csv")
    actors = result.actors.set_index("name")
    assert actors.loc["Technical University of Munich", "geometry"].coords[0] == (
        11.568,
        48.14956,
    )
    assert actors["helix"].to_dict() == {
        "Deutsches Museum": "civil_society",
        "Technical University of Munich": "academia",
        "Ludwig Maximilian University of Munich": "academia",
        "Bavarian State Library": "civil_society",
    }
    assert all(48.1 < point.y < 48.2 and 11.5 < point.x < 11.6 for point in actors.geometry)
    assert result.rejected == 1
    assert result.rejects["reason"].tolist() == ["no usable location"]
