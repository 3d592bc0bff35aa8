"""Generalization evidence: the whole test files of the modules a correct patch touches.

FAIL_TO_PASS / PASS_TO_PASS are a sample of the tests. For a patch they call correct, the test files of the
modules it changed (`test_<module>.py` or `<module>_test.py` anywhere in the tree, nearest first, at most
`MAX_FILES`) run whole. A test that fails with the patch (after one retry) but passes on the base tree (the
patch's source files put back) is a regression the official lists miss: the verdict stays `correct` with reason
`resolved_but_suspect` and the failing tests as evidence, and the correctness stage sends the row to review.
Pytest-run tasks only (their command takes `{tests}`); other tasks and runs that were not judged are left as
they are, saying why in the evidence.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

import msgspec

from trajsift import reasons
from trajsift.harness.grading.outcome import best_of
from trajsift.harness.grading.protect import ProtectedFiles, revert_to_base
from trajsift.harness.grading.pytest_command import is_pytest
from trajsift.harness.grading.testrun import TaskRunner, TestRun
from trajsift.harness.grading.verdict import Verdict
from trajsift.harness.patch.git import run_git
from trajsift.harness.patch.patching import patch_paths
from trajsift.patches import is_test_file
from trajsift.tasks import Task

MAX_FILES = 5
FAILING = frozenset({"FAILED", "ERROR"})


def touched_test_files(worktree: Path, patch: str) -> list[str]:
    """The tree's test files for the source modules the patch changes, nearest to each module first."""
    sources = [p for p in sorted(patch_paths(patch)) if p.endswith(".py") and not is_test_file(p)]
    if not sources:
        return []
    listing = run_git(["ls-files", "-z"], cwd=worktree).stdout.split("\0")
    found: list[str] = []
    for source in sources:
        stem = posixpath.basename(source)[:-3]
        names = {f"test_{stem}.py", f"{stem}_test.py"}
        matches = [path for path in listing if posixpath.basename(path) in names]
        matches.sort(key=lambda path: (-len(posixpath.commonprefix([path, source])), path))
        found += [path for path in matches if path not in found]
    return found[:MAX_FILES]


def check_generalization(
    verdict: Verdict, task: Task, patch: str, runner: TaskRunner, worktree: Path, parser: str, protected
) -> Verdict:
    """`verdict` (correct) with the touched test files' evidence, `resolved_but_suspect` on a regression."""
    files = touched_test_files(worktree, patch)
    if not files:
        return _note(verdict, {"skipped": "no test file for the changed modules"})
    if parser != "pytest" or "{tests}" not in task.test_command or not is_pytest(task.test_command):
        return _note(verdict, {"skipped": "not a pytest task", "files": files})
    probe = msgspec.structs.replace(task, test_patch="", fail_to_pass=[f"{f}::" for f in files], pass_to_pass=[])
    after = _failing(runner, worktree, probe, parser, protected, tries=2)
    if after is None:
        return _note(verdict, {"skipped": "the touched tests did not run", "files": files})
    if not after:
        return _note(verdict, {"files": files, "failing": []})
    revert_to_base(worktree, sorted(p for p in patch_paths(patch) if not is_test_file(p)))
    before = _failing(runner, worktree, probe, parser, ProtectedFiles(worktree), tries=1)
    regressions = sorted(after - (before or set()))
    evidence = {"files": files, "failing": sorted(after)[:20], "regressions": regressions[:20]}
    if before is None or not regressions:
        return _note(verdict, evidence)
    return _note(verdict, evidence).with_(reason=reasons.RESOLVED_BUT_SUSPECT)


def _failing(runner, worktree, probe, parser, protected, tries: int) -> set[str] | None:
    """Tests failing in the run (best of `tries` runs), None when the run was not judged."""
    runs: list[TestRun] = []
    for _ in range(tries):
        run = runner.run_tests(worktree, probe, parser, protected)
        if run.result.verdict == "sandbox_error" or run.forged or not run.status:
            return None
        runs.append(run)
        failing = {name for name, status in best_of(runs).items() if status in FAILING}
        if not failing:
            return failing
    return failing


def _note(verdict: Verdict, touched: dict) -> Verdict:
    return verdict.with_(evidence={**verdict.evidence, "touched_tests": touched})
