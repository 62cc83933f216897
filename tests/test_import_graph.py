"""
trialrules/ imports one way: the module graph, read from the source, has no cycle.

Every ``import`` counts, including those inside functions (a late import is how a
cycle hides). Imports under ``if TYPE_CHECKING:`` do not: they never run, and name a
class in annotations only (``results.ScreeningResult`` in the views it calls).
A parent package is not an edge of its submodules (``import trialrules.inputs.fhir.bundle``
runs ``trialrules/__init__`` first, but that is Python's doing, not a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import trialrules

ROOT = Path(trialrules.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:``."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The trialrules modules ``name`` imports anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # ``from trialrules.views import todo`` names a module
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
    return {m for m in found if m in modules and m != name}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_trialrules_has_no_import_cycle():
    cycle = _cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


def test_the_graph_reads_late_imports_and_finds_a_cycle():
    graph = import_graph()
    # the CLI imports its commands inside functions (start-up time): those edges are read
    assert "trialrules.views.show" in graph["trialrules.cli"]
    # results calls converters; converters names the result class for annotations only
    assert "trialrules.language.converters" in graph["trialrules.results"]
    assert "trialrules.results" not in graph["trialrules.language.converters"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


# What each layer package may import (its docstring says the same in words): the rule
# language sits at the bottom, the engine and the inputs on top of it, neither on the other.
_COMMON = {"trialrules.errors", "trialrules.limits", "trialrules.calendar_arithmetic", "trialrules.plugin", "trialrules.hookspecs"}
LAYERS = {
    "trialrules.language": _COMMON | {"trialrules.language"},
    "trialrules.engine": _COMMON | {"trialrules.language", "trialrules.engine", "trialrules.functions", "trialrules.results"},
    "trialrules.inputs": _COMMON | {"trialrules.language", "trialrules.inputs"},
}


def _within(module: str, packages: set[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_each_layer_imports_only_what_its_docstring_allows():
    graph = import_graph()
    wrong = sorted(
        f"{name} -> {target}"
        for name, targets in graph.items()
        for layer, allowed in LAYERS.items()
        if _within(name, {layer})
        for target in targets
        if not _within(target, allowed)
    )
    assert wrong == []


def test_the_layer_check_would_see_a_wrong_import():
    assert not _within("trialrules.views.html", LAYERS["trialrules.inputs"])
    assert _within("trialrules.language.models", LAYERS["trialrules.inputs"])
    assert not _within("trialrules.languages", {"trialrules.language"})
