"""`quality.reference`: how much the run's change overlaps the task's reference patch, without running anything.

Cheap and available when tests cannot run. A signal for the calibrated score, never a rule on its own: a
novel correct fix may touch other lines. `available`: the task has a reference patch. The other columns are
null when it has none (or the task is unknown), or when the run changed nothing. The run's change is its
final patch, else its editor calls.
- `file_recall`: share of the reference's files the run changed (paths compared by suffix).
- `file_precision`: share of the run's changed files that the reference changes.
- `removed_recall`: share of the reference's removed lines (whitespace-normalised) the run removed too: the
  run changed the same code. Null when the reference removes nothing.
- `added_recall`: share of the reference's added lines the run added too.
- `function_recall`: share of the functions / classes named in the reference's hunk headers whose name
  appears in the run's hunk headers or changed lines.
"""

from __future__ import annotations

import re
from typing import ClassVar

import pyarrow as pa

from trajsift.checks.base import Check, CheckContext, CheckOutput, Scores
from trajsift.facts import steps as st
from trajsift.facts.changes import Changes, changes
from trajsift.schema import Trajectory

_HUNK_CONTEXT = re.compile(r"^@@[^@\n]*@@[ \t]?(.*)$", re.M)
_DEFINITION = re.compile(r"\b(?:def|class|func|function|fn)\s+(\w+)")
MAX_LINES = 5_000


def _norm(line: str) -> str:
    return " ".join(line.split())


def _line_set(lines: list[str]) -> set[str]:
    return {norm for line in lines[:MAX_LINES] if (norm := _norm(line))}


def _share(wanted: set[str], found: set[str]) -> float | None:
    return len(wanted & found) / len(wanted) if wanted else None


class ReferenceCheck(Check):
    id = "quality.reference"
    description = "Overlap with the task's reference patch: files, removed and added lines, functions."
    columns: ClassVar[dict[str, pa.DataType]] = {
        "available": pa.bool_(),
        "file_recall": pa.float64(),
        "file_precision": pa.float64(),
        "removed_recall": pa.float64(),
        "added_recall": pa.float64(),
        "function_recall": pa.float64(),
    }

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        task = ctx.tasks.get(traj.task.task_id)
        reference = task.reference_patch if task is not None else ""
        gold = st.patch_files(reference)
        mine = changes(traj)
        if not gold or not mine.files:
            return self.output(available=bool(gold))
        return self.output(available=True, **overlap(reference, gold, mine, traj.final.patch))


def overlap(reference: str, gold: list, mine: Changes, patch: str = "") -> dict[str, float | None]:
    gold_files = [diff.path for diff in gold]
    names = {name for context in _HUNK_CONTEXT.findall(reference) for name in _DEFINITION.findall(context)}
    changed_text = "\n".join([*_HUNK_CONTEXT.findall(patch), *mine.removed[:MAX_LINES], *mine.added[:MAX_LINES]])
    return {
        "file_recall": _file_share(gold_files, mine.files),
        "file_precision": _file_share(mine.files, gold_files),
        "removed_recall": _share(_line_set([line for diff in gold for line in diff.removed]), _line_set(mine.removed)),
        "added_recall": _share(_line_set([line for diff in gold for line in diff.added]), _line_set(mine.added)),
        "function_recall": sum(1 for name in names if name in changed_text) / len(names) if names else None,
    }


def _file_share(files: list[str], others: list[str]) -> float:
    return sum(1 for path in files if any(st.same_file(path, other) for other in others)) / len(files)
