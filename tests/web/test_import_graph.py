"""The web layering: `web/` is the base, `review/` and `dashboard/` are features on it that never import each other,
`serve` combines them, and no core module (nor `trajsift run`) imports a web framework or these packages."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import trajsift

SRC = Path(trajsift.__file__).parent
WEB_PACKAGES = ("trajsift.web", "trajsift.review", "trajsift.dashboard")
WEB_FRAMEWORKS = ("fastapi", "starlette", "uvicorn", "jinja2")
ALLOWED_IMPORTERS = ("web", "review", "dashboard", "cli/serve_cmd.py")

LOADED = """
import importlib, json, pkgutil, sys
for name in sys.argv[1:]:
    module = importlib.import_module(name)
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), name + "."):
        importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""


def loaded_modules(*names: str) -> set[str]:
    """Every module in `sys.modules` of a fresh interpreter after importing `names` and all their submodules."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC.parent), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-c", LOADED, *names], capture_output=True, text=True, env=env, timeout=300, check=True
    )
    return set(json.loads(result.stdout))


def under(modules: set[str], *packages: str) -> set[str]:
    """The names in `modules` that are one of `packages` or inside one."""
    return {m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)}


def test_review_never_imports_the_dashboard():
    modules = loaded_modules("trajsift.review")
    assert under(modules, "trajsift.review.app") and under(modules, "trajsift.web.app")
    assert not under(modules, "trajsift.dashboard")


def test_dashboard_never_imports_the_review_desk():
    modules = loaded_modules("trajsift.dashboard")
    assert under(modules, "trajsift.dashboard.routes") and under(modules, "trajsift.web.auth")
    assert not under(modules, "trajsift.review")


def test_web_base_imports_no_feature():
    modules = loaded_modules("trajsift.web")
    assert under(modules, "fastapi")
    assert not under(modules, "trajsift.review") and not under(modules, "trajsift.dashboard")


def test_run_command_pulls_no_web_framework():
    modules = loaded_modules("trajsift.cli.run_cmd", "trajsift.live")
    assert "trajsift.live.progress" in modules
    for name in (*WEB_FRAMEWORKS, *WEB_PACKAGES):
        assert not under(modules, name), name


def imported_names(path: Path) -> set[str]:
    """Absolute module names a file imports, at module level or inside functions (relative ones resolved)."""
    package = ".".join(("trajsift", *path.relative_to(SRC).parent.parts))
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_no_core_module_imports_the_web_packages_or_a_web_framework():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith(ALLOWED_IMPORTERS):
            continue
        offenders += [f"{relative}: {name}" for name in under(imported_names(path), *WEB_FRAMEWORKS, *WEB_PACKAGES)]
    assert offenders == []


def test_features_import_the_base_and_not_each_other():
    for feature, other in (("review", "trajsift.dashboard"), ("dashboard", "trajsift.review")):
        for path in sorted((SRC / feature).rglob("*.py")):
            wrong = under(imported_names(path), other)
            assert not wrong, f"{path.relative_to(SRC)} imports {wrong}"
    for path in sorted((SRC / "web").rglob("*.py")):
        wrong = under(imported_names(path), "trajsift.review", "trajsift.dashboard")
        assert not wrong, f"{path.relative_to(SRC)} imports {wrong}"
