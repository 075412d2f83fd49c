"""``metacluster partners``: whom a region could work with for a helix it lacks."""

from __future__ import annotations

from pathlib import Path

import click

from metacluster._errors import printable
from metacluster._text import counted
from metacluster.cli import _options
from metacluster.cli._group import main
from metacluster.export.csv import frame_to_csv
from metacluster.links import merge_with_links
from metacluster.partners import suggest_partners
from metacluster.schema import HELICES


@main.command("partners")
@_options.inputs_argument
@click.option(
    "--region",
    required=True,
    help="NUTS code of any level (ITI17, ITI1) or the name of a regional cluster.",
)
@click.option(
    "--helix",
    required=True,
    type=click.Choice(HELICES),
    help="The helix the region lacks or is weak in.",
)
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="How many.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    default=None,
    help="Write the suggestions as CSV to this file ('-' for standard output); "
    "without it, print a readable list.",
)
@_options.year_option
def partners_command(
    inputs: tuple[Path, ...],
    region: str,
    helix: str,
    top: int,
    output: str | None,
    year: int | None,
) -> None:
    """Suggest partners of one helix in the other clusters for a region or cluster.

    Ranks the actors of --helix outside the region's clusters by theme overlap with the
    region and network proximity (a partner of the region's actors, or of their partners,
    through shared projects and the manifest's links table); same language and distance
    break ties. Each suggestion says why.

    \b
    Examples:
      metacluster partners layers/metacluster.toml --region ITI17 --helix government
      metacluster partners layers/metacluster.toml --region Toscana --helix business \\
          --top 5 -o partners.csv
    """
    with _options.progress("Merging maps") as step:
        layer = merge_with_links(list(inputs), year=year, progress=step)
    try:
        ranked = suggest_partners(
            layer.actors, region=region, helix=helix, links=layer.edges, top=top
        )
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--region") from error
    if output is not None:
        with _options.open_output(output) as stream:
            stream.write(frame_to_csv(ranked))
        if output != _options.STDOUT:
            click.echo(
                printable(
                    f"Wrote {output} ({counted(len(ranked), 'suggestion')} for {region}, {helix})."
                )
            )
        return
    if ranked.empty:
        click.echo(f"No {helix} actor outside {region}'s clusters.")
    for number, row in enumerate(ranked.itertuples(index=False), start=1):
        click.echo(f"{number:>2}. {row.name} ({row.cluster}, {row.country}) {row.score:.2f}")
        click.echo(f"    {row.why}")
