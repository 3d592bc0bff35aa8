"""`quality.wording`: what the words of a run show, the same way for every format.

- `hesitation`: hesitation words ("wait", "actually", "however", "still", "not sure", ...) per 100 words of the
  agent's own reasoning (its thoughts). Null when the run records no reasoning. How much an agent hesitates
  depends on the model: the calibrated score reads it against the run's cohort (`quality.relative`).
- `statement_overlap`: 1.0 when the run's change (final patch with its hunk headers, else its editor calls)
  names a code identifier the task statement names (snake_case, dotted or CamelCase names, defined names),
  0.0 when both name some and none is shared; null when either names none.
- `claim_backed`: the final message's claim that the fix was checked ("tests pass", "verified"), held against
  the run's executions: +1 the claim is made and the last execution after the last source edit passed, -1 it
  is made and nothing ran after that edit or the last run failed, 0 no such claim. Null when the run never
  edited a source file or never executed anything (a scaffold without executions can neither back nor
  contradict a claim).
"""

from __future__ import annotations

import re
from typing import ClassVar

import pyarrow as pa

from trajsift.checks.base import Check, CheckContext, CheckOutput, Scores
from trajsift.checks.evidence import is_execution, run_passed, scripted_edits, source_edits
from trajsift.facts.changes import Changes, changes
from trajsift.facts.testruns import repo_of
from trajsift.facts.wording import claims_verified, hesitation_rate, last_words, names_overlap
from trajsift.schema import Trajectory

_HUNK_CONTEXT = re.compile(r"^@@[^@\n]*@@[ \t]?(.*)$", re.M)
MAX_LINES = 2_000


class WordingCheck(Check):
    id = "quality.wording"
    description = (
        "The agent's hesitation in its reasoning; the change names identifiers of the task statement; the final "
        "claim that the fix was checked, backed or not by the last execution after the last edit."
    )
    columns: ClassVar[dict[str, pa.DataType]] = {
        "hesitation": pa.float64(),
        "statement_overlap": pa.float64(),
        "claim_backed": pa.float64(),
    }

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        task = ctx.tasks.get(traj.task.task_id)
        statement = (task.instruction if task is not None else "") or traj.task.instruction
        change = changes(traj)  # once for both columns
        return self.output(
            hesitation=hesitation_rate(traj.steps),
            statement_overlap=names_overlap(statement, change_text(traj, change)),
            claim_backed=claim_backed(traj, change.files),
        )


def change_text(traj: Trajectory, change: Changes) -> str:
    """The run's change (`changes(traj)`) as text: hunk headers of its final patch and the changed lines
    (bounded)."""
    headers = _HUNK_CONTEXT.findall(traj.final.patch) if change.from_patch else []
    return "\n".join([*headers, *change.added[:MAX_LINES], *change.removed[:MAX_LINES]])


def claim_backed(traj: Trajectory, files: list[str]) -> float | None:
    """+1 / -1 / 0 / None as `claim_backed` in the module docstring (`files`: the run's changed files)."""
    steps = traj.steps
    scripted = scripted_edits(traj, files)
    edits = source_edits(traj, files, scripted)
    if not edits or not any(is_execution(step) for step in steps):
        return None
    if not claims_verified(last_words(steps, traj.metadata.get("final_answer"))):
        return 0.0
    last = edits[-1]  # the last edit's own step may run, unless running code was the edit
    after = [s for i, s in enumerate(steps[last:], last) if is_execution(s) and i not in scripted]
    backed = bool(after) and run_passed(after[-1], repo_of(traj.task.task_id, traj.task.repo))
    return 1.0 if backed else -1.0
