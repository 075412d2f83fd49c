"""`metacluster validate`: per-file report, JSON, column mapping, rejects CSV, exit codes."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from metacluster.cli import main
from metacluster.schema import REJECT_COLUMNS

DATA = Path(__file__).parent / "data"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *args])
    return result.exit_code, result.output


def test_clean_file_exits_0_with_a_human_report() -> None:
    code, output = _run(str(DATA / "mymaps.kml"))
    assert code == 0
    assert "rows in 8   accepted 8   rejected 0" in output
    assert "academia 2   business 2   government 2   civil_society 2" in output
    assert "warnings: 1" in output
    assert "a Polygon, not a point" in output


def test_rejected_rows_exit_3_and_reasons_are_counted() -> None:
    code, output = _run(str(DATA / "quirks.csv"))
    assert code == 3
    assert "rows in 10   accepted 4   rejected 6" in output
    assert "rejected: missing name (1)" in output
    assert "rejected: duplicate row (1)" in output


def test_each_rejected_row_is_named_with_its_column_value_and_what_to_do() -> None:
    code, output = _run(str(Path(__file__).parent / "badinput" / "nan_coordinates.csv"))
    assert code == 3
    assert "row 5, column latitude/longitude (north / east): invalid coordinates — " in output
    assert "fix the cell or leave it empty" in output


def test_json_output_one_object_per_file() -> None:
    code, output = _run(
        "--json", str(DATA / "cordis_organization.csv"), str(DATA / "actors_comma.csv")
    )
    assert code == 0  # participations fold, nothing rejected
    summaries = json.loads(output)
    for summary in summaries:  # the rows themselves are checked below
        assert summary.pop("rejected_rows") == [] and isinstance(summary.pop("warnings"), list)
    assert summaries == [
        {
            "file": str(DATA / "cordis_organization.csv"),
            "rows_in": 4,
            "accepted": 3,
            "rejected": 0,
            "folded": 1,
            "columns": summaries[0]["columns"],
            "helix": {"academia": 1, "business": 1, "government": 1},
            "reasons": {},
            "participations": {"participations": 4, "organisations": 3, "projects": 2},
            "outside_nuts": {},
        },
        {
            "file": str(DATA / "actors_comma.csv"),
            "rows_in": 4,
            "accepted": 4,
            "rejected": 0,
            "folded": 0,
            "columns": summaries[1]["columns"],
            "helix": {"academia": 1, "business": 1, "government": 1, "civil_society": 1},
            "reasons": {},
            "outside_nuts": {},
        },
    ]


def test_unreadable_file_exits_1_and_the_others_are_still_reported(realdata: Path) -> None:
    code, output = _run(
        "--json",
        str(realdata / "mymaps-networklink-behoerde-und-beratung.kmz"),
        str(DATA / "actors_pipe.csv"),
    )
    assert code == 1
    summaries = json.loads(output)
    assert "network link" in summaries[0]["error"]
    assert summaries[1]["accepted"] == 2
    code, output = _run(str(DATA / "xxe.kml"), str(DATA / "actors_pipe.csv"))
    assert code == 1
    assert "cannot be read: xxe.kml: contains a DTD" in output
    assert "rows in 2   accepted 2   rejected 0" in output


def test_columns_option_maps_columns() -> None:
    code, output = _run(
        "--json", "--columns", "name=Contact person,helix=Helix", str(DATA / "actors_comma.csv")
    )
    assert code == 3  # two rows have no contact person
    assert json.loads(output)[0]["reasons"] == {"missing name": 2}


def test_bad_columns_option_is_a_usage_error() -> None:
    code, output = _run("--columns", "name", str(DATA / "actors_comma.csv"))
    assert code == 2
    assert "is not target=source" in output


def test_rejects_csv_gathers_all_files(tmp_path: Path) -> None:
    target = tmp_path / "rejects.csv"
    code, _ = _run("--rejects", str(target), str(DATA / "quirks.csv"), str(DATA / "city_only.csv"))
    assert code == 3
    table = pd.read_csv(BytesIO(target.read_bytes()), encoding="utf-8-sig")
    assert list(table.columns) == list(REJECT_COLUMNS)
    assert len(table) == 6 + 4
    assert table.groupby("file").size().to_dict() == {"city_only.csv": 4, "quirks.csv": 6}


def test_crs_option_reprojects_metres() -> None:
    assert _run(str(DATA / "metres_no_crs.csv"))[0] == 3
    code, output = _run("--crs", "EPSG:3035", str(DATA / "metres_no_crs.csv"))
    assert code == 0
    assert "2 positions reprojected from EPSG:3035 to WGS84" in output


def test_json_lists_the_rejected_rows_and_warnings() -> None:
    code, output = _run("--json", str(Path(__file__).parent / "badinput" / "nan_coordinates.csv"))
    assert code == 3
    (summary,) = json.loads(output)
    rows = summary["rejected_rows"]
    assert len(rows) == summary["rejected"] > 0  # every rejected row, not only a count
    assert {"file", "row", "column", "value", "reason", "detail"} <= rows[0].keys()
    assert any(r["row"] == 5 and r["reason"] == "invalid coordinates" for r in rows)
    assert isinstance(summary["warnings"], list)
