"""Run every benchmark and print one table of ratios measured in the same run (``make bench``).

    python -m benchmarks [--only join,merge] [--dask-n 10000000] [--no-write]

Each benchmark module has ``run(n=None) -> list[dict]`` (rows from ``benchmarks._common.row``:
ours against the naive way, ratio = naive / ours) and prints its own detailed table; a
module without ``run`` (the app benchmark, until it has one) runs as a subprocess and its
output is kept as is. The table, the detailed outputs and the machine (CPUs, RAM, Python,
GeoPandas, Shapely, date) are written to ``benchmarks/RESULTS.md``; ``results.json`` keeps
each benchmark's latest rows and output, so that ``--only`` reruns some and keeps the rest.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import io
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import psutil
import shapely

from benchmarks._common import use_mirror

BENCHMARKS = ("join", "merge", "export", "memory", "dask", "app", "browser", "links", "artefacts")
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
LATEST = Path(__file__).resolve().parent / "results.json"


class _Tee(io.TextIOBase):
    """Writes to the terminal and keeps a copy, so the detailed tables land in RESULTS.md."""

    def __init__(self, stream: Any) -> None:
        self.stream, self.copy = stream, io.StringIO()

    def write(self, text: str) -> int:
        self.stream.write(text)
        return self.copy.write(text)

    def flush(self) -> None:
        self.stream.flush()


def _run_one(name: str, n: int | None) -> tuple[list[dict[str, Any]], str]:
    """The rows and the printed output of one benchmark."""
    module = importlib.import_module(f"benchmarks.{name}")
    if not hasattr(module, "run"):
        command = [sys.executable, "-m", f"benchmarks.{name}", *(["--n", str(n)] if n else [])]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        print(output)
        return [], output
    tee = _Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        rows = module.run(n)
    return rows, tee.copy.getvalue()


def _number(value: float) -> str:
    """Three significant digits, without exponents: 0.0123, 1.35, 27.2, 4,557."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:#.3g}"


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table."""
    lines = [
        "| benchmark | unit | ours | naive | ratio (naive / ours) | note |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        naive = "—" if r["naive"] is None else _number(r["naive"])
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:,.1f}×"
        lines.append(
            f"| {r['benchmark']} | {r['unit']} | {_number(r['ours'])} | {naive} | {ratio} | "
            f"{r['note']} |"
        )
    return "\n".join(lines)


def machine() -> str:
    """CPU count, RAM, versions and date, for the results file."""
    memory_gb = psutil.virtual_memory().total / 2**30
    return (
        f"- date: {dt.date.today().isoformat()}\n"
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, {memory_gb:.0f} GB RAM, "
        f"{platform.system()} {platform.release()}\n"
        f"- Python {platform.python_version()}, GeoPandas {gpd.__version__}, "
        f"Shapely {shapely.__version__}, pandas {pd.__version__}"
    )


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated names")
    parser.add_argument("--dask-n", type=int, default=None, help="actors for the Dask run")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    arguments = parser.parse_args(argv)
    use_mirror()
    names = [name for name in arguments.only.split(",") if name]
    runs = {}
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        found, output = _run_one(name, arguments.dask_n if name == "dask" else None)
        runs[name] = {"rows": found, "output": output, "date": dt.date.today().isoformat()}
        if not arguments.no_write:  # after each one: a later failure loses nothing
            write_results(runs)
    print(f"\n{table([r for run in runs.values() for r in run['rows']])}")
    return [r for run in runs.values() for r in run["rows"]]


def write_results(runs: dict[str, dict[str, Any]]) -> None:
    """Merge ``runs`` into results.json and write RESULTS.md from all the latest runs."""
    latest = json.loads(LATEST.read_text(encoding="utf-8")) if LATEST.is_file() else {}
    latest.update(runs)
    LATEST.write_text(json.dumps(latest, ensure_ascii=False, indent=1), encoding="utf-8")
    ordered = {name: latest[name] for name in BENCHMARKS if name in latest}
    summary = table([r for run in ordered.values() for r in run["rows"]])
    details = "\n\n".join(
        f"### {name} ({run['date']})\n\n```\n{run['output'].strip()}\n```"
        for name, run in ordered.items()
    )
    RESULTS.write_text(
        "# Benchmark results\n\nWritten by `make bench` (`python -m benchmarks`); every "
        "ratio compares two ways measured in the same run on this machine.\n\n"
        f"{machine()}\n\n## Summary\n\n{summary}\n\n## Details\n\n{details}\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
