"""GeoParquet: export and read back exactly, read as an input layer, CLI in and out."""

from __future__ import annotations

import io
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely
from click.testing import CliRunner

from metacluster import merge, render, settings
from metacluster._errors import InputFileError
from metacluster.cli import main
from metacluster.export import format_for_path
from metacluster.export.parquet import to_parquet
from metacluster.read import detect_format, read_layer
from metacluster.read.parquet import read_actors

DATA = Path(__file__).parent / "data" / "merge"
MANIFEST = DATA / "partnership.toml"


def _actors() -> gpd.GeoDataFrame:
    """Three actors with the awkward values: lists (empty too), NaN, missing text, None."""
    frame = gpd.GeoDataFrame(
        {
            "actor_id": ["mc-1", "mc-2", "mc-3"],
            "name": ["Musée d'Orsay", "Sapienza", "Ørsted"],
            "helix": ["civil_society", "academia", None],
            "nuts2": ["FR10", None, "DK01"],
            "themes": [["heritage", "art"], [], None],
            "source_maps": [["Paris: a.csv#1", "Rome: b.kml#4"], ["Rome: b.kml#2"], ["x#1"]],
            "score": [1.5, np.nan, -0.0],
            "source_row": [1, 2, 3],
        },
        geometry=[shapely.Point(2.3266, 48.86), shapely.Point(12.5144, 41.9031), None],
        crs=4326,
    )
    frame.attrs.update(nuts_year=2024, nuts_scale="20M", title="Test layer")
    return frame


def test_actors_survive_a_round_trip_with_lists_nan_and_attrs(tmp_path: Path) -> None:
    actors = _actors()
    path = tmp_path / "actors.parquet"
    path.write_bytes(to_parquet(actors, metadata={"what": "actors"}, generated_at="2024-05-01"))

    back = read_actors(path)
    assert back["themes"].tolist() == [["heritage", "art"], [], None]
    assert back["source_maps"].tolist() == actors["source_maps"].tolist()
    assert all(isinstance(v, list) for v in back["source_maps"])
    assert back["score"].iloc[0] == 1.5 and math.isnan(back["score"].iloc[1])
    assert back["helix"].isna().tolist() == [False, False, True]
    assert back["nuts2"].isna().tolist() == [False, True, False]
    assert back["source_row"].tolist() == [1, 2, 3]
    assert back.crs.to_epsg() == 4326
    assert back.geometry.iloc[2] is None
    assert back.geometry.iloc[:2].geom_equals(actors.geometry.iloc[:2]).all()
    assert back.attrs["nuts_year"] == 2024 and back.attrs["title"] == "Test layer"
    metadata = back.attrs["metadata"]
    assert metadata["attribution"] == settings.attribution
    assert metadata["features"] == 3 and metadata["what"] == "actors"
    assert metadata["generated_at"] == "2024-05-01T00:00:00Z"
    pd.testing.assert_frame_equal(
        pd.DataFrame(back).drop(columns="geometry"), pd.DataFrame(actors).drop(columns="geometry")
    )


def test_other_crs_is_written_as_lon_lat() -> None:
    actors = _actors().iloc[:2].to_crs(3035)
    back = gpd.read_parquet(io.BytesIO(to_parquet(actors)))
    assert back.crs.to_epsg() == 4326
    assert back.geometry.x.round(4).tolist() == [2.3266, 12.5144]


def test_parquet_is_detected_and_read_as_an_input_layer(tmp_path: Path) -> None:
    path = tmp_path / "layer.parquet"
    path.write_bytes(to_parquet(_actors()))
    assert detect_format(path) == "parquet"
    renamed = tmp_path / "layer.csv"  # Parquet only by its extension
    renamed.write_bytes(path.read_bytes())
    with pytest.raises(InputFileError, match=r"is named \.csv \(CSV\) but holds a Parquet"):
        read_layer(renamed)
    result = read_layer(path)
    assert result.rows_in == 3
    actors = result.actors.set_index("name")
    assert list(actors.index) == ["Musée d'Orsay", "Sapienza", "Ørsted"]
    assert actors.loc["Musée d'Orsay", "themes"] == ["heritage", "art"]
    assert actors.loc["Musée d'Orsay", "helix"] == "civil_society"
    assert actors.loc["Sapienza", "geometry"].equals(shapely.Point(12.5144, 41.9031))
    # no position but a NUTS code: accepted, to be placed by the join, as for any format
    assert actors.loc["Ørsted", "geometry"] is None
    assert actors.loc["Ørsted", "nuts_code"] == "DK01"
    assert actors["source_row"].tolist() == [1, 2, 3]


def test_plain_parquet_table_with_coordinates_is_read(tmp_path: Path) -> None:
    table = pd.DataFrame({"name": ["A", "B"], "lat": [48.85, 41.9], "lon": [2.35, 12.5]})
    path = tmp_path / "table.parquet"
    table.to_parquet(path)
    result = read_layer(path)
    assert result.accepted == 2
    assert result.actors.geometry.y.tolist() == [48.85, 41.9]


def test_truncated_parquet_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(to_parquet(_actors())[:200])
    with pytest.raises(InputFileError, match=r"broken\.parquet.*not a readable Parquet file"):
        read_layer(path)


def test_regions_export_keeps_nan_balance_and_lists(mirror: None) -> None:
    actors = merge(MANIFEST).actors
    data = render(actors, fmt="parquet", what="regions", level=2, include_empty=True)
    regions = gpd.read_parquet(io.BytesIO(data))
    empty = regions[regions["n_total"] == 0]
    assert len(empty) > 0 and empty["helix_balance"].isna().all()
    assert list(empty["missing_helices"].iloc[0]) == [
        "academia",
        "business",
        "government",
        "civil_society",
    ]
    assert (
        regions["n_total"].sum() == len(actors) - regions.attrs["metadata"]["actors_without_region"]
    )
    assert regions.attrs["metadata"]["nuts_level"] == 2


def test_cli_reads_and_writes_geoparquet(mirror: None, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "europe.parquet"
    assert format_for_path(out) == "parquet"
    result = runner.invoke(main, ["merge", str(MANIFEST), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    europe = read_actors(out)
    expected = merge(MANIFEST).actors
    assert europe["actor_id"].tolist() == expected["actor_id"].tolist()
    assert europe["source_maps"].tolist() == expected["source_maps"].tolist()
    assert pq.read_metadata(out).num_rows == len(expected)

    # the GeoParquet layer is itself an input layer; export it again, filtered
    again = tmp_path / "academia.parquet"
    result = runner.invoke(
        main,
        ["export", str(out), "--helix", "academia", "--format", "parquet", "-o", str(again)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    academia = read_actors(again)
    assert set(academia["name"]) == set(expected.loc[expected["helix"] == "academia", "name"])
    assert (academia["helix"] == "academia").all()
