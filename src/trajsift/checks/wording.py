"""`quality.wording`: what the words of a run show, the same way for every format.

- `hesitation`: hesitation words ("wait", "actually", "however", "still", "not sure", ...) per 100 words of the
  agent's own reasoning (its thoughts). Null when the run records no reasoning. How much an agent hesitates
  depends on the model: the calibrated score reads it against the run's cohort (`quality.relative`).
- `statement_overlap`: 1.0 when the run's change (final patch with its hunk headers, else its editor calls)
  names a code identifier the task statement names (snake_case, dotted or CamelCase names, defined names),
  0.0 when both name some and none is shared; null when either names none.
"""

from __future__ import annotations

import re
from typing import ClassVar

import pyarrow as pa

from trajsift.checks.base import Check, CheckContext, CheckOutput, Scores
from trajsift.checks.evidence import changes
from trajsift.facts.wording import hesitation_rate, names_overlap
from trajsift.schema import Trajectory

_HUNK_CONTEXT = re.compile(r"^@@[^@\n]*@@[ \t]?(.*)$", re.M)
MAX_LINES = 2_000


class WordingCheck(Check):
    id = "quality.wording"
    description = "The agent's hesitation in its reasoning; the change names identifiers of the task statement."
    columns: ClassVar[dict[str, pa.DataType]] = {"hesitation": pa.float64(), "statement_overlap": pa.float64()}

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        task = ctx.tasks.get(traj.task.task_id)
        statement = (task.instruction if task is not None else "") or traj.task.instruction
        return self.output(
            hesitation=hesitation_rate(traj.steps),
            statement_overlap=names_overlap(statement, change_text(traj)),
        )


def change_text(traj: Trajectory) -> str:
    """The run's change as text: hunk headers of its final patch and the changed lines (bounded)."""
    change = changes(traj)
    headers = _HUNK_CONTEXT.findall(traj.final.patch) if change.from_patch else []
    return "\n".join([*headers, *change.added[:MAX_LINES], *change.removed[:MAX_LINES]])
