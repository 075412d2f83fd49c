"""Filters: each criterion alone and combined, on a hand-built layer with known answers."""

from __future__ import annotations

import geopandas as gpd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely import Point

from metacluster import Filters, apply_filters
from metacluster.filter import parse_bbox, searchable_text

# fmt: off
ROWS = [  # name, helix, country, nuts3, clusters, themes, description, city, lon, lat
    ("Università di Roma", "academia", "IT", "ITI43", ["Lazio"], ["3D", "VR"],
     "Digital humanities lab", "Roma", 12.50, 41.90),
    ("Museo Virtuale", "civil_society", "IT", "ITI43", ["Lazio", "Attica"], ["3d"],
     "A museum online", "Roma", 12.48, 41.89),
    ("Regione Toscana", "government", "IT", "ITI14", ["Tuscany"], [],
     None, "Firenze", 11.25, 43.77),
    ("Euratech", "business", "FR", "FRE11", ["Nord-Pas de Calais"], ["VR", "games"],
     "Incubator", "Lille", 3.02, 50.63),
    ("Musée du Louvre-Lens", None, "FR", "FRE12", ["Nord-Pas de Calais"], ["museum"],
     "Le musée", "Lens", 2.80, 50.43),
    ("Athens Tech", "business", "GR", "EL303", ["Attica"], None,
     "Μουσείο software", "Athína", 23.73, 37.98),
]
# fmt: on
COLUMNS = ("name", "helix", "country", "nuts3", "regional_cluster", "themes", "description", "city")


@pytest.fixture
def actors() -> gpd.GeoDataFrame:
    records = [dict(zip(COLUMNS, row[:-2], strict=True)) for row in ROWS]
    for record in records:
        for level in (0, 1, 2):
            record[f"nuts{level}"] = record["nuts3"][: level + 2]
    positions = [Point(row[-2], row[-1]) for row in ROWS]
    return gpd.GeoDataFrame(records, geometry=positions, crs="EPSG:4326")


def names(frame: gpd.GeoDataFrame) -> list[str]:
    return frame["name"].tolist()


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), [r[0] for r in ROWS]),
        (Filters(helix=("business",)), ["Euratech", "Athens Tech"]),
        (Filters(helix=("academia", "unknown")), ["Università di Roma", "Musée du Louvre-Lens"]),
        (Filters(clusters=("Attica",)), ["Museo Virtuale", "Athens Tech"]),
        (
            Filters(clusters=("Tuscany", "Nord-Pas de Calais")),
            ["Regione Toscana", "Euratech", "Musée du Louvre-Lens"],
        ),
        (Filters(countries=("fr",)), ["Euratech", "Musée du Louvre-Lens"]),
        (Filters(countries=("EL",)), ["Athens Tech"]),
        (Filters(nuts=("ITI",)), ["Università di Roma", "Museo Virtuale", "Regione Toscana"]),
        (Filters(nuts=("ITI4",)), ["Università di Roma", "Museo Virtuale"]),
        (Filters(nuts=("ITI14", "FR")), ["Regione Toscana", "Euratech", "Musée du Louvre-Lens"]),
        (Filters(nuts=("ITI1",)), ["Regione Toscana"]),
        (Filters(themes=("3d",)), ["Università di Roma", "Museo Virtuale"]),
        (Filters(themes=("vr", "3D")), ["Università di Roma", "Museo Virtuale", "Euratech"]),
        (Filters(themes=("vr", "3D"), themes_mode="all"), ["Università di Roma"]),
        (Filters(search="musee"), ["Musée du Louvre-Lens"]),
        (Filters(search="MUSÉE lens"), ["Musée du Louvre-Lens"]),
        (Filters(search="roma"), ["Università di Roma", "Museo Virtuale"]),
        (Filters(search="universita"), ["Università di Roma"]),
        (Filters(search="μουσείο"), ["Athens Tech"]),
        (Filters(bbox=(12.0, 41.0, 13.0, 42.0)), ["Università di Roma", "Museo Virtuale"]),
        (Filters(bbox=(12.5, 41.9, 13.0, 42.0)), ["Università di Roma"]),  # on the edge: kept
        (Filters(helix=("civil_society",), countries=("IT",), search="museum"), ["Museo Virtuale"]),
        (Filters(helix=("government",), countries=("FR",)), []),
    ],
)
def test_apply_filters_known_answers(actors, filters: Filters, expected: list[str]) -> None:
    assert names(apply_filters(actors, filters)) == expected


