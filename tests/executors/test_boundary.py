"""The executors' boundary: only the run (`run.py`) and the CLI import `trajsift.executors`, anywhere in a module
(module level or inside functions); checks and dedup code know nothing of Ray."""

from __future__ import annotations

import ast
from pathlib import Path

import trajsift

SRC = Path(trajsift.__file__).parent
ALLOWED = ("run.py", "cli/")


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name `path` imports, at any depth of its syntax tree (relative imports resolved)."""
    package = ".".join(("trajsift", *path.relative_to(SRC).parent.parts))
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def importers_of(prefix: str, where: Path) -> list[str]:
    found = []
    for path in sorted(where.rglob("*.py")):
        if any(name == prefix or name.startswith(prefix + ".") for name in imported_modules(path)):
            found.append(path.relative_to(SRC).as_posix())
    return found


def test_only_the_run_and_the_cli_import_the_executors():
    outside = [p for p in importers_of("trajsift.executors", SRC) if not p.startswith("executors/")]
    assert outside and all(p.startswith(ALLOWED) for p in outside), outside


def test_checks_and_dedup_never_import_ray():
    assert importers_of("ray", SRC / "checks") == [] and importers_of("ray", SRC / "dedup") == []
