"""pytest stopping before any test (exit 4: a conftest that cannot import) in the real sandbox: an environment
problem when the base tree stops the same way (unknown), the patch's doing when the base tree starts
(incorrect), never test tampering."""

from __future__ import annotations

from pathlib import Path

from trajsift.harness.cache import ResultCache
from trajsift.harness.grading.integrity import judge_evidence
from trajsift.harness.grading.verdict import INCORRECT, UNKNOWN
from trajsift.harness.sandbox.bubblewrap import BubblewrapSandbox
from trajsift.harness.verify import Verifier, VerifyOptions
from trajsift.reasons import TESTS_FAIL, TESTS_NOT_RUN
from trajsift.tasks import Environment, Task

from .sandbox_helpers import needs_bwrap
from .verify_helpers import PYTHON, all_tests, commit_repo, diff, evidence_bytes

SOURCE = "def add(a, b):\n    return a - b\n"
FIXED = SOURCE.replace("a - b", "a + b")
TESTS = "from calc import add\n\n\ndef test_one():\n    assert add(1, 0) == 1\n"
NEW_TESTS = "\n\ndef test_add():\n    assert add(1, 2) == 3\n"
IMPORTS_CALC = "import calc  # noqa: F401\n"
IMPORTS_MISSING = "import trajsift_no_such_helper_package  # noqa: F401\n"
KEY = b"k" * 64


def make_task(root: Path, conftest: str) -> Task:
    _, commit = commit_repo(root, {"calc.py": SOURCE, "tests/conftest.py": conftest, "tests/test_calc.py": TESTS})
    return Task(
        task_id="calc-startup",
        repo="repos/calc",
        base_commit=commit,
        environment=Environment(python=PYTHON, packages=["pytest"]),
        test_command="python -m pytest -q {tests}",
        fail_to_pass=["tests/test_calc.py::test_add"],
        pass_to_pass=["tests/test_calc.py::test_one"],
        test_patch=diff("tests/test_calc.py", TESTS, TESTS + NEW_TESTS),
        reference_patch=diff("calc.py", SOURCE, FIXED),
    )


def verifier(root: Path) -> Verifier:
    options = VerifyOptions(cache_dir=root / "cache", task_dir=root, use_cache=False, touched_tests=False)
    return Verifier(options, BubblewrapSandbox(), ResultCache(root / "results"))


def test_a_usage_error_before_any_test_is_a_startup_failure_not_a_contradiction():
    judged = judge_evidence(evidence_bytes({}, 4, KEY), 4, KEY)
    assert not judged.forged and judged.problems == [] and judged.startup_exit == 4 and judged.statuses == {}
    passed_then_usage_error = judge_evidence(evidence_bytes(all_tests(), 4, KEY), 4, KEY)
    assert passed_then_usage_error.forged and passed_then_usage_error.startup_exit is None


@needs_bwrap
def test_a_conftest_the_environment_cannot_import_is_unknown(tmp_path: Path):
    task = make_task(tmp_path, IMPORTS_MISSING)
    checker = verifier(tmp_path)
    gold = checker.verify(task, task.reference_patch)
    assert gold.kind == UNKNOWN and gold.reason == TESTS_NOT_RUN, gold.evidence
    assert gold.evidence["startup_exit"] == 4 and "conftest" in gold.evidence["detail"]
    agent = checker.verify(task, diff("calc.py", SOURCE, SOURCE.replace("a - b", "b + a")))
    assert agent.kind == UNKNOWN and agent.reason == TESTS_NOT_RUN, agent.evidence
    assert "base tree too" in agent.evidence["detail"]


@needs_bwrap
def test_a_patch_that_breaks_the_conftest_import_is_incorrect(tmp_path: Path):
    task = make_task(tmp_path, IMPORTS_CALC)
    checker = verifier(tmp_path)
    broken = checker.verify(task, diff("calc.py", SOURCE, "raise ImportError('broken by the patch')\n" + FIXED))
    assert broken.kind == INCORRECT and broken.reason == TESTS_FAIL, broken.evidence
    assert broken.evidence["startup_exit"] == 4 and "base tree" in broken.evidence["cause"]
