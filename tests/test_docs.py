"""The README documents every setting and every command-line option (as datasette's docs
tests do): the lists are read from ``metacluster/settings.py`` and the click group, so a new
setting, command or option without documentation fails here."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from metacluster.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def settings_names() -> list[str]:
    """The public, annotated module-level names of ``metacluster/settings.py``."""
    tree = ast.parse((ROOT / "metacluster" / "settings.py").read_text(encoding="utf-8"))
    return [
        node.target.id
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and not node.target.id.startswith("_")
    ]


def commands(
    group: click.Command = main, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, click.Command]]:
    """Every command and group under ``group``, as ("metacluster nuts fetch", command)."""
    yield " ".join(("metacluster", *path)), group
    if isinstance(group, click.Group):
        for name, command in sorted(group.commands.items()):
            yield from commands(command, (*path, name))


def options(command: click.Command) -> list[str]:
    """The option names of ``command`` as its users type them (the longest spelling)."""
    return [
        max(param.opts, key=len)
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden
    ]


def reference_section(name: str) -> str:
    """The README text under the heading "#### `metacluster …`" of one command."""
    found = re.search(rf"^#### `{re.escape(name)}`\n(.*?)(?=^#)", README + "\n#", flags=re.M | re.S)
    return found.group(1) if found else ""


@pytest.mark.parametrize("name", settings_names())
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in README, f"README.md does not document settings.{name}"


@pytest.mark.parametrize(("name", "command"), list(commands()), ids=lambda v: str(v))
def test_every_command_and_option_is_documented(name: str, command: click.Command) -> None:
    section = reference_section(name)
    assert section, f'README.md has no "#### `{name}`" heading in its command reference'
    missing = [option for option in options(command) if f"`{option}`" not in section]
    assert not missing, f"README.md's section on `{name}` does not mention {missing}"


def test_the_lists_are_read_from_the_code() -> None:
    assert {"snap_km", "nuts_year", "cache_folder"} <= set(settings_names())
    names = dict(commands())
    assert "--year" in options(names["metacluster nuts fetch"])
    assert len(names) >= 8
    assert reference_section("metacluster no-such-command") == ""
