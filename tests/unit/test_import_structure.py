"""The package's import structure, read from the source (no import needed): the Dagster entry point
sits on top, lib/ stays Dagster-free, and no two modules import each other at module level."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "pipelines"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, *, module_level_only: bool = False) -> set[str]:
    """Absolute names of the modules a module imports (`from a import b`: a.b if that is one of our
    modules, else a)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    nodes = tree.body if module_level_only else ast.walk(tree)
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module for a in node.names
            }
    return names


def test_nothing_below_the_entry_point_imports_it():
    """pipelines.definitions imports defs/ (lazily, when Dagster asks for the graph); defs/ and lib/
    importing it back was the cycle definitions <-> defs/schedules (the job now lives in defs/jobs.py)."""
    offenders = [
        name
        for name, path in MODULES.items()
        if name.startswith(("pipelines.defs", "pipelines.lib")) and "pipelines.definitions" in imports(path)
    ]
    assert offenders == []


def test_lib_imports_neither_dagster_nor_defs():
    offenders = {
        name: sorted(n for n in imports(path) if n.split(".")[0] == "dagster" or n.startswith("pipelines.defs"))
        for name, path in MODULES.items()
        if name.startswith("pipelines.lib")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_no_two_modules_import_each_other_at_module_level():
    graph = {
        name: {n for n in imports(path, module_level_only=True) if n in MODULES and n != name}
        for name, path in MODULES.items()
    }

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            current = todo.pop()
            if current == goal:
                return True
            if current not in seen:
                seen.add(current)
                todo.extend(graph[current])
        return False

    cycles = sorted(f"{a} -> {b}" for a in graph for b in graph[a] if reaches(b, a))
    assert cycles == []
