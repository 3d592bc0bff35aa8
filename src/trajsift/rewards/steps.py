"""Per-step rewards from evidence: progress toward the task, test-pass changes the agent saw, syntax status,
error penalties. Nothing is measured against the trajectory's own final patch (a wrong fix would credit
itself), and nothing the agent could not have seen at that step is used.

A step's reward is the weighted sum (weights: `RewardSpec.step_weights`) of its parts:
- `progress`: change in task progress, the mean of what the task lets us measure: the share of the
  reference patch's hunks present after the step (`reference_progress`, `trajsift.rewards.progress`) and
  the share of the task's FAIL_TO_PASS tests the agent's own runs last showed passing (`task_tests`);
  None (adds nothing) for a task with neither. `reference_files` is the share of the reference patch's
  files changed so far (informational).
- `tests`: change in pass fraction shown by a test-runner output (pytest, unittest, Django, sympy;
  `trajsift.facts.testruns`): per test against each test's last seen status when the output lists tests,
  else against the previous summary of the same command; 0 when there is nothing to compare with.
- `syntax`: +1 when an edited file turns good (a successful edit of a file whose last edit an editor
  refused for syntax errors, or that a run reported a SyntaxError in), -1 when one turns bad;
- `errors`: -1 when a command that ran cleanly before now fails (a regression), -0.5 for a change action
  the tool rejected for another reason (no replacement performed, bad path).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from trajsift.facts import steps as st
from trajsift.facts.edits import RUN_SYNTAX_ERROR, step_edit
from trajsift.facts.scoring import mean_known
from trajsift.facts.testruns import TestState, repo_of
from trajsift.rewards.progress import ProgressTracker, patch_targets
from trajsift.schema import Step, Trajectory

if TYPE_CHECKING:
    from trajsift.tasks import Task

REGRESSION = -1.0
REJECTED_CHANGE = -0.5
PARTS = ("progress", "tests", "syntax", "errors")


@dataclass
class StepReward:
    step_index: int
    reward: float
    progress: float | None = None
    """Task progress after this step (the curve; its change is the `progress` part)."""
    progress_delta: float | None = None
    reference_progress: float | None = None
    reference_files: float | None = None
    task_tests: float | None = None
    tests_passed: int | None = None
    tests_failed: int | None = None
    tests_delta: float = 0.0
    syntax: float = 0.0
    errors: float = 0.0


class _SyntaxState:
    """Files currently known to be syntactically broken (by an editor's refusal or a run's SyntaxError)."""

    def __init__(self) -> None:
        self.bad: list[str] = []
        self.edited: list[str] = []

    def _is_bad(self, path: str) -> bool:
        return any(st.same_file(path, bad) for bad in self.bad)

    def after_edit(self, files: list[str], refused: bool, applied: bool) -> float:
        change = 0.0
        for path in files:
            if refused and not self._is_bad(path):
                self.bad.append(path)
                change -= 1.0
            elif applied and self._is_bad(path):
                self.bad = [bad for bad in self.bad if not st.same_file(path, bad)]
                change += 1.0
            if applied and not any(st.same_file(path, e) for e in self.edited):
                self.edited.append(path)
        return max(-1.0, min(1.0, change))

    def after_run(self, text: str) -> float:
        match = RUN_SYNTAX_ERROR.search(text[-st.TAIL :])
        if match is None:
            return 0.0
        path = match["file"]
        if self._is_bad(path) or not any(st.same_file(path, e) for e in self.edited):
            return 0.0
        self.bad.append(path)
        return -1.0


def step_rewards(traj: Trajectory, weights: dict[str, float], task: Task | None = None) -> list[StepReward]:
    """One `StepReward` per step of `traj`, in order (`step_index` is the position in `traj.steps`)."""
    reference_patch = task.reference_patch if task is not None else ""
    reference = ProgressTracker(patch_targets(reference_patch)) if reference_patch.strip() else None
    fail_to_pass = list(task.fail_to_pass) if task is not None else []
    syntax = _SyntaxState()
    tests = TestState(repo_of(traj.task.task_id, traj.task.repo))
    last_failed: dict[str, bool] = {}
    before: float | None = None
    rewards = []
    for index, step in enumerate(traj.steps):
        out = StepReward(step_index=index, reward=0.0)
        _score_change(step, reference, syntax, out)
        if step.action.type in st.EXECUTIONS:
            out.syntax = syntax.after_run(step.observation.text)
            _score_run(step, tests, out, last_failed)
        if reference is not None:
            out.reference_progress, out.reference_files = reference.coverage(), reference.files_changed()
        out.task_tests = tests.share_passing(fail_to_pass) if fail_to_pass else None
        out.progress = mean_known([out.reference_progress, out.task_tests])
        out.progress_delta = _delta(out.progress, before)
        before = out.progress if out.progress is not None else before
        out.reward = combine(out, weights)
        rewards.append(out)
    return rewards


def _score_change(step: Step, reference: ProgressTracker | None, syntax: _SyntaxState, out: StepReward) -> None:
    edit = reference.step(step) if reference is not None else step_edit(step)
    if edit is not None:
        out.syntax = syntax.after_edit(edit.files, edit.syntax_refused, edit.applied)
        if not edit.applied and not edit.syntax_refused:
            out.errors = REJECTED_CHANGE
    elif step.action.type in st.CHANGES and st.flagged(step.observation):
        out.errors = REJECTED_CHANGE


def _score_run(step: Step, tests: TestState, out: StepReward, last_failed: dict[str, bool]) -> None:
    key = st.command_key(step)
    failed = st.failed(step.observation)
    if failed and last_failed.get(key) is False:
        out.errors = min(out.errors, REGRESSION)
    last_failed[key] = failed
    counts, delta = tests.observe(key, step.observation.text)
    if counts is not None:
        out.tests_passed, out.tests_failed = counts.passed, counts.failed
    out.tests_delta = delta or 0.0


def _delta(now: float | None, before: float | None) -> float | None:
    if now is None:
        return None
    return now - (before or 0.0)


def combine(out: StepReward, weights: dict[str, float]) -> float:
    parts = {
        "progress": out.progress_delta,
        "tests": out.tests_delta,
        "syntax": out.syntax,
        "errors": out.errors,
    }
    return sum(weights.get(name, 0.0) * value for name, value in parts.items() if value is not None)