def test_apply_filters_keeps_order_columns_and_attrs(actors) -> None:
    actors.attrs["nuts_year"] = 2021
    kept = apply_filters(actors, Filters(countries=("IT", "GR")))
    assert list(kept.columns) == list(actors.columns)
    assert kept.index.tolist() == [0, 1, 2, 5]
    assert kept.attrs["nuts_year"] == 2021
    assert kept.crs == actors.crs


def test_filter_on_missing_column_names_it(actors) -> None:
    with pytest.raises(ValueError, match="no 'nuts2' column"):
        apply_filters(actors.drop(columns="nuts2"), Filters(nuts=("ITI4",)))


def test_countries_are_given_by_code_or_name_in_any_case() -> None:
    filters = Filters(countries=("italy", "GREECE", "bg", "Deutschland", "ITA", "Italia"))
    assert filters.countries == ("IT", "EL", "BG", "DE")


def test_summary_says_the_filters_in_words() -> None:
    filters = Filters(helix=("academia", "business"), clusters=("Toscana",), countries=("EL",))
    assert filters.summary() == (
        "Helices: Academia & research, Business & industry · Regional cluster: Toscana · "
        "Country: Greece (EL)"
    )
    assert Filters().summary() == ""


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"helix": ("academy",)}, "unknown helix 'academy'; allowed values: academia, business"),
        ({"countries": ("Atlantis",)}, "'Atlantis' is not a country"),
        ({"nuts": ("IT-I4",)}, "'IT-I4' is not a NUTS code"),
        ({"themes_mode": "some"}, "themes_mode must be one of any, all"),
        ({"bbox": (13, 41, 12, 42)}, "bbox must be min lon"),
        ({"bbox": (0, 0, 1)}, "bbox needs four numbers"),
        ({"bbox": (0, -95, 1, 1)}, "bbox must be min lon"),
        ({"clusters": (3,)}, "clusters values must be text, not 3"),
    ],
)
def test_invalid_values_raise(kwargs, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Filters(**kwargs)


def test_values_are_normalised() -> None:
    filters = Filters(
        helix="academia", countries=["it", "IT", " fr "], nuts=["iti4"], search="  a   b "
    )
    assert filters.helix == ("academia",)
    assert filters.countries == ("IT", "FR")
    assert filters.nuts == ("ITI4",)
    assert filters.search == "a b"


def test_is_empty() -> None:
    assert Filters().is_empty
    assert Filters(helix=(), search=" ").is_empty
    assert not Filters(search="x").is_empty
    assert not Filters(bbox=(0, 0, 1, 1)).is_empty


def test_query_params_known_form() -> None:
    filters = Filters(
        helix=("academia", "business"),
        clusters=("Nord-Pas de Calais",),
        countries=("FR",),
        nuts=("FRE1",),
        themes=("3d",),
        themes_mode="all",
        search="musée",
        bbox=(2.5, 50.0, 3.25, 51.0),
    )
    assert filters.to_query_params() == {
        "helix": ["academia", "business"],
        "cluster": ["Nord-Pas de Calais"],
        "country": ["FR"],
        "nuts": ["FRE1"],
        "theme": ["3d"],
        "themes_mode": ["all"],
        "q": ["musée"],
        "bbox": ["2.5,50,3.25,51"],
    }
    assert Filters().to_query_params() == {}


class StreamlitLikeParams(dict):
    """Like st.query_params: item access gives the last value, get_all every value."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self.pairs = pairs

    def get_all(self, key: str) -> list[str]:
        return [value for k, value in self.pairs if k == key]


def test_from_query_params_reads_repeated_keys_with_get_all() -> None:
    params = StreamlitLikeParams([("helix", "academia"), ("helix", "business"), ("q", "lab")])
    assert dict(params)["helix"] == "business"
    filters = Filters.from_query_params(params)
    assert filters == Filters(helix=("academia", "business"), search="lab")


def test_from_query_params_accepts_strings_and_ignores_other_keys() -> None:
    filters = Filters.from_query_params({"helix": "academia", "q": "museum", "view": "map"})
    assert filters == Filters(helix=("academia",), search="museum")
    with pytest.raises(ValueError, match="'bbox' given 2 times"):
        Filters.from_query_params({"bbox": ["0,0,1,1", "0,0,2,2"]})
    with pytest.raises(ValueError, match="unknown helix"):
        Filters.from_query_params({"helix": ["nope"]})


texts = st.text(alphabet=st.characters(categories=("L", "N", "Zs", "P")), min_size=1, max_size=12)


@given(
    helix=st.lists(
        st.sampled_from(["academia", "business", "government", "civil_society", "unknown"]),
        unique=True,
    ),
    clusters=st.lists(texts.filter(str.strip), unique=True, max_size=3),
    countries=st.lists(st.sampled_from(["IT", "FR", "EL", "BG", "ES"]), unique=True),
    nuts=st.lists(st.sampled_from(["IT", "ITI", "ITI4", "ITI43", "FRE11"]), unique=True),
    themes=st.lists(texts.filter(str.strip), unique=True, max_size=3),
    mode=st.sampled_from(["any", "all"]),
    search=texts,
    bbox=st.none()
    | st.tuples(st.floats(-180, 0), st.floats(-90, 0), st.floats(0, 180), st.floats(0, 90)),
)
def test_query_params_round_trip(
    helix, clusters, countries, nuts, themes, mode, search, bbox
) -> None:
    filters = Filters(
        helix=helix,
        clusters=[c.strip() for c in clusters],
        countries=countries,
        nuts=nuts,
        themes=[t.strip() for t in themes],
        themes_mode=mode,
        search=search,
        bbox=bbox,
    )
    params = filters.to_query_params()
    assert set(params) <= {
        "helix",
        "cluster",
        "country",
        "nuts",
        "theme",
        "themes_mode",
        "q",
        "bbox",
    }
    again = Filters.from_query_params(params)
    if bbox is None:
        assert again == filters
    else:  # the URL keeps 6 significant digits
        assert again.bbox == pytest.approx(filters.bbox, rel=1e-5, abs=1e-5)
        assert again == Filters(**{**vars(filters), "bbox": again.bbox})


@pytest.mark.parametrize(
    ("filters", "slug"),
    [
        (Filters(), "all"),
        (
            Filters(helix=("academia",), countries=("IT",), nuts=("ITI1",), search="museum"),
            "academia-IT-ITI1-q-museum",
        ),
        (
            Filters(clusters=("Nord-Pas de Calais",), themes=("Réalité Virtuelle",)),
            "nord-pas-de-calais-theme-realite-virtuelle",
        ),
        (Filters(themes=("3d", "vr"), themes_mode="all"), "themes-all-3d-vr"),
        (Filters(search="../../etc/passwd"), "q-etc-passwd"),
        (Filters(bbox=(-3.5, 40, 2, 41.25)), "bbox--3.5_40_2_41.25"),
    ],
)
def test_describe(filters: Filters, slug: str) -> None:
    assert filters.describe() == slug


def test_describe_is_short() -> None:
    slug = Filters(search="word " * 50).describe()
    assert len(slug) <= 80
    assert slug.startswith("q-word-word")


def test_parse_bbox() -> None:
    assert parse_bbox("1,2,3,4.5") == (1.0, 2.0, 3.0, 4.5)
    with pytest.raises(ValueError, match="four numbers"):
        parse_bbox("1,2,3")
    with pytest.raises(ValueError, match="bbox '1,2,x,4'"):
        parse_bbox("1,2,x,4")


def test_search_text_computed_once_finds_the_same_actors(actors: gpd.GeoDataFrame) -> None:
    text = searchable_text(actors)
    found = apply_filters(actors, Filters(search="roma"), search_text=text)
    assert names(found) == ["Università di Roma", "Museo Virtuale"]
    with pytest.raises(ValueError, match="other actors"):
        apply_filters(actors.iloc[:3], Filters(search="roma"), search_text=text)
