"""No import cycles between gisapp's modules: a package's lower modules never import upward.

Read from the source with ast (nothing is imported). Strict for the imports a module runs
when it is loaded (module level, outside functions and `if TYPE_CHECKING:`); the imports
deferred into functions may not close a cycle either, but for the known ones below.
"""
from __future__ import annotations

import ast
from pathlib import Path

import gisapp

PACKAGE = Path(gisapp.__file__).resolve().parent

# Cycles through deferred (function-level) imports still being removed, each with its reason.
KNOWN_DEFERRED = {
    # The `gisapp` command's entry point (cli.main) builds the app, and the app factory
    # registers the commands: both at call time, by design (Flask's FlaskGroup pattern).
    frozenset({"gisapp", "gisapp.cli"}),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _loaded_imports(tree: ast.Module):
    """Import statements run at load time: module level, also inside if/try/with blocks."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                todo.extend(node.body + node.orelse)
        elif isinstance(node, (ast.Try, ast.With)):
            todo.extend(node.body)
            todo.extend(getattr(node, "orelse", []) + getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                todo.extend(handler.body)


def _targets(name: str, is_package: bool, node, modules: set[str]) -> set[str]:
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in modules}
    base = name.split(".") if is_package else name.split(".")[:-1]
    if node.level:
        base = base[: len(base) - node.level + 1]
    else:
        base = []
    source = ".".join(base + ([node.module] if node.module else []))
    found = set()
    for alias in node.names:
        full = f"{source}.{alias.name}"
        if full in modules:
            found.add(full)             # `from package import module`
        elif source in modules:
            found.add(source)           # `from module import name`
    return found


def _own_package(name: str) -> str | None:
    """A module's own package, below the root: its `from . import bp` is no cycle.

    (Flask's blueprint pattern: the package's __init__ makes `bp` and imports the views
    that use it; Python has always started loading the package before its module.)
    """
    package = name.rpartition(".")[0]
    return package if package.count(".") >= 1 else None


def _all_imports(tree: ast.Module):
    return (n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))


def import_graph(deferred: bool = False) -> dict[str, set[str]]:
    """Module -> the gisapp modules it imports (at load time; with `deferred`, anywhere)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(files)
    graph = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        edges = set()
        for node in (_all_imports if deferred else _loaded_imports)(tree):
            edges |= _targets(name, path.name == "__init__.py", node, modules)
        graph[name] = edges - {name} - {_own_package(name)}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read():
    graph = import_graph()
    assert "gisapp.accounts.access" in graph["gisapp.cases.report"]
    assert "gisapp.errors" in graph["gisapp.web.params"]


def test_a_cycle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_no_import_cycles_at_load_time():
    assert [sorted(c) for c in cycles(import_graph())] == []


def test_no_import_cycles_through_deferred_imports():
    found = [sorted(c) for c in cycles(import_graph(deferred=True))
             if frozenset(c) not in KNOWN_DEFERRED]
    assert found == []
