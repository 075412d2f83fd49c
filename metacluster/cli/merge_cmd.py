"""``metacluster merge``: the regional maps of a meta-cluster as one European layer."""

from __future__ import annotations

import json
from pathlib import Path

import click

from metacluster._errors import printable
from metacluster._text import counted
from metacluster.cli import _options
from metacluster.cli._group import EXIT_DATA_ERROR, main
from metacluster.export import check_export, write
from metacluster.export.csv import frame_to_csv
from metacluster.merge import NO_LOCATION, MergeReport, merge


@main.command("merge")
@_options.inputs_argument
@_options.output_option
@_options.format_option
@_options.year_option
@_options.mapping_options
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the full merge report (JSON): per-map counts, duplicates, conflicts.",
)
@_options.rejects_option
@_options.generated_at_option
@_options.engine_options
def merge_command(
    inputs: tuple[Path, ...],
    output: str,
    fmt: str | None,
    year: int | None,
    columns: dict[str, str] | None,
    helix_default: str | None,
    report_path: str | None,
    rejects_path: str | None,
    generated_at: str | None,
    engine: str,
    scheduler: str | None,
) -> None:
    """Merge regional maps into one European layer, with duplicates detected.

    MANIFEST_OR_FILES is a manifest (layers/*.toml) listing the regional maps, or layer
    files (KML/KMZ, CSV, XLSX, GeoJSON, GeoParquet…), each one regional map named after the file.
    Actors found on several maps become one actor listing all its sources; rows that
    cannot be placed on the map are rejected, never dropped silently.

    \b
    Examples:
      metacluster merge layers/metacluster.toml -o europe.geojson
      metacluster merge lazio.csv attica.kml -o europe.csv --report report.json \\
          --rejects rejects.csv
    """
    fmt = _options.output_format(fmt, output)
    try:
        check_export(fmt, "actors")
    except ValueError as error:
        raise click.UsageError(f"{error} (for a map, use `metacluster export`)") from error
    with (
        _options.engine_from_options(engine=engine, scheduler=scheduler),
        _options.progress("Merging maps") as step,
    ):
        manifest = _options.manifest_from_options(
            inputs, columns=columns, helix_default=helix_default
        )
        result = merge(manifest, year=year, progress=step)
        step(f"Writing {counted(len(result.actors), 'actor')}")
        with _options.open_output(output) as stream:
            write(stream, result.actors, fmt=fmt, generated_at=generated_at)
    report = result.report
    if report_path:
        text = json.dumps(report.summary(), ensure_ascii=False, indent=2, default=str)
        Path(report_path).write_text(text + "\n", encoding="utf-8")
    actors = counted(len(result.actors), "actor")
    report_rows(report, rejects_path, written=f"{actors} written", output=output)
    if output != _options.STDOUT:
        click.echo(printable(f"Wrote {output} ({actors}, {fmt})."))
    if not len(result.actors):
        click.echo(
            "No actor was accepted from any map: every row was rejected (see the reasons "
            "above, or write them with --rejects rejects.csv).",
            err=True,
        )
        raise SystemExit(EXIT_DATA_ERROR)


def report_rows(
    report: MergeReport, rejects_path: str | None, *, written: str, output: str
) -> None:
    """The same row accounting after every command that reads maps (merge, export): rows
    in, accepted, rejected, folded, written, outside NUTS; the rejects CSV when asked.
    On stderr when the data goes to stdout."""
    if rejects_path:
        Path(rejects_path).write_bytes(frame_to_csv(report.rejects))
    to_stderr = output == _options.STDOUT
    for line in [*summary_lines(report), f"  {written}."]:
        click.echo(line, err=to_stderr)


def summary_lines(report: MergeReport) -> list[str]:
    """The short report printed after a merge: totals, then one line per map."""
    folded = f"{counted(report.folded, 'participation')} folded, " if report.folded else ""
    lines = [
        f"{report.name}: {counted(len(report.imports), 'map')}, "
        f"{counted(report.rows_in, 'row')} in, {counted(report.actors_out, 'actor')} out, "
        f"{counted(report.duplicates_merged, 'duplicate')} merged, "
        f"{folded}{counted(report.conflict_count, 'conflict')}, {len(report.rejects):,} rejected."
    ]
    width = max((len(c) for c in report.clusters), default=0)
    for cluster, result in zip(report.clusters, report.imports, strict=True):
        lines.append(
            f"  {cluster:<{width}}  {printable(Path(result.file).name)}: "
            f"{counted(result.rows_in, 'row')}, {result.accepted:,} accepted, "
            f"{result.rejected:,} rejected" + (f", {result.folded} folded" if result.folded else "")
        )
    unplaced = int((report.rejects["reason"] == NO_LOCATION).sum())
    if unplaced:
        have = "has" if unplaced == 1 else "have"
        lines.append(f"  {counted(unplaced, 'row')} {have} no usable location (see --rejects).")
    if report.outside_nuts:
        lines.append(f"  {outside_nuts_line(report.outside_nuts)}")
    return lines


def outside_nuts_line(counts: dict[str, int]) -> str:
    """ "3 actors outside NUTS coverage (unmatched): SA 2, QA 1" """
    per_country = ", ".join(f"{country} {n}" for country, n in counts.items())
    total = counted(sum(counts.values()), "actor")
    return f"{total} outside NUTS coverage (unmatched): {per_country}"
