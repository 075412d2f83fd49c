"""Re-importing metacluster's own exports keeps what the merge worked out."""

from __future__ import annotations

from pathlib import Path

import pytest

from metacluster import merge, read_layer
from metacluster.export import write

DATA = Path(__file__).parent / "data"
KEPT = ["regional_cluster", "source_maps", "merge_conflicts", "position_source", "nuts_match"]

pytestmark = pytest.mark.usefixtures("mirror")


@pytest.fixture(scope="module")
def merged():
    return merge(DATA / "merge" / "partnership.toml").actors


@pytest.mark.parametrize("fmt", ["geojson", "csv", "kml"])
def test_a_merged_export_merges_back_to_the_same_actors(merged, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"europe.{fmt}"
    with path.open("wb") as stream:
        write(stream, merged, fmt=fmt)
    again = merge([path]).actors
    before = merged.set_index("actor_id")[KEPT].sort_index()
    after = again.set_index("actor_id")[KEPT].sort_index()
    assert after.index.tolist() == before.index.tolist()
    assert after.astype(str).to_dict("index") == before.astype(str).to_dict("index")
    # the fixture has one merged actor with conflicts and two placed by their NUTS code
    assert sum(len(c) > 0 for c in after["merge_conflicts"]) == 1
    assert (after["nuts_match"] == "from_code").sum() == 2
    assert any(len(c) == 2 for c in after["regional_cluster"])


def test_reading_an_export_keeps_its_actor_ids(merged, tmp_path: Path) -> None:
    path = tmp_path / "europe.csv"
    with path.open("wb") as stream:
        write(stream, merged, fmt="csv")
    actors = read_layer(path).actors
    assert sorted(actors["actor_id"]) == sorted(merged["actor_id"])
    assert "actor_id_original" not in actors.columns
    assert actors["regional_cluster"].map(type).eq(list).all()
