"""Stage 1, the basic filter: runs that crashed, hit a budget, or did nothing useful.

Only what certainly cannot train anything is flagged: a run that ends with a patch in hand is graded by the
harness whatever stopped it, so its limit exit, crash or malformed turns are columns (signals), not drops.
- `basic.status`: how the run ended (normalised exit status, see `_exit_status`); without a patch, findings
  for an agent or scaffold crash (`agent_crashed`), an infrastructure failure (`infra_failure`, kept apart:
  not the agent's fault) and malformed model output (`format_error`).
- `basic.limits`: budgets. A limit exit of the scaffold (`exit_cost`, `exit_context`, `LimitsExceeded`,
  timeouts) without a patch, or a recipe threshold (`max_steps`, `max_cost`, `max_tokens`, `max_duration_s`).
- `basic.content`: what the run did: no real action and no patch (`empty_run`: a patch written in one answer,
  no tool used, is not empty), no patch where the log records patches
  (`no_patch`; `patch_status` is `unknown` where it cannot tell), only reads and searches (`only_reads`), a
  patch that changes nothing real (`trivial_patch`).
"""

from __future__ import annotations

import re
from typing import ClassVar

import pyarrow as pa

from trajsift import reasons
from trajsift.checks import _exit_status as ends
from trajsift.checks.base import Check, CheckContext, CheckOutput, Params, Scores
from trajsift.facts import steps as st
from trajsift.patches import is_cosmetic, is_scratch_file
from trajsift.schema import (
    PATCH_NONE,
    PATCH_OBSERVED_DIFF,
    PATCH_RECORDED,
    PATCH_UNKNOWN,
    ActionType,
    Step,
    Trajectory,
)

_T = ActionType
PASSIVE = st.LOOKS | {_T.THINK, _T.SUBMIT, _T.GIVE_UP}
"""Actions that change nothing: a run made only of these read the code and left."""
FORMAT_FEEDBACK = re.compile(
    r"not formatted correctly|EXACTLY ONE action|could not (?:be )?pars|failed to parse|"
    r"no (?:valid )?(?:command|action|tool call) (?:was )?found|malformed (?:output|response|action)",
    re.I,
)
FEEDBACK_HEAD = 400


def is_format_error(step: Step) -> bool:
    """A turn whose model output the scaffold could not turn into an action."""
    if step.action.tool == "format_error":
        return True
    if step.action.type is not _T.OTHER:
        return False
    return bool(FORMAT_FEEDBACK.search(step.observation.text[:FEEDBACK_HEAD]))


def is_real_action(step: Step) -> bool:
    action = step.action
    if action.type is _T.THINK or action.tool == "format_error":
        return False
    return bool(action.command.strip() or action.tool or action.target or action.arguments or action.type != _T.OTHER)


# --- basic.status ------------------------------------------------------------------------


class StatusParams(Params):
    min_format_errors: int = 3
    """Malformed-output turns needed for a `format_error` finding (together with `max_format_error_share`)."""
    max_format_error_share: float = 0.25
    """Share of steps that may be malformed-output turns before it is a `format_error` finding."""


class StatusCheck(Check[StatusParams]):
    id = "basic.status"
    description = "How the run ended: crash, infrastructure failure, malformed output, or a normal end."
    columns: ClassVar[dict[str, pa.DataType]] = {
        "exit_status": pa.string(),
        "raw_exit_status": pa.string(),
        "autosubmitted": pa.bool_(),
        "format_errors": pa.int32(),
        "scaffold_traceback": pa.string(),
    }

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        params = self.params
        end = ends.run_end(traj)
        traceback = ends.scaffold_traceback(traj)
        format_errors = sum(1 for step in traj.steps if is_format_error(step))
        status = end.status
        if traceback and status in (ends.SUBMITTED, ends.UNKNOWN):
            status = ends.INFRA if ends.classify_text(traceback) == ends.INFRA else ends.ERROR
        too_many = format_errors >= params.min_format_errors and format_errors > params.max_format_error_share * max(
            len(traj.steps), 1
        )
        findings = {
            ends.ERROR: reasons.AGENT_CRASHED,
            ends.INFRA: reasons.INFRA_FAILURE,
            ends.FORMAT_ERROR: reasons.FORMAT_ERROR,
        }
        found = [findings[status]] if status in findings else []
        if too_many and reasons.FORMAT_ERROR not in found:
            found.append(reasons.FORMAT_ERROR)
        if patch_status(traj, PATCH_FORMATS) == PRESENT:
            found = []  # an ending with a patch in hand: the patch is graded; the columns say how the run ended
        return self.output(
            found,
            exit_status=status,
            raw_exit_status=end.raw,
            autosubmitted=end.autosubmitted,
            format_errors=format_errors,
            scaffold_traceback=traceback,
        )


# --- basic.limits ------------------------------------------------------------------------

LIMIT_FINDINGS = {
    ends.COST_LIMIT: reasons.COST_LIMIT_EXCEEDED,
    ends.CONTEXT_OVERFLOW: reasons.CONTEXT_OVERFLOW,
    ends.TIMEOUT: reasons.TIMED_OUT,
    ends.STEP_LIMIT: reasons.STEP_LIMIT_EXCEEDED,
}


class LimitsParams(Params):
    max_steps: int | None = None
    """Most steps a kept run may have; None = no limit."""
    max_cost: float | None = None
    """Highest model cost (in the scaffold's currency, usually USD) a kept run may have; None = no limit."""
    max_tokens: int | None = None
    """Most input + output tokens a kept run may have; None = no limit."""
    max_duration_s: float | None = None
    """Longest wall-clock duration in seconds a kept run may have; None = no limit."""
    drop_scaffold_limits: bool = False
    """Flag a scaffold limit exit (`exit_cost`, `LimitsExceeded`, a step limit) even when the run holds a
    patch. Off by default: a limit hit with a patch in hand is a signal (`limit_hit`), not a drop: the harness
    grades that patch, and resolved runs end this way. A limit exit without a patch is flagged either way."""


