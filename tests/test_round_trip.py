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


def test_every_command_prints_the_same_row_accounting(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from metacluster.cli import main

    runner = CliRunner()
    abroad = str(DATA / "outermost_and_abroad.csv")
    checked = runner.invoke(main, ["validate", abroad])
    assert "rows in 13   accepted 13   rejected 0" in checked.output
    assert "5 actors outside NUTS coverage (unmatched): PK 2, SA 1, QA 1, AE 1" in checked.output
    for command in ("merge", "export"):
        rejects = tmp_path / f"{command}-rejects.csv"
        out = runner.invoke(
            main,
            [command, abroad, "-o", str(tmp_path / f"{command}.csv"), "--rejects", str(rejects)],
        )
        assert out.exit_code == 0, out.output
        assert "13 rows in, 13 actors out, 0 duplicates merged" in out.output
        assert "4 actors outside NUTS coverage (unmatched): SA 1, QA 1, PK 1, AE 1" in out.output
        assert rejects.read_text(encoding="utf-8-sig").startswith("file,layer,row")
    assert "13 of 13 actors pass the filters." in out.output
