"""Checks, rewards and step labels meet in `facts/`: rewards and step labels import no check internals, checks
import nothing from rewards, the harness imports no check, and nobody imports another package's private module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src" / "trajsift"


def imports(folder: str) -> list[tuple[str, str]]:
    """(module file, imported trajsift module) for every import in the folder, inside functions too."""
    found = []
    for path in sorted((SRC / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
                found += [(path.name, name) for name in [node.module, *names] if name.startswith("trajsift.")]
            elif isinstance(node, ast.Import):
                found += [(path.name, alias.name) for alias in node.names if alias.name.startswith("trajsift.")]
    assert found, folder
    return found


@pytest.mark.parametrize("folder", ["rewards", "steplabels"])
def test_rewards_and_step_labels_read_checks_only_through_their_public_base(folder):
    leaks = [
        (name, module)
        for name, module in imports(folder)
        if module.startswith("trajsift.checks.") and not module.startswith("trajsift.checks.base")
    ]
    assert leaks == []


def test_checks_import_nothing_from_rewards_and_the_harness_no_check():
    assert [pair for pair in imports("checks") if pair[1].startswith("trajsift.rewards")] == []
    assert [pair for pair in imports("harness") if pair[1].startswith("trajsift.checks")] == []


def is_private_module(dotted: str) -> bool:
    """A `_name` module or package somewhere on the dotted path (private names of a module are not counted)."""
    parts = dotted.split(".")[1:]
    for depth, part in enumerate(parts, 1):
        base = SRC.joinpath(*parts[:depth])
        if part.startswith("_") and not part.startswith("__") and (base.with_suffix(".py").exists() or base.is_dir()):
            return True
    return False


@pytest.mark.parametrize("folder", ["checks", "rewards", "steplabels", "facts"])
def test_no_private_module_of_another_package(folder):
    private = [
        (name, module)
        for name, module in imports(folder)
        if is_private_module(module) and not module.startswith(f"trajsift.{folder}.")
    ]
    assert private == []


def test_the_private_module_scan_sees_one():
    assert is_private_module("trajsift.checks._exit_status") and not is_private_module("trajsift.facts.steps")
