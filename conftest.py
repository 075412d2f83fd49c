"""Setup for the library's docstring examples (``make lint`` runs ``pytest --doctest-modules
metacluster``): like the tests, they read the NUTS mirror in ../shared/nuts (or
``$METACLUSTER_SHARED``/nuts) with a temporary cache, never the internet, and find the
merged sample layer (``layers/metacluster.toml``) as ``europe``. Other tests are untouched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _pytest.doctest import DoctestItem

ROOT = Path(__file__).resolve().parent
_europe: list[Any] = []


@pytest.fixture(autouse=True)
def _examples_read_the_nuts_mirror(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    doctest_namespace: dict[str, Any],
) -> Iterator[None]:
    if not isinstance(request.node, DoctestItem):
        yield
        return
    from metacluster import settings

    shared = Path(os.environ.get("METACLUSTER_SHARED", ROOT.parent / "shared"))
    if not (shared / "nuts").is_dir():
        pytest.fail(f"{shared} has no nuts/ mirror: clone the project with ../shared beside it")
    monkeypatch.setattr(settings, "nuts_source", str(shared / "nuts"))
    monkeypatch.setattr(settings, "cache_folder", tmp_path_factory.getbasetemp() / "nuts-cache")
    monkeypatch.chdir(ROOT)  # the examples name files under layers/
    if any("europe" in example.source for example in request.node.dtest.examples):
        if not _europe:
            from metacluster.merge import merge

            _europe.append(merge(ROOT / "layers" / "metacluster.toml").actors)
        doctest_namespace["europe"] = _europe[0]
    yield
