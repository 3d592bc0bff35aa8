"""The environment a task resolves to: its own recipe, else (a SWE-bench task) trajsift's per-repo/version table;
plus the build tools an offline editable install needs."""

from __future__ import annotations

import re
import sys

import msgspec

from trajsift.harness import swebench_specs
from trajsift.harness.environments import EnvironmentUnavailable, EnvSpec
from trajsift.tasks import Task

EDITABLE_INSTALL = re.compile(r"^\s*(?:python3?\s+-m\s+)?pip\s+install\s+(?:-e|--editable)\s+\.\s*$")
BUILD_TOOLS = {"setuptools": "setuptools<70", "wheel": "wheel", "setuptools-scm": "setuptools_scm<8"}


def own_recipe(task: Task) -> bool:
    """Whether the task declares its own environment recipe (else it takes a SWE-bench spec, or has none)."""
    recipe = task.environment
    return bool(recipe.python or recipe.packages or recipe.install)


def spec_for_task(task: Task) -> EnvSpec | None:
    """The task's environment recipe; None when a trajsift task declares none and is not a SWE-bench task.

    SWE-bench tasks (no recipe, `owner/name` repo and a version) take theirs from the swebench package and raise
    `EnvironmentUnavailable` when it is missing or has no spec for the repo/version.
    """
    recipe = task.environment
    if own_recipe(task):
        python = recipe.python or f"{sys.version_info[0]}.{sys.version_info[1]}"
        return EnvSpec(python=python, packages=list(recipe.packages), install=recipe.install, env=dict(recipe.env))
    if swebench_specs.looks_like_swebench(task):
        return swebench_specs.env_spec(task)
    return None


def environment_key(task: Task) -> str:
    """The fingerprint of the environment the task resolves to ("" when it has none): verdicts cached under an
    older table row are not reused after the row changes."""
    try:
        spec = spec_for_task(task)
    except EnvironmentUnavailable:
        return ""
    return with_build_tools(spec).fingerprint() if spec else ""


def with_build_tools(spec: EnvSpec) -> EnvSpec:
    """The spec, plus the build tools an offline editable install needs when its install step is one."""
    if not EDITABLE_INSTALL.match(spec.install or ""):
        return spec
    named = {swebench_specs.project_name(p) for p in spec.packages}
    extra = [pin for name, pin in BUILD_TOOLS.items() if name not in named]
    return msgspec.structs.replace(spec, packages=[*spec.packages, *extra]) if extra else spec
