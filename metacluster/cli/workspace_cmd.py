"""``metacluster workspace``: a partnership's maps in one database, kept current by partners.

WORKSPACE is a SQLite file (created by ``init``) or a database URL
(``postgresql+psycopg://user@host/db``). Tokens come from ``--token`` or, better (they
stay out of the shell history and the process list), ``$METACLUSTER_TOKEN``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from metacluster._errors import printable
from metacluster._text import counted
from metacluster.cli import _options, export_cmd
from metacluster.cli._group import main
from metacluster.workspace import COORDINATOR, DATABASE_URL_ENV, Workspace, init_workspace

TOKEN_ENV = "METACLUSTER_TOKEN"
DEFAULT_APP_URL = "http://localhost:8501"
workspace_argument = click.argument("workspace", metavar="WORKSPACE")
token_option = click.option(
    "--token",
    envvar=TOKEN_ENV,
    default=None,
    help=f"Your upload token (default: ${TOKEN_ENV}).",
)


@main.group("workspace")
def workspace_group() -> None:
    """A partnership workspace: each partner keeps its regional map up to date, everyone
    sees one merged map. Stored in a SQLite file or PostgreSQL + PostGIS."""


@workspace_group.command("init")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--db",
    default=None,
    help=f"SQLite file or database URL to create the workspace in (default: ${DATABASE_URL_ENV}"
    ", else MANIFEST's name with .workspace.sqlite in the current folder).",
)
@click.option(
    "--app-url",
    default=DEFAULT_APP_URL,
    show_default=True,
    help="Address of the app, for the upload links.",
)
def init_command(manifest: Path, db: str | None, app_url: str) -> None:
    """Create a workspace from a manifest and print one upload link per partner and one
    for the coordinator. The links are shown this once only: hand each partner its own.

    \b
    Examples:
      metacluster workspace init layers/metacluster.toml --db smartculture.sqlite
      metacluster workspace init layers/metacluster.toml \\
          --db postgresql+psycopg://metacluster@db.example.org/smartculture
    """
    target = db or os.environ.get(DATABASE_URL_ENV) or f"{manifest.stem}.workspace.sqlite"
    with _options.progress("Reading the maps"):
        workspace, handed_out = init_workspace(manifest, target)
    with workspace:
        click.echo(
            printable(
                f"Created workspace {workspace.where} ({counted(len(handed_out) - 1, 'map')})."
            )
        )
        click.echo("Upload links (shown once; each publishes only its own map):")
        partners = {state.slug: state.partner or state.cluster for state in workspace.maps()}
        for slug, token in handed_out.items():
            who = partners.get(slug, "the coordinator (every map, restore, tokens)")
            click.echo(f"  {slug:<24} {who}\n      {app_url.rstrip('/')}/?token={token}")
        click.echo(f"On the command line, pass the part after token= as --token or ${TOKEN_ENV}.")


@workspace_group.command("publish")
@workspace_argument
@click.option("--map", "slug", required=True, help="The map to publish, e.g. noord-brabant.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@token_option
@click.option("--dry-run", is_flag=True, help="Show the import report and the changes only.")
def publish_command(
    workspace: str, slug: str, file: Path, token: str | None, dry_run: bool
) -> None:
    """Publish a new version of one regional map (any supported format).

    Prints the import report and what changes against the current version (actors
    added, removed, changed with the changed fields), then publishes atomically.

    \b
    Example:
      METACLUSTER_TOKEN=... metacluster workspace publish smartculture.sqlite \\
          --map noord-brabant noord-brabant-2025.xlsx
    """
    with Workspace.open(workspace) as opened:
        draft = opened.prepare(slug, file, token=token)
        result = draft.result
        click.echo(
            printable(
                f"{file.name}: {counted(result.rows_in, 'row')}, {result.accepted:,} accepted, "
                f"{result.rejected} rejected"
            )
        )
        for reason, count in result.reason_counts().items():
            click.echo(f"  rejected: {count} × {reason}")
        click.echo(f"Against version {draft.base_version}: {draft.diff.summary()}")
        for row in draft.diff.table().itertuples(index=False):
            detail = f" {row.field}: {row.before!r} -> {row.after!r}" if row.field else ""
            click.echo(f"  {row.change:<8} {row.actor}{detail}")
        if dry_run:
            click.echo("Dry run: nothing published.")
            return
        number = opened.publish(draft, token=token, check_base=False)
    click.echo(f"Published {slug} version {number}.")


@workspace_group.command("history")
@workspace_argument
@click.option("--map", "slug", default=None, help="Only this map's versions.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def history_command(workspace: str, slug: str | None, as_json: bool) -> None:
    """List every stored version of every map, newest first, and who published it."""
    with Workspace.open(workspace) as opened:
        history = opened.history(slug)
    if as_json:
        click.echo(
            json.dumps(
                [{**vars(v), "published_at": v.published_at.isoformat()} for v in history],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for version in history:
        mark = " (current)" if version.current else ""
        note = f" — {version.note}" if version.note else ""
        click.echo(
            f"{version.published_at:%Y-%m-%d %H:%M} UTC  {version.map_slug} "
            f"v{version.number}{mark}  by {version.published_by}  {version.file_name}: "
            f"{counted(version.accepted, 'actor')}, {version.rejected:,} rejected{note}"
        )


@workspace_group.command("restore")
@workspace_argument
@click.option("--map", "slug", required=True, help="The map to restore.")
@click.option("--version", "number", type=click.IntRange(1), required=True, help="Its version.")
@token_option
def restore_command(workspace: str, slug: str, number: int, token: str | None) -> None:
    """Publish an earlier version of a map again as its newest (coordinator's token).
    Nothing is lost: the versions in between stay in the history."""
    with Workspace.open(workspace) as opened:
        new = opened.restore(slug, number, token=token)
    click.echo(f"Restored {slug} version {number} as version {new}.")


_EXPORT_PARAMS = [
    param
    for param in export_cmd.export_command.params
    if param.name
    not in ("inputs", "year", "columns", "helix_default", "rejects_path", "engine", "scheduler")
]
"""The options of `metacluster export` (filters, --what, --format, -o…), so that both
commands spell and check them the same way."""


@workspace_group.command(
    "export", params=[click.Argument(["workspace"], metavar="WORKSPACE"), *_EXPORT_PARAMS]
)
def export_command(
    workspace: str,
    what: str | None,
    level: int | None,
    metric: str,
    hide: tuple[str, ...],
    include_empty: bool,
    fmt: str | None,
    output: str,
    generated_at: str | None,
    **filter_values: Any,
) -> None:
    """Export the current merged map with the options of `metacluster export`.

    \b
    Example:
      metacluster workspace export smartculture.sqlite --helix academia -o academia.csv
    """
    filters, fmt, what = export_cmd.checked_export(
        filter_values,
        what=what,
        level=level,
        metric=metric,
        hide=hide,
        include_empty=include_empty,
        fmt=fmt,
        output=output,
    )
    with Workspace.open(workspace) as opened:
        actors = opened.merged().actors
    export_cmd.write_export(
        actors,
        filters,
        fmt=fmt,
        what=what,
        level=level,
        metric=metric,
        hide=hide,
        year=actors.attrs.get("nuts_year"),
        include_empty=include_empty,
        output=output,
        generated_at=generated_at,
    )


@workspace_group.group("token")
def token_group() -> None:
    """Rotate or revoke upload tokens (coordinator's token)."""


token_map_option = click.option(
    "--map",
    "slug",
    required=True,
    help=f"The map whose token to change, or {COORDINATOR!r} for the coordinator's own.",
)


@token_group.command("rotate")
@workspace_argument
@token_map_option
@token_option
@click.option("--app-url", default=DEFAULT_APP_URL, show_default=True, help="For the link.")
def rotate_command(workspace: str, slug: str, token: str | None, app_url: str) -> None:
    """Revoke a map's token and print its new upload link (shown once)."""
    with Workspace.open(workspace) as opened:
        new = opened.rotate_token(None if slug == COORDINATOR else slug, token=token)
    click.echo(f"New upload link for {slug} (the old one no longer works):")
    click.echo(f"  {app_url.rstrip('/')}/?token={new}")


@token_group.command("revoke")
@workspace_argument
@token_map_option
@token_option
def revoke_command(workspace: str, slug: str, token: str | None) -> None:
    """Revoke a map's tokens: nobody publishes it until a new one is rotated."""
    with Workspace.open(workspace) as opened:
        opened.revoke_tokens(None if slug == COORDINATOR else slug, token=token)
    click.echo(f"Revoked the tokens of {slug}.")
