"""No import cycles inside trajsift: module-level imports and imports inside functions alike (read by AST).

A module importing `pkg.sub` depends on `pkg.sub`; `from pkg import name` depends on `pkg.name` when that is a
module, else on `pkg`. A package depends on nothing through its children (importing a child runs the package's
`__init__` first, not the reverse), so `pkg/__init__.py` importing `pkg.child` is an edge like any other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import trajsift

ROOT = Path(trajsift.__file__).parent


def module_name(path: Path) -> str:
    parts = ["trajsift", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(node: ast.AST, here: str, is_package: bool, known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        anchor = here.split(".")
        anchor = anchor if is_package else anchor[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    targets = []
    for alias in node.names:
        child = f"{base}.{alias.name}"
        targets.append(child if child in known else base)
    return targets


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in ROOT.rglob("*.py")}
    known = set(files)
    edges: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = set()
        for node in ast.walk(tree):
            for target in imported(node, name, path.name == "__init__.py", known):
                while target and target not in known:  # `trajsift.x.y` where y is a name in module x
                    target = target.rpartition(".")[0]
                if target and target != name and target.startswith("trajsift"):
                    targets.add(target)
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
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
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_the_detector_sees_a_cycle() -> None:
    edges = graph()
    assert "trajsift.readers.recover" in edges["trajsift.harness.patch.replay"]
    edges["trajsift.readers.recover"] = {*edges["trajsift.readers.recover"], "trajsift.harness.patch.replay"}
    assert any({"trajsift.readers.recover", "trajsift.harness.patch.replay"} <= set(c) for c in cycles(edges))
