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


def test_merge_benchmark_finds_the_naive_groups(
    nuts_from_mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import merge

    results = merge.main(4_000, naive_sample=800)
    assert results["same_groups"] == 1.0
    assert results["groups"] > 50  # 15 % of 800 rows are copies of another map's actors
    assert results["naive_s"] == pytest.approx(results["naive_sample_s"] * (4_000 / 800) ** 2)
    assert "same duplicate groups on the sample: True" in capsys.readouterr().out


def test_merge_benchmark_maps_hold_the_planted_duplicates(nuts_from_mirror: Path) -> None:
    from benchmarks import merge

    maps = merge.synthetic_maps(1_000)
    assert len(maps) == merge.MAPS
    assert sum(result.rows_in for _, result in maps) == 1_000
    stacked = merge.merge_results(maps).report
    assert stacked.duplicates_merged == 150  # every copy lands in another map, within 25 km


def test_export_benchmark_outputs_agree(
    nuts_from_mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import export

    rows = export.run(1_000)
    assert [r["naive"] for r in rows] == [pytest.approx(r["ours"] * r["ratio"]) for r in rows]
    assert "same names and points in all three: True" in capsys.readouterr().out


def test_artefacts_benchmark_both_html_pages_hold_every_actor(
    nuts_from_mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import artefacts

    rows = artefacts.run(300)
    assert [r["unit"] for r in rows] == ["s", "MB", "s"]
    assert "every actor in both: True" in capsys.readouterr().out


def test_memory_benchmark_measures_a_fresh_process(
    nuts_from_mirror: Path, nuts_mirror: Path
) -> None:
    from benchmarks import memory

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("METACLUSTER_NUTS_SOURCE", str(nuts_mirror))
        results = memory.main(2_000, naive=False)
    for fmt in memory.FORMATS:
        assert 100 < results[f"ours_{fmt}_mb"] < memory.TARGET_MB
        assert results[f"ours_{fmt}_s"] > 0
    assert "naive_parquet_mb" not in results


def test_dask_benchmark_counts_every_actor(nuts_from_mirror: Path, nuts_mirror: Path) -> None:
    from benchmarks import dask

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("METACLUSTER_NUTS_SOURCE", str(nuts_mirror))
        results = dask.main(20_000, workers=1)
    assert results["as_made"]["counted"] == 20_000
    assert results["sorted"]["counted"] == 4_000
    assert results["as_made"]["peak_mb"] > 100
    assert results["as_made"]["partitions"] == 1


def test_runner_prints_one_table_of_ratios() -> None:
    import benchmarks.__main__ as runner

    rows = [
        {"benchmark": "a", "unit": "s", "ours": 0.5, "naive": 2.0, "ratio": 4.0, "note": "x"},
        {"benchmark": "b", "unit": "MB", "ours": 900.0, "naive": None, "ratio": None, "note": ""},
    ]
    lines = runner.table(rows).splitlines()
    assert lines[2] == "| a | s | 0.500 | 2.00 | 4.0× | x |"
    assert lines[3] == "| b | MB | 900 | — | — |  |"
    assert "CPUs" in runner.machine()


def test_app_benchmark_runs_at_small_n(
    nuts_from_mirror: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import app

    monkeypatch.delenv("METACLUSTER_APP_DATA", raising=False)
    rows = app.measure(300, repeats=1)
    app.print_table(rows, n=300, repeats=1)
    assert [r["benchmark"] for r in rows][:2] == [
        "app: first load (warm NUTS cache)", "app: filter change (helix)"
    ]  # fmt: skip
    assert all(r["unit"] == "s" and r["ours"] > 0 for r in rows)
    spec = rows[-1]
    assert spec["ratio"] == pytest.approx(spec["naive"] / spec["ours"])
    assert "225 points" in spec["note"]  # 75 % of 300 actors
    reset = next(r for r in rows if r["benchmark"] == "app: reset filters (all actors)")
    assert reset["note"].endswith("300 of 300 actors")  # every actor again
    helix = next(r for r in rows if r["benchmark"] == "app: filter change (helix)")
    assert not helix["note"].endswith("300 of 300 actors")  # the filter took effect
    assert "metacluster app, 300 synthetic actors" in capsys.readouterr().out


def test_links_benchmark_runs_and_both_ways_agree(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import links

    results = links.main(20_000, 3_000, 400, 3_000, naive_pairs=50_000)
    assert results["links"]["same"] == 1.0
    assert results["links"]["sample_pairs"] < results["links"]["pairs"]
    assert results["links"]["naive_s"] == pytest.approx(
        results["links"]["naive_sample_s"]
        * results["links"]["pairs"]
        / results["links"]["sample_pairs"]
    )
    assert results["partners"]["same"] == 1.0
    out = capsys.readouterr().out
    assert "same edges and cluster counts on the sample: True" in out
    assert "same top 10 as the naive loop: True" in out


def test_accuracy_benchmark_prints_agreement_side_by_side(
    nuts_from_mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import accuracy

    results = accuracy.main(scales=("10M",))
    assert results["rows"] == 130 and results["postcodes"]
    assert results["10M"]["rows"] == 130  # every département names a NUTS-3 region
    assert results["10M"]["with"] >= results["10M"]["without"] >= 0.99
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("NUTS-3 agreement on 130 rows with known départements")
    assert lines[2].split()[0] == "10M"


@pytest.mark.browser
def test_browser_benchmark_runs_on_the_bundled_data(
    nuts_mirror: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import browser

    monkeypatch.setenv("METACLUSTER_NUTS_SOURCE", str(nuts_mirror))
    rows = browser.measure(None, repeats=1)
    browser.print_table(rows, repeats=1)
    floor = browser.FLOOR_LABEL
    assert [r["benchmark"] for r in rows] == [
        f"browser: page load to map ({floor})",
        f"browser: filter change to idle ({floor})",
        "browser: page load to map (bundled SmartCulture)",
        "browser: filter change to idle (bundled SmartCulture)",
    ]
    assert all(r["unit"] == "s" and r["ours"] > 0 for r in rows)
    for ours, floor_row in zip(rows[2:], rows[:2], strict=True):  # read against the floor
        assert f"{ours['ours'] / floor_row['ours']:.2f}× the floor" in ours["note"]
    assert "metacluster in headless Chromium" in capsys.readouterr().out
