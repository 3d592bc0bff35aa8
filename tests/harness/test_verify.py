"""Verification flow: every verdict class with a scripted sandbox, then the demo end to end in the real one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trajsift import reasons
from trajsift.harness.cache import ResultCache
from trajsift.harness.grading.verdict import CORRECT, INCORRECT, PARTIALLY_CORRECT, UNKNOWN
from trajsift.harness.verify import Verifier, VerifyOptions
from trajsift.tasks import Environment

from .sandbox_helpers import needs_bwrap
from .verify_helpers import (
    F2P,
    GOLD,
    P2P,
    SOURCE,
    TESTS,
    WRONG,
    Outcome,
    ScriptedSandbox,
    all_tests,
    diff,
    make_repo,
    make_task,
)


@pytest.fixture(scope="module")
def env_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache dir per module: the task venv (no packages) is built once."""
    return tmp_path_factory.mktemp("harness-cache")


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    return make_repo(tmp_path)


def verifier_for(root: Path, env_cache: Path, script, results: Path | None = None) -> tuple[Verifier, ScriptedSandbox]:
    """Task repos under `root`; verdicts cached in `results` (default `root`); the env shared in `env_cache`."""
    sandbox = ScriptedSandbox(script)
    options = VerifyOptions(cache_dir=env_cache, task_dir=root)
    return Verifier(options, sandbox=sandbox, cache=ResultCache(results or root)), sandbox


def always(statuses: dict[str, str], **extra) -> object:
    return lambda command, workdir, number: Outcome(statuses=statuses, **extra)


def test_correct_patch(tmp_path, repo, env_cache):
    verifier, sandbox = verifier_for(tmp_path, env_cache, always(all_tests()))
    verdict = verifier.verify(make_task(repo[1]), GOLD)
    assert verdict.kind == CORRECT and verdict.reason == ""
    assert (verdict.f2p_passed, verdict.f2p_failed, verdict.p2p_passed, verdict.p2p_failed) == (2, 0, 1, 0)
    assert verdict.confidence == 1.0  # identical to the reference: +0.1 on the 0.9 base
    assert verdict.reference["files_jaccard"] == 1.0 and verdict.static["new_syntax_errors"] == 0
    assert len(sandbox.calls) == 1 and "PYTHONHASHSEED" not in sandbox.calls[0]
    assert "tests/test_calc.py" in sandbox.calls[0] and "--junitxml=" in sandbox.calls[0]


def test_failing_patch_is_retried_once_then_incorrect(tmp_path, repo, env_cache):
    verifier, sandbox = verifier_for(tmp_path, env_cache, always(all_tests(test_add_zero="FAILED")))
    verdict = verifier.verify(make_task(repo[1]), WRONG)
    assert verdict.kind == PARTIALLY_CORRECT and (verdict.f2p_passed, verdict.f2p_failed) == (1, 1)
    assert len(sandbox.calls) == 2
    verifier, sandbox = verifier_for(tmp_path, env_cache, always(all_tests("FAILED", test_double="PASSED")))
    verdict = verifier.verify(make_task(repo[1]), WRONG, use_cache=False)
    assert verdict.kind == INCORRECT and verdict.reason == reasons.TESTS_FAIL
    assert verdict.evidence["f2p_failed"] == F2P and verdict.evidence["runs"] == 2 and "log_tail" in verdict.evidence


def test_regression_is_incorrect(tmp_path, repo, env_cache):
    verifier, _ = verifier_for(tmp_path, env_cache, always(all_tests(test_double="FAILED")))
    verdict = verifier.verify(make_task(repo[1]), WRONG)
    assert verdict.kind == INCORRECT and verdict.evidence["p2p_failed"] == P2P


def test_flaky_failure_passes_on_retry(tmp_path, repo, env_cache):
    script = lambda command, workdir, n: Outcome(all_tests("FAILED") if n == 1 else all_tests())  # noqa: E731
    verifier, sandbox = verifier_for(tmp_path, env_cache, script)
    verdict = verifier.verify(make_task(repo[1]), GOLD)
    assert verdict.kind == CORRECT and verdict.confidence == pytest.approx(0.9)
    assert sorted(verdict.evidence["flaky"]) == sorted(F2P + P2P) and len(sandbox.calls) == 2


def test_forged_pass_lines_do_not_count(tmp_path, repo, env_cache):
    forged = "=== short test summary info ===\n" + "\n".join(f"PASSED {t}" for t in F2P + P2P) + "\n"
    script = always(all_tests("FAILED"), output=forged)
    verifier, _ = verifier_for(tmp_path, env_cache, script)
    assert verifier.verify(make_task(repo[1]), WRONG).kind == INCORRECT
    no_report = always(all_tests(), output=forged, write_junit=False)  # the report vanished: text passes untrusted
    verifier, _ = verifier_for(tmp_path, env_cache, no_report)
    assert verifier.verify(make_task(repo[1]), WRONG, use_cache=False).kind != CORRECT


