"""Check seqlab's import graph: no import circle, and layers that only point down.

Reads every module under src/seqlab with ``ast`` (nothing is imported), collects the imports
made when a module is loaded (module level, not under ``if TYPE_CHECKING:``; imports inside
functions run later and are listed separately as "deferred"), and fails if

* the module-level graph has a cycle, or
* any import, deferred ones included, points *up* the layers below, or
* the layers below name a module that does not exist (a stale entry hides nothing, but lies).

Run: ``python tools/check_imports.py`` (exit 1 and one line per violation on failure).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# Lower layers never import higher ones. A module's layer is that of the longest prefix here.
LAYERS: dict[str, int] = {
    "seqlab._version": 0,
    "seqlab.errors": 0,
    "seqlab._io": 0,
    "seqlab._lazy": 0,
    "seqlab._checks": 0,
    "seqlab._seed": 0,
    "seqlab._threads": 0,
    "seqlab.capabilities": 0,
    "seqlab.config": 0,
    "seqlab.run_config": 0,
    "seqlab.history": 0,
    "seqlab.metrics": 0,
    "seqlab.data": 1,
    "seqlab.baselines": 1,
    "seqlab.losses": 2,
    "seqlab.models": 2,
    "seqlab.inspect": 2,
    "seqlab.checkpoint": 3,
    "seqlab.checkpoint_files": 3,
    "seqlab.export": 3,
    "seqlab.callbacks": 4,
    "seqlab.training": 4,
    "seqlab.distributed": 4,
    "seqlab.resume": 4,
    "seqlab.streaming": 4,
    "seqlab.plots": 4,
    "seqlab.forecasting": 5,
    "seqlab.pipeline": 5,
    "seqlab.scenarios": 6,
    "seqlab.cli": 7,
    "seqlab.cli_forecast": 7,
    "seqlab.cli_data": 7,
    "seqlab.cli_stream": 7,
    "seqlab": 8,  # the package's own __init__ re-exports everything
}
LAYER_NAMES = [
    "core",
    "data",
    "models",
    "checkpoint",
    "training",
    "forecasting",
    "scenarios",
    "cli",
    "package",
]


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(tree: ast.Module, module: str, package: bool) -> Iterator[tuple[str, bool, int]]:
    """(imported seqlab module, at load time?, line) for every import in ``tree``."""

    def targets(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
            return
        base = node.module or ""
        if node.level:
            parts = module.split(".") if package else module.split(".")[:-1]
            parts = parts[: len(parts) - node.level + 1]
            base = ".".join([*parts, base] if base else parts)
        yield base
        yield from (f"{base}.{a.name}" for a in node.names)  # `from pkg import submodule`

    def walk(nodes: list[ast.stmt], top: bool) -> Iterator[tuple[str, bool, int]]:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                for name in targets(node):
                    if name == "seqlab" or name.startswith("seqlab."):
                        yield name, top, node.lineno
            elif isinstance(node, ast.If) and _is_type_checking(node):
                continue
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(node.body, False)
            elif isinstance(node, ast.ClassDef):
                yield from walk(node.body, top)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    yield from walk(list(getattr(node, field, [])), top)

    yield from walk(tree.body, True)


def main() -> int:
    files = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}
    graph: dict[str, set[str]] = {m: set() for m in files}
    problems: list[str] = []
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target, at_load, line in imports(tree, module, path.name == "__init__.py"):
            if target not in files:
                continue  # `from seqlab.x import name`: the name, not a module
            if at_load and target != module:
                graph[module].add(target)
            if layer(target) > layer(module):
                problems.append(
                    f"{path.relative_to(SRC.parent)}:{line}: {module} "
                    f"({LAYER_NAMES[layer(module)]}) imports {target} "
                    f"({LAYER_NAMES[layer(target)]}), a higher layer"
                )
    problems += [f"import circle: {' -> '.join(c)}" for c in cycles(graph)]
    problems += [f"LAYERS names {m}, which is no module" for m in LAYERS if m not in files]
    for p in problems:
        print(p)
    return 1 if problems else 0


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One example path for each strongly connected component with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append([*sorted(component), sorted(component)[0]])

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


if __name__ == "__main__":
    sys.exit(main())
