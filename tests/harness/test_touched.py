"""Generalization evidence in the real sandbox: a patch that passes the official lists but breaks another test
of the module it touches is `resolved_but_suspect`; a clean fix stays plainly correct."""

from __future__ import annotations

from pathlib import Path

from trajsift import reasons
from trajsift.demo.writers import TEST_COMMAND, TEST_ENV
from trajsift.harness.grading.touched import touched_test_files
from trajsift.harness.grading.verdict import CORRECT
from trajsift.harness.verify import Verifier, VerifyOptions
from trajsift.tasks import Environment

from .sandbox_helpers import needs_bwrap
from .verify_helpers import GOLD, SOURCE, diff, make_repo, make_task

CLEAN = diff("calc.py", SOURCE, SOURCE.replace("a - b", "b + a"))  # not the reference: it is checked too
BREAKS_DOUBLE = diff("calc.py", SOURCE, SOURCE.replace("a - b", "a + b").replace("2 * x", "3 * x"))


@needs_bwrap
def test_a_regression_outside_the_lists_makes_a_correct_verdict_suspect(tmp_path: Path) -> None:
    _, commit = make_repo(tmp_path)
    environment = Environment(python="3.11", packages=["pytest"], env=TEST_ENV)
    # PASS_TO_PASS left empty: `test_double` is in the touched module's test file but not in the lists
    task = make_task(commit, environment=environment, test_command=TEST_COMMAND, pass_to_pass=[])
    verifier = Verifier(VerifyOptions(cache_dir=tmp_path / "cache", task_dir=tmp_path, use_cache=False))
    clean = verifier.verify(task, CLEAN)
    assert clean.kind == CORRECT and clean.reason == "", (clean.kind, clean.reason, clean.evidence)
    assert clean.evidence["touched_tests"] == {"files": ["tests/test_calc.py"], "failing": []}
    suspect = verifier.verify(task, BREAKS_DOUBLE)
    assert suspect.kind == CORRECT and suspect.reason == reasons.RESOLVED_BUT_SUSPECT
    regressions = suspect.evidence["touched_tests"]["regressions"]
    assert regressions and all("test_double" in name for name in regressions)
    off = Verifier(VerifyOptions(cache_dir=tmp_path / "cache", task_dir=tmp_path, use_cache=False, touched_tests=False))
    assert off.verify(task, BREAKS_DOUBLE).reason == ""


def test_touched_test_files_are_found_by_module_name(tmp_path: Path) -> None:
    repo, _ = make_repo(tmp_path)
    assert touched_test_files(repo, GOLD) == ["tests/test_calc.py"]
    assert touched_test_files(repo, diff("tests/test_calc.py", "a\n", "b\n")) == []  # a test file is no module
