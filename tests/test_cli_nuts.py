"""``metacluster nuts fetch`` and ``metacluster nuts lookup``."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from metacluster import nuts, settings
from metacluster.cli import main


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    nuts.clear_memory_cache()
    yield
    nuts.clear_memory_cache()


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.output


def test_fetch_stores_the_files_and_says_so(nuts_from_http: Path, nuts_mirror: Path) -> None:
    code, output = run(
        "nuts", "fetch", "--year", "2021", "--level", "0", "--level", "1", "--scale", "20M"
    )
    assert code == 0, output
    names = ["NUTS_RG_20M_2021_4326_LEVL_0.geojson", "NUTS_RG_20M_2021_4326_LEVL_1.geojson"]
    assert sorted(p.name for p in nuts_from_http.iterdir()) == names
    lines = output.splitlines()
    assert lines[0] == f"NUTS cache: {nuts_from_http}"
    assert lines[1].split() == [names[0], "151", "KB", "downloaded"]  # 154,300 bytes
    assert lines[2].split() == [names[1], "248", "KB", "downloaded"]  # 254,299 bytes
    assert lines[3] == "2 files, 399 KB"

    code, output = run("nuts", "fetch", "--year", "2021", "--level", "0", "--scale", "20M")
    assert code == 0
    assert output.splitlines()[1].split()[-2:] == ["already", "cached"]
    assert output.splitlines()[-1] == "1 file, 151 KB"


def test_fetch_defaults_to_all_four_levels(nuts_from_http: Path) -> None:
    code, output = run("nuts", "fetch", "--year", "2024")
    assert code == 0, output
    assert sorted(p.name for p in nuts_from_http.iterdir()) == [
        f"NUTS_RG_20M_2024_4326_LEVL_{level}.geojson" for level in range(4)
    ]
    assert output.splitlines()[-1] == "4 files, 2.4 MB"


def test_fetch_offline_fails_with_the_way_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(settings, "nuts_source", f"http://127.0.0.1:{port}/")
    monkeypatch.setattr(settings, "cache_folder", tmp_path)
    monkeypatch.setattr(settings, "http_backoff", 0.0)
    code, output = run("nuts", "fetch", "--level", "0")
    assert code == 1
    assert output.startswith("Error: The NUTS file NUTS_RG_20M_2021_4326_LEVL_0.geojson is needed")
    assert "METACLUSTER_NUTS_SOURCE" in output
    assert "Traceback" not in output


def test_bad_options_are_usage_errors(nuts_from_mirror: Path) -> None:
    assert run("nuts", "fetch", "--year", "2016")[0] == 2
    assert run("nuts", "fetch", "--level", "4")[0] == 2
    assert run("nuts", "fetch", "--scale", "1M")[0] == 2


def test_lookup_prints_name_level_country_and_parents(nuts_from_mirror: Path) -> None:
    code, output = run("nuts", "lookup", "fre11")
    assert code == 0, output
    assert output.splitlines() == [
        "FRE11  Nord",
        "  NUTS 2021, level 3, country FR",
        "  in FR  France",
        "  in FRE  Hauts-de-France",
        "  in FRE1  Nord-Pas de Calais",
    ]


def test_lookup_of_a_code_of_the_other_version(nuts_from_mirror: Path) -> None:
    code, output = run("nuts", "lookup", "PT18", "--year", "2024")
    assert code == 0, output
    assert output.splitlines() == [
        "PT18  Alentejo",
        "  NUTS 2021, level 2, country PT",
        "  in PT  Portugal",
        "  in PT1  Continente",
        "Note: PT18 (Alentejo) is a NUTS 2021 code, not NUTS 2024; in NUTS 2024 its area lies "
        "in PT1C Alentejo (86%), PT1D Oeste e Vale do Tejo (14%).",
        "  PT1C  Alentejo  86.1% of its area",
        "  PT1D  Oeste e Vale do Tejo  13.6% of its area",
    ]


def test_lookup_as_json(nuts_from_mirror: Path) -> None:
    code, output = run("nuts", "lookup", "EL30", "--json")
    assert code == 0, output
    assert json.loads(output) == {
        "code": "EL30",
        "name": "Aττική",
        "name_latn": "Attiki",
        "level": 2,
        "country": "EL",
        "year": 2021,
        "requested_year": 2021,
        "parents": [{"code": "EL", "name": "Elláda"}, {"code": "EL3", "name": "Attiki"}],
        "note": None,
        "equivalents": [],
    }
    answer = json.loads(run("nuts", "lookup", "PT1C", "--json")[1])
    assert (answer["year"], answer["requested_year"]) == (2024, 2021)
    assert [item["code"] for item in answer["equivalents"]] == ["PT18"]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("FOO1X9", "Error: 'FOO1X9' is not a NUTS code: a NUTS code is a two-letter country"),
        ("FRZ99", "Error: FRZ99 is not a NUTS 2021 code, nor a NUTS 2024 code"),
        ("FRE9", "nor a NUTS 2024 code: the NUTS 2021 codes under FRE are FRE1 (Nord-Pas de"),
        ("GE12", "GE is not a country covered by NUTS 2021 (NUTS covers the EU, EFTA and"),
        ("BA9", "outside any region; it is in NUTS 2024 (look the code up there with --year)"),
        (
            "NO05",
            "NO0A (Vestlandet); an older code (NUTS 2016 or before) cannot be checked here: "
            "only NUTS 2021 or 2024 are available offline",
        ),
    ],
)
def test_lookup_of_a_bad_code_is_a_clean_error(
    nuts_from_mirror: Path, code: str, message: str
) -> None:
    exit_code, output = run("nuts", "lookup", code)
    assert exit_code == 1
    assert output.startswith("Error: ") and message in output


@pytest.mark.parametrize(("code", "read_as"), [("GR30", "EL30"), ("gbi3", "UKI3")])
def test_lookup_reads_iso_country_prefixes_as_the_readers_do(
    nuts_from_mirror: Path, code: str, read_as: str
) -> None:
    exit_code, output = run("nuts", "lookup", code)
    assert exit_code == 0, output
    assert output.startswith(read_as)
