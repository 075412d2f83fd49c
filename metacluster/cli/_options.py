"""Options shared by the commands: inputs, filters, output ("-" is stdout), progress.

Each is a decorator, so that every command spells an option the same way and checks it
the same way; ``filters_from_options`` turns the filter options into the library's
``Filters`` (the one the app builds from its URL).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

import click
from rich.console import Console

from metacluster import engine as engines
from metacluster import nuts
from metacluster.export import FORMATS, format_for_path
from metacluster.export.geojson import generation_time
from metacluster.filter import THEMES_MODES, Filters, parse_bbox
from metacluster.manifest import Manifest, as_manifest
from metacluster.schema import HELICES, HELIX_VALUES

F = TypeVar("F", bound=Callable[..., Any])
STDOUT = "-"


def _compose(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


inputs_argument = click.argument(
    "inputs",
    metavar="MANIFEST_OR_FILES...",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)


def _parse_columns(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> dict[str, str] | None:
    if not value:
        return None
    mapping: dict[str, str] = {}
    for pair in value.split(","):
        target, equals, source = pair.partition("=")
        if not equals or not target.strip() or not source.strip():
            raise click.BadParameter(
                f"{pair!r} is not target=source (e.g. name=Organisation)", ctx=ctx, param=param
            )
        mapping[target.strip()] = source.strip()
    return mapping


mapping_options = _compose(
    click.option(
        "--columns",
        callback=_parse_columns,
        metavar="TARGET=SOURCE,...",
        help="Explicit column mapping, e.g. name=Organisation,lat=Y,lon=X (for maps whose "
        "manifest entry gives none).",
    ),
    click.option(
        "--helix-default",
        type=click.Choice(HELICES),
        help="Helix of the actors that no column, layer or name tags (for maps whose "
        "manifest entry gives none), e.g. civil_society for a museum register.",
    ),
)


rejects_option = click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write every rejected row with its reason (CSV).",
)


def manifest_from_options(
    inputs: tuple[Path, ...], *, columns: dict[str, str] | None, helix_default: str | None
) -> Manifest:
    """The inputs as one manifest, with ``--columns`` and ``--helix-default`` applied."""
    return as_manifest(list(inputs)).with_defaults(helix=helix_default, columns=columns)


year_option = click.option(
    "--year",
    type=click.Choice([str(year) for year in nuts.YEARS]),
    default=None,
    callback=lambda _ctx, _param, value: int(value) if value else None,
    help="NUTS version to join to (default: the manifest's nuts_year, else 2021).",
)


def _check_generated_at(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return generation_time(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error


generated_at_option = click.option(
    "--generated-at",
    metavar="ISO-TIME",
    callback=_check_generated_at,
    help="Time written in the GeoJSON metadata, e.g. 2024-05-01T12:00:00Z, for byte-identical "
    "output (default: $SOURCE_DATE_EPOCH when set, else now).",
)

output_option = click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    help="File to write; '-' writes to standard output.",
)

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    default=None,
    help="Output format (default: from the -o file's extension; geojson for '-').",
)

filter_options = _compose(
    click.option(
        "--helix",
        multiple=True,
        type=click.Choice(HELIX_VALUES),
        help="Keep actors of this helix (repeat for several).",
    ),
    click.option(
        "--cluster", multiple=True, help="Keep actors of this regional cluster (repeatable)."
    ),
    click.option(
        "--country", multiple=True, help="Keep actors in this country, e.g. IT (repeatable)."
    ),
    click.option(
        "--nuts",
        multiple=True,
        help="Keep actors in this NUTS region of any level, e.g. ITI or ITI43 (repeatable).",
    ),
    click.option("--theme", multiple=True, help="Keep actors with this theme (repeatable)."),
    click.option(
        "--themes-mode",
        type=click.Choice(THEMES_MODES),
        default="any",
        show_default=True,
        help="With several --theme: actors with any of them, or with all of them.",
    ),
    click.option(
        "-q",
        "--search",
        default="",
        help="Keep actors whose name, description or city has every word (accents ignored).",
    ),
    click.option(
        "--bbox",
        metavar="MINX,MINY,MAXX,MAXY",
        default=None,
        help="Keep actors inside this lon/lat box, e.g. 12.2,41.7,12.8,42.1.",
    ),
)


engine_options = _compose(
    click.option(
        "--engine",
        type=click.Choice(engines.ENGINES),
        default=engines.LOCAL,
        show_default=True,
        help="Where the NUTS join and the region counts run: in this process, or on a Dask "
        "cluster (for millions of actors; same results).",
    ),
    click.option(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        default=None,
        help="With --engine dask: the Dask scheduler to run on (default: "
        "$DASK_SCHEDULER_ADDRESS, else a local cluster started for the command).",
    ),
)


def engine_from_options(
    *, engine: str, scheduler: str | None
) -> contextlib.AbstractContextManager[None]:
    """The block in which the command's work runs on the chosen engine."""
    if scheduler is not None and engine != engines.DASK:
        raise click.UsageError("--scheduler applies to --engine dask only")
    return engines.use(engine, scheduler=scheduler)


def filters_from_options(
    *,
    helix: tuple[str, ...],
    cluster: tuple[str, ...],
    country: tuple[str, ...],
    nuts: tuple[str, ...],
    theme: tuple[str, ...],
    themes_mode: str,
    search: str,
    bbox: str | None,
) -> Filters:
    """The ``Filters`` the filter options describe; a bad value is a usage error."""
    try:
        return Filters(
            helix=helix,
            clusters=cluster,
            countries=country,
            nuts=nuts,
            themes=theme,
            themes_mode=themes_mode,
            search=search,
            bbox=parse_bbox(bbox) if bbox else None,
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from error


def output_format(fmt: str | None, output: str, *, formats: Mapping[str, Any] | None = None) -> str:
    """The format to write: --format, else the -o extension; clashes are usage errors.

    ``formats`` is the registry to choose from (name -> entry with an ``extension``);
    None means the actor/region export ``FORMATS``.
    """
    if formats is None:
        formats = FORMATS
        inferred = None if output == STDOUT else format_for_path(output)
    else:
        inferred = None if output == STDOUT else _format_in(formats, output)
    if fmt is None:
        if output == STDOUT:
            return "geojson"
        if inferred is None:
            raise click.UsageError(
                f"cannot tell the format from {Path(output).name!r}: name the file "
                f"{', '.join('*' + f.extension for f in formats.values())}, or pass "
                f"--format {'|'.join(formats)}"
            )
        return inferred
    if inferred is not None and inferred != fmt:
        raise click.UsageError(
            f"--format {fmt} clashes with -o {Path(output).name!r} ({inferred}): "
            "drop --format or change the file's extension"
        )
    return fmt


def _format_in(formats: Mapping[str, Any], output: str) -> str | None:
    suffix = Path(output).suffix.lower()
    if suffix == ".json" and "geojson" in formats:
        return "geojson"
    return next((name for name, f in formats.items() if f.extension == suffix), None)


def open_output(output: str) -> BinaryIO:
    """The -o file opened for writing atomically (no half-written file), or stdout for '-'."""
    return cast(BinaryIO, click.open_file(output, "wb", atomic=output != STDOUT))


@contextlib.contextmanager
def progress(description: str) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr naming the current step, only when stderr is a terminal.

    Yields a callback that sets the step's text; it does nothing when there is no terminal
    (pipes, CI, click's CliRunner), so output stays clean for machines.
    """
    if not sys.stderr.isatty():
        yield lambda _step: None
        return
    with Console(stderr=True).status(description) as status:
        yield lambda step: status.update(step)
