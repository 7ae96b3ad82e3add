"""The house rules an import linter cannot state: no import cycle between the project's modules, and no
project module imported inside a function to hide one. The command line may defer imports for start-up
time (`arc-ttt --help` should not load torch); everywhere else a project import sits at the top."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "arc_ttt"
LAZY_IMPORTS_ALLOWED = ("arc_ttt.application.cli",)


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for path in SRC.rglob("*.py")}


def imported_names(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> Iterator[str]:
    """Every dotted name an import statement may refer to (`from a import b` may import module a.b)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    yield base
    yield from (f"{base}.{alias.name}" for alias in node.names)


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module a dotted name lands in (its longest prefix that is one), if any."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def function_imports(tree: ast.Module) -> set[int]:
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return {id(n) for f in functions for n in ast.walk(f) if isinstance(n, ast.Import | ast.ImportFrom)}


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """Module -> the project modules it imports, and the function-level project imports outside the
    command line."""
    modules = project_modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    hidden: list[str] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside = function_imports(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            targets = {resolve(name, modules) for name in imported_names(node, module, path.name == "__init__.py")
                       if name.startswith(PACKAGE)}
            targets -= {None, module, PACKAGE}
            if isinstance(node, ast.ImportFrom) and len(targets) > 1:  # `from pkg import mod` imports mod
                targets = {n for n in targets if not any(o != n and o.startswith(f"{n}.") for o in targets)}
            for target in targets:
                assert target is not None
                graph[module].add(target)
                if id(node) in inside and not module.startswith(LAZY_IMPORTS_ALLOWED):
                    hidden.append(f"{path.relative_to(SRC)}:{node.lineno} imports {target} inside a function")
    return graph, hidden


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_sees_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_project_modules() -> None:
    graph, _ = import_graph()
    assert len(graph) > 100  # the walk found the project
    assert cycles(graph) == []


def test_no_project_module_is_imported_inside_a_function() -> None:
    _, hidden = import_graph()
    assert hidden == []
