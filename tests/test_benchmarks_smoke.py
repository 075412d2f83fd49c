"""The join benchmark runs end to end on a small sample (timings are not asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import join, synthetic
from metacluster import nuts


@pytest.mark.parametrize(("year", "scale"), [(2021, "10M"), (2024, "20M")])
def test_join_benchmark_runs_and_both_ways_agree(
    nuts_from_mirror: Path, capsys: pytest.CaptureFixture[str], year: int, scale: str
) -> None:
    results = join.main(2_000, year=year)
    assert results["disagreements"] == 0
    assert 0 < results["outside_share"] < 0.2
    assert results["speedup"] == pytest.approx(results["naive_s"] / results["ours_s"])
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith(f"NUTS {year} at {scale}: 2,000 synthetic actors, ")
    assert table[2].startswith("naive: geopandas.sjoin × 4 levels")
    assert table[3].startswith("join_nuts")


def test_synthetic_actors_are_reproducible_and_clustered(nuts_from_mirror: Path) -> None:
    first = synthetic.synthetic_actors(500, seed=3)
    assert first.geom_equals(synthetic.synthetic_actors(500, seed=3).geometry).all()
    assert not first.geom_equals(synthetic.synthetic_actors(500, seed=4).geometry).all()
    assert first.crs.to_epsg() == 4326
    assert first["actor_id"].is_unique
    regions = nuts.load_nuts(2021, 3)
    centres = regions.geometry.representative_point().to_crs(3035)
    distance_km = first.geometry.to_crs(3035).apply(lambda p: centres.distance(p).min()) / 1000
    assert distance_km.median() < 30  # spread 15 km around a centre
