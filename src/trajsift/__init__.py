"""trajsift: a quality pipeline for coding-agent trajectories.

The public API is the names in `__all__`, loaded on first use (module `__getattr__`), so `import trajsift`
imports nothing heavy (no pyarrow, numpy, Ray, torch or web framework):

    from trajsift import load_recipe, run_pipeline
    result = run_pipeline(["runs/"], "out/", load_recipe())

Everything else is imported from its own module (`trajsift.readers.read`, `trajsift.schema`, ...). No
`from __future__ import annotations` here: it would bind the name `annotations`, hiding `trajsift.annotations`.
"""

import importlib
from typing import TYPE_CHECKING, Any

from trajsift.version import __version__ as __version__  # the package version, also `trajsift.__version__`

_PUBLIC = {
    "run_pipeline": "trajsift.run",
    "load_recipe": "trajsift.config",
    "Recipe": "trajsift.config",
    "Check": "trajsift.checks.base",
    "GlobalCheck": "trajsift.checks.global_check",
    "Stage": "trajsift.stages",
}

__all__ = ["Check", "GlobalCheck", "Recipe", "Stage", "load_recipe", "run_pipeline"]

if TYPE_CHECKING:
    from trajsift.checks.base import Check
    from trajsift.checks.global_check import GlobalCheck
    from trajsift.config import Recipe, load_recipe
    from trajsift.run import run_pipeline
    from trajsift.stages import Stage


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'trajsift' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
