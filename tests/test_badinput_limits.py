"""Every bad-input file ends in a clear message or a correct result under 2 GB of memory and
60 s each (issue 12, "Done when").

The whole corpus (tests/badinput/) and the large files written here (``make_corpus.
GENERATED``: a CSV over 50 MB, a Parquet expanding to 43 million cells, 20,000 sparse
GeoJSON features and KML placemarks) go through ``read_layer`` and ``metacluster validate``
in ONE subprocess limited to 2 GB of address space, with a 60 s alarm per file
(tests/badinput_harness.py), at the default limits. Each file must give what EXPECTED.toml
says, with ``rows_in == accepted + rejected (+ folded)``, and ``validate`` must print no
traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.test_badinput import CORPUS, EXCEPTION_NAME, EXPECTED, GENERATED, _corpus_writer

HARNESS = Path(__file__).resolve().parent / "badinput_harness.py"
PROJECT = Path(__file__).resolve().parents[1]


def test_every_corpus_file_ends_clearly_under_2_gb_and_60_s(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for path in CORPUS.iterdir():
        if path.name in EXPECTED:
            (folder / path.name).write_bytes(path.read_bytes())
    writer = _corpus_writer()
    for name in GENERATED:
        (folder / name).write_bytes(writer.GENERATED[name]())
    assert (folder / "over_size_limit.csv").stat().st_size > 50 * 1024**2
    run = subprocess.run(
        [sys.executable, str(HARNESS), str(folder)],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=3600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report: dict[str, dict[str, Any]] = {}
    for line in run.stdout.splitlines():
        entry = json.loads(line)
        report[entry.pop("file")] = entry
    assert set(report) == set(EXPECTED)
    assert len(report) >= 120
    problems = []
    for name, outcome in report.items():
        expected = EXPECTED[name]
        if "limit" in outcome:
            problems.append(f"{name}: {outcome['limit']} {outcome.get('traceback', '')}")
            continue
        if "validate_exception" in outcome or "Traceback" in outcome["validate_output"]:
            problems.append(f"{name}: validate ended in a traceback")
        if EXCEPTION_NAME.search(outcome["validate_output"]):
            problems.append(f"{name}: validate names an exception class")
        if "error" in expected:
            if outcome.get("error") != expected["error"]:
                problems.append(f"{name}: {outcome} instead of {expected['error']}")
            elif expected["message"] not in outcome["message"]:
                problems.append(f"{name}: message {outcome['message']!r}")
            elif not outcome["message"].startswith(f"{name}: "):
                problems.append(f"{name}: the message does not name the file first")
            elif outcome["validate_exit"] != 1:
                problems.append(f"{name}: validate exited {outcome['validate_exit']}")
            continue
        counts = (outcome.get("rows_in"), outcome.get("accepted"), outcome.get("rejected"))
        if counts != (expected["rows_in"], expected["accepted"], expected["rejected"]):
            problems.append(f"{name}: {outcome} instead of {counts}")
        elif outcome["rows_in"] != outcome["accepted"] + outcome["rejected"] + outcome["folded"]:
            problems.append(f"{name}: rows lost")
        elif outcome["validate_exit"] != (3 if expected["rejected"] else 0):
            problems.append(f"{name}: validate exited {outcome['validate_exit']}")
    assert problems == []