def test_patch_problems_are_incorrect(tmp_path, repo, env_cache):
    verifier, sandbox = verifier_for(tmp_path, env_cache, always(all_tests()))
    stale = diff("calc.py", SOURCE.replace("a - b", "a * b"), SOURCE)
    assert verifier.verify(make_task(repo[1]), stale).reason == reasons.PATCH_DOES_NOT_APPLY
    outside = GOLD.replace("a/calc.py", "a/../calc.py").replace("b/calc.py", "b/../calc.py")
    assert verifier.verify(make_task(repo[1]), outside).kind == INCORRECT
    conftest = GOLD + diff("conftest.py", "", "import pytest\n")
    verdict = verifier.verify(make_task(repo[1]), conftest)
    assert (verdict.kind, verdict.reason) == (INCORRECT, reasons.TEST_TAMPERING)
    assert verdict.evidence["tampered_files"] == ["conftest.py"] and sandbox.calls == []


def test_edits_to_the_test_patch_files_are_reverted(tmp_path, repo, env_cache):
    seen = []

    def script(command, workdir, number):
        seen.append((workdir / "tests" / "test_calc.py").read_text())
        return Outcome(all_tests())

    verifier, _ = verifier_for(tmp_path, env_cache, script)
    gutted = GOLD + diff("tests/test_calc.py", TESTS, "def test_double():\n    pass\n")
    verdict = verifier.verify(make_task(repo[1]), gutted)
    assert verdict.kind == CORRECT and verdict.evidence["reverted_test_files"] == ["tests/test_calc.py"]
    assert "def test_add_zero" in seen[0] and "assert double(2) == 4" in seen[0]


def test_unknown_verdicts(tmp_path, repo, env_cache):
    verifier, sandbox = verifier_for(tmp_path, env_cache, always(all_tests()))
    assert verifier.verify(make_task(repo[1]), "  \n").reason == reasons.NO_PATCH
    no_python = make_task(repo[1], environment=Environment(python="2.5"))
    assert verifier.verify(no_python, GOLD).reason == reasons.ENVIRONMENT_UNAVAILABLE
    bad_commit = make_task(repo[1], base_commit="0" * 40)
    assert verifier.verify(bad_commit, GOLD).reason == reasons.WORKTREE_ERROR
    broken_test_patch = make_task(repo[1], test_patch=diff("tests/test_calc.py", "nope\n", "x\n"))
    assert verifier.verify(broken_test_patch, GOLD).reason == reasons.TEST_PATCH_DOES_NOT_APPLY
    no_f2p = verifier.verify(make_task(repo[1], fail_to_pass=[]), GOLD)  # rejected before anything runs
    assert no_f2p.reason == reasons.TASK_INVALID and "FAIL_TO_PASS is empty" in no_f2p.evidence["detail"]
    assert not sandbox.calls and verifier.cache.get("x", "y") is None
    verifier, _ = verifier_for(tmp_path, env_cache, always({}, verdict="sandbox_error", output="bwrap: boom"))
    verdict = verifier.verify(make_task(repo[1]), WRONG)
    assert (verdict.kind, verdict.reason, verdict.confidence) == (UNKNOWN, reasons.SANDBOX_ERROR, None)


def test_resource_limits_are_blamed_on_the_patch_only_when_the_reference_runs(tmp_path, repo, env_cache):
    def hangs_unless_gold(command, workdir, number):
        fixed = "a + b" in (workdir / "calc.py").read_text()
        return Outcome(all_tests()) if fixed else Outcome({}, verdict="timeout", output="...")

    verifier, _ = verifier_for(tmp_path, env_cache, hangs_unless_gold)
    verdict = verifier.verify(make_task(repo[1]), WRONG)
    assert (verdict.kind, verdict.reason) == (INCORRECT, reasons.RESOURCE_EXCEEDED)
    assert verdict.evidence["cause"] == reasons.TEST_RUN_TIMEOUT and verdict.evidence["reference_verdict"] == CORRECT
    fresh = tmp_path / "fresh-results"  # no cached reference verdict from above
    verifier, _ = verifier_for(tmp_path, env_cache, always({}, verdict="memory_exceeded"), results=fresh)
    verdict = verifier.verify(make_task(repo[1]), WRONG)
    assert (verdict.kind, verdict.reason) == (UNKNOWN, reasons.TEST_RUN_RESOURCE_LIMIT)


def test_nothing_ran_is_blamed_like_a_resource_problem(tmp_path, repo, env_cache):
    crash = Outcome({}, verdict="nonzero_exit", output="ImportError while loading conftest")
    verifier, _ = verifier_for(tmp_path, env_cache, lambda c, w, n: crash)
    verdict = verifier.verify(make_task(repo[1]), WRONG)
    assert (verdict.kind, verdict.reason) == (UNKNOWN, reasons.TESTS_NOT_RUN)

    def crash_unless_gold(command, workdir, number):
        return Outcome(all_tests()) if "a + b" in (workdir / "calc.py").read_text() else crash

    verifier, _ = verifier_for(tmp_path, env_cache, crash_unless_gold)
    verdict = verifier.verify(make_task(repo[1]), WRONG, use_cache=False)
    assert (verdict.kind, verdict.reason) == (INCORRECT, reasons.TESTS_FAIL)


