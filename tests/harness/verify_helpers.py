"""A tiny git repository and task, and a scripted sandbox, for verification tests without bubblewrap."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from xml.sax.saxutils import quoteattr

from trajsift.harness.sandbox.base import Limits, SandboxResult
from trajsift.tasks import Environment, Task

PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
SOURCE = "def add(a, b):\n    return a - b\n\n\ndef double(x):\n    return 2 * x\n"
TESTS = "from calc import add, double\n\n\ndef test_double():\n    assert double(2) == 4\n"
NEW_TESTS = "\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\ndef test_add_zero():\n    assert add(0, 5) == 5\n"
F2P = ["tests/test_calc.py::test_add", "tests/test_calc.py::test_add_zero"]
P2P = ["tests/test_calc.py::test_double"]


def git(cwd: Path, *args: str) -> str:
    env = {
        "PATH": os.environ["PATH"],
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    done = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def diff(path: str, old: str, new: str) -> str:
    """A git-style diff replacing `old` by `new` in file `path` (whole-file hunk; "" old means a new file)."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    head = f"diff --git a/{path} b/{path}\n"
    if not old:
        head += f"new file mode 100644\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(new_lines)} @@\n"
    else:
        head += f"--- a/{path}\n+++ b/{path}\n@@ -1,{len(old_lines)} +1,{len(new_lines)} @@\n"
    return head + "".join("-" + line for line in old_lines) + "".join("+" + line for line in new_lines)


GOLD = diff("calc.py", SOURCE, SOURCE.replace("a - b", "a + b"))
WRONG = diff("calc.py", SOURCE, SOURCE.replace("a - b", "abs(a) + b"))
TEST_PATCH = diff("tests/test_calc.py", TESTS, TESTS + NEW_TESTS)


def commit_repo(root: Path, files: dict[str, str]) -> tuple[Path, str]:
    """`root/repos/calc` holding `files` (relative path -> text) as one commit: (the repo, its commit)."""
    repo = root / "repos" / "calc"
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    return repo, git(repo, "rev-parse", "HEAD")


def make_repo(root: Path) -> tuple[Path, str]:
    return commit_repo(root, {"calc.py": SOURCE, "tests/test_calc.py": TESTS})


def make_task(commit: str, **changes) -> Task:
    fields = {
        "task_id": "calc-1",
        "repo": "repos/calc",
        "base_commit": commit,
        "environment": Environment(python=PYTHON),
        "test_command": "python -m pytest -q {tests}",
        "fail_to_pass": F2P,
        "pass_to_pass": P2P,
        "test_patch": TEST_PATCH,
        "reference_patch": GOLD,
    }
    fields.update(changes)
    return Task(**fields)


@dataclass
class Outcome:
    """What the scripted sandbox answers for one call."""

    statuses: dict[str, str] = field(default_factory=dict)
    """Test node id -> PASSED/FAILED/...; sent as the runner's evidence (stream and JUnit) and printed as `-rA`."""
    verdict: str = ""
    output: str = ""
    write_junit: bool = True


Script = Callable[[str, Path, int], Outcome]


@dataclass
class ScriptedSandbox:
    """A Sandbox whose answers come from `script(command, workdir, call number)`; records every call."""

    script: Script
    name: str = "scripted"
    calls: list[str] = field(default_factory=list)
    base_fails: bool = True
    """On the base tree (calc.py as committed) the FAIL_TO_PASS tests fail whatever the script says, as the real
    tests do there (a correct verdict's check that they need the fix runs them on it)."""

    def run(
        self,
        command: str,
        workdir: Path,
        limits: Limits,
        env: dict[str, str] | None = None,
        ro_paths: Sequence[Path] = (),
        evidence: bool = False,
        stdin: bytes = b"",
    ) -> SandboxResult:
        self.calls.append(command)
        outcome = self.script(command, Path(workdir), len(self.calls))
        if self.base_fails and outcome.statuses and unfixed(Path(workdir)):
            outcome = replace(outcome, statuses={**outcome.statuses, **dict.fromkeys(F2P, "FAILED")})
        report = evidence and "--junitxml=" in command and outcome.write_junit and outcome.statuses
        lines = [f"{status} {name}" for name, status in outcome.statuses.items()]
        text = outcome.output or ("=== short test summary info ===\n" + "\n".join(lines) + "\n=== end ===\n")
        failed = any(status != "PASSED" for status in outcome.statuses.values())
        verdict = outcome.verdict or ("nonzero_exit" if failed else "ok")
        exit_code = None if verdict not in ("ok", "nonzero_exit") else int(verdict == "nonzero_exit")
        stream = evidence_bytes(outcome.statuses, exit_code, stdin) if report else b""
        return SandboxResult(exit_code, text, False, 0.01, verdict, stream)


def unfixed(workdir: Path) -> bool:
    calc = workdir / "calc.py"
    return calc.is_file() and calc.read_text() == SOURCE


def evidence_bytes(statuses: dict[str, str], exit_code: int | None, key: bytes, spelling=lambda node: node) -> bytes:
    """What the runner bootstrap sends for these results: one record per test, the JUnit report, the end,
    each record signed with the run's key (the MAC chaining the previous one). `spelling`: how the running
    pytest spells a node id in its reports."""
    outcome = {"PASSED": "passed", "SKIPPED": "skipped"}
    records = []
    for node, status in statuses.items():
        phase = "setup" if status == "ERROR" else "call"  # an error is a failing setup, as pytest reports it
        records.append({"k": "report", "id": spelling(node), "w": phase, "o": outcome.get(status, "failed")})
    records.append({"k": "end", "exit": exit_code, "aborted": "", "tamper": []})
    lines, chain = [], b""
    for record in records:
        payload = json.dumps(record, sort_keys=True)
        mac = hmac.new(key, chain + payload.encode(), hashlib.sha256).hexdigest()
        chain = mac.encode()
        lines.append(b"\x1e" + json.dumps({"p": payload, "m": mac}).encode())
    return b"\n".join([*lines[:-1], junit_xml(statuses).encode(), lines[-1]]) + b"\n"


def junit_xml(statuses: dict[str, str]) -> str:
    cases = []
    for node, status in statuses.items():
        file, _, name = node.partition("::")
        classname = file.removesuffix(".py").replace("/", ".")
        child = {"FAILED": "<failure message='x'/>", "ERROR": "<error message='x'/>", "SKIPPED": "<skipped/>"}
        attrs = f"classname={quoteattr(classname)} name={quoteattr(name)} file={quoteattr(file)}"
        cases.append(f"<testcase {attrs}>{child.get(status, '')}</testcase>")
    return f"<?xml version='1.0'?><testsuites><testsuite>{''.join(cases)}</testsuite></testsuites>"


def all_tests(status: str = "PASSED", **overrides: str) -> dict[str, str]:
    statuses = dict.fromkeys([*F2P, *P2P], status)
    statuses.update({f"tests/test_calc.py::{name}": value for name, value in overrides.items()})
    return statuses
