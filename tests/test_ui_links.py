"""Which links the map draws for the filtered actors (``metacluster.ui.links``), checked
against the plain set-membership rule on random data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from metacluster.ui.links import link_ends, shown_positions

IDS = st.sampled_from(["a", "b", "c", "d", "e", "ghost"])  # "ghost" is never an actor


@settings(max_examples=200, deadline=None)
@given(
    actor_ids=st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=8),
    links=st.lists(st.tuples(IDS, IDS), max_size=12),
    picks=st.lists(st.booleans(), min_size=8, max_size=8),
    either_end=st.booleans(),
)
def test_shown_links_are_those_whose_ends_are_shown(
    actor_ids: list[str], links: list[tuple[str, str]], picks: list[bool], either_end: bool
) -> None:
    actors = pd.Series(actor_ids, dtype="string")  # an id may repeat (an app data file)
    edges = pd.DataFrame(links, columns=["source", "target"], dtype="string")
    shown_rows = np.flatnonzero(picks[: len(actor_ids)])
    shown_ids = set(actors.iloc[shown_rows])
    source = edges["source"].isin(shown_ids).to_numpy()
    target = edges["target"].isin(shown_ids).to_numpy()
    expected = np.flatnonzero((source | target) if either_end else (source & target))
    ends = link_ends(edges, actors)
    got = shown_positions(ends, shown_rows, either_end=either_end)
    assert got.tolist() == expected.tolist()


def test_a_link_to_an_unknown_actor_is_drawn_only_with_either_end() -> None:
    edges = pd.DataFrame({"source": ["a", "a"], "target": ["b", "ghost"]})
    ends = link_ends(edges, pd.Series(["a", "b"]))
    assert ends.target.tolist() == [1, -1]
    assert shown_positions(ends, np.array([0, 1]), either_end=False).tolist() == [0]
    assert shown_positions(ends, np.array([0]), either_end=True).tolist() == [0, 1]
    assert shown_positions(ends, np.array([], dtype=np.int64), either_end=True).tolist() == []
