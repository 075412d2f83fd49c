"""The view round-trips through URL query parameters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metacluster.filter import HELIX_VALUES, Filters
from metacluster.ui.state import LAYERS, METRICS, View, view_from_params, view_to_params

_words = st.text(alphabet="abcdefgh -é", min_size=1, max_size=12).filter(lambda t: t.strip())

views = st.builds(
    View,
    filters=st.builds(
        Filters,
        helix=st.lists(st.sampled_from(HELIX_VALUES), unique=True, max_size=3).map(tuple),
        clusters=st.lists(_words, max_size=2).map(tuple),
        countries=st.lists(st.sampled_from(["IT", "FR", "NL"]), unique=True).map(tuple),
        nuts=st.lists(st.sampled_from(["ITI", "FRE11", "NL4"]), unique=True).map(tuple),
        themes=st.lists(_words, max_size=2).map(tuple),
        themes_mode=st.sampled_from(["any", "all"]),
        search=st.sampled_from(["", "museum", "digital heritage"]),
        bbox=st.sampled_from([None, (1.0, 40.0, 12.5, 51.25)]),
    ),
    manifest=st.sampled_from(["", "metacluster", "smartspace"]),
    level=st.integers(0, 3),
    year=st.sampled_from([None, 2021, 2024]),
    metric=st.sampled_from(list(METRICS)),
    layers=st.lists(st.sampled_from(LAYERS), unique=True).map(tuple),
    link_ends=st.sampled_from(["both", "either"]),
    online_basemap=st.booleans(),
    present=st.booleans(),
    step=st.integers(0, 9),
)


@given(views)
def test_a_view_survives_the_url(view: View) -> None:
    assert view_from_params(view_to_params(view)) == view


def test_the_default_view_has_a_bare_url() -> None:
    assert view_to_params(View()) == {}
    assert view_from_params({}) == View()


def test_view_params_use_the_filters_own_names() -> None:
    view = View(
        filters=Filters(helix=("academia",), countries=("IT",)),
        level=3,
        metric="balance",
        layers=("actors",),
        present=True,
        step=2,
        manifest="smartspace",
    )
    assert view_to_params(view) == {
        "helix": ["academia"],
        "country": ["IT"],
        "manifest": ["smartspace"],
        "level": ["3"],
        "metric": ["balance"],
        "hide": ["links,regions,countries"],
        "present": ["1"],
        "step": ["2"],
    }


def test_single_values_as_plain_strings_are_read_too() -> None:
    view = view_from_params({"helix": "business", "present": "true", "level": "0"})
    assert view == View(filters=Filters(helix=("business",)), present=True, level=0)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"level": "7"}, "level must be one of"),
        ({"level": "two"}, "level='two' is not a whole number"),
        ({"year": "2019"}, "year must be one of"),
        ({"metric": "population"}, "metric must be one of"),
        ({"hide": "actors,roads"}, "unknown layer 'roads'"),
        ({"basemap": "satellite"}, "basemap='satellite'"),
        ({"step": "-1"}, "step must be 0 or more"),
        ({"helix": "artists"}, "unknown helix 'artists'"),
    ],
)
def test_bad_params_name_the_parameter(params: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        view_from_params(params)


@pytest.mark.parametrize("default_online", [False, True])
def test_basemap_round_trips_whatever_the_default(default_online: bool) -> None:
    for online in (False, True):
        view = View(online_basemap=online)
        params = view_to_params(view, default_online=default_online)
        assert ("basemap" in params) == (online != default_online)  # a bare URL for the default
        assert view_from_params(params, default_online=default_online) == view


def test_links_with_one_end_outside_the_filters_are_in_the_url() -> None:
    assert view_to_params(View(link_ends="either")) == {"links": ["either"]}
    assert view_from_params({"links": ["either"]}) == View(link_ends="either")
    assert view_from_params({"links": "both"}) == View()
    with pytest.raises(ValueError, match="links='one': use both or either"):
        view_from_params({"links": "one"})