class LimitsCheck(Check[LimitsParams]):
    id = "basic.limits"
    description = "Budgets: scaffold limit exits (cost, context, steps, time) and recipe thresholds."
    columns: ClassVar[dict[str, pa.DataType]] = {
        "limit_hit": pa.string(),
        "cost": pa.float64(),
        "input_tokens": pa.int64(),
        "output_tokens": pa.int64(),
        "total_tokens": pa.int64(),
        "api_calls": pa.int64(),
        "duration_s": pa.float64(),
    }

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        params = self.params
        end = ends.run_end(traj)
        usage = traj.usage
        tokens = st.total_tokens(usage)
        limit_hit = end.status if end.status in LIMIT_FINDINGS else ""
        found = []
        if limit_hit and (params.drop_scaffold_limits or patch_status(traj, PATCH_FORMATS) == ABSENT):
            found.append(LIMIT_FINDINGS[limit_hit])
        over = (
            (_over(len(traj.steps), params.max_steps), reasons.STEP_LIMIT_EXCEEDED),
            (_over(usage.cost, params.max_cost), reasons.COST_LIMIT_EXCEEDED),
            (_over(tokens, params.max_tokens), reasons.TOKEN_LIMIT_EXCEEDED),
            (_over(usage.duration_s, params.max_duration_s), reasons.TIMED_OUT),
        )
        found += [code for exceeded, code in over if exceeded and code not in found]
        return self.output(
            found,
            limit_hit=limit_hit,
            cost=usage.cost,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            total_tokens=tokens,
            api_calls=usage.api_calls,
            duration_s=usage.duration_s,
        )


def _over(value: float | None, limit: float | None) -> bool:
    return value is not None and limit is not None and value > limit


# --- basic.content -----------------------------------------------------------------------


PATCH_FORMATS = ("swe-agent", "mini-swe-agent", "autocoderover", "openhands-events")
"""Reader formats whose records always carry the final patch (used when a record has no `patch_source`)."""
PRESENT, ABSENT, UNKNOWN = "present", "absent", "unknown"


def patch_status(traj: Trajectory, patch_formats: tuple[str, ...] | list[str]) -> str:
    """`present` (a diff), `absent` (the log records patches and this run has none) or `unknown` (the log
    cannot tell: the harness may still grade the workspace, so it is no reason to drop the run)."""
    if st.patch_files(traj.final.patch):
        return PRESENT
    source = traj.final.patch_source
    if source in (PATCH_UNKNOWN, PATCH_OBSERVED_DIFF):
        return UNKNOWN
    if source in (PATCH_RECORDED, PATCH_NONE) or traj.source.format in patch_formats:
        return ABSENT
    return UNKNOWN


class ContentParams(Params):
    patch_formats: list[str] = list(PATCH_FORMATS)
    """Reader formats whose records always carry the final patch, for records without `patch_source`: there,
    no diff (empty, or text that is no diff, e.g. an error message) is `no_patch`. Elsewhere (LLM completion
    logs, chat exports) a missing patch is `patch_unknown` in the `patch_status` column, never a drop."""


class ContentCheck(Check[ContentParams]):
    id = "basic.content"
    description = "What the run did: any action at all, a patch, more than reading, a patch that changes code."
    columns: ClassVar[dict[str, pa.DataType]] = {
        "patch_status": pa.string(),
        "patch_source": pa.string(),
        "num_steps": pa.int32(),
        "num_actions": pa.int32(),
        "num_edits": pa.int32(),
        "num_reads": pa.int32(),
        "num_test_runs": pa.int32(),
        "patch_files": pa.int32(),
        "patch_code_files": pa.int32(),
        "patch_scratch_files": pa.int32(),
        "patch_lines_added": pa.int32(),
        "patch_lines_removed": pa.int32(),
        "patch_lines": pa.int32(),
    }

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        params = self.params
        actions = [step.action.type for step in traj.steps if is_real_action(step)]
        files = st.patch_files(traj.final.patch)
        code_files = [diff for diff in files if not is_cosmetic(diff)]
        status = patch_status(traj, params.patch_formats)
        checks = (
            (not actions and status != PRESENT, reasons.EMPTY_RUN),  # a patch in hand is not an empty run
            (status == ABSENT, reasons.NO_PATCH),
            (bool(actions) and not code_files and all(kind in PASSIVE for kind in actions), reasons.ONLY_READS),
            (bool(files) and not code_files, reasons.TRIVIAL_PATCH),
        )
        added = sum(len(diff.added) for diff in files)
        removed = sum(len(diff.removed) for diff in files)
        return self.output(
            [code for hit, code in checks if hit],
            patch_status=status,
            patch_source=traj.final.patch_source,
            num_steps=len(traj.steps),
            num_actions=len(actions),
            num_edits=sum(1 for kind in actions if kind in st.CHANGES),
            num_reads=sum(1 for kind in actions if kind in st.LOOKS),
            num_test_runs=sum(1 for kind in actions if kind is _T.RUN_TESTS),
            patch_files=len(files),
            patch_code_files=len(code_files),
            patch_scratch_files=sum(1 for diff in files if is_scratch_file(diff)),
            patch_lines_added=added,
            patch_lines_removed=removed,
            patch_lines=added + removed,
        )
