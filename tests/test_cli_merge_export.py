"""``metacluster merge`` and ``metacluster export``: outputs, reports, clashes, exit codes.

The export command must give the very bytes the library's ``render`` gives for the same
filters (the app's download buttons call ``render`` too).
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from metacluster import Filters, merge, render
from metacluster.cli import _options, main
from metacluster.schema import ACTOR_COLUMNS, MERGE_COLUMNS, NUTS_COLUMNS

DATA = Path(__file__).parent / "data" / "merge"
MANIFEST = DATA / "partnership.toml"
FIXED = "2024-05-01T12:00:00Z"


@pytest.fixture
def runner(mirror: None) -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def europe(mirror: None):
    return merge(MANIFEST).actors


def invoke(runner: CliRunner, *args: str, env: dict[str, str] | None = None):
    return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def test_merge_writes_layer_report_and_rejects(runner: CliRunner, tmp_path: Path) -> None:
    out, report, rejects = tmp_path / "europe.geojson", tmp_path / "r.json", tmp_path / "rej.csv"
    result = invoke(runner, "merge", MANIFEST, "-o", out, "--report", report, "--rejects", rejects)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no progress display without a terminal
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "Test partnership: 2 maps, 11 rows in, 7 actors out, 1 duplicate merged, "
        "2 conflicts, 3 rejected."
    )
    assert "Île-de-France  ile-de-france.csv: 6 rows, 5 accepted, 1 rejected" in lines[1]
    assert "Lazio" in lines[2] and "lazio.geojson: 5 rows, 5 accepted, 0 rejected" in lines[2]
    assert lines[-1] == f"Wrote {out} (7 actors, geojson)."
    document = json.loads(out.read_bytes())
    assert len(document["features"]) == 7
    properties = list(document["features"][0]["properties"])
    assert properties[: len(ACTOR_COLUMNS) - 1] == list(ACTOR_COLUMNS[:-1])
    assert set(NUTS_COLUMNS) | set(MERGE_COLUMNS) | {"merge_conflicts"} <= set(properties)
    summary = json.loads(report.read_text())
    assert (summary["rows_in"], summary["actors_out"], summary["rejected"]) == (11, 7, 3)
    # the Lazio map's default country (IT) reached its copy of a Paris museum: reported
    assert [c["attribute"] for c in summary["conflicts"]] == ["helix", "country"]
    assert summary["duplicates"][0]["sources"] == [
        "Île-de-France: ile-de-france.csv#1",
        "Lazio: lazio.geojson#1",
    ]
    rejected = rejects.read_text(encoding="utf-8-sig")
    assert rejected.count("no usable location") == 3
    assert "FRZ99" in rejected and "ITZ99" in rejected


def test_merge_to_stdout_keeps_the_report_on_stderr(runner: CliRunner) -> None:
    result = invoke(runner, "merge", MANIFEST, "-o", "-", "--generated-at", FIXED)
    assert result.exit_code == 0
    assert json.loads(result.stdout_bytes)["metadata"]["generated_at"] == FIXED
    assert result.stderr.startswith("Test partnership: 2 maps")


def test_merge_accepts_plain_files_and_infers_format(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "europe.csv"
    result = invoke(runner, "merge", DATA / "ile-de-france.csv", DATA / "lazio.geojson", "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ad-hoc: 2 maps, 11 rows in")
    header = out.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[:3] == ["actor_id", "name", "helix"] and header[-2:] == ["lon", "lat"]
    assert "regional_cluster" in header and "nuts3" in header


def test_export_warns_when_the_filters_match_nothing(
    runner: CliRunner, europe, tmp_path: Path
) -> None:
    out = tmp_path / "none.csv"
    result = invoke(runner, "export", MANIFEST, "--cluster", "Atlantis", "-o", out)
    assert result.exit_code == 0, result.output
    assert "Warning: the filters (Regional cluster: Atlantis) match none of the" in result.stderr
    assert "no regional cluster is named Atlantis (there are: " in result.stderr
    first = result.stdout.splitlines()[0]
    assert first == f"Wrote {out}: 0 actors (Regional cluster: Atlantis; actors, csv)."


def test_export_country_by_name(runner: CliRunner, europe) -> None:
    fixed = ("--generated-at", FIXED, "-o", "-")
    by_name = invoke(runner, "export", MANIFEST, "--country", "italy", *fixed)
    by_code = invoke(runner, "export", MANIFEST, "--country", "IT", *fixed)
    assert by_name.exit_code == 0, by_name.output
    assert by_name.stdout_bytes == by_code.stdout_bytes


@pytest.mark.parametrize(
    ("options", "fmt", "filters", "what", "level"),
    [
        (["--helix", "academia"], "geojson", Filters(helix=("academia",)), "actors", 2),
        (
            ["--country", "fr", "-q", "musee"],
            "csv",
            Filters(countries=("FR",), search="musee"),
            "actors",
            2,
        ),
        (
            ["--nuts", "ITI4", "--theme", "3d", "--theme", "vr", "--themes-mode", "all"],
            "kml",
            Filters(nuts=("ITI4",), themes=("3d", "vr"), themes_mode="all"),
            "actors",
            2,
        ),
        (
            ["--cluster", "Lazio", "--bbox", "2,41,13,49"],
            "geojson",
            Filters(clusters=("Lazio",), bbox=(2, 41, 13, 49)),
            "actors",
            2,
        ),
        (
            ["--what", "regions", "--level", "3", "--include-empty"],
            "geojson",
            Filters(),
            "regions",
            3,
        ),
        (
            ["--what", "regions", "--helix", "business"],
            "csv",
            Filters(helix=("business",)),
            "regions",
            2,
        ),
    ],
)
def test_export_bytes_equal_render(runner, europe, options, fmt, filters, what, level) -> None:
    result = invoke(
        runner, "export", MANIFEST, *options, "--format", fmt, "-o", "-", "--generated-at", FIXED
    )
    assert result.exit_code == 0, result.output
    include_empty = "--include-empty" in options
    expected = render(
        europe,
        filters,
        fmt=fmt,
        what=what,
        level=level,
        include_empty=include_empty,
        generated_at=FIXED,
    )
    assert result.stdout_bytes == expected
    assert len(expected) > 200


def test_export_to_file_reports_and_honours_source_date_epoch(
    runner: CliRunner, europe, tmp_path: Path
) -> None:
    out = tmp_path / "academia.geojson"
    env = {"SOURCE_DATE_EPOCH": "1714564800"}
    result = invoke(runner, "export", MANIFEST, "--helix", "academia", "-o", out, env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"Wrote {out}: 2 actors (Helix: Academia & research; actors, geojson)."
    # the same row accounting as merge: nothing dropped in silence
    assert lines[1].startswith("Test partnership: 2 maps, 11 rows in, 7 actors out")
    assert "3 rows have no usable location (see --rejects)." in result.stdout
    assert lines[-1] == "  2 of 7 actors pass the filters."
    document = json.loads(out.read_bytes())
    assert document["metadata"]["generated_at"] == FIXED
    assert sorted(f["properties"]["name"] for f in document["features"]) == [
        "Sapienza Università di Roma",
        "Sorbonne Université",
    ]
    assert out.read_bytes() == render(europe, Filters(helix=("academia",)), generated_at=FIXED)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--what", "regions", "--format", "kml", "-o", "-"], "kml cannot export regions"),
        (["--format", "kml", "-o", "out.csv"], "--format kml clashes with -o 'out.csv'"),
        (["-o", "out.txt"], "cannot tell the format from 'out.txt'"),
        (["--level", "3", "-o", "-"], "--level and --include-empty apply to --what regions only"),
        (["--include-empty", "-o", "-"], "apply to --what regions only"),
        (["--bbox", "1,2,3", "-o", "-"], "bbox must be minx,miny,maxx,maxy"),
        (["--country", "Atlantis", "-o", "-"], "'Atlantis' is not a country"),
        (["--helix", "academy", "-o", "-"], "'academy' is not one of"),
        (["--generated-at", "soon", "-o", "-"], "not an ISO 8601 time"),
        ([], "Missing option '-o'"),
    ],
)
def test_export_usage_errors_exit_2(runner: CliRunner, args: list[str], message: str) -> None:
    result = invoke(runner, "export", MANIFEST, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_data_errors_exit_1_with_a_clean_message(runner: CliRunner, tmp_path: Path) -> None:
    manifest = tmp_path / "typo.toml"
    manifest.write_text(MANIFEST.read_text().replace("partner =", "partnr =", 1))
    result = invoke(runner, "merge", manifest, "-o", tmp_path / "x.geojson")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: typo.toml [[maps]] #1: unknown key 'partnr' (a typo?). Allowed keys: file, "
        "cluster, partner, home_nuts, country, sheet, columns, helix.\n"
    )
    assert not (tmp_path / "x.geojson").exists()


def test_missing_input_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "export", tmp_path / "nope.toml", "-o", "-")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


@pytest.mark.parametrize("command", ["merge", "export"])
def test_help_has_an_example(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert f"metacluster {command} layers/metacluster.toml" in result.stdout


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for stream, shown in ((Terminal(), True), (io.StringIO(), False)):
        monkeypatch.setattr(sys, "stderr", stream)
        with _options.progress("Merging maps") as step:
            step("Joining 8 actors to NUTS regions")
        assert ("Joining 8 actors to NUTS regions" in stream.getvalue()) is shown
        assert bool(stream.getvalue()) is shown


def test_a_merge_that_accepts_no_actor_says_so_and_fails(runner: CliRunner, tmp_path: Path) -> None:
    every_row_bad = Path(__file__).parent / "badinput" / "all_bad_coordinates.kml"
    out = tmp_path / "europe.csv"
    result = runner.invoke(main, ["merge", str(every_row_bad), "-o", str(out)])
    assert result.exit_code == 1
    assert "2 rows in, 0 actors out" in result.stdout
    assert result.stderr.startswith("No actor was accepted from any map: every row was rejected")


def test_counts_of_one_are_written_in_the_singular(runner: CliRunner, tmp_path: Path) -> None:
    one_placed = tmp_path / "museums.csv"
    one_placed.write_text(
        "name,type,lat,lon\nMuseo Galileo,museum,43.7677,11.2559\nMuseo senza luogo,museum,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "europe.csv"
    result = invoke(runner, "merge", one_placed, "-o", out)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "ad-hoc: 1 map, 2 rows in, 1 actor out, 0 duplicates merged, 0 conflicts, 1 rejected."
    )
    assert "  1 row has no usable location (see --rejects)." in lines
    assert lines[-1] == f"Wrote {out} (1 actor, csv)."
