"""The split of a filter between the server and deck.gl's category filter in the browser:
together they keep exactly what ``apply_filters`` keeps, whatever the split."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from metacluster.filter import Filters, filter_mask
from metacluster.ui import browser_filter, deck
from tests.ui_sample import drawn, sample_actors


def _awkward_actors() -> pd.DataFrame:
    """The app's sample plus the rows real lists bring: Greece as GR with NUTS EL, no
    helix, a lower-case country without NUTS, an actor on no map."""
    actors = sample_actors()
    extra = actors.iloc[[0, 1, 3, 4]].copy()
    extra["actor_id"] = ["mc-gr", "mc-none", "mc-lower", "mc-nomap"]
    extra.loc[extra.index[0], ["country", "nuts0"]] = ["GR", "EL"]
    extra.loc[extra.index[1], "helix"] = None
    extra.loc[extra.index[2], ["country", "nuts0"]] = ["fr", None]
    extra["regional_cluster"] = [["Attiki"], ["Toscana"], ["Nord-Pas de Calais"], []]
    return pd.concat([actors, extra], ignore_index=True)


def _drawn(categories: browser_filter.Categories, split: browser_filter.Split) -> np.ndarray:
    """Which actors deck.gl draws: the layer's rule (``drawn``) over their categories."""
    rows = [{"position": i, "g": codes} for i, codes in enumerate(categories.codes.tolist())]
    layer = deck.actors_layer("[]", categories=split.accepted).style
    kept = drawn({"data": rows, "filterCategories": layer["filterCategories"]})
    return np.isin(np.arange(len(rows)), [row["position"] for row in kept])


HELICES = [(), ("academia",), ("unknown",), ("business", "civil_society")]
CLUSTERS = [(), ("Toscana",), ("Nord-Pas de Calais", "Attiki"), ("Nowhere",)]
COUNTRIES = [(), ("IT",), ("EL",), ("GR",), ("FR", "IT")]
NUTS = [(), ("ITI",)]


@pytest.mark.parametrize("nuts", NUTS)
def test_server_and_browser_together_keep_what_apply_filters_keeps(nuts: tuple[str, ...]) -> None:
    actors = _awkward_actors()
    categories = browser_filter.categorise(actors)
    assert categories.criteria == ("helix", "clusters", "countries")
    for helix, clusters, countries in itertools.product(HELICES, CLUSTERS, COUNTRIES):
        filters = Filters(helix=helix, clusters=clusters, countries=countries, nuts=nuts)
        split = browser_filter.split(filters, categories)
        assert split.server == Filters(nuts=nuts)  # the rest is the browser's
        both = filter_mask(actors, split.server) & _drawn(categories, split)
        assert (both == filter_mask(actors, filters)).all(), filters


def test_actors_alike_share_a_category_and_each_category_has_an_example() -> None:
    actors = _awkward_actors()
    categories = browser_filter.categorise(actors)
    helix = categories.codes[:, 0]
    assert len(set(helix)) == actors["helix"].fillna("?").nunique()
    for column, (criterion, examples) in enumerate(
        zip(categories.criteria, categories.examples, strict=True)
    ):
        assert list(examples.columns) == list(browser_filter.CRITERIA[criterion])
        codes = categories.codes[:, column]
        first = [int(np.flatnonzero(codes == code)[0]) for code in range(len(examples))]
        expected = actors.iloc[first][list(examples.columns)].reset_index(drop=True)
        pd.testing.assert_frame_equal(examples, expected)


def _many(n: int, *, clusters: int, countries: int) -> pd.DataFrame:
    rows = np.arange(n)
    return pd.DataFrame(
        {
            "helix": np.array(["academia", "business", "government", "civil_society"])[rows % 4],
            "regional_cluster": [[f"Cluster {i % clusters}"] for i in rows],
            "country": [f"C{i % countries}" for i in rows],
            "nuts0": None,
        }
    )


def test_criteria_with_too_many_categories_are_left_to_the_server() -> None:
    # deck.gl holds 128 categories: 32 each for three criteria, 64 each for two
    two = browser_filter.categorise(_many(400, clusters=40, countries=100))
    assert two.criteria == ("helix", "clusters") and two.codes.shape == (400, 2)
    split = browser_filter.split(Filters(helix=("academia",), countries=("IT",)), two)
    assert split.server == Filters(countries=("IT",))
    assert split.accepted[0] == (0,) and len(split.accepted[1]) == 40
    one = browser_filter.categorise(_many(400, clusters=70, countries=100))
    assert one.criteria == ("helix",) and one.codes.shape == (400, 1)
    none = browser_filter.categorise(_many(400, clusters=200, countries=200).assign(
        helix=[f"h{i}" for i in range(400)]
    ))  # fmt: skip
    assert none.criteria == () and none.codes.shape == (400, 0)


def test_map_rows_carry_the_categories_as_deck_gl_reads_them() -> None:
    actors = sample_actors()
    three = browser_filter.categorise(actors).codes
    rows = [json.loads(row) for row in deck.actor_rows(actors, three)]
    assert [row["g"] for row in rows] == three.tolist()
    one = [json.loads(row)["g"] for row in deck.actor_rows(actors, three[:, :1])]
    assert one == three[:, 0].tolist()  # one criterion: a number, not a list
    assert "g" not in json.loads(deck.actor_rows(actors)[0])
    layer = deck.actors_layer("[]", categories=[(0, 2), (1,), (0, 1, 2)])
    assert layer.style["filterCategories"] == [[0, 2], [1], [0, 1, 2]]
    assert layer.style["extensions"] == [
        {"@@type": "DataFilterExtension", "categorySize": 3, "filterSize": 0}
    ]
    assert deck.actors_layer("[]", categories=[(3,)]).style["filterCategories"] == [3]
    assert "extensions" not in deck.actors_layer("[]").style
