"""A correct verdict stands only when its FAIL_TO_PASS tests fail without the fix (`blame.needs_the_fix`): scripted
sandboxes for the policy and its one bare run per task, then the real sandbox."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec
import pytest

from trajsift import reasons
from trajsift.harness.cache import ResultCache
from trajsift.harness.grading.verdict import CORRECT, INCORRECT, UNKNOWN
from trajsift.harness.sandbox.bubblewrap import BubblewrapSandbox
from trajsift.harness.verify import Verifier, VerifyOptions

from . import hostile_corpus as corpus
from .sandbox_helpers import needs_bwrap
from .verify_helpers import F2P, GOLD, SOURCE, WRONG, Outcome, ScriptedSandbox, all_tests, diff, make_repo, make_task


@pytest.fixture(scope="module")
def env_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("before-fix-env")


def scripted(tmp_path: Path, env_cache: Path, base_fails: bool, **options) -> tuple[Verifier, ScriptedSandbox, str]:
    _, commit = make_repo(tmp_path)
    sandbox = ScriptedSandbox(lambda command, workdir, number: Outcome(all_tests()), base_fails=base_fails)
    options = VerifyOptions(cache_dir=env_cache, task_dir=tmp_path, touched_tests=False, **options)  # calls counted
    verifier = Verifier(options, sandbox, ResultCache(tmp_path))
    return verifier, sandbox, commit


def correct_variants(count: int) -> list[str]:
    """Patches that each fix `add` their own way (distinct verifications of one task)."""
    return [diff("calc.py", SOURCE, SOURCE.replace("a - b", f"a + b + {i} - {i}")) for i in range(count)]


def test_a_task_whose_tests_pass_without_the_fix_gives_no_correct(tmp_path, env_cache):
    verifier, sandbox, commit = scripted(tmp_path, env_cache, base_fails=False)
    verdict = verifier.verify(make_task(commit), correct_variants(1)[0])
    assert (verdict.kind, verdict.reason) == (UNKNOWN, reasons.TASK_INVALID), verdict.evidence
    assert verdict.evidence["graded"] == CORRECT and verdict.evidence["fail_to_pass_without_fix"] == F2P
    assert verdict.evidence["detail"].startswith("fail_to_pass_passes_before_fix: tests/test_calc.py::test_add")
    assert verdict.f2p_passed == 2 and len(sandbox.calls) == 2  # the patch's run, then the bare run


def test_the_reference_patch_is_not_checked(tmp_path, env_cache):
    verifier, sandbox, commit = scripted(tmp_path, env_cache, base_fails=False)
    assert verifier.verify(make_task(commit), GOLD).kind == CORRECT and len(sandbox.calls) == 1
    verdict = verifier.verify(make_task(commit), correct_variants(1)[0])  # an agent's patch on the same task
    assert (verdict.kind, verdict.reason) == (UNKNOWN, reasons.TASK_INVALID) and len(sandbox.calls) == 3


def test_the_bare_run_is_made_once_per_task_and_cached(tmp_path, env_cache):
    verifier, sandbox, commit = scripted(tmp_path, env_cache, base_fails=True)
    first, second = correct_variants(2)
    assert verifier.verify(make_task(commit), first).kind == CORRECT
    assert verifier.verify(make_task(commit), second).kind == CORRECT
    assert len(sandbox.calls) == 3  # two patches, one bare run
    again = Verifier(verifier.options, ScriptedSandbox(sandbox.script), ResultCache(tmp_path))  # a new process
    assert again.verify(make_task(commit), correct_variants(3)[2]).kind == CORRECT
    assert len(again.sandbox().calls) == 1  # the bare verdict came from the cache


def test_rollouts_verified_at_once_share_one_bare_run(tmp_path, env_cache):
    verifier, sandbox, commit = scripted(tmp_path, env_cache, base_fails=False)
    with ThreadPoolExecutor(4) as pool:
        verdicts = list(pool.map(lambda patch: verifier.verify(make_task(commit), patch), correct_variants(4)))
    assert {(v.kind, v.reason) for v in verdicts} == {(UNKNOWN, reasons.TASK_INVALID)}
    assert len(sandbox.calls) == 5


def test_only_correct_verdicts_are_checked_and_the_check_can_be_off(tmp_path, env_cache):
    verifier, sandbox, commit = scripted(tmp_path, env_cache, base_fails=False)
    failing = ScriptedSandbox(lambda command, workdir, number: Outcome(all_tests("FAILED")), base_fails=False)
    wrong = Verifier(verifier.options, failing, ResultCache(tmp_path / "wrong"))
    assert wrong.verify(make_task(commit), WRONG).kind == INCORRECT and len(failing.calls) == 2  # run + retry
    off, off_sandbox, _ = scripted(tmp_path / "off", env_cache, base_fails=False, before_fix=False)
    assert off.verify(make_task(commit), correct_variants(1)[0]).kind == CORRECT and len(off_sandbox.calls) == 1


@needs_bwrap
def test_in_the_real_sandbox(tmp_path):
    _, commit = corpus.make_repo(tmp_path)
    options = VerifyOptions(cache_dir=tmp_path / "cache", task_dir=tmp_path)
    verifier = Verifier(options, BubblewrapSandbox(), ResultCache(tmp_path / "results"))
    task = corpus.make_task(commit)
    agent_fix = diff("calc.py", corpus.SOURCE, corpus.FIXED.replace("a + b", "b + a"))
    assert verifier.verify(task, agent_fix).kind == CORRECT
    stale = msgspec.structs.replace(  # a passing test listed as FAIL_TO_PASS, as a list made offline
        task, task_id="calc-stale", fail_to_pass=[*task.fail_to_pass, *task.pass_to_pass], pass_to_pass=[]
    )
    assert verifier.verify(stale, stale.reference_patch).kind == CORRECT  # the reference is not checked
    verdict = verifier.verify(stale, agent_fix)
    assert (verdict.kind, verdict.reason) == (UNKNOWN, reasons.TASK_INVALID), verdict.evidence
    assert verdict.evidence["fail_to_pass_without_fix"] == task.pass_to_pass
