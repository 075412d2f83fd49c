"""``metacluster nuts``: fill the NUTS cache for offline use, look up NUTS codes.

``nuts fetch`` is run once on a machine with internet before a workshop; afterwards the
app and the joins read the cached files without a network. ``nuts lookup`` explains a code:
its name, level and parents, or, for a code of the other NUTS version, where its area lies.
"""

from __future__ import annotations

import json

import click

from metacluster import nuts, settings
from metacluster.cli._group import main


@main.group(name="nuts")
def nuts_group() -> None:
    """NUTS regions: fill the offline cache, look up codes.

    \b
    Examples:
      metacluster nuts fetch --year 2021 --year 2024 --scale 20M
      metacluster nuts lookup ITI1
    """


@nuts_group.command()
@click.option(
    "--year",
    "years",
    multiple=True,
    type=click.Choice([str(year) for year in nuts.YEARS]),
    help="NUTS version (repeatable; default: the configured version, 2021).",
)
@click.option(
    "--level",
    "levels",
    multiple=True,
    type=click.IntRange(0, 3),
    help="NUTS level 0-3 (repeatable; default: all four).",
)
@click.option(
    "--scale",
    type=click.Choice(nuts.SCALES),
    default=None,
    help="GISCO scale, 01M (detailed) to 60M (coarse); default: the display scale, 20M.",
)
def fetch(years: tuple[str, ...], levels: tuple[int, ...], scale: str | None) -> None:
    """Download NUTS files into the cache, for use without internet.

    Run it while online, e.g. before a workshop.

    \b
    Examples:
      metacluster nuts fetch --year 2021 --year 2024 --scale 20M
      metacluster nuts fetch --level 0 --level 2
    """
    stored = nuts.fetch([int(year) for year in years], levels, scale)
    click.echo(f"NUTS cache: {settings.cache_folder}")
    for item in stored:
        status = "downloaded" if item.downloaded else "already cached"
        click.echo(f"  {item.path.name}  {_size(item.size):>9}  {status}")
    total = sum(item.size for item in stored)
    click.echo(f"{len(stored)} file{'' if len(stored) == 1 else 's'}, {_size(total)}")


def _size(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size < 1024**2 else f"{size / 1024**2:,.1f} MB"


@nuts_group.command(name="lookup")
@click.argument("code")
@click.option(
    "--year",
    type=click.Choice([str(year) for year in nuts.YEARS]),
    default=None,
    help="NUTS version to look the code up in (default: the configured version, 2021).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
def lookup(code: str, year: str | None, as_json: bool) -> None:
    """Name, level, country and parent regions of a NUTS CODE (e.g. FRE1 or PT18).

    For a code of the other NUTS version it says so, and lists the regions of the
    requested version that cover its area.

    \b
    Examples:
      metacluster nuts lookup FRE1
      metacluster nuts lookup UKG3 --year 2024 --json
    """
    requested = nuts.check_year(int(year) if year else None)
    region = nuts.lookup(code, requested)
    if as_json:
        click.echo(json.dumps(_as_dict(region, requested), ensure_ascii=False, indent=2))
        return
    click.echo(f"{region.code}  {region.name_latn}")
    if region.name != region.name_latn:
        click.echo(f"  name: {region.name}")
    click.echo(f"  NUTS {region.year}, level {region.level}, country {region.country}")
    for parent_code, parent_name in region.parents:
        click.echo(f"  in {parent_code}  {parent_name}")
    if region.note:
        click.echo(f"Note: {region.note}.")
        for equivalent_code, equivalent_name, share in region.equivalents:
            click.echo(f"  {equivalent_code}  {equivalent_name}  {share:.1%} of its area")


def _as_dict(region: nuts.NutsRegion, requested: int) -> dict[str, object]:
    return {
        "code": region.code,
        "name": region.name,
        "name_latn": region.name_latn,
        "level": region.level,
        "country": region.country,
        "year": region.year,
        "requested_year": requested,
        "parents": [{"code": code, "name": name} for code, name in region.parents],
        "note": region.note,
        "equivalents": [
            {"code": code, "name": name, "share": round(share, 4)}
            for code, name, share in region.equivalents
        ],
    }
