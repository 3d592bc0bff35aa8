"""SWE-bench tasks' environments: trajsift's own table (`env_specs`), else the `swebench` package's specs.

A spec (python, packages / pip_packages, pre_install, install, test_cmd, env / eval_commands) maps onto an `EnvSpec`
plus a test command whose `{tests}` are the test patch's files, as SWE-bench's `get_test_directives` computes
them (re-implemented here). The table covers the twelve SWE-bench Lite repositories, so a plain install needs no
`swebench`; for other repositories the optional package's `MAP_REPO_VERSION_TO_SPECS` (swebench 3.x / 4.x; 5.x
dropped it) is consulted when it is installed.

Spec parts that need a root-owned container (apt-get, locale-gen, writes to /etc, downloads to /tmp) are dropped;
the conda-only `environment.yml` recipes are unavailable. `packages: requirements.txt` becomes a `pip install -r`
step in `pre_install`, run in the work tree.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from trajsift.harness import env_specs
from trajsift.harness.environments import EnvironmentUnavailable, EnvSpec
from trajsift.tasks import Task

NON_TEST_EXTENSIONS = (".json", ".png", "csv", ".txt", ".md", ".jpg", ".jpeg", ".pkl", ".yml", ".yaml", ".toml")
"""As SWE-bench's NON_TEST_EXTS (`csv` without the dot is theirs too)."""
_OWNER_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_DIFF_TARGET = re.compile(r"^diff --git a/.* b/(.*)$", re.MULTILINE)
_SYSTEM_COMMAND = re.compile(r"(^|&&|;)\s*(apt-get|apt|locale-gen|wget|curl|tar)\b|/etc/|/tmp/|\$QHULL|^\w+=")
_EXPORT = re.compile(r"^export (\w+)=(.*)$")
_REQUIREMENTS_PATHS = {
    "django/django": ["tests/requirements/py3.txt"],
    "sympy/sympy": ["requirements-dev.txt", "requirements-test.txt"],
}


def looks_like_swebench(task: Task) -> bool:
    """A task without its own recipe whose repo is `owner/name` and which has a version: a SWE-bench instance."""
    repo = task.repo.strip()
    return bool(task.version and _OWNER_NAME.match(repo) and not repo.startswith("."))


def load_specs() -> dict[str, dict[str, dict[str, Any]]]:
    try:
        from swebench.harness import constants  # heavy (about 1 s): imported only when needed
    except ImportError:
        raise EnvironmentUnavailable("swebench package not installed") from None
    specs = getattr(constants, "MAP_REPO_VERSION_TO_SPECS", None)
    if specs is None:
        raise EnvironmentUnavailable("the installed swebench has no MAP_REPO_VERSION_TO_SPECS (needs swebench<5)")
    return specs


def raw_spec(task: Task) -> dict[str, Any]:
    """trajsift's table row for the task's repo/version, else the swebench package's spec."""
    own = env_specs.spec(task.repo, task.version)
    if own is not None:
        return own
    try:
        spec = load_specs().get(task.repo, {}).get(task.version)
    except EnvironmentUnavailable as exc:
        raise EnvironmentUnavailable(f"no environment for {task.repo} {task.version} ({exc.reason})") from None
    if spec is None:
        raise EnvironmentUnavailable(f"swebench has no spec for {task.repo} {task.version}")
    return spec


def env_spec(task: Task, spec: dict[str, Any] | None = None) -> EnvSpec:
    """The EnvSpec for a SWE-bench task (from its swebench spec, or `spec` when given)."""
    spec = raw_spec(task) if spec is None else spec
    packages, requirements = _packages(task.repo, spec.get("packages", ""))
    steps = [str(c) for c in spec.get("pre_install", [])]
    pre_install = [*requirements, *(c for c in steps if not _SYSTEM_COMMAND.search(c))]
    return EnvSpec(
        skipped=[c for c in steps if _SYSTEM_COMMAND.search(c)],
        python=str(spec.get("python", "")),
        packages=_merge_pins(packages, list(spec.get("pip_packages", []))),
        install=spec.get("install", ""),
        pre_install=pre_install,
        env={**_exports(spec.get("eval_commands", [])), **spec.get("env", {})},
        services={name: list(args) for name, args in spec.get("services", {}).items()},
    )


def _packages(repo: str, packages: Any) -> tuple[list[str], list[str]]:
    """(pip packages, pre_install commands) from the spec's conda-style `packages` field."""
    if isinstance(packages, list):
        return [str(p) for p in packages], []
    packages = str(packages or "").strip()
    if packages == "environment.yml":
        raise EnvironmentUnavailable("conda environment.yml specs are not supported")
    if packages == "requirements.txt":
        candidates = " ".join(shlex.quote(p) for p in _REQUIREMENTS_PATHS.get(repo, ["requirements.txt"]))
        step = f'for f in {candidates}; do if [ -f "$f" ]; then python -m pip install -r "$f"; break; fi; done'
        return [], [step]
    return packages.split(), []


def _merge_pins(packages: list[str], pins: list[str]) -> list[str]:
    """`packages` with any entry that `pins` names again (e.g. `mpmath` vs `mpmath==1.3.0`) left to the pin."""
    pinned = {project_name(p) for p in pins}
    return [p for p in packages if project_name(p) not in pinned] + pins


def project_name(requirement: str) -> str:
    """The normalised project name of a pip requirement (`Setuptools_SCM<8` -> `setuptools-scm`)."""
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _exports(commands: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for command in commands:
        match = _EXPORT.match(command.strip())
        if match:
            env[match[1]] = match[2].strip("'\"")
    return env


def directives_for(task: Task) -> list[str]:
    """The test patch's test files, as SWE-bench's `get_test_directives`: non-test extensions dropped; for
    Django, module paths (`tests/` and `.py` removed, slashes to dots); file paths otherwise."""
    directives = [path for path in _DIFF_TARGET.findall(task.test_patch) if not path.endswith(NON_TEST_EXTENSIONS)]
    if task.repo == "django/django":
        directives = [path.removesuffix(".py").removeprefix("tests/").replace("/", ".") for path in directives]
    return list(dict.fromkeys(directives))


def command_for(task: Task, spec: dict[str, Any] | None = None) -> str:
    """The spec's test command with a `{tests}` placeholder for `test_directives`."""
    spec = raw_spec(task) if spec is None else spec
    command = spec.get("test_cmd")
    if not isinstance(command, str) or not command:
        raise EnvironmentUnavailable(f"no single test command in the swebench spec for {task.repo} {task.version}")
    return f"{command} {{tests}}"


def task_with_spec(task: Task) -> Task:
    """The task with its test command filled from swebench (when it has none)."""
    import msgspec

    if task.test_command:
        return task
    return msgspec.structs.replace(task, test_command=command_for(task))
