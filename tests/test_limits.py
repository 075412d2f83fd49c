"""Limits on what one input may cost, checked before the work they bound, and uploads that
never leave their temporary folder.

Every limit is a setting (``max_file_bytes``, ``max_rows``, ``max_unzipped_bytes``,
``max_zip_ratio``); the tests lower them instead of writing big files.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from metacluster import settings
from metacluster._errors import InputFileError, InputLimitError
from metacluster.cli import EXIT_DATA_ERROR
from metacluster.cli import main as cli
from metacluster.manifest import Manifest
from metacluster.read import read_layer
from metacluster.ui import data
from tests.conftest import PROJECT_ROOT


def _csv(rows: int) -> bytes:
    lines = ["name,latitude,longitude"]
    lines += [f"Actor {i},{50.6292 + i / 10_000:.4f},3.0573" for i in range(rows)]  # Lille
    return ("\n".join(lines) + "\n").encode()


def _json(rows: int) -> bytes:
    return json.dumps(
        [{"name": f"Actor {i}", "lat": 50.0, "lon": 3.0 + i / 1000} for i in range(rows)]
    ).encode()


def _geojson(rows: int) -> bytes:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": f"Actor {i}"},
                    "geometry": {"type": "Point", "coordinates": [3.0 + i / 1000, 50.0]},
                }
                for i in range(rows)
            ],
        }
    ).encode()


def _kml(rows: int) -> bytes:
    placemarks = "".join(
        f"<Placemark><name>Actor {i}</name><Point><coordinates>{3.0 + i / 1000},50.0"
        "</coordinates></Point></Placemark>"
        for i in range(rows)
    )
    return (
        f'<kml xmlns="http://www.opengis.net/kml/2.2"><Document>{placemarks}</Document></kml>'
    ).encode()


def _xlsx(rows: int) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["name", "latitude", "longitude"])
    for i in range(rows):
        sheet.append([f"Actor {i}", 50.0, 3.0 + i / 1000])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


WRITERS: dict[str, Callable[[int], bytes]] = {
    "csv": _csv,
    "json": _json,
    "geojson": _geojson,
    "kml": _kml,
    "xlsx": _xlsx,
}


# --- file size -------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(_csv(40))
    monkeypatch.setattr(settings, "max_file_bytes", path.stat().st_size - 1)

    def opened(*args: object, **kwargs: object) -> str:
        raise AssertionError("the file was opened before its size was checked")

    monkeypatch.setattr("metacluster.read.detect_format", opened)
    with pytest.raises(InputLimitError, match=r"^big\.csv: is 0\.0 MB, over the limit") as raised:
        read_layer(path)
    assert "METACLUSTER_MAX_FILE_MB" in str(raised.value)


def test_a_file_at_the_size_limit_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "exact.csv"
    path.write_bytes(_csv(40))
    monkeypatch.setattr(settings, "max_file_bytes", path.stat().st_size)
    assert read_layer(path).accepted == 40


def test_validate_reports_the_size_limit_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.kml"
    path.write_bytes(_kml(50))
    monkeypatch.setattr(settings, "max_file_bytes", 1024)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == EXIT_DATA_ERROR
    assert "big.kml: is 0.0 MB, over the limit of 0 MB (settings.max_file_bytes)" in (result.output)
    assert "Traceback" not in result.output


# --- row count -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_more_rows_than_the_limit_are_refused_and_the_limit_itself_is_read(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "max_rows", 25)
    at_limit, over = tmp_path / f"at_limit.{kind}", tmp_path / f"over.{kind}"
    at_limit.write_bytes(WRITERS[kind](25))
    over.write_bytes(WRITERS[kind](26))
    assert read_layer(at_limit).accepted == 25
    with pytest.raises(InputLimitError, match=rf"^over\.{kind}: has more than 25 rows\. Split"):
        read_layer(over)


def test_a_long_csv_is_refused_while_parsing_before_any_table_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "long.csv"
    # The limit is hit near the top: the unterminated quote further down (which would be
    # an error of its own) is never reached, and no table is built.
    path.write_bytes(_csv(200) + b'"never closed,50.0,3.0\n' + _csv(10))
    monkeypatch.setattr(settings, "max_rows", 50)

    def built(*args: object, **kwargs: object) -> None:
        raise AssertionError("a table was built before the row limit was checked")

    monkeypatch.setattr("metacluster.read.csv.rows_to_layer", built)
    with pytest.raises(InputLimitError, match="has more than 50 rows"):
        read_layer(path)


def test_blank_and_title_rows_do_not_count_toward_the_row_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "max_rows", 3)
    path = tmp_path / "titled.csv"
    path.write_bytes(b"Regional map\n\n" + _csv(3).replace(b"\n", b"\n\n"))
    result = read_layer(path)
    assert (result.rows_in, result.accepted) == (3, 3)


# --- archives --------------------------------------------------------------------------------


def _kmz(kml: bytes, *, level: int = 9) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("doc.kml", kml)
    return buffer.getvalue()


def test_an_archive_that_unpacks_over_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kml = _kml(30)
    path = tmp_path / "map.kmz"
    path.write_bytes(_kmz(kml, level=0))  # stored: ratio 1, only the size matters
    monkeypatch.setattr(settings, "max_unzipped_bytes", len(kml) - 1)
    with pytest.raises(InputLimitError, match=rf"'doc\.kml' unpacks to {len(kml):,} bytes"):
        read_layer(path)
    monkeypatch.setattr(settings, "max_unzipped_bytes", len(kml))
    assert read_layer(path).accepted == 30


def test_an_archive_compressed_beyond_the_ratio_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "map.kmz"
    path.write_bytes(_kmz(_kml(30)))
    info = zipfile.ZipFile(path).getinfo("doc.kml")
    ratio = info.file_size / info.compress_size
    monkeypatch.setattr(settings, "max_zip_ratio", ratio - 0.5)
    with pytest.raises(InputLimitError, match=r"compressed \d+:1, over the limit .* zip bomb"):
        read_layer(path)
    monkeypatch.setattr(settings, "max_zip_ratio", ratio + 0.5)
    assert read_layer(path).accepted == 30


def test_an_xlsx_zip_bomb_is_refused_before_openpyxl_unpacks_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(_xlsx(300))
    monkeypatch.setattr(settings, "max_zip_ratio", 2.0)

    def unpacked(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl opened the workbook")

    monkeypatch.setattr("metacluster.read.xlsx.openpyxl.load_workbook", unpacked)
    with pytest.raises(InputLimitError, match="a zip bomb"):
        read_layer(path)


# --- the settings ----------------------------------------------------------------------------


def test_limits_have_documented_defaults_and_follow_the_environment() -> None:
    program = "from metacluster import settings; print(settings.max_file_bytes, settings.max_rows)"
    run = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=True,
        env={**os.environ, "METACLUSTER_MAX_FILE_MB": "3", "METACLUSTER_MAX_ROWS": "1234"},
    )
    assert run.stdout.split() == [str(3 * 1024 * 1024), "1234"]
    source = (PROJECT_ROOT / "metacluster" / "settings.py").read_text()
    for name, default in (("max_file_bytes", '"50"'), ("max_rows", '"1000000"')):
        assert default in source.split(f"{name}:")[1].split("\n")[0]
    assert settings.max_unzipped_bytes == 200 * 1024 * 1024
    assert settings.max_zip_ratio == 200.0


# --- uploads ---------------------------------------------------------------------------------


@pytest.fixture
def upload_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The process's temporary folder moved into tmp_path, so what uploads leave in it can
    be seen; the upload cache emptied so that every test merges for real."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    data._merged_upload.clear()
    yield folder
    data._merged_upload.clear()


@pytest.fixture
def seen_paths(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The paths the upload hands to the merge."""
    seen: list[Path] = []
    original = Manifest.from_files

    def recording(cls: type[Manifest], paths: list[Path]) -> Manifest:
        seen.extend(Path(p) for p in paths)
        return original(paths)

    monkeypatch.setattr(Manifest, "from_files", classmethod(recording))
    return seen


