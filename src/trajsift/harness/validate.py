"""Task validation: run each task's reference patch k times and keep only tasks whose reference always passes.

Each run is a fresh, uncached verification without the retry (a retry would hide the flakiness this looks for).
Status per task:
- `valid`: the reference patch was judged correct in every run;
- `flaky`: correct in some runs, not in others (hash-seed-, order- or timing-dependent tests);
- `invalid`: never correct while the harness could judge it (tests that need the network, a broken test patch,
  a reference that does not fix the listed tests, timeouts);
- `unavailable`: no run could be judged (no environment, no sandbox): nothing is recorded against the task.
With `before`, a task whose reference always passes is also run once without it (base tree and test patch
alone): a FAIL_TO_PASS test that passes there teaches nothing, and the task is `invalid`
(`fail_to_pass_passes_before_fix`, naming the tests).
A task rejected at load (`tasks.task_problems`: empty test patch or FAIL_TO_PASS) is `invalid` without a run,
its detail naming the field.
Results are stored in the harness cache; verifications on `flaky` or `invalid` tasks are `unknown(task_invalid)`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from trajsift.harness.blame import passes_before_detail, passing_without_fix
from trajsift.harness.grading.verdict import CORRECT, UNKNOWN, Verdict
from trajsift.harness.verify import Verifier
from trajsift.tasks import Task, task_problems

VALID, FLAKY, INVALID, UNAVAILABLE = "valid", "flaky", "invalid", "unavailable"
DEFAULT_RUNS = 3


@dataclass
class TaskValidation:
    task_id: str
    status: str
    runs: list[str] = field(default_factory=list)
    """`kind:reason` of each run's verdict."""
    detail: str = ""
    seconds: float = 0.0


def classify(verdicts: list[Verdict]) -> tuple[str, str]:
    """(status, detail) from the verdicts of the reference patch's runs."""
    judged = [v for v in verdicts if v.kind != UNKNOWN]
    correct = sum(v.kind == CORRECT for v in verdicts)
    if not judged:
        infra = Counter(v.reason for v in verdicts).most_common(1)
        return UNAVAILABLE, infra[0][0] if infra else "no runs"
    if correct == len(verdicts):
        return VALID, ""
    failing = next(v for v in verdicts if v.kind != CORRECT)
    detail = failing.reason
    names = failing.evidence.get("f2p_failed", []) + failing.evidence.get("p2p_failed", [])
    if names:
        detail += ": " + ", ".join(names[:5])
    return (FLAKY if correct else INVALID), detail


def passes_before(verifier: Verifier, task: Task) -> str:
    """Why the task's tests do not need its fix (FAIL_TO_PASS tests passing on the base tree with the test patch
    alone), or "" when every one of them fails there or the bare run could not be judged."""
    passing = passing_without_fix(verifier, task)
    return passes_before_detail(passing) if passing else ""


def validate_task(verifier: Verifier, task: Task, runs: int = DEFAULT_RUNS, before: bool = False) -> TaskValidation:
    """Run the reference patch `runs` times (and, with `before`, the tests once without it); store and return
    the task's status."""
    problems = task_problems(task)
    if problems:
        return TaskValidation(task.task_id, INVALID, detail="; ".join(problems))
    if not task.reference_patch.strip():
        return TaskValidation(task.task_id, UNAVAILABLE, detail="the task has no reference patch")
    started = time.monotonic()
    verdicts = [verifier.run(task, task.reference_patch, retry=False) for _ in range(max(1, runs))]
    status, detail = classify(verdicts)
    if before and status == VALID and (problem := passes_before(verifier, task)):
        status, detail = INVALID, problem
    seconds = round(time.monotonic() - started, 3)
    result = TaskValidation(task.task_id, status, [f"{v.kind}:{v.reason}" for v in verdicts], detail, seconds)
    if status != UNAVAILABLE:
        info = {"runs": result.runs, "detail": detail}
        verifier.cache.put_validation(verifier.fingerprint(task), task.task_id, status, info)
    return result


def validate_tasks(
    verifier: Verifier,
    tasks: Iterable[Task],
    runs: int = DEFAULT_RUNS,
    on_result: Callable[[TaskValidation], None] | None = None,
    before: bool = False,
) -> list[TaskValidation]:
    results = []
    for task in tasks:
        result = validate_task(verifier, task, runs, before)
        if on_result:
            on_result(result)
        results.append(result)
    return results
