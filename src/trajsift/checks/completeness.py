"""`quality.completeness`: did the agent do the whole job, and hand in only the job?

Looks for: too few steps for the task's difficulty, missing required action types for its category,
giving up (explicit give-up action, a final "I cannot ..." message), ending without a submission,
submitting prematurely (before any edit, or right after a failing run), edits that never reached the
final patch, and stray files or debug lines in the patch. `score` folds these into [0, 1].
"""

from __future__ import annotations

import re
from typing import ClassVar

import pyarrow as pa

from trajsift import reasons
from trajsift.checks._exit_status import UNKNOWN
from trajsift.checks.base import Check, CheckContext, CheckOutput, Params, Scores
from trajsift.facts import steps as st
from trajsift.facts.scoring import clamp
from trajsift.facts.trajectory import patch_hygiene
from trajsift.patches import FileDiff
from trajsift.schema import ActionType, Step, Trajectory

_T = ActionType
_GIVE_UP_PHRASE = re.compile(
    r"\bI(?:\s+am|'m)\s+(?:unable|not able)\s+to\b|\bI\s+(?:cannot|can't|can\s+not)\s+(?:proceed|continue|"
    r"resolve|fix|solve|complete|find|reproduce|determine|make)\b|\bgiv(?:e|ing)\s+up\b",
    re.I,
)
_EXIT_STATUS_AUTO = re.compile(r"exit_(?:cost|context|format|error|api|forfeit)|early_exit|autosubmi", re.I)
FINAL_MESSAGE_TAIL = 400


class CompletenessParams(Params):
    min_steps: dict[str, int] = {"easy": 3, "medium": 5, "hard": 8, "": 3}
    """Minimum number of steps per task difficulty; "" is used for unknown difficulties."""
    required_actions: dict[str, list[str | list[str]]] = {
        "bug_fix": ["edit", ["run_tests", "run_command"]],
        "feature": ["edit"],
        "": ["edit"],
    }
    """Action types each task category needs (a nested list means any one of them); "" = unknown category.
    `edit` is also met by creating a file that ends up in the final patch."""
    penalties: dict[str, float] = {
        "gave_up": 1.0,
        "no_submission": 1.0,
        "premature_submission": 0.5,
        "missing_required_action": 0.5,
        "below_min_steps": 0.3,
        "edits_missing_from_patch": 0.15,
        "stray_files_in_patch": 0.1,
        "debug_code_in_patch": 0.1,
    }
    """Score penalty per finding code; the score is the product of (1 - penalty) over the findings."""


class CompletenessCheck(Check[CompletenessParams]):
    id = "quality.completeness"
    description = "Whole job done and handed in: steps, required actions, give-up, submission, patch hygiene."
    columns: ClassVar[dict[str, pa.DataType]] = {
        "score": pa.float64(),
        "missing_required_actions": pa.int32(),
        "gave_up": pa.bool_(),
        "submitted": pa.bool_(),
        "premature_submission": pa.bool_(),
        "edits_missing_from_patch": pa.int32(),
        "stray_files": pa.int32(),
        "debug_lines": pa.int32(),
    }

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        params = self.params
        steps = traj.steps
        minimum = params.min_steps.get(traj.task.difficulty, params.min_steps.get("", 0))
        files = st.patch_files(traj.final.patch)
        missing = missing_required(steps, files, _requirements(params, traj.task.category))
        gave_up = has_given_up(steps)
        submitted = is_submitted(traj)
        premature = bool(submitted) and is_premature(steps)
        missing_edits, stray, debug = patch_hygiene(steps, files)
        findings = [
            code
            for flagged, code in (
                (len(steps) < minimum, reasons.BELOW_MIN_STEPS),
                (missing, reasons.MISSING_REQUIRED_ACTION),
                (gave_up, reasons.GAVE_UP),
                (submitted is False, reasons.NO_SUBMISSION),
                (premature, reasons.PREMATURE_SUBMISSION),
                (missing_edits, reasons.EDITS_MISSING_FROM_PATCH),
                (stray, reasons.STRAY_FILES_IN_PATCH),
                (debug, reasons.DEBUG_CODE_IN_PATCH),
            )
            if flagged
        ]
        score = 1.0
        for code in findings:
            score *= 1.0 - clamp(params.penalties.get(code, 0.0))
        return self.output(
            findings=findings,
            score=score,
            missing_required_actions=missing,
            gave_up=gave_up,
            submitted=submitted,
            premature_submission=premature,
            edits_missing_from_patch=missing_edits,
            stray_files=stray,
            debug_lines=debug,
        )


def _requirements(params: CompletenessParams, category: str) -> list[str | list[str]]:
    return params.required_actions.get(category, params.required_actions.get("", []))


def missing_required(steps: list[Step], files: list[FileDiff], required: list[str | list[str]]) -> int:
    """How many requirements no step meets (each requirement: one action type or a list of alternatives)."""
    present = {step.action.type.value for step in steps}
    if "edit" not in present and _created_patch_file(steps, files):
        present.add("edit")
    return sum(1 for need in required if not present.intersection([need] if isinstance(need, str) else need))


def _created_patch_file(steps: list[Step], files: list[FileDiff]) -> bool:
    return any(
        st.same_file(step.action.target, diff.path)
        for _, step in st.indexed(steps, frozenset({_T.CREATE}))
        for diff in files
    )


def has_given_up(steps: list[Step]) -> bool:
    """An explicit give-up action, or a final message that says the agent cannot do the task."""
    last_give_up = st.last_index(steps, _T.GIVE_UP)
    if (
        last_give_up is not None
    ):  # a sub-agent giving up its part (CodeR's `fail`) counts only if nothing was submitted after
        return (st.last_index(steps, _T.SUBMIT) or -1) < last_give_up
    for step in reversed(steps):
        if step.thought.strip():
            return bool(_GIVE_UP_PHRASE.search(step.thought[-FINAL_MESSAGE_TAIL:]))
    return False


def is_submitted(traj: Trajectory) -> bool | None:
    """The agent handed in its work: a submit action, or a submitted final state not forced by a limit; None when
    the log cannot tell (the exit status `unknown` a reader writes then, e.g. for Gemini CLI sessions)."""
    if any(step.action.type is _T.SUBMIT for step in traj.steps):
        return True
    if not traj.final.submitted:
        return None if traj.final.exit_status.strip().lower() == UNKNOWN else False
    return not _EXIT_STATUS_AUTO.search(traj.final.exit_status)


def is_premature(steps: list[Step]) -> bool:
    """Submitted before any change, or right after a failing run with no passing run or edit since."""
    submit = st.last_index(steps, _T.SUBMIT)
    if submit is None:
        return False
    first_change = next((i for i, _ in st.indexed(steps, st.CHANGES)), None)
    if first_change is None or first_change > submit:
        return True
    for i in range(submit - 1, -1, -1):
        kind = steps[i].action.type
        if kind in st.CHANGES:
            return False
        if kind in st.EXECUTIONS:
            return st.failed(steps[i].observation)
    return False
