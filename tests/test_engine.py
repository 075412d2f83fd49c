"""The Dask engine gives the local engine's results, through spatially sorted partitions."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

import dask.dataframe as dd
import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from distributed import Client, LocalCluster, get_task_stream

from benchmarks.synthetic import synthetic_actors
from metacluster import (
    _nuts_index,
    aggregate_regions,
    dask_engine,
    engine,
    join_nuts,
    nuts,
    settings,
)
from metacluster.cli import main
from metacluster.read.parquet import read_actors

MANIFEST = Path(__file__).parent / "data" / "merge" / "partnership.toml"
ACTORS = 200_000


@pytest.fixture(scope="module")
def mirror(nuts_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "nuts_source", str(nuts_mirror))
        patch.setattr(settings, "cache_folder", tmp_path_factory.mktemp("nuts-cache"))
        patch.delenv(dask_engine.SCHEDULER_ENV, raising=False)
        yield


@pytest.fixture(scope="module")
def client(mirror: None) -> Iterator[Client]:
    """Two thread workers: they start in a second and share the process's settings."""
    with dask_engine.client(n_workers=2, processes=False) as started:
        yield started


@pytest.fixture(scope="module")
def actors(mirror: None) -> gpd.GeoDataFrame:
    """200,000 synthetic actors, plus the rows that take the join's other paths: no point
    but a code, a code that contradicts the point, a malformed code, a list column, a
    shuffled non-range index."""
    frame = synthetic_actors(ACTORS, seed=7)
    codes = np.full(ACTORS, None, dtype=object)
    codes[:3] = ["FR101", "DE1", "not a code"]
    codes[3] = "ITI43"  # far from where the synthetic point is: a code conflict
    frame["nuts_code"] = pd.array(codes, dtype="str")
    frame.loc[[0, 1, 2], "geometry"] = None
    frame["themes"] = [["heritage"] if i % 3 else [] for i in range(ACTORS)]
    return frame.set_axis(np.random.default_rng(1).permutation(ACTORS) * 2)


@pytest.fixture(scope="module")
def local(actors: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return join_nuts(actors, engine="local")


@pytest.fixture(scope="module")
def on_dask(client: Client, actors: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    with get_task_stream(client) as tasks:
        joined = join_nuts(actors, engine="dask")
    joined.attrs["task_names"] = sorted({str(t["key"]) for t in tasks.data})
    return joined


def test_dask_join_is_the_local_join(local: gpd.GeoDataFrame, on_dask: gpd.GeoDataFrame) -> None:
    assert set(local["nuts_match"]) == {
        "within",
        "snapped",
        "from_code",
        "code_conflict",
        "unmatched",
    }
    pd.testing.assert_frame_equal(
        pd.DataFrame(on_dask).drop(columns="geometry"), pd.DataFrame(local).drop(columns="geometry")
    )
    assert shapely.equals(on_dask.geometry.array, local.geometry.array).sum() == ACTORS - 1
    assert on_dask.geometry.iloc[2] is None and local.geometry.iloc[2] is None  # no code
    assert on_dask["position_source"].iloc[:2].tolist() == ["nuts", "nuts"]
    assert on_dask["themes"].iloc[2] == ["heritage"]
    assert on_dask.attrs["nuts_year"] == local.attrs["nuts_year"]
    assert on_dask.attrs["nuts_scale"] == local.attrs["nuts_scale"]
    assert any("join_with_index" in name for name in on_dask.attrs["task_names"])


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_dask_counts_are_the_local_counts(
    client: Client, local: gpd.GeoDataFrame, on_dask: gpd.GeoDataFrame, level: int
) -> None:
    expected = aggregate_regions(local, level=level, engine="local")
    counted = aggregate_regions(on_dask, level=level, engine="dask")
    pd.testing.assert_frame_equal(pd.DataFrame(counted), pd.DataFrame(expected))
    assert counted.attrs == expected.attrs


def test_partitions_are_spatially_sorted_and_the_index_is_broadcast(
    client: Client, actors: gpd.GeoDataFrame
) -> None:
    step = ACTORS // 8
    chunks = [actors.iloc[k * step : (k + 1) * step] for k in range(8)]
    parts = client.scatter(chunks, hash=False)  # like data loaded on the workers
    frame = dask_geopandas.from_dask_dataframe(dd.from_delayed(parts, meta=actors.iloc[:0]))
    joined = dask_engine.join_partitions(frame)
    parts = [part for part in joined.to_delayed()]
    extents = [shapely.box(*part.compute().total_bounds).area for part in parts]
    # input partitions span Europe; sorted ones hold neighbours: far smaller boxes
    whole = shapely.box(*actors.total_bounds).area
    assert len(extents) == 8 and np.median(extents) < whole / 4
    index_size = len(pickle.dumps(_nuts_index.nuts_index(2021, nuts.best_scale(2021))))
    graph_size = len(pickle.dumps(dict(joined.__dask_graph__())))
    assert graph_size < index_size / 4  # the index is referenced, not copied into tasks


def test_use_runs_joins_inside_the_block_on_dask(client: Client) -> None:
    assert engine.check_engine(None) == "local"
    with engine.use("dask"):
        assert engine.check_engine(None) == "dask"
    assert engine.check_engine(None) == "local"
    with pytest.raises(ValueError, match="engine must be one of local, dask, not 'spark'"):
        engine.check_engine("spark")
    with (
        pytest.raises(ValueError, match="scheduler only applies to the dask engine"),
        engine.use("local", scheduler="tcp://localhost:8786"),
    ):
        pass


def test_scheduler_address_from_the_environment_wins(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as other:
        monkeypatch.setenv(dask_engine.SCHEDULER_ENV, other.scheduler_address)
        with dask_engine.client() as connected:
            assert connected.scheduler.address == other.scheduler_address
        monkeypatch.delenv(dask_engine.SCHEDULER_ENV)
        with dask_engine.client(other.scheduler_address) as connected:
            assert connected.scheduler.address == other.scheduler_address
    with dask_engine.client() as reused:
        assert reused is client


def test_cli_engine_dask_gives_the_same_layer(client: Client, tmp_path: Path) -> None:
    runner = CliRunner()
    outputs = {}
    for name in ("local", "dask"):
        outputs[name] = tmp_path / f"{name}.parquet"
        result = runner.invoke(
            main,
            ["merge", str(MANIFEST), "--engine", name, "-o", str(outputs[name])],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
    local_layer, dask_layer = (read_actors(outputs[n]).drop(columns="geometry") for n in outputs)
    pd.testing.assert_frame_equal(dask_layer, local_layer)

    result = runner.invoke(
        main, ["merge", str(MANIFEST), "--scheduler", "tcp://localhost:1", "-o", "-"]
    )
    assert result.exit_code == 2
    assert "--scheduler applies to --engine dask only" in result.output
