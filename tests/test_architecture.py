"""The shape of the code (docs/architecture.md): apps depend one way, the engine is pure, modules stay small.

Read with `ast` from the source files, so the checks see every import, also those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "calculator", "customers", "plans", "quotes", "ratecards", "usage", "pricing_site", "pricing_mcp",
        "impact")
ENGINE = "calculator.engine"  # a layer of its own: pure Python at the bottom
MAX_LINES = 600


def modules() -> list[tuple[str, Path]]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            relative = path.relative_to(ROOT).with_suffix("")
            name = ".".join(relative.parts[:-1] if relative.name == "__init__" else relative.parts)
            found.append((name, path))
    return found


def layer(module: str) -> str | None:
    """The node of the dependency graph a module belongs to: the engine, or its app."""
    if module == ENGINE or module.startswith(ENGINE + "."):
        return ENGINE
    top = module.split(".")[0]
    return top if top in APPS else None


def imported(name: str, path: Path) -> list[tuple[str, int, bool]]:
    """(module imported, line, inside a function) for every import of the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - child.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                found.append((base, child.lineno, in_function))
                # `from calculator import api` imports the module calculator.api
                found.extend((f"{base}.{alias.name}", child.lineno, in_function) for alias in child.names)
            visit(child, inside)

    visit(tree, False)
    return found


def dependency_graph() -> dict[str, dict[str, list[str]]]:
    graph: dict[str, dict[str, list[str]]] = {}
    known = {name for name, _ in modules()}
    for name, path in modules():
        source = layer(name)
        for target, line, _ in imported(name, path):
            if target not in known:
                continue
            destination = layer(target)
            if destination and destination != source:
                graph.setdefault(source, {}).setdefault(destination, []).append(
                    f"{path.relative_to(ROOT)}:{line}")
    return graph


def test_no_app_imports_an_app_that_imports_it_back():
    graph = dependency_graph()
    cycles = []

    def walk(node: str, trail: list[str]) -> None:
        for following in graph.get(node, {}):
            if following in trail:
                cycles.append(trail[trail.index(following):] + [following])
            else:
                walk(following, trail + [following])

    for start in graph:
        walk(start, [start])
    described = {" -> ".join(cycle): [graph[a][b][0] for a, b in zip(cycle, cycle[1:])] for cycle in cycles}
    assert not described, f"import cycles between apps (first import of each step): {described}"


def test_the_engine_imports_no_django_and_no_app():
    for name, path in modules():
        if layer(name) != ENGINE:
            continue
        for target, line, _ in imported(name, path):
            assert target.split(".")[0] != "django", f"{path.relative_to(ROOT)}:{line} imports {target}"
            assert layer(target) in (None, ENGINE), f"{path.relative_to(ROOT)}:{line} imports {target}"


def test_no_project_import_hides_inside_a_function():
    """An import inside a function hides a cycle; AppConfig.ready is the one place models are not ready yet."""
    hidden = []
    for name, path in modules():
        if path.name == "apps.py":
            continue
        for target, line, in_function in imported(name, path):
            if in_function and layer(target) is not None:
                hidden.append(f"{path.relative_to(ROOT)}:{line} {target}")
    assert not hidden, hidden


@pytest.mark.parametrize("name, path", modules(), ids=[name for name, _ in modules()])
def test_no_application_module_is_over_600_lines(name, path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"


def test_one_name_per_thing_no_two_classes_of_the_application_share_a_name():
    """A model and a dataclass, or two apps' helpers, called the same make a reader guess which is meant."""
    seen: dict[str, list[str]] = {}
    for _, path in modules():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            # Django names every command Command; a private class is its module's own business.
            if isinstance(node, ast.ClassDef) and node.name != "Command" and not node.name.startswith("_"):
                seen.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    shared = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not shared, shared


def test_the_checks_see_a_cycle_and_a_hidden_import(tmp_path):
    """The reader itself: relative imports resolve, and imports inside functions are marked as such."""
    module = tmp_path / "views.py"
    module.write_text("from . import forms\nfrom .engine.cards import Rules\n\ndef f():\n    from ratecards import catalog\n")
    found = imported("calculator.views", module)
    assert ("calculator.forms", 1, False) in found
    assert ("calculator.engine.cards", 2, False) in found and layer("calculator.engine.cards") == ENGINE
    assert ("ratecards.catalog", 5, True) in found
