"""Whole-trajectory facts read by checks and the trajectory reward: the expected number of actions, the
step-ratio score, and the final patch's hygiene (edits left out of it, stray files and debug lines in it).
"""

from __future__ import annotations

from collections.abc import Mapping

from trajsift.facts import steps as st
from trajsift.facts.scoring import clamp
from trajsift.patches import FileDiff, is_scratch_file
from trajsift.schema import ActionType, Step, Trajectory
from trajsift.tasks import Task

_T = ActionType
EXPECTED_STEPS: dict[str, int] = {"easy": 10, "medium": 20, "hard": 30, "": 20}
"""Expected actions per task difficulty when the task has no `expected_steps`; "" = unknown difficulty."""


def expected_steps(traj: Trajectory, tasks: Mapping[str, Task], by_difficulty: Mapping[str, int]) -> int:
    """The task's own `expected_steps` when the task file gives one, else the count for its difficulty."""
    task = tasks.get(traj.task.task_id) if traj.task.task_id else None
    if task is not None and task.expected_steps:
        return max(1, task.expected_steps)
    difficulty = traj.task.difficulty or (task.difficulty if task is not None else "")
    return max(1, by_difficulty.get(difficulty, by_difficulty.get("", EXPECTED_STEPS[""])))


def step_ratio_score(steps: int, expected: int) -> float:
    """1 when steps <= expected, falling linearly to 0 at twice the expected count."""
    return clamp(2.0 - steps / expected)


def patch_hygiene(steps: list[Step], files: list[FileDiff]) -> tuple[int | None, int, int]:
    """(edited files missing from the patch, stray files in it, debug lines added by it).

    The first is None when there is no patch to compare with (empty or not recorded)."""
    stray = sum(1 for diff in files if is_scratch_file(diff) or st.is_scratch(diff.path))
    if not files:
        return None, stray, 0
    created = [step.action.target for _, step in st.indexed(steps, frozenset({_T.CREATE}))]
    edited: list[str] = []
    for _, step in st.indexed(steps, frozenset({_T.EDIT})):
        target = step.action.target
        if not st.looks_like_file(target) or st.is_scratch(target) or any(st.same_file(target, c) for c in created):
            continue
        if not any(st.same_file(target, seen) for seen in edited):
            edited.append(target)
    missing = sum(1 for target in edited if not any(st.same_file(target, diff.path) for diff in files))
    return missing, stray, st.debug_lines(files)
