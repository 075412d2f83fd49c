"""The ``metacluster`` click group, ``main``, that each command module registers on (its
own module, so the command modules do not import the package that imports them). Domain
errors become a one-line message and exit code 1 here, in one place."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import click

from metacluster._errors import MetaclusterError

EXIT_DATA_ERROR = 1
EXIT_REJECTED_ROWS = 3


def _package_version() -> str:
    try:
        return version("metacluster")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


class _Group(click.Group):
    """A click group that turns the library's domain errors into clean messages."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MetaclusterError as error:
            raise click.ClickException(str(error)) from error


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_package_version(), "--version", prog_name="metacluster")
@click.option("-v", "--verbose", count=True, help="Log progress (-v) or details (-vv) to stderr.")
def main(verbose: int) -> None:
    """Map regional innovation ecosystems along the quadruple helix.

    Read regional maps (KML/KMZ, CSV, XLSX, GeoJSON…), join actors to Eurostat NUTS
    regions, merge them into one European layer, filter and export it.
    """
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