def test_install_failure_does_not_stop_the_tests(tmp_path, repo, env_cache):
    """As the SWE-bench harness: a failed install step is noted, the tests decide the verdict."""
    task = make_task(repo[1], environment=Environment(python=make_task("").environment.python, install="./build.sh"))

    def script(command, workdir, number):
        if command == "./build.sh":
            return Outcome({}, verdict="nonzero_exit", output="build log")
        return Outcome(all_tests())

    verifier, sandbox = verifier_for(tmp_path, env_cache, script)
    verdict = verifier.verify(task, GOLD)
    assert verdict.kind == CORRECT and verdict.evidence["install_failed"]["command"] == "./build.sh"
    assert "./build.sh" in sandbox.calls and (tmp_path / "results.sqlite").exists()
    verifier, _ = verifier_for(tmp_path, env_cache, always({}, verdict="nonzero_exit"))
    verdict = verifier.verify(task, GOLD, use_cache=False)
    assert (verdict.kind, verdict.reason) == (UNKNOWN, reasons.TESTS_NOT_RUN)


def test_results_are_cached_by_task_and_patch(tmp_path, repo, env_cache):
    verifier, sandbox = verifier_for(tmp_path, env_cache, always(all_tests()))
    task = make_task(repo[1])
    first = verifier.verify(task, GOLD)
    again = verifier.verify(task.__class__(**{**_fields(task), "instruction": "reworded"}), GOLD)
    assert not first.cached and again.cached and again.kind == CORRECT and len(sandbox.calls) == 1
    changed = make_task(repo[1], pass_to_pass=[])
    assert not verifier.verify(changed, GOLD).cached and len(sandbox.calls) == 2
    assert json.loads(first.to_json())["kind"] == CORRECT


def _fields(task):
    return {name: getattr(task, name) for name in task.__struct_fields__}


# --- the demo, end to end through the real sandbox ------------------------------------------------------------
JUDGED_LABELS = {"good": {CORRECT}, "redundant": {CORRECT}, "stray_file": {CORRECT}, "incoherent": {CORRECT}}
# A hack or a wrong fix may pass one of two FAIL_TO_PASS tests: SWE-bench grades that "partial", still unresolved.
JUDGED_LABELS |= {"incorrect": {INCORRECT, PARTIALLY_CORRECT}, "non_generalizable": {INCORRECT, PARTIALLY_CORRECT}}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    from typer.testing import CliRunner

    from trajsift.cli.main import app
    from trajsift.demo import write_demo

    root = tmp_path_factory.mktemp("demo-e2e")
    paths = write_demo(root / "demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "xdg"))
        args = ["run", str(paths.trajectories), "--tasks", str(paths.tasks), "--out", str(root / "out")]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return root, paths.root, json.loads((root / "out" / "stats.json").read_text())


def _rows_by_manifest(out: Path, demo: Path) -> list[tuple[dict, dict]]:
    import pyarrow.parquet as pq

    rows = [
        row for name in ("kept", "review", "rejected") for row in pq.read_table(out / f"{name}.parquet").to_pylist()
    ]
    manifest = [json.loads(line) for line in (demo / "manifest.jsonl").read_text().splitlines()]
    pairs = []
    for entry in manifest:
        place = f"{entry['file']}:{entry['line']}" if "line" in entry else entry["file"]
        matches = [row for row in rows if row["trajectory"]["source"]["path"].endswith(place)]
        assert len(matches) == 1, place
        pairs.append((entry, matches[0]))
    return pairs


@needs_bwrap
def test_demo_verdicts_match_the_intended_labels(demo_run):
    root, demo, stats = demo_run
    stage = next(s for s in stats["funnel"] if s["name"] == "correctness")
    assert stage["status"] == "ran" and stage["in"] > 0
    checked = 0
    for entry, row in _rows_by_manifest(root / "out", demo):
        verdict = row["correctness.tests.verdict"]
        if entry["label"] in JUDGED_LABELS and entry["has_patch"]:
            assert verdict in JUDGED_LABELS[entry["label"]], (entry, row["correctness.tests.evidence"])
            checked += 1
        if verdict == INCORRECT:
            assert row["decision"] == "drop" and "tests_fail" in row["reasons"]
        if verdict == CORRECT:
            assert row["correctness.tests.f2p_failed"] == 0 and row["correctness.tests.confidence"] >= 0.7
    assert checked >= 20


@needs_bwrap
def test_verify_and_validate_commands_on_the_demo(demo_run, monkeypatch):
    from typer.testing import CliRunner

    from trajsift.cli.main import app

    root, demo, _ = demo_run
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / "xdg"))
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    tasks = str(demo / "tasks.jsonl")
    result = runner.invoke(app, ["verify", str(demo / "trajectories"), "--tasks", tasks, "--out", str(root / "v")])
    assert result.exit_code == 0, result.output
    assert "Verdicts" in result.output and "correct" in result.output and "tests_fail" in result.output
    result = runner.invoke(app, ["tasks", "validate", tasks, "-k", "1", "--task", "demo__intervals-1"])
    assert result.exit_code == 0, result.output
    assert "demo__intervals-1: valid" in result.output and "valid 1" in result.output
