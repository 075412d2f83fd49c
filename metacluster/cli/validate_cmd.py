"""``metacluster validate``: check regional map files before merging them.

Prints, per file, how many rows were read, accepted and rejected, the helix counts, the
reasons for rejections and the warnings; optionally writes every rejected row to a CSV
that the map's editor can work through.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import click
import pandas as pd

from metacluster import projects
from metacluster._errors import MetaclusterError, printable
from metacluster.cli import _options
from metacluster.cli._group import EXIT_DATA_ERROR, EXIT_REJECTED_ROWS, main
from metacluster.cli._options import open_output
from metacluster.cli.merge_cmd import outside_nuts_line
from metacluster.export.csv import frame_to_csv
from metacluster.geocode import outside_nuts_by_country
from metacluster.read import READERS, detect_format, read_layer
from metacluster.schema import REJECT_COLUMNS, ImportResult

_SHOWN_WARNINGS = 5
_SHOWN_REJECTS = 10


def _where(reject: pd.Series) -> str:
    """ "row 3, column lat (north)" — whatever of row, column and value the reject names."""
    parts = [f"row {reject['row']}"] if pd.notna(reject["row"]) else []
    if isinstance(reject["column"], str) and reject["column"]:
        parts.append(f"column {reject['column']}")
    where = ", ".join(parts) or "file"
    value = reject["value"]
    return f"{where} ({value})" if isinstance(value, str) and value else where


def _rejected_rows(rejects: pd.DataFrame) -> list[str]:
    """The first rejected rows, each with where, why and what to do."""
    lines = [
        f"    {_where(reject)}: {reject['reason']}"
        + (f" — {reject['detail']}" if isinstance(reject["detail"], str) else "")
        for _, reject in rejects.head(_SHOWN_REJECTS).iterrows()
    ]
    if len(rejects) > _SHOWN_REJECTS:
        lines.append(f"    … and {len(rejects) - _SHOWN_REJECTS} more (see --rejects FILE)")
    return lines


def _report(result: ImportResult) -> str:
    lines = [
        f"{result.file}",
        f"  rows in {result.rows_in}   accepted {result.accepted}   rejected {result.rejected}"
        + (f"   folded {result.folded}" if result.folded else ""),
    ]
    if result.columns:
        lines.append(
            "  columns "
            + ", ".join(f"{target} ← {source!r}" for target, source in result.columns.items())
        )
    outside = outside_nuts_by_country(result.actors)
    if outside:
        lines.append(f"  {outside_nuts_line(outside)}")
    if result.participations:
        lines.append(f"  projects  {projects.describe(result.participation_counts())}")
    helix = result.helix_counts()
    if helix:
        lines.append("  helix   " + "   ".join(f"{h} {n}" for h, n in helix.items()))
    for reason, count in result.reason_counts().items():
        lines.append(f"  rejected: {reason} ({count})")
    lines.extend(_rejected_rows(result.rejects))
    messages = Counter(result.warnings["message"])
    if messages:
        lines.append(f"  warnings: {len(result.warnings)}")
        for message, count in messages.most_common(_SHOWN_WARNINGS):
            lines.append(f"    {message}" + (f"  (×{count})" if count > 1 else ""))
        if len(messages) > _SHOWN_WARNINGS:
            lines.append(f"    … and {len(messages) - _SHOWN_WARNINGS} more")
    return "\n".join(lines)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records (missing cells as null)."""
    records: list[dict[str, Any]] = json.loads(table.to_json(orient="records", date_format="iso"))
    return records


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per file.")
@_options.mapping_options
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write every rejected row of every file to this CSV ('-' for stdout).",
)
@click.option("--country", help="Country for rows that give none (code or name).")
@click.option("--sheet", help="Excel sheet name or 0-based number.")
@click.option("--crs", help="CRS of coordinate columns that are not WGS84, e.g. EPSG:3035.")
def validate(
    files: tuple[Path, ...],
    as_json: bool,
    columns: dict[str, str | None] | None,
    helix_default: str | None,
    rejects_path: str | None,
    country: str | None,
    sheet: str | None,
    crs: str | None,
) -> None:
    """Read map files and report accepted and rejected rows, without merging them.

    Exit code 0 when every row was accepted, 3 when rows were rejected, 1 when a file
    could not be read at all (the other files are still reported). With --json, each file's
    object lists its rejected rows and warnings too.

    \b
    Examples:
      metacluster validate layers/smartculture/*.kml
      metacluster validate partners.xlsx --sheet Partners --country IT
      metacluster validate export.csv --columns name=Organisation,lat=Y,lon=X --crs EPSG:3035
      metacluster validate map.kml --json | jq '.[0].rejected_rows'
      metacluster validate map.csv --rejects rejected.csv
    """
    summaries: list[dict[str, Any]] = []
    rejects: list[pd.DataFrame] = []
    failed = rejected = False
    for path in files:
        try:
            for_excel = sheet is not None and "sheet" in READERS[detect_format(path)].options
            result = read_layer(
                path,
                columns=columns,
                country=country,
                crs=crs,
                sheet=sheet if for_excel else None,
                helix_default=helix_default,
            )
        except MetaclusterError as error:
            failed = True
            summaries.append({"file": str(path), "error": str(error)})
            if not as_json:
                click.echo(printable(f"{path}\n  cannot be read: {error}"))
            continue
        rejected = rejected or result.rejected > 0
        summaries.append(
            {
                **result.summary(),
                "outside_nuts": outside_nuts_by_country(result.actors),
                "rejected_rows": _records(result.rejects),
                "warnings": _records(result.warnings),
            }
        )
        rejects.append(result.rejects)
        if not as_json:
            click.echo(printable(_report(result)))
    if as_json:
        click.echo(printable(json.dumps(summaries, ensure_ascii=False, indent=2)))
    if rejects_path:
        table = (
            pd.concat(rejects, ignore_index=True)
            if rejects
            else pd.DataFrame(columns=list(REJECT_COLUMNS))
        )
        with open_output(rejects_path) as stream:
            stream.write(frame_to_csv(table))
    if failed or rejected:
        click.get_current_context().exit(EXIT_DATA_ERROR if failed else EXIT_REJECTED_ROWS)
