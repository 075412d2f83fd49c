"""Names that used to end in a traceback (issue 12): an upload name over 255 bytes, paths
whose bytes are not UTF-8 in every command that takes paths."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner, Result

from metacluster.cli import EXIT_DATA_ERROR, EXIT_REJECTED_ROWS
from metacluster.cli import main as cli
from metacluster.read import read_layer
from metacluster.ui.data import safe_name


def test_an_upload_name_over_255_bytes_becomes_a_name_the_file_system_takes(
    tmp_path: Path,
) -> None:
    name = safe_name("é" * 300 + ".csv", set())
    assert name.endswith(".csv") and len(name.encode()) <= 255
    (tmp_path / name).write_text("name,latitude,longitude\nA,50.6,3.0\n")  # no OSError


# --- paths with bytes that are not UTF-8 ---------------------------------------------------
# A name from another system (Latin-1 on a USB stick, a zip made on Windows) reaches Python
# with lone surrogates in place of those bytes; nothing may end in a traceback because of it.

DATA = Path(__file__).parent / "data"
LAYERS = Path(__file__).parents[1] / "layers"
READ_BY_PYTHON = {
    ".csv": DATA / "actors_comma.csv",
    ".json": DATA / "records.json",
    ".geojson": DATA / "actors.geojson",
    ".kml": DATA / "mymaps.kml",
    ".kmz": LAYERS / "midtjylland.kmz",
    ".xlsx": LAYERS / "toscana.xlsx",
}


def _not_utf8(folder: Path, stem: str, suffix: str, byte: bytes = b"\xff") -> Path:
    """``folder/stem<byte>suffix``, a name whose bytes are not UTF-8."""
    return folder / os.fsdecode(stem.encode() + byte + suffix.encode())


def _invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def _geoparquet(path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["Université de Lille"], "helix": ["academia"]},
        geometry=[shapely.Point(3.0573, 50.6292)],
        crs=4326,
    )
    with path.open("wb") as stream:  # Arrow itself cannot open such a name
        frame.to_parquet(stream)


@pytest.mark.parametrize("suffix", [*READ_BY_PYTHON, ".parquet"])
def test_validate_reads_a_file_whose_name_is_not_utf8(suffix: str, tmp_path: Path) -> None:
    path = _not_utf8(tmp_path, "map", suffix)
    if suffix == ".parquet":
        _geoparquet(path)
    else:
        path.write_bytes(READ_BY_PYTHON[suffix].read_bytes())
    rejects = _not_utf8(tmp_path, "rejects", ".csv")
    result = _invoke("validate", path, "--rejects", rejects)
    assert result.exit_code in (0, EXIT_REJECTED_ROWS), result.output
    assert result.output.startswith(f"{tmp_path}/map\ufffd{suffix}\n  rows in ")
    actors = read_layer(path).actors
    assert len(actors) and set(actors["source_file"]) == {f"map\ufffd{suffix}"}
    assert rejects.read_bytes().startswith(b"\xef\xbb\xbf")  # the CSV was written


def test_a_gdal_file_whose_name_is_not_utf8_is_refused_in_one_clear_line(tmp_path: Path) -> None:
    good = tmp_path / "map.gpkg"
    gpd.GeoDataFrame(
        {"name": ["Université de Lille"]}, geometry=[shapely.Point(3.05, 50.6)], crs=4326
    ).to_file(good, driver="GPKG")
    path = good.rename(_not_utf8(tmp_path, "map", ".gpkg"))
    result = _invoke("validate", path)
    assert result.exit_code == EXIT_DATA_ERROR
    assert result.output == (
        f"{tmp_path}/map\ufffd.gpkg\n  cannot be read: map\ufffd.gpkg: its path has bytes that "
        "are not UTF-8, and GDAL opens files only by a UTF-8 name. Rename the file (and its "
        "folders) with a UTF-8 name\n"
    )


def test_merge_and_export_take_and_write_names_that_are_not_utf8(
    tmp_path: Path, mirror: None
) -> None:
    first = _not_utf8(tmp_path, "lille", ".csv", b"\xff")
    second = _not_utf8(tmp_path, "lille", ".csv", b"\xfe")  # shown alike, as U+FFFD
    for path in (first, second):
        path.write_bytes((DATA / "actors_comma.csv").read_bytes())
    ids = [read_layer(p).actors["actor_id"] for p in (first, second)]
    assert not set(ids[0]) & set(ids[1])  # the real names tell the files apart
    out, report, rejects = (
        _not_utf8(tmp_path, n, s)
        for n, s in [("europe", ".csv"), ("report", ".json"), ("rejects", ".csv")]
    )
    result = _invoke("merge", first, second, "-o", out, "--report", report, "--rejects", rejects)
    assert result.exit_code == 0, result.output
    assert "Lille\ufffd (2)  lille\ufffd.csv: 4 rows, 4 accepted, 0 rejected" in result.output
    assert result.output.endswith(f"Wrote {tmp_path}/europe\ufffd.csv (4 actors, csv).\n")
    written = pd.read_csv(out, encoding="utf-8-sig")
    assert set(written["source_maps"].str.split("; ").explode()) >= {
        "Lille\ufffd: lille\ufffd.csv#1",
        "Lille\ufffd (2): lille\ufffd.csv#1",
    }
    assert json.loads(report.read_text())["maps"][0]["file"] == f"{tmp_path}/lille\ufffd.csv"
    kml = _not_utf8(tmp_path, "europe", ".kml")
    exported = _invoke("export", first, "-o", kml)
    assert exported.exit_code == 0, exported.output
    assert kml.read_bytes().count(b"<Placemark") == 4


def test_a_manifest_in_a_folder_whose_name_is_not_utf8_merges(tmp_path: Path, mirror: None) -> None:
    folder = _not_utf8(tmp_path, "maps", "")
    shutil.copytree(DATA / "merge", folder)
    manifest = folder / "partnership.toml"
    out = tmp_path / "europe.geojson"
    result = _invoke("merge", manifest, "-o", out)
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_bytes())["features"]) == 7
