"""``metacluster links``: the links between actors as GeoJSON, CSV, GraphML or GEXF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from metacluster._errors import printable
from metacluster._text import counted
from metacluster.cli import _options
from metacluster.cli._group import main
from metacluster.export.csv import frame_to_csv
from metacluster.export.links import LINK_FORMATS, write_links
from metacluster.filter import apply_filters
from metacluster.links import ENDS, merge_with_links, select_links


@main.command("links")
@_options.inputs_argument
@_options.filter_options
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    help="Keep links of this kind: project (shared projects) or a kind of the links table, "
    "e.g. mentoring, MoU (repeatable).",
)
@click.option(
    "--between-clusters", is_flag=True, help="Keep only links between different clusters."
)
@click.option(
    "--ends",
    type=click.Choice(ENDS),
    default="both",
    show_default=True,
    help="With filters: keep a link when both ends pass them, or when either end does "
    "(a region's outside partners).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(LINK_FORMATS)),
    default=None,
    help="Output format (default: from the -o file's extension; geojson for '-').",
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the rows of the links and participations tables that were not used "
    "(no actor, several actors, bad values) to this CSV file.",
)
@_options.year_option
@_options.output_option
@_options.generated_at_option
def links_command(
    inputs: tuple[Path, ...],
    kinds: tuple[str, ...],
    between_clusters: bool,
    ends: str,
    fmt: str | None,
    rejects: str | None,
    year: int | None,
    output: str,
    generated_at: str | None,
    **filter_values: Any,
) -> None:
    """Export the links between actors: shared projects and the manifest's links table.

    Actors that share a project are linked (once per pair; the weight counts the shared
    projects); the manifest's `links = "links.csv"` table adds mentoring, staff
    exchanges, MoUs… Rows of that table whose endpoints match no actor, or several, are
    reported (--rejects). Filters select actors as for `metacluster export`; a link is kept
    when both ends pass (or either, with --ends either).

    \b
    Examples:
      metacluster links layers/metacluster.toml --between-clusters -o links.geojson
      metacluster links layers/metacluster.toml --kind mentoring --format csv -o -
      metacluster links layers/metacluster.toml --cluster Toscana --ends either -o t.gexf
    """
    filters = _options.filters_from_options(**filter_values)
    fmt = _options.output_format(fmt, output, formats=LINK_FORMATS)
    with _options.progress("Merging maps") as step:
        layer = merge_with_links(list(inputs), year=year, progress=step)
        selected = None if filters.is_empty else apply_filters(layer.actors, filters)
        edges = select_links(
            layer.edges,
            None if selected is None else selected["actor_id"],
            ends=ends,
            kinds=kinds,
            between_clusters=between_clusters,
        )
        metadata = {
            "filters": filters.to_query_params(),
            "ends": ends,
            "kinds": list(kinds),
            "between_clusters": between_clusters,
            "links_selected": len(edges),
            "links_total": len(layer.edges),
            "nuts_year": layer.actors.attrs.get("nuts_year"),
            "name": layer.actors.attrs.get("title"),
        }
        with _options.open_output(output) as stream:
            write_links(
                stream, edges, layer.actors, fmt=fmt, metadata=metadata, generated_at=generated_at
            )
    for part in (layer.participations, layer.table):
        if part is not None and len(part.rejects):
            reasons = part.rejects["reason"].value_counts()
            click.echo(
                f"{part.file}: {len(part.rejects):,} of {counted(part.rows_in, 'row')} not used "
                f"({', '.join(f'{k}: {v}' for k, v in reasons.items())})"
                + ("" if rejects else "; see them with --rejects FILE"),
                err=True,
            )
    if rejects:
        Path(rejects).write_bytes(frame_to_csv(layer.rejects()))
    if output != _options.STDOUT:
        click.echo(
            printable(
                f"Wrote {output} ({len(edges):,} of {counted(len(layer.edges), 'link')}, {fmt})."
            )
        )
