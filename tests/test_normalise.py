"""normalise: column mapping, coordinates, NUTS codes, countries, duplicates, locations."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from metacluster import InputFileError
from metacluster.columns import COLUMN_ALIASES, column_key, map_columns
from metacluster.normalise import html_to_text, normalise
from metacluster.read import read_layer
from metacluster.read._raw import RawLayer

DATA = Path(__file__).parent / "data"


def make_raw(
    columns: dict[str, list[str | None]],
    *,
    geometry: list | None = None,
    crs: str | None = None,
    layers: list[str] | None = None,
) -> RawLayer:
    frame = pd.DataFrame(columns, dtype="object")
    return RawLayer(
        file=Path("regional map.csv"),
        frame=frame,
        source_row=list(range(1, len(frame) + 1)),
        source_layer=layers,
        geometry=None if geometry is None else gpd.GeoSeries(geometry, crs=crs),
    )


def _xy(actors: gpd.GeoDataFrame, name: str) -> tuple[float, float]:
    point = actors.set_index("name").geometry[name]
    return point.x, point.y


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("Organisation", "name"),
        ("NOM", "name"),
        ("Nombre", "name"),
        ("Denominazione", "name"),
        ("naam", "name"),
        ("Navn", "name"),
        ("Title", "name"),
        ("Breitengrad", "lat"),
        ("LATITUDE", "lat"),
        ("Y", "lat"),
        ("Längengrad", "lon"),
        ("lng", "lon"),
        ("Long", "lon"),
        ("x", "lon"),
        ("NUTS3", "nuts_code"),
        ("nutsCode", "nuts_code"),
        ("NUTS_ID", "nuts_code"),
        ("activityType", "helix"),
        ("Hélice", "helix"),
        ("elica", "helix"),
        ("Helix_Type", "helix"),
        ("Sector", "helix"),
        ("Org type", "organisation_type"),
        ("Type of Organisation", "organisation_type"),
        ("Ville", "city"),
        ("Ciudad", "city"),
        ("Città", "city"),
        ("Stadt", "city"),
        ("plaats", "city"),
        ("By", "city"),
        ("Municipality", "city"),
        ("CNTR_CODE", "country"),
        ("Pays", "country"),
        ("País", "country"),
        ("Paese", "country"),
        ("Land", "country"),
        ("organizationURL", "website"),
        ("Homepage", "website"),
        ("Site", "website"),
        ("Beschreibung", "description"),
        ("Descripción", "description"),
        ("Thèmes", "themes"),
        ("Keywords", "themes"),
        ("tags", "themes"),
        ("geolocation", "latlon"),
        ("Coordonnées", "latlon"),
        ("geo_point_2d", "latlon"),
    ],
)
def test_headers_in_several_languages_map_to_schema_columns(header: str, target: str) -> None:
    partner = {"lat": {"lon": ["3"]}, "lon": {"lat": ["50"]}}.get(target, {})
    raw = make_raw({header: ["x"], **partner})
    assert map_columns(raw).get(target) == header


def test_each_alias_names_one_target() -> None:

    keys = [column_key(a) for aliases in COLUMN_ALIASES.values() for a in aliases]
    assert len(keys) == len(set(keys))


def test_explicit_helix_column_wins_over_type_and_category() -> None:
    raw = make_raw({"Type": ["Museum"], "Category": ["x"], "Helix": ["business"], "Name": ["A"]})
    assert map_columns(raw)["helix"] == "Helix"
    raw = make_raw({"Type": ["Museum"], "Category": ["x"], "Name": ["A"]})
    assert map_columns(raw)["helix"] == "Category"
    assert "several columns could hold the helix" in raw.warnings[0]["message"]


def test_explicit_mapping_overrides_detection() -> None:
    raw = make_raw(
        {
            "Name": ["Short"],
            "Full name": ["Université de Lille"],
            "Y": ["50.61"],
            "X": ["3.1418"],
            "lat": ["0"],
            "lon": ["0"],
        }
    )
    result = normalise(raw, columns={"name": "Full name", "lat": "Y", "lon": "X"})
    assert list(result.actors["name"]) == ["Université de Lille"]
    assert _xy(result.actors, "Université de Lille") == pytest.approx((3.1418, 50.61))
    # Unmapped columns are kept, even when their name is a known alias.
    assert list(result.actors["Name"]) == ["Short"]
    assert list(result.actors["lat"]) == ["0"]


def test_explicit_mapping_errors_name_the_columns() -> None:
    raw = make_raw({"Name": ["A"], "Y": ["1"]})
    with pytest.raises(InputFileError, match=r"no such column.*columns are: Name, Y"):
        normalise(raw, columns={"lat": "Latitude"})
    with pytest.raises(InputFileError, match="'colour', which is not a column"):
        normalise(raw, columns={"colour": "Name"})


def test_a_file_without_a_name_column_raises() -> None:
    with pytest.raises(InputFileError, match=r"no column for the actors' names.*Lat, Lon"):
        normalise(make_raw({"Lat": ["50"], "Lon": ["3"]}))


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("50.6292,3.0573", (3.0573, 50.6292)),
        ("50.6292, 3.0573", (3.0573, 50.6292)),
        ("[50.6292, 3.0573]", (3.0573, 50.6292)),
        ("50,6292;3,0573", (3.0573, 50.6292)),
        ("-33.9,18.4", (18.4, -33.9)),
    ],
)
def test_combined_latlon_cells(cell: str, expected: tuple[float, float]) -> None:
    result = normalise(make_raw({"name": ["A"], "geolocation": [cell]}))
    assert _xy(result.actors, "A") == pytest.approx(expected, abs=1e-9)


def test_decimal_commas_degree_signs_and_bad_cells() -> None:
    raw = make_raw(
        {
            "name": ["A", "B", "C", "D"],
            "lat": ["50,6292", "50.1°", "N50", "about 50"],
            "lon": ["3,0573", " 3.2 ", "3", "3"],
        }
    )
    result = normalise(raw)
    assert _xy(result.actors, "A") == pytest.approx((3.0573, 50.6292), abs=1e-9)
    assert _xy(result.actors, "B") == pytest.approx((3.2, 50.1), abs=1e-9)
    assert _xy(result.actors, "C") == pytest.approx((3.0, 50.0), abs=1e-9)  # 50° north
    assert result.rejects[["row", "reason", "value", "column"]].values.tolist() == [
        [4, "invalid coordinates", "about 50 / 3", "lat/lon"]
    ]


def test_swapped_coordinates_are_fixed_with_a_note() -> None:
    result = read_layer(DATA / "swapped.csv")
    actors = result.actors.set_index("name")
    assert _xy(result.actors, "Swapped Actor") == pytest.approx((3.0573, 50.6292), abs=1e-9)
    assert actors.loc["Swapped Actor", "position_note"] == (
        "latitude and longitude were swapped in the file; fixed (as given the point is far "
        "from any place; swapped it lies in FR)"
    )
    assert actors.loc["Straight Actor", "position_note"] is None
    # New York is outside Europe either way round: left alone.
    assert _xy(result.actors, "Far Away Co") == pytest.approx((-74.006, 40.7128), abs=1e-9)
    assert result.warnings[["row", "message"]].values.tolist() == [
        [
            2,
            "latitude and longitude swapped (3.0573 / 50.6292): fixed (as given the point is "
            "far from any place; swapped it lies in FR)",
        ]
    ]


def test_metres_in_columns_rejected_or_reprojected_with_crs() -> None:
    rejected = read_layer(DATA / "metres_no_crs.csv")
    assert list(rejected.rejects["reason"]) == ["projected coordinates"] * 2
    assert list(rejected.rejects["value"]) == ["3080766.84 / 3830590.10", "2889484.80 / 3760771.86"]
    result = read_layer(DATA / "metres_no_crs.csv", crs="EPSG:3035")
    assert _xy(result.actors, "Lille Centre") == pytest.approx((3.0573, 50.6292), abs=1e-6)
    assert _xy(result.actors, "Paris Centre") == pytest.approx((2.3522, 48.8566), abs=1e-6)
    assert set(result.actors["position_note"]) == {"reprojected from EPSG:3035"}


def test_quirks_every_reason() -> None:
    result = read_layer(DATA / "quirks.csv")
    assert list(result.actors["name"]) == ["Good One", "Good One", "Greek Actor", "Wrong Nuts"]
    assert result.rejects[["row", "reason"]].values.tolist() == [
        [2, "missing name"],
        [3, "invalid coordinates"],
        [4, "incomplete coordinates"],
        [5, "coordinates out of range"],
        [6, "duplicate row"],
        [10, "ragged row"],
    ]
    rejects = result.rejects.set_index("row")
    assert rejects.loc[6, "detail"] == "same name and position as row 1; remove one of the two"
    assert rejects.loc[5, "value"] == "95.0 / 3.0"
    actors = result.actors.set_index("source_row")
    assert actors.loc[8, "nuts_code"] == "EL30"  # GR30 read as EL30, with a warning
    assert actors.loc[8, "country"] == "EL"  # from the NUTS code
    assert actors.loc[9, "nuts_code"] is None  # ABCDEFG: invalid, row kept (it has a position)
    messages = dict(zip(result.warnings["row"], result.warnings["message"], strict=True))
    assert messages[8] == "NUTS code 'GR30' uses an ISO country prefix: read as EL30"
    assert messages[9] == "invalid NUTS code 'ABCDEFG' (expected e.g. FRE11): ignored"


def test_city_only_rows_are_positioned_or_kept_by_nuts_or_rejected() -> None:
    result = read_layer(DATA / "city_only.csv")
    actors = result.actors.set_index("name")
    assert list(actors.index) == [
        "Ghent University",
        "Lille Startup",
        "Sofia Municipality",
        "Mystery Hall",
        "Region Office",
    ]
    assert _xy(result.actors, "Ghent University") == pytest.approx((3.71667, 51.05), abs=1e-6)
    assert _xy(result.actors, "Lille Startup") == pytest.approx((3.05512, 50.63391), abs=1e-6)
    assert _xy(result.actors, "Sofia Municipality") == pytest.approx((23.32415, 42.69751), abs=1e-6)
    assert list(actors["position_source"]) == ["city", "city", "city", None, None]
    assert actors.loc["Sofia Municipality", "country"] == "BG"  # "България"
    assert actors.loc["Lille Startup", "position_note"] == "centre of Lille (FR), from GeoNames"
    # Unknown city with a NUTS code: accepted without a point, positioned later by the join.
    assert actors.geometry["Mystery Hall"] is None
    assert actors.loc["Mystery Hall", "nuts_code"] == "FRE11"
    assert actors.loc["Region Office", "country"] == "FR"
    rejects = result.rejects.set_index("row")
    assert rejects.loc[4, "reason"] == "ambiguous city"
    assert rejects.loc[4, "detail"].startswith("ambiguous city 'Valencia': ")
    assert {"ES", "VE"} <= set(rejects.loc[4, "detail"].split(": ")[1].split(" — ")[0].split(", "))
    assert rejects.loc[5, "reason"] == "unknown city"
    assert rejects.loc[5, "detail"].startswith("unknown city 'Xyzzyville' in FR")
    assert rejects.loc[8, "reason"] == "no usable location"
    assert rejects.loc[9, "reason"] == "invalid NUTS code"
    assert rejects.loc[9, "value"] == "F-123456"


def test_default_country_helps_city_lookup_and_must_be_a_country() -> None:
    raw = make_raw({"name": ["A"], "city": ["Valencia"]})
    result = normalise(raw, country="Spain")
    assert list(result.actors["country"]) == ["ES"]
    assert _xy(result.actors, "A") == pytest.approx((-0.37966, 39.47391), abs=1e-6)
    with pytest.raises(InputFileError, match="default country 'Narnia'"):
        normalise(make_raw({"name": ["A"], "city": ["Lille"]}), country="Narnia")


def test_duplicate_by_city_when_there_is_no_position() -> None:
    raw = make_raw(
        {
            "name": ["Lab", "LAB ", "Lab"],
            "nuts": ["FRE11", "FRE11", "FRE11"],
            "city": [None, None, None],
        }
    )
    result = normalise(raw)
    assert result.accepted == 1
    assert result.rejects[["row", "reason"]].values.tolist() == [
        [2, "duplicate row"],
        [3, "duplicate row"],
    ]


def test_geometry_crs_and_column_fallback() -> None:
    raw = make_raw(
        {"name": ["A", "B"], "lat": [None, "50.5"], "lon": [None, "3.5"]},
        geometry=[shapely.Point(3.1, 50.1), None],
        crs="EPSG:4326",
    )
    result = normalise(raw)
    assert _xy(result.actors, "A") == pytest.approx((3.1, 50.1))
    assert _xy(result.actors, "B") == pytest.approx((3.5, 50.5))


def test_html_descriptions() -> None:
    assert html_to_text(
        "<p>Hello&nbsp;<b>world</b></p><p>Visit <a href='https://example.org/x'>us</a></p>"
    ) == ("Hello world\nVisit us", "https://example.org/x")
    assert html_to_text("Plain text, see https://example.org.") == (
        "Plain text, see https://example.org.",
        "https://example.org.",
    )
    assert html_to_text("a < b and c > d") == ("a < b and c > d", None)


def test_extra_columns_are_kept_and_collisions_renamed() -> None:
    raw = make_raw(
        {
            "name": ["A"],
            "lat": ["50"],
            "lon": ["3"],
            "Budget": ["1000"],
            "geometry": ["POINT (1 2)"],
        }
    )
    actors = normalise(raw).actors
    assert actors.loc[0, "Budget"] == "1000"
    assert actors.loc[0, "geometry_original"] == "POINT (1 2)"


def test_actor_ids_are_stable_and_depend_on_file_layer_and_row() -> None:
    first = read_layer(DATA / "mymaps.kml").actors["actor_id"]
    again = read_layer(DATA / "mymaps.kml").actors["actor_id"]
    assert list(first) == list(again)
    assert first.is_unique
    assert all(len(i) == 16 for i in first)


def test_unknown_crs_option_raises() -> None:
    with pytest.raises(InputFileError, match="'EPSG:0' is not understood"):
        normalise(make_raw({"name": ["A"], "x": ["1"], "y": ["2"]}), crs="EPSG:0")


def test_a_column_mapped_to_none_is_not_guessed() -> None:
    raw = make_raw({"Name": ["A"], "Type": ["Museum"], "lat": ["50.6"], "lon": ["3.1"]})
    assert map_columns(raw)["helix"] == "Type"
    assert "helix" not in map_columns(make_raw({"Name": ["A"], "Type": ["x"]}), {"helix": None})
    result = normalise(raw, columns={"helix": None})
    assert "helix" not in result.columns
    assert result.actors["Type"].tolist() == ["Museum"]  # kept as an extra column
    assert result.preview.to_dict("records") == [
        {"Name": "A", "Type": "Museum", "lat": "50.6", "lon": "3.1"}
    ]


def test_a_code_of_another_level_than_its_column_names_is_warned_about() -> None:
    raw = make_raw(
        {
            "Name": ["A", "B", "C"],
            "nuts2": ["ES4", "ES43", None],
            "lat": ["39", "39", "39"],
            "lon": ["-6", "-6", "-6"],
        }
    )
    result = normalise(raw)
    messages = [m for m in result.warnings["message"] if "level-" in m]
    assert messages == [
        "NUTS code ES4 is a level-1 code in the column 'nuts2', which holds level-2 codes: "
        "the row gets the level-1 region; check the code"
    ]
    assert result.warnings.loc[result.warnings["message"] == messages[0], "row"].tolist() == [1]
    unnamed = make_raw({"Name": ["A"], "nuts": ["ES4"], "lat": ["39"], "lon": ["-6"]})
    assert not any("level-" in m for m in normalise(unnamed).warnings["message"])
