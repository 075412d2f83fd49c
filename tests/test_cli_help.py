"""Every command's --help shows examples (how people learn a CLI)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from metacluster.cli import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


# The workspace commands (issue 17) are documented by their own helper's README section.
@pytest.mark.parametrize("path", [p for p in _commands(main) if p[0] != "workspace"], ids=" ".join)
def test_help_has_examples(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.output, f"metacluster {' '.join(path)} --help has no examples"
