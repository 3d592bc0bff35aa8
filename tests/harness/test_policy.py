"""Verdict policy shared with the SWE-bench harness: network-only failures are unknown, never incorrect; a
PASS_TO_PASS test that failed only for want of the network is neutral, like a skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from trajsift import reasons
from trajsift.harness.cache import ResultCache
from trajsift.harness.grading.verdict import CORRECT, INCORRECT, UNKNOWN
from trajsift.harness.verify import Verifier, VerifyOptions

from .verify_helpers import F2P, GOLD, P2P, WRONG, Outcome, ScriptedSandbox, all_tests, make_repo, make_task

OFFLINE = "requests.exceptions.ConnectionError: Failed to establish a new connection: [Errno -3] Temporary failure"


@pytest.fixture(scope="module")
def env_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("harness-cache")


def verifier_with(root: Path, env_cache: Path, statuses: dict[str, str], messages: dict[str, str]) -> Verifier:
    lines = [f"{s} {n}" + (f" - {messages[n]}" if n in messages else "") for n, s in statuses.items()]
    output = "=== short test summary info ===\n" + "\n".join(lines) + "\n=== end ===\n"
    sandbox = ScriptedSandbox(lambda command, workdir, number: Outcome(statuses, output=output))
    options = VerifyOptions(cache_dir=env_cache, task_dir=root, retry=False)
    return Verifier(options, sandbox=sandbox, cache=ResultCache(root))


def test_only_offline_failures_give_unknown_with_the_test_names(tmp_path, env_cache):
    _, commit = make_repo(tmp_path)
    failing = all_tests(test_add="FAILED")
    verifier = verifier_with(tmp_path, env_cache, failing, {F2P[0]: OFFLINE})
    verdict = verifier.verify(make_task(commit), WRONG)
    assert (verdict.kind, verdict.reason) == (UNKNOWN, reasons.NETWORK_REQUIRED)
    assert verdict.evidence["network_tests"] == [F2P[0]]


def test_a_real_failure_next_to_an_offline_one_is_incorrect(tmp_path, env_cache):
    _, commit = make_repo(tmp_path)
    failing = all_tests(test_add="FAILED", test_add_zero="FAILED")
    verifier = verifier_with(tmp_path, env_cache, failing, {F2P[0]: OFFLINE, F2P[1]: "AssertionError: 5 != 6"})
    verdict = verifier.verify(make_task(commit), GOLD)
    assert (verdict.kind, verdict.reason) == (INCORRECT, reasons.TESTS_FAIL)


def test_an_offline_pass_to_pass_failure_is_neutral_and_named(tmp_path, env_cache):
    _, commit = make_repo(tmp_path)
    verifier = verifier_with(tmp_path, env_cache, all_tests(test_double="FAILED"), {P2P[0]: OFFLINE})
    verdict = verifier.verify(make_task(commit), GOLD)
    assert verdict.kind == CORRECT and verdict.evidence["network_tests"] == P2P
    assert "p2p_failed" not in verdict.evidence


def test_an_offline_pass_to_pass_failure_does_not_hide_a_real_one(tmp_path, env_cache):
    _, commit = make_repo(tmp_path)
    failing = all_tests("FAILED")
    verifier = verifier_with(tmp_path, env_cache, failing, {P2P[0]: OFFLINE, F2P[0]: "AssertionError: 5 != 6"})
    verdict = verifier.verify(make_task(commit), WRONG)
    assert (verdict.kind, verdict.reason) == (INCORRECT, reasons.TESTS_FAIL)
    assert verdict.evidence["network_tests"] == P2P and verdict.evidence["f2p_failed"] == F2P


def test_offline_fail_to_pass_beside_an_offline_pass_to_pass_is_unknown(tmp_path, env_cache):
    _, commit = make_repo(tmp_path)
    failing = all_tests(test_add="FAILED", test_double="FAILED")
    verifier = verifier_with(tmp_path, env_cache, failing, {P2P[0]: OFFLINE, F2P[0]: OFFLINE})
    verdict = verifier.verify(make_task(commit), GOLD)
    assert (verdict.kind, verdict.reason) == (UNKNOWN, reasons.NETWORK_REQUIRED)
    assert sorted(verdict.evidence["network_tests"]) == sorted([F2P[0], P2P[0]])
