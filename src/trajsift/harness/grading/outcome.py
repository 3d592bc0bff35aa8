"""From the test runs of one verification to its verdict: each test's best status over the runs, the evidence
kept, and the confidence of a graded verdict."""

from __future__ import annotations

from trajsift import reasons
from trajsift.harness.grading.grading import FULL, PARTIAL, Grade
from trajsift.harness.grading.statuses import PASSED, SKIPPED
from trajsift.harness.grading.testrun import TestRun
from trajsift.harness.grading.verdict import Verdict, correct, incorrect, partially_correct
from trajsift.harness.patch.reference import ReferenceMetrics, confidence_adjustment

_BETTER = {PASSED: 0, SKIPPED: 1}


def graded_verdict(graded: Grade, evidence: dict, extras: dict) -> Verdict:
    """Correct / partially correct / incorrect from the grade; confidence moved by the reference comparison,
    flakiness and new syntax errors."""
    flaky = bool(evidence.get("flaky"))
    counts = {"p2p_passed": len(graded.p2p_passed), "p2p_failed": len(graded.p2p_failed), **extras}
    adjust = confidence_adjustment(ReferenceMetrics(**extras["reference"])) - (0.1 if flaky else 0.0)
    adjust -= 0.1 if extras["static"].get("new_syntax_errors") else 0.0
    passed, failed = len(graded.f2p_passed), len(graded.f2p_failed)
    if graded.resolution == FULL:
        return correct(0.9 + adjust, f2p_passed=passed, evidence=evidence, **counts)
    if graded.resolution == PARTIAL:
        return partially_correct(passed, failed, 0.7 + adjust, evidence=evidence, **counts)
    return incorrect(
        reasons.TESTS_FAIL, evidence, 0.8 if flaky else 0.95, f2p_passed=passed, f2p_failed=failed, **counts
    )


def best_of(runs: list[TestRun]) -> dict[str, str]:
    """Each test's best status over the runs (a failure is retried once before it counts)."""
    merged: dict[str, str] = {}
    for run in runs:
        for name, status in run.status.items():
            previous = merged.get(name)
            if previous is None or _BETTER.get(status, 9) < _BETTER.get(previous, 9):
                merged[name] = status
    return merged


def run_evidence(runs: list[TestRun], graded: Grade) -> dict:
    names = set(runs[0].status) | set(runs[-1].status)
    flaky = sorted(n for n in names if len(runs) > 1 and runs[0].status.get(n) != runs[-1].status.get(n))
    last = runs[-1].result
    evidence = {
        "f2p_failed": graded.f2p_failed,
        "p2p_failed": graded.p2p_failed,
        "missing": graded.missing,
        "runs": len(runs),
        "sandbox_verdict": last.verdict,
        "exit_code": last.exit_code,
        "test_seconds": [round(run.result.duration_s, 3) for run in runs],
        "command": runs[0].command,
        "log_tail": last.output[-2000:],
    }
    if flaky:
        evidence["flaky"] = flaky
    return {key: value for key, value in evidence.items() if value not in ([], None)}
