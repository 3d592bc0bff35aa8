"""Whose doing a failure is, when the run alone cannot tell: the agent's patch, or the harness's environment.

- Resource verdicts and runs in which none of the listed tests ran: the task's reference patch is verified the
  same way (cached); correct there means the agent's patch caused it (`incorrect`), else `unknown`.
- pytest stopping before any test (exit 3/4: internal or usage error, e.g. a conftest that cannot import in
  this environment, `integrity.RunEvidence.startup_exit`): the tests run once on the base tree with the test
  patch alone. The same stop there is an environment problem (`unknown(tests_not_run)`, with the reason); a
  base tree that starts means the patch caused it (`incorrect(tests_fail)`).
- A correct verdict on a task whose FAIL_TO_PASS tests already pass on the base tree with the test patch alone
  proves nothing (lists recorded while a test's network host was down: requests-863's all pass offline here):
  `unknown(task_invalid)` naming those tests, the bare run made once per task and cached (`needs_the_fix`).
"""

from __future__ import annotations

import threading
from typing import Protocol

from trajsift import reasons
from trajsift.harness.cache import ResultCache, patch_hash
from trajsift.harness.grading.verdict import CORRECT, UNKNOWN, Verdict, bounded_evidence, incorrect, unknown
from trajsift.tasks import Task


class Verifier(Protocol):
    """What of `verify.Verifier` the blame needs (that module imports this one)."""

    cache: ResultCache

    def base_lock(self, task_fp: str) -> BaseLock: ...

    def fingerprint(self, task: Task) -> str: ...

    def verify(self, task: Task, patch: str) -> Verdict: ...

    def run(self, task: Task, patch: str, retry: bool = True, bare: bool = False) -> Verdict: ...


PASSES_BEFORE = "fail_to_pass_passes_before_fix"


class BaseLock:
    """A task's bare-run lock: reentrant, and `running` while its holder makes the run."""

    def __init__(self) -> None:
        self._lock, self.running = threading.RLock(), False

    def __enter__(self) -> BaseLock:
        self._lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


STARTUP_CAUSES = {3: "pytest internal error", 4: "pytest usage error (e.g. a conftest that cannot import)"}


def blame_on_reference(
    verifier: Verifier, task: Task, patch: str, infra: str, caused: str, evidence: dict, extras: dict
) -> Verdict:
    """Incorrect when the reference patch runs fine here (the agent's patch caused it), else unknown."""
    if not task.reference_patch.strip() or patch == task.reference_patch:
        return unknown(infra, evidence=evidence, **extras)
    baseline = verifier.verify(task, task.reference_patch)
    evidence = {**evidence, "reference_verdict": baseline.kind}
    if baseline.kind == CORRECT:
        return incorrect(caused, {**evidence, "cause": infra}, confidence=0.9, **extras)
    return unknown(infra, evidence=evidence, **extras)


def blame_startup(
    verifier: Verifier, task: Task, patch: str, exit_status: int, evidence: dict, extras: dict
) -> Verdict:
    """pytest stopped with `exit_status` before any test: the patch's doing only if the base tree starts."""
    cause = STARTUP_CAUSES.get(exit_status, f"pytest exit status {exit_status}")
    evidence = {**evidence, "startup_exit": exit_status}
    if not patch.strip():  # this is the base tree
        return unknown(reasons.TESTS_NOT_RUN, f"{cause} before any test ran", evidence=evidence, **extras)
    base = base_verdict(verifier, task)
    if "startup_exit" in base.evidence:
        detail = f"{cause} before any test ran, on the base tree too: an environment problem"
        return unknown(reasons.TESTS_NOT_RUN, detail, evidence=evidence, **extras)
    if base.kind == UNKNOWN:
        detail = f"{cause} before any test ran; the base tree could not be judged ({base.reason})"
        return unknown(reasons.TESTS_NOT_RUN, detail, evidence=evidence, **extras)
    detail = f"{cause} with the patch only: the base tree with the test patch runs its tests"
    return incorrect(reasons.TESTS_FAIL, {**evidence, "cause": detail}, confidence=0.95, **extras)


def base_verdict(verifier: Verifier, task: Task, task_fp: str = "") -> Verdict:
    """The bare run (base tree and test patch, no fix), cached under the empty patch's hash when judged; one at a
    time (the k rollouts of a task verified at once ask for it together). `task_fp`: the task's fingerprint when
    the caller has it."""
    task_fp, digest = task_fp or verifier.fingerprint(task), patch_hash("")
    lock = verifier.base_lock(task_fp)  # reentrant: the bare run can verify the reference, which asks again
    with lock:
        cached = verifier.cache.get(task_fp, digest)
        if cached is not None:
            return cached
        if lock.running:
            return unknown(reasons.TESTS_NOT_RUN, "asked for within the bare run itself")
        lock.running = True
        try:
            verdict = verifier.run(task, "", retry=False, bare=True)
        finally:
            lock.running = False
        verifier.cache.put(task_fp, digest, verdict)
    return verdict


def passing_without_fix(verifier: Verifier, task: Task, task_fp: str = "") -> list[str]:
    """The FAIL_TO_PASS tests that pass on the base tree with the test patch alone ([] when it cannot be judged)."""
    base = base_verdict(verifier, task, task_fp)
    if base.kind == UNKNOWN:
        return []
    failed = {*base.evidence.get("f2p_failed", []), *base.evidence.get("missing", [])}
    return [name for name in task.fail_to_pass if name not in failed]


def passes_before_detail(passing: list[str]) -> str:
    return f"{PASSES_BEFORE}: {', '.join(passing[:5])}"


def needs_the_fix(verifier: Verifier, task: Task, verdict: Verdict, task_fp: str = "") -> Verdict:
    """A correct verdict stands when its FAIL_TO_PASS tests fail without the fix; else `unknown(task_invalid)`,
    its counts and evidence kept."""
    if verdict.kind != CORRECT:
        return verdict
    passing = passing_without_fix(verifier, task, task_fp)
    if not passing:
        return verdict
    detail = passes_before_detail(passing)
    evidence = {**verdict.evidence, "graded": CORRECT, "fail_to_pass_without_fix": passing, "detail": detail}
    return verdict.with_(
        kind=UNKNOWN, reason=reasons.TASK_INVALID, confidence=None, evidence=bounded_evidence(evidence)
    )
