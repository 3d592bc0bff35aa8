"""A task's pytest command, rewritten to run through the runner bootstrap (`runner_boot`) inside the sandbox.

`python -I -S -B runner_boot.py <the task's pytest arguments>`: no site processing, no cwd, no PYTHON* variables
until the bootstrap has imported the runner from the task's environment; JUnit goes to the evidence pipe and
the cache plugin is off (a first run cannot shape the retry). Commands that are not one plain pytest call
(shell operators, expansions) are run as written, with the JUnit report still sent to the pipe.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from trajsift.harness.grading import runner_boot

ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
PYTHON = re.compile(r"^(?:\S*/)?python[0-9.]*$")
SHELL_SYNTAX = re.compile(r"[;&|<>`$(){}\n]")
JUNIT_TO_PIPE = ['"--junitxml=/dev/fd/${TRAJSIFT_EVIDENCE_FD}"', "-o", "junit_family=xunit1", "-rA"]
BOOT = Path(runner_boot.__file__).resolve()


def split_pytest(command: str) -> tuple[list[str], list[str], bool] | None:
    """(leading VAR=value words, pytest arguments, cwd on sys.path) for one plain pytest call, else None."""
    if SHELL_SYNTAX.search(command.replace("{tests}", "")):
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    assignments = [word for word in words if ASSIGNMENT.match(word)]
    words = words[len(assignments) :] if words[: len(assignments)] == assignments else []
    if words[:1] in (["pytest"], ["py.test"]):
        return assignments, words[1:], False
    if len(words) >= 3 and PYTHON.match(words[0]) and words[1:3] == ["-m", "pytest"]:
        return assignments, words[3:], True
    return None


def is_pytest(command: str) -> bool:
    return "pytest" in command or "py.test" in command


def runner_command(command: str, python: Path, python_version: str) -> str:
    """The sandbox command line for `command` (a task's test command, `{tests}` already filled in)."""
    split = split_pytest(command)
    if split is None:
        return f"{command} {' '.join(JUNIT_TO_PIPE)} -p no:cacheprovider"
    assignments, args, _ = split
    flags = ["-I", "-S", "-B"]
    if _at_least(python_version, (3, 7)):
        flags += ["--check-hash-based-pycs", "always"]  # an unchecked-hash .pyc is validated against its source
    words = [*assignments, str(python), *flags, str(BOOT), *args, "-p", "no:cacheprovider"]
    return " ".join(shlex.quote(word) for word in words) + " " + " ".join(JUNIT_TO_PIPE)


def runner_config(
    command: str,
    env_sites: list[Path],
    overlay_sites: list[Path],
    conftests: list[Path],
    executable: Path | None = None,
) -> str:
    """The bootstrap's settings (JSON, passed in `TRAJSIFT_RUNNER`). `executable`: what the tests see as
    `sys.executable` (the overlay's interpreter, so `python -m <project>` in a subprocess finds the editable install
    and the dependencies installed beside it)."""
    split = split_pytest(command)
    config = {
        "env_sites": [str(path) for path in env_sites],
        "overlay_sites": [str(path) for path in overlay_sites],
        "conftests": [str(path) for path in conftests],
        "cwd_on_path": bool(split and split[2]),
        "executable": str(executable) if executable else "",
    }
    return json.dumps(config)


def _at_least(version: str, wanted: tuple[int, int]) -> bool:
    parts = re.findall(r"\d+", version)[:2]
    return len(parts) < 2 or (int(parts[0]), int(parts[1])) >= wanted
