"""Debian development packages an environment's build compiles against, checked before anything is built.

Without them a build fails minutes in, with a compiler error that the verdict can only call an environment
problem of the task (matplotlib: `libqhull_r/qhull_ra.h: No such file or directory`). The check names the
package to install instead. The sandbox binds the host's `/usr`, so the host's headers are the build's.
"""

from __future__ import annotations

import os

from trajsift.harness.environments import EnvironmentUnavailable
from trajsift.harness.task_env import own_recipe
from trajsift.tasks import Task

INCLUDE_DIRS = ("/usr/include", "/usr/local/include")
SYSTEM_HEADERS: dict[str, dict[str, str]] = {
    # its setup.py downloads FreeType and Qhull; with no network the build links Debian's (`env_specs.MPLSETUP`)
    "matplotlib/matplotlib": {"libqhull-dev": "libqhull_r/qhull_ra.h", "libfreetype-dev": "freetype2/ft2build.h"},
}


def missing_packages(repo: str) -> list[str]:
    """The Debian packages `repo`'s build needs whose headers are under none of `INCLUDE_DIRS`."""
    needed = SYSTEM_HEADERS.get(repo.strip().lower(), {})
    return [
        package
        for package, header in needed.items()
        if not any(os.path.isfile(os.path.join(folder, header)) for folder in INCLUDE_DIRS)
    ]


def require_system_packages(task: Task) -> None:
    """Raise `EnvironmentUnavailable` naming what to install when the build of a SWE-bench task's tree needs a
    package the machine lacks (a task with its own recipe builds as that recipe says: not checked)."""
    if own_recipe(task):
        return
    missing = missing_packages(task.repo)
    if missing:
        raise EnvironmentUnavailable(
            f"the build needs Debian {' and '.join(missing)} (headers not found under {', '.join(INCLUDE_DIRS)}):"
            f" apt-get install {' '.join(missing)}"
        )
