"""Whose doing a failure is, when the run alone cannot tell: the agent's patch, or the harness's environment.

- Resource verdicts and runs in which none of the listed tests ran: the task's reference patch is verified the
  same way (cached); correct there means the agent's patch caused it (`incorrect`), else `unknown`.
- pytest stopping before any test (exit 3/4: internal or usage error, e.g. a conftest that cannot import in
  this environment, `integrity.RunEvidence.startup_exit`): the tests run once on the base tree with the test
  patch alone. The same stop there is an environment problem (`unknown(tests_not_run)`, with the reason); a
  base tree that starts means the patch caused it (`incorrect(tests_fail)`).
"""

from __future__ import annotations

from typing import Protocol

from trajsift import reasons
from trajsift.harness.cache import ResultCache, patch_hash
from trajsift.harness.grading.verdict import CORRECT, UNKNOWN, Verdict, incorrect, unknown
from trajsift.tasks import Task


class Verifier(Protocol):
    """What of `verify.Verifier` the blame needs (that module imports this one)."""

    cache: ResultCache

    def fingerprint(self, task: Task) -> str: ...

    def verify(self, task: Task, patch: str) -> Verdict: ...

    def run(self, task: Task, patch: str, retry: bool = True, bare: bool = False) -> Verdict: ...


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


def base_verdict(verifier: Verifier, task: Task) -> Verdict:
    """The bare run (base tree and test patch, no fix), cached under the empty patch's hash when judged."""
    task_fp, digest = verifier.fingerprint(task), patch_hash("")
    cached = verifier.cache.get(task_fp, digest)
    if cached is not None:
        return cached
    verdict = verifier.run(task, "", retry=False, bare=True)
    verifier.cache.put(task_fp, digest, verdict)
    return verdict
