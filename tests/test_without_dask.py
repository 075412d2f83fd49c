"""Dask is an optional extra (``metacluster[dask]``): without it the library, the CLI and
the app still import and run on the local engine, and choosing the Dask engine says what
to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import PROJECT_ROOT

# Run in a fresh interpreter in which importing Dask fails as if it were not installed.
_BLOCK_DASK = """
import importlib.abc, sys

class _NoDask(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("dask", "distributed", "dask_geopandas"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, _NoDask())
"""


def _run_without_dask(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _BLOCK_DASK + textwrap.dedent(code)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_library_cli_and_app_modules_import_without_dask() -> None:
    done = _run_without_dask(
        """
        import metacluster, metacluster.cli, metacluster.engine, metacluster.ui.data
        import metacluster.ui.sidebar, metacluster.ui.mapview
        from click.testing import CliRunner
        result = CliRunner().invoke(metacluster.cli.main, ["validate", "layers/pais-vasco.csv"])
        print(result.exit_code, "dask" in sys.modules)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "False"]


def test_choosing_the_dask_engine_without_dask_says_what_to_install() -> None:
    done = _run_without_dask(
        """
        from metacluster import engine
        from metacluster._errors import EngineUnavailableError
        try:
            with engine.use("dask"):
                pass
        except EngineUnavailableError as error:
            print(error)
        """
    )
    assert done.returncode == 0, done.stderr
    assert "pip install 'metacluster[dask]'" in done.stdout