def test_an_upload_is_merged_in_a_temporary_folder_that_is_then_removed(
    nuts_from_mirror: Path, upload_tmp: Path, seen_paths: list[Path]
) -> None:
    dataset = data.load_upload([("lille.csv", _csv(3))], 2021)
    assert dataset.actors["name"].tolist() == ["Actor 0", "Actor 1", "Actor 2"]
    assert dataset.actors["nuts3"].tolist() == ["FRE11"] * 3
    assert [p.name for p in seen_paths] == ["lille.csv"]
    assert seen_paths[0].parent.parent == upload_tmp.resolve()
    assert list(upload_tmp.iterdir()) == []


def test_the_temporary_folder_is_removed_when_reading_fails(
    nuts_from_mirror: Path, upload_tmp: Path, seen_paths: list[Path]
) -> None:
    with pytest.raises(InputFileError, match=r"^broken\.kml: is not well-formed XML"):
        data.load_upload([("good.csv", _csv(2)), ("broken.kml", b"<kml><Document>")], 2021)
    assert [p.name for p in seen_paths] == ["good.csv", "broken.kml"]
    assert list(upload_tmp.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("../../evil.csv", "evil.csv"),
        ("/etc/passwd.csv", "passwd.csv"),
        ("..\\..\\windows.csv", "windows.csv"),
        ("../.csv", "upload.csv"),
    ],
)
def test_uploaded_names_never_reach_outside_the_temporary_folder(
    nuts_from_mirror: Path,
    upload_tmp: Path,
    seen_paths: list[Path],
    tmp_path: Path,
    name: str,
    written: str,
) -> None:
    before = sorted(tmp_path.rglob("*"))
    dataset = data.load_upload([(name, _csv(1))], 2021)
    assert [p.name for p in seen_paths] == [written]
    assert seen_paths[0].parent.parent == upload_tmp.resolve()
    assert dataset.actors["source_file"].tolist() == [written]
    assert sorted(tmp_path.rglob("*")) == before  # nothing left anywhere, nothing outside
    assert not Path("/etc/passwd").read_bytes().startswith(b"name,latitude")


@pytest.mark.parametrize("name", ["/etc/passwd", "", "..", "layers.gpkg", "map.vrt", "x.parquet"])
def test_an_upload_not_named_as_an_upload_format_is_refused_before_it_is_written(
    nuts_from_mirror: Path, upload_tmp: Path, seen_paths: list[Path], name: str
) -> None:
    with pytest.raises(InputFileError, match="is not one of the map formats accepted for upload"):
        data.load_upload([(name, _csv(1))], 2021)
    assert seen_paths == []
    assert list(upload_tmp.iterdir()) == []


def test_an_upload_over_the_size_limit_is_refused_before_it_is_written(
    nuts_from_mirror: Path,
    upload_tmp: Path,
    seen_paths: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    content = _csv(100)
    monkeypatch.setattr(settings, "max_file_bytes", len(content) - 1)
    with pytest.raises(InputLimitError, match=r"^huge\.csv: is 0\.0 MB, over the limit"):
        data.load_upload([("huge.csv", content)], 2021)
    assert seen_paths == []
    assert list(upload_tmp.iterdir()) == []
