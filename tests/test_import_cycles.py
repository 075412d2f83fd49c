"""No import cycles inside ``metacluster``: a module never needs, directly or through
others, a module that needs it.

The graph is read from the source (``ast``), so it sees every import the code can run:
module-level ones and those deferred into functions (a deferred import hides a cycle, it
does not remove it). Imports under ``if TYPE_CHECKING:`` are left out: they never run.
``from package import name`` counts as an import of ``package.name`` when that is a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "metacluster"


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_modules(path: Path, module: str, modules: dict[str, Path]) -> set[str]:
    """The metacluster modules the imports of ``path`` run, outside TYPE_CHECKING blocks."""

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    names: list[str] = []
    stack: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"), filename=str(path))]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")  # a package's __init__ is its own level 1
                package = package[: len(package) - node.level + (path.name == "__init__.py")]
                base = ".".join([*package, base] if base else package)
            # `from package import module` imports package.module, `from module import name`
            # imports module
            names.extend(
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            )
        stack.extend(ast.iter_child_nodes(node))
    targets = {resolve(name) for name in names if name.split(".")[0] == "metacluster"}
    return {target for target in targets if target is not None and target != module}


def import_graph() -> dict[str, set[str]]:
    """Module -> the metacluster modules it imports."""
    modules = _modules()
    return {module: _imported_modules(path, module, modules) for module, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that ends where it starts, or None."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        path.append(start)
        on_path.add(start)
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
                continue
            successor = todo.pop()
            if successor in on_path:
                return [*path[path.index(successor) :], successor]
            if successor not in done:
                stack.append((successor, sorted(graph[successor])))
                path.append(successor)
                on_path.add(successor)
    return None


def test_the_graph_sees_the_imports() -> None:
    graph = import_graph()
    assert "metacluster.nuts" in graph["metacluster.locate"]
    assert "metacluster.schema" in graph["metacluster.locate"]


def test_a_cycle_is_found_and_named() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles_in_metacluster() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])
