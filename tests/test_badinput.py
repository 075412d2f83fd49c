"""The bad-input corpus (tests/badinput/) through ``read_layer`` and ``metacluster validate``,
and the safety of what the exports write.

Every file's expected outcome is in tests/badinput/EXPECTED.toml: either the domain error
and a fragment of its message, or the row counts and every rejected row. Whatever the file,
the CLI prints no traceback and no exception class names, exits with the documented code
(0 all accepted, 1 unreadable, 3 rows rejected), and names the file; rejected rows carry
their row and column in the ``--rejects`` CSV.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
import geopandas as gpd
import pandas as pd
import pytest
import shapely
import tomllib
from click.testing import CliRunner, Result

from metacluster import _errors
from metacluster.cli import EXIT_DATA_ERROR, EXIT_REJECTED_ROWS
from metacluster.cli import main as cli
from metacluster.export.csv import frame_to_csv
from metacluster.export.kml import KML_NAMESPACE, to_kml
from metacluster.read import read_layer

CORPUS = Path(__file__).resolve().parent / "badinput"
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads((CORPUS / "EXPECTED.toml").read_text())
GENERATED = sorted(name for name, outcome in EXPECTED.items() if outcome.get("generated"))
"""Large files written at test time (tests/test_badinput_limits.py), not committed."""
COMMITTED = {name: outcome for name, outcome in EXPECTED.items() if name not in GENERATED}
REFUSED = sorted(name for name, outcome in COMMITTED.items() if "error" in outcome)
READ = sorted(name for name, outcome in COMMITTED.items() if "error" not in outcome)
EXCEPTION_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]*)*(?:Error|Exception|Forbidden)\b")


def _corpus_writer() -> Any:
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _validate(*args: str | Path) -> Result:
    result = CliRunner().invoke(cli, ["validate", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output,
        result.exc_info,
    )
    assert "Traceback" not in result.output
    assert not EXCEPTION_NAME.search(result.output), result.output
    return result


def _expected_rejects(name: str) -> list[list[Any]]:
    return [list(r) for r in EXPECTED[name]["rejects"]]


# --- the corpus itself -------------------------------------------------------------------


def test_the_corpus_has_120_files_or_more_each_with_an_expected_outcome() -> None:
    files = {p.name for p in CORPUS.iterdir()} - {"make_corpus.py", "EXPECTED.toml", "README.md"}
    assert files == set(COMMITTED)
    assert len(files) + len(GENERATED) >= 120
    for name, outcome in EXPECTED.items():
        assert outcome["category"] and outcome["what"], name
        assert ("error" in outcome) != ("rows_in" in outcome), name


def test_the_committed_files_are_what_make_corpus_writes() -> None:
    writer = _corpus_writer()
    assert set(writer.CORPUS) == set(COMMITTED)
    assert set(writer.GENERATED) == set(GENERATED)
    for name, make in writer.CORPUS.items():
        assert (CORPUS / name).read_bytes() == make(), f"{name}: run make_corpus.py again"


# --- read_layer --------------------------------------------------------------------------


@pytest.mark.parametrize("name", REFUSED)
def test_refused_files_raise_a_domain_error_naming_the_file(name: str) -> None:
    outcome = EXPECTED[name]
    error_class = getattr(_errors, outcome["error"])
    with pytest.raises(_errors.MetaclusterError) as raised:
        read_layer(CORPUS / name)
    assert type(raised.value) is error_class
    message = str(raised.value)
    assert message.startswith(f"{name}: ")
    assert outcome["message"] in message
    assert not EXCEPTION_NAME.search(message), message


@pytest.mark.parametrize("name", READ)
def test_read_files_account_for_every_row(name: str) -> None:
    outcome = EXPECTED[name]
    result = read_layer(CORPUS / name)
    assert (result.rows_in, result.accepted, result.rejected) == (
        outcome["rows_in"],
        outcome["accepted"],
        outcome["rejected"],
    )
    assert result.rows_in == result.accepted + result.rejected + result.folded
    rejects = result.rejects
    assert [
        [int(row), column or "", reason]
        for row, column, reason in zip(
            rejects["row"], rejects["column"], rejects["reason"], strict=True
        )
    ] == _expected_rejects(name)
    assert set(rejects["file"]) <= {name}
    assert rejects["detail"].map(bool).all()
    if "message" in outcome:
        said = [*rejects["detail"], *result.warnings["message"]]
        assert any(outcome["message"] in text for text in said), said
    for text in [*rejects["detail"], *result.warnings["message"]]:
        assert not EXCEPTION_NAME.search(text), text
    assert result.actors.geometry.isna().sum() == 0  # none of these rows rests on a NUTS code
    assert shapely.get_type_id(result.actors.geometry.array).tolist() == [0] * result.accepted


def test_what_the_odd_but_readable_files_give() -> None:
    """Values read from the files whose rows are all accepted, checked one by one."""
    mixed = read_layer(CORPUS / "mixed_encodings.csv").actors
    assert mixed["name"].tolist() == ["Université de Lille", "Théâtre du Nord"]
    utf16 = read_layer(CORPUS / "utf16_bom.csv").actors
    assert utf16["name"].tolist() == ["Université de Lille", "Mairie de Paris"]
    assert read_layer(CORPUS / "double_bom.csv").actors["name"].tolist() == ["Université de Lille"]
    quoted = read_layer(CORPUS / "quoted_newlines.csv").actors
    assert quoted["name"].tolist() == ["Université de Lille", "Mairie de Paris"]
    assert quoted["description"].tolist() == ["Line one\nline two, with a comma", 'He said "hello"']
    nul = read_layer(CORPUS / "nul_in_cell.csv").actors
    assert nul["name"].tolist() == ["Université de Lille", "Mairie de Paris"]  # NUL → space
    merged = read_layer(CORPUS / "merged_cells.xlsx").actors
    assert merged["helix"].tolist() == ["academia", "academia", "government", "business"]
    lyon = merged.geometry.iloc[3]  # its coordinate cells are merged with the row above
    assert (lyon.x, lyon.y) == (2.3522, 48.8566)
    legacy = read_layer(CORPUS / "legacy_crs_3035.geojson").actors.geometry.iloc[0]
    assert (legacy.x, legacy.y) == pytest.approx((3.0573, 50.6292), abs=1e-4)
    three_d = read_layer(CORPUS / "coordinates_3d.geojson").actors.geometry.iloc[0]
    assert not three_d.has_z and (three_d.x, three_d.y) == (3.0573, 50.6292)
    shapes = read_layer(CORPUS / "polygons_and_lines.geojson").actors
    assert shapes["position_note"].tolist() == [
        "representative point of a Polygon",
        "representative point of a LineString",
        "representative point of a Multipoint",
    ]
    campus = shapes.geometry.iloc[0]
    assert 3.0 < campus.x < 3.1 and 50.6 < campus.y < 50.7  # on the polygon


def test_formulas_without_saved_results_are_named_cell_by_cell() -> None:
    warnings = read_layer(CORPUS / "formulas.xlsx").warnings
    unsaved = warnings[warnings["message"].str.contains("has no saved result")]
    assert list(zip(unsaved["row"], unsaved["column"], strict=True)) == [
        (2, "latitude"),
        (2, "longitude"),
        (3, "name"),
        (4, "name"),
    ]
    assert set(unsaved["layer"]) == {"Actors"}


def test_a_kmz_with_traversal_names_writes_nothing_anywhere(tmp_path: Path) -> None:
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    (inner / "traversal.kmz").write_bytes((CORPUS / "traversal.kmz").read_bytes())
    before = sorted(p for p in tmp_path.rglob("*"))
    result = read_layer(inner / "traversal.kmz")
    assert result.actors["name"].tolist() == ["Université de Lille"]
    assert sorted(p for p in tmp_path.rglob("*")) == before
    assert not (tmp_path / "evil.kml").exists() and not (tmp_path.parent / "evil.kml").exists()


# --- the CLI -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", REFUSED)
def test_validate_reports_a_refused_file_in_one_clear_line(name: str) -> None:
    result = _validate(CORPUS / name)
    assert result.exit_code == EXIT_DATA_ERROR
    assert result.output.startswith(f"{CORPUS / name}\n  cannot be read: {name}: ")
    assert EXPECTED[name]["message"] in result.output


@pytest.mark.parametrize("name", READ)
def test_validate_counts_rows_and_writes_each_reject_with_row_and_column(
    name: str, tmp_path: Path
) -> None:
    outcome = EXPECTED[name]
    rejects_csv = tmp_path / "rejects.csv"
    result = _validate(CORPUS / name, "--rejects", rejects_csv)
    assert result.exit_code == (EXIT_REJECTED_ROWS if outcome["rejected"] else 0)
    assert result.output.startswith(f"{CORPUS / name}\n")
    assert (
        f"rows in {outcome['rows_in']}   accepted {outcome['accepted']}   "
        f"rejected {outcome['rejected']}"
    ) in result.output
    table = pd.read_csv(rejects_csv, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert [
        [int(row), column, reason]
        for row, column, reason in zip(table["row"], table["column"], table["reason"], strict=True)
    ] == _expected_rejects(name)
    assert set(table["file"]) <= {name}


def test_validate_json_covers_the_whole_corpus_in_one_run() -> None:
    paths = [CORPUS / name for name in sorted(COMMITTED)]
    result = _validate("--json", *paths)
    assert result.exit_code == EXIT_DATA_ERROR  # some files cannot be read at all
    summaries = {Path(s["file"]).name: s for s in json.loads(result.output)}
    assert set(summaries) == set(COMMITTED)
    for name, outcome in COMMITTED.items():
        summary = summaries[name]
        if "error" in outcome:
            assert outcome["message"] in summary["error"]
        else:
            assert summary["rows_in"] == summary["accepted"] + summary["rejected"]
            assert summary["rows_in"] == outcome["rows_in"]


# --- output safety -----------------------------------------------------------------------

HOSTILE = [
    '=HYPERLINK("http://evil.example")',
    "+33 1 23 45",
    "-2+3",
    "@SUM(A1)",
    "\tTabbed",
    "\rReturn",
    "Plain & <simple>",
]


def test_csv_export_neutralises_every_formula_start() -> None:
    frame = gpd.GeoDataFrame(
        {"name": HOSTILE, "themes": [[t] for t in HOSTILE], "count": range(len(HOSTILE))},
        geometry=gpd.points_from_xy([3.0] * len(HOSTILE), [50.0] * len(HOSTILE)),
        crs=4326,
    )
    rows = list(csv.DictReader(io.StringIO(frame_to_csv(frame).decode("utf-8-sig"), newline="")))
    expected = ["'" + text if text[0] in "=+-@\t\r" else text for text in HOSTILE]
    expected = [text.replace("\r", "\n") for text in expected]  # a lone CR would end the row
    assert [row["name"] for row in rows] == expected
    assert [row["themes"] for row in rows] == expected  # lists are joined, then neutralised
    assert [row["count"] for row in rows] == [str(n) for n in range(len(HOSTILE))]


def test_formula_names_read_from_a_file_leave_the_csv_export_neutralised() -> None:
    actors = read_layer(CORPUS / "formula_cells.csv").actors
    rows = list(csv.DictReader(io.StringIO(frame_to_csv(actors).decode("utf-8-sig"))))
    assert [row["name"] for row in rows] == [
        '\'=HYPERLINK("http://evil.example")',
        "'+33 1 23 45",
        "'@SUM(A1)",
    ]


def test_kml_export_escapes_markup_and_parses_back_safely() -> None:
    names = [
        "A <b>bold</b> & co",
        "Ends ]]> here",
        "Quote \" and ' marks",
        "<![CDATA[x]]>",
        "Bell\x07 and NUL\x00",
    ]
    descriptions = ["<script>alert(1)</script> & more", "]]>", None, "a < b > c", "x"]
    actors = gpd.GeoDataFrame(
        {
            "name": names,
            "helix": ["academia", "business", "government", "civil_society", "unknown"],
            "description": descriptions,
            "city": ["<Lille>", "&amp;", "]]>", "Lyon", "Paris"],
        },
        geometry=gpd.points_from_xy([3.0, 2.3, 4.8, 5.4, 2.35], [50.6, 48.8, 45.7, 43.3, 48.9]),
        crs=4326,
    )
    document = to_kml(actors)
    root = SafeET.fromstring(document, forbid_dtd=True)
    ns = {"k": KML_NAMESPACE}
    placemarks = {
        p.findtext("k:name", namespaces=ns): p for p in root.iterfind(".//k:Placemark", ns)
    }
    assert set(placemarks) == {*names[:4], "Bell and NUL"}  # control characters dropped
    city = {
        name: p.findtext("k:ExtendedData/k:Data[@name='city']/k:value", namespaces=ns)
        for name, p in placemarks.items()
    }
    assert city["A <b>bold</b> & co"] == "<Lille>"
    assert city["Ends ]]> here"] == "&amp;"
    assert placemarks["Ends ]]> here"].findtext("k:description", namespaces=ns) == "]]>"
    script = placemarks["A <b>bold</b> & co"].findtext("k:description", namespaces=ns)
    assert script == "alert(1) & more"  # tags removed from descriptions, text kept
    assert b"<script>" not in document and b"<b>bold" not in document
