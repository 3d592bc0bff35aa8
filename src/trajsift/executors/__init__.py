"""Executors by name, in one explicit dict (like checks): `local` (this machine) and `ray` (a Ray cluster).

Values are `module:Class` so that an executor's dependencies (Ray) are imported only when it is chosen.
Every executor implements `executors.base.Executor` and is driven by the same `executors.driver.drive`;
adding one is a class in a new module plus a line here.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from trajsift.errors import ConfigError, PipelineError

if TYPE_CHECKING:
    from trajsift.executors.base import Executor, ExecutorSettings

EXECUTORS: dict[str, str] = {
    "local": "trajsift.executors.local:LocalExecutor",
    "ray": "trajsift.executors.ray_executor:RayExecutor",
}
INSTALL_HINTS = {"ray": "pip install 'trajsift[ray]'"}


def make_executor(name: str, settings: ExecutorSettings) -> Executor:
    """The executor registered as `name`, configured with `settings`."""
    if name not in EXECUTORS:
        raise ConfigError(f"unknown executor {name!r}; known: {', '.join(EXECUTORS)}")
    module_name, _, class_name = EXECUTORS[name].partition(":")
    return getattr(_import(name, module_name), class_name)(settings)


def _import(name: str, module_name: str) -> ModuleType:
    """The executor's module; a missing dependency (Ray not installed) is a clear error with the fix."""
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        hint = INSTALL_HINTS.get(name, "a dependency is missing")
        raise PipelineError(f"--executor {name} needs {exc.name or 'a missing module'}: {hint} ({exc})") from exc
