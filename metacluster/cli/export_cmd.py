"""``metacluster export``: a filtered European layer, or its region aggregates, as a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import geopandas as gpd

from metacluster._errors import printable
from metacluster._text import counted
from metacluster.cli import _options
from metacluster.cli._group import main
from metacluster.cli.merge_cmd import report_rows
from metacluster.export import (
    ACTORS,
    FORMATS,
    MAP_LAYERS,
    PROFILE,
    REGIONS,
    WHAT,
    check_export,
    profile,
    write,
)
from metacluster.filter import Filters, apply_filters
from metacluster.links import link_layer
from metacluster.merge import merge
from metacluster.ui.state import METRICS

DEFAULT_LEVEL = 2


@main.command("export")
@_options.inputs_argument
@_options.filter_options
@click.option(
    "--what",
    type=click.Choice(WHAT),
    default=None,
    help="Actors as points, NUTS regions with actor counts per helix, the map (html, png, "
    "svg, pdf) or a one-page region profile (pdf, with one --nuts or --cluster) "
    "[default: actors; map for html, png, svg, pdf].",
)
@click.option(
    "--level",
    type=click.IntRange(0, 3),
    default=None,
    help=f"NUTS level of the regions for --what regions or the map's choropleth "
    f"[default: {DEFAULT_LEVEL}].",
)
@click.option(
    "--metric",
    type=click.Choice(list(METRICS)),
    default="actors",
    show_default=True,
    help="Map: what colours the regions (actors, actors of one helix, helix balance).",
)
@click.option(
    "--hide",
    multiple=True,
    type=click.Choice(MAP_LAYERS),
    help="Map: leave this layer out (repeatable), as the app's layer switches.",
)
@click.option(
    "--include-empty",
    is_flag=True,
    help="With --what regions: also the regions without actors (zero counts).",
)
@_options.year_option
@_options.mapping_options
@_options.rejects_option
@_options.format_option
@_options.output_option
@_options.generated_at_option
@_options.engine_options
def export_command(
    inputs: tuple[Path, ...],
    what: str | None,
    level: int | None,
    metric: str,
    hide: tuple[str, ...],
    include_empty: bool,
    year: int | None,
    columns: dict[str, str] | None,
    helix_default: str | None,
    rejects_path: str | None,
    fmt: str | None,
    output: str,
    generated_at: str | None,
    engine: str,
    scheduler: str | None,
    **filter_values: Any,
) -> None:
    """Export the merged layer, filtered, as data (GeoJSON, CSV, KML, GeoParquet), as a
    map (standalone HTML, PNG, SVG, PDF) or as a one-page region profile (PDF).

    MANIFEST_OR_FILES is a manifest (layers/*.toml) or layer files, merged as by
    `metacluster merge`. Filters combine with AND; a repeated filter option keeps actors
    matching any of its values. The bytes are those the app's download button gives for
    the same filters.

    \b
    Examples:
      metacluster export layers/metacluster.toml --helix academia --country IT -o it.csv
      metacluster export layers/metacluster.toml --nuts ITI --search museum -o - | jq .
      metacluster export layers/metacluster.toml --what regions --level 2 \\
          --include-empty -o regions.geojson
      metacluster export layers/metacluster.toml --country IT -o italy.html
      metacluster export layers/metacluster.toml --metric balance --generated-at \\
          2024-05-01T00:00:00Z -o balance.png
      metacluster export layers/metacluster.toml --what profile --nuts ITI1 -o iti1.pdf
    """
    filters, fmt, what = checked_export(
        filter_values,
        what=what,
        level=level,
        metric=metric,
        hide=hide,
        include_empty=include_empty,
        fmt=fmt,
        output=output,
    )
    with (
        _options.engine_from_options(engine=engine, scheduler=scheduler),
        _options.progress("Merging maps") as step,
    ):
        manifest = _options.manifest_from_options(
            inputs, columns=columns, helix_default=helix_default
        )
        result = merge(manifest, year=year, progress=step)
        actors, edges = result.actors, None
        if what == PROFILE:  # partner regions from the manifest's links and participations
            linked = link_layer(manifest, result.actors)
            actors, edges = linked.actors, linked.edges
        step(f"Writing {what}")
        write_export(
            actors,
            filters,
            fmt=fmt,
            what=what,
            level=level,
            metric=metric,
            hide=hide,
            year=year,
            include_empty=include_empty,
            output=output,
            generated_at=generated_at,
            links=edges,
        )
    report_rows(
        result.report,
        rejects_path,
        written=_written(result.actors, filters, what),
        output=output,
    )


def _written(actors: gpd.GeoDataFrame, filters: Filters, what: str) -> str:
    passed = len(apply_filters(actors, filters))
    return f"{passed:,} of {counted(len(actors), 'actor')} pass the filters" + (
        "" if what == ACTORS else f" (exported as {what})"
    )


def checked_export(
    filter_values: dict[str, Any],
    *,
    what: str | None,
    level: int | None,
    metric: str,
    hide: tuple[str, ...],
    include_empty: bool,
    fmt: str | None,
    output: str,
) -> tuple[Filters, str, str]:
    """Filters, format and what to export; every usage error is raised before any work
    (``workspace export`` shares this)."""
    filters = _options.filters_from_options(**filter_values)
    fmt = _options.output_format(fmt, output)
    what = what or FORMATS[fmt].exports[0]
    if what == ACTORS and (level is not None or include_empty):
        raise click.UsageError("--level and --include-empty apply to --what regions only")
    if what in (ACTORS, REGIONS) and (hide or metric != "actors"):
        raise click.UsageError("--metric and --hide apply to maps (--format html|png|svg|pdf)")
    try:
        check_export(fmt, what)
        if what == PROFILE:
            profile.subject(filters)
    except ValueError as error:
        raise click.UsageError(f"--what {what} --format {fmt}: {error}") from error
    return filters, fmt, what


def write_export(
    actors: gpd.GeoDataFrame,
    filters: Filters,
    *,
    fmt: str,
    what: str,
    level: int | None,
    metric: str,
    hide: tuple[str, ...],
    year: int | None,
    include_empty: bool,
    output: str,
    generated_at: str | None,
    links: gpd.GeoDataFrame | None = None,
) -> None:
    """Write the export to -o (atomically, no half-written file) or stdout; say how many
    actors it holds, and warn on stderr when the filters match none."""
    kept = len(apply_filters(actors, filters))
    if kept == 0 and len(actors):
        click.echo(no_match_warning(actors, filters), err=True)
    with _options.open_output(output) as stream:
        write(
            stream,
            actors,
            filters,
            fmt=fmt,
            what=what,
            level=DEFAULT_LEVEL if level is None else level,
            year=year,
            include_empty=include_empty,
            generated_at=generated_at,
            metric=metric,
            layers=tuple(layer for layer in MAP_LAYERS if layer not in hide),
            links=links,
        )
    if output != _options.STDOUT:
        summary = filters.summary() or "no filters"
        actors_word = "actor" if kept == 1 else "actors"
        click.echo(printable(f"Wrote {output}: {kept:,} {actors_word} ({summary}; {what}, {fmt})."))


def no_match_warning(actors: gpd.GeoDataFrame, filters: Filters) -> str:
    """Why an export is empty, in words, naming filter values that no actor has."""
    unknown = []
    if filters.clusters and "regional_cluster" in actors:
        known = set(actors["regional_cluster"].explode().dropna().astype(str))
        missing = [c for c in filters.clusters if c not in known]
        if missing:
            listed = ", ".join(sorted(known, key=str.casefold))
            unknown.append(
                f"no regional cluster is named {', '.join(missing)} (there are: {listed})"
            )
    detail = f": {'; '.join(unknown)}" if unknown else ""
    return (
        f"Warning: the filters ({filters.summary()}) match none of the "
        f"{counted(len(actors), 'actor')}{detail}. The file written holds no actors."
    )
