"""How pipssl's modules import each other: no circles, wherever an import is written."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

import pytest

import pipssl

PACKAGE = Path(pipssl.__file__).resolve().parent

pytestmark = pytest.mark.once  # the source text decides, not the Python running pytest


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.Module, known: Set[str]) -> Set[str]:
    """pipssl's modules a module imports, at its top or inside a function alike (a lazy
    import is still a dependency); ``if TYPE_CHECKING:`` blocks are never run: left out."""
    skipped = {id(n) for s in tree.body if isinstance(s, ast.If) for n in ast.walk(s)}
    names: List[str] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    found = set()
    for name in names:
        while name and name not in known:  # `from pkg import name`: a submodule or not
            name = name.rpartition(".")[0]
        if name:
            found.add(name)
    return found


def _graph() -> Dict[str, Set[str]]:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(paths)
    return {
        name: _imported(ast.parse(path.read_text(encoding="utf-8")), known) - {name}
        for name, path in paths.items()
    }


def _circle(graph: Dict[str, Set[str]]) -> List[str]:
    """One circle of imports, as the modules along it, or [] when there is none."""
    done: Set[str] = set()
    for start in sorted(graph):
        path: List[str] = []
        on_path: Set[str] = set()
        stack = [(start, iter(sorted(graph[start])))]
        path.append(start)
        on_path.add(start)
        while stack:
            node, rest = stack[-1]
            following = next(rest, None)
            if following is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
            elif following in on_path:
                return [*path[path.index(following) :], following]
            elif following not in done:
                stack.append((following, iter(sorted(graph.get(following, ())))))
                path.append(following)
                on_path.add(following)
    return []


def test_no_module_imports_itself_through_others() -> None:
    # A circle is why an import hides inside a function; with none, every module can
    # import what it uses at its top, and each concern sits below the ones using it.
    assert _circle(_graph()) == []


def test_the_circle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circle(graph) == ["a", "b", "c", "a"]
    assert _circle({"a": {"b"}, "b": set()}) == []
