"""Task validation: the reference patch k times; valid / flaky / invalid / unavailable; invalid tasks are unknown."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from trajsift import reasons
from trajsift.harness.blame import PASSES_BEFORE
from trajsift.harness.cache import ResultCache
from trajsift.harness.grading.verdict import correct, incorrect, unknown
from trajsift.harness.sandbox.bubblewrap import BubblewrapSandbox
from trajsift.harness.validate import (
    FLAKY,
    INVALID,
    UNAVAILABLE,
    VALID,
    classify,
    validate_task,
    validate_tasks,
)
from trajsift.harness.verify import Verifier, VerifyOptions
from trajsift.tasks import Environment

from . import hostile_corpus as corpus
from .sandbox_helpers import needs_bwrap
from .verify_helpers import GOLD, Outcome, ScriptedSandbox, all_tests, make_repo, make_task


@pytest.fixture(scope="module")
def env_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("validate-env")


def test_classify():
    assert classify([correct(0.9)] * 3) == (VALID, "")
    failing = incorrect("tests_fail", {"f2p_failed": ["t::a"]})
    assert classify([correct(0.9), failing, correct(0.9)]) == (FLAKY, "tests_fail: t::a")
    assert classify([failing] * 3)[0] == INVALID
    assert classify([failing, unknown("timeout")])[0] == INVALID  # judged at least once, never correct
    assert classify([unknown("environment_unavailable")] * 2) == (UNAVAILABLE, "environment_unavailable")


def run_validation(tmp_path: Path, env_cache: Path, script, runs: int = 3, **task_changes):
    _, commit = make_repo(tmp_path)
    sandbox = ScriptedSandbox(script)
    verifier = Verifier(VerifyOptions(cache_dir=env_cache, task_dir=tmp_path), sandbox, ResultCache(tmp_path))
    task = make_task(commit, **task_changes)
    return verifier, task, validate_task(verifier, task, runs), sandbox


def test_valid_task_runs_k_times_without_retry(tmp_path, env_cache):
    verifier, task, result, sandbox = run_validation(tmp_path, env_cache, lambda c, w, n: Outcome(all_tests()))
    assert result.status == VALID and result.runs == ["correct:"] * 3 and len(sandbox.calls) == 3
    assert verifier.cache.get_validation(verifier.fingerprint(task))["status"] == VALID
    assert verifier.verify(task, GOLD).kind == "correct"


def test_flaky_task_makes_verdicts_unknown(tmp_path, env_cache):
    def second_run_fails(command, workdir, number):
        return Outcome(all_tests("FAILED") if number == 2 else all_tests())

    verifier, task, result, sandbox = run_validation(tmp_path, env_cache, second_run_fails)
    assert result.status == FLAKY and len(sandbox.calls) == 3  # no retry inside validation
    verdict = verifier.verify(task, GOLD)
    assert (verdict.kind, verdict.reason) == ("unknown", reasons.TASK_INVALID)
    assert "flaky" in verdict.evidence["detail"] and len(sandbox.calls) == 3


def test_network_dependent_task_is_invalid(tmp_path, env_cache):
    offline = Outcome(all_tests("ERROR", test_double="PASSED"), output="ConnectionError: httpbin.org")
    verifier, task, result, _ = run_validation(tmp_path, env_cache, lambda c, w, n: offline, runs=2)
    assert result.status == INVALID and result.detail.startswith("tests_fail")
    assert verifier.verify(task, GOLD).reason == reasons.TASK_INVALID


def test_unavailable_is_not_recorded(tmp_path, env_cache):
    script = lambda c, w, n: Outcome(all_tests())  # noqa: E731
    verifier, task, result, _ = run_validation(
        tmp_path, env_cache, script, runs=1, environment=Environment(python="2.5")
    )
    assert result.status == UNAVAILABLE and verifier.cache.get_validation(verifier.fingerprint(task)) is None
    no_reference = make_task(task.base_commit, reference_patch="")
    assert validate_task(verifier, no_reference).status == UNAVAILABLE


def test_validate_tasks_reports_each(tmp_path, env_cache):
    _, commit = make_repo(tmp_path)
    sandbox = ScriptedSandbox(lambda c, w, n: Outcome(all_tests()))
    verifier = Verifier(VerifyOptions(cache_dir=env_cache, task_dir=tmp_path), sandbox, ResultCache(tmp_path))
    seen = []
    tasks = [make_task(commit), make_task(commit, task_id="calc-2")]
    results = validate_tasks(verifier, tasks, runs=1, on_result=seen.append)
    assert [r.task_id for r in results] == ["calc-1", "calc-2"] == [r.task_id for r in seen]


@needs_bwrap
def test_fail_to_pass_passing_without_the_fix_is_invalid(tmp_path):
    _, commit = corpus.make_repo(tmp_path)
    options = VerifyOptions(cache_dir=tmp_path / "cache", task_dir=tmp_path, use_cache=False)
    verifier = Verifier(options, BubblewrapSandbox(), ResultCache(tmp_path / "results"))
    task = corpus.make_task(commit)
    assert validate_task(verifier, task, runs=1, before=True).status == VALID
    stale = msgspec.structs.replace(
        task, task_id="calc-stale", fail_to_pass=[*task.fail_to_pass, *task.pass_to_pass], pass_to_pass=[]
    )
    result = validate_task(verifier, stale, runs=1, before=True)
    assert (result.status, result.detail) == (INVALID, f"{PASSES_BEFORE}: tests/test_calc.py::test_double")
    assert validate_task(verifier, stale, runs=1).status == VALID  # the check is asked for
