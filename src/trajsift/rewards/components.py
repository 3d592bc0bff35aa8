"""The trajectory reward's components, each in [0, 1] or None when it cannot be measured.

Every component reads the run's annotation columns when they are there (`columns`: column name -> value)
and otherwise computes the same metric from the trajectory with the quality checks' own functions, so a
run directory and raw inputs give the same numbers.
- correctness: FAIL_TO_PASS / PASS_TO_PASS pass fractions where tests ran (`f2p_share` of the weight on
  FAIL_TO_PASS); else the verdict with its confidence, 0.5 + (value - 0.5) * confidence with correct = 1,
  partially correct = 0.5, incorrect = 0; else, only with `use_outcome_label`, the outside resolved label;
  else the calibrated probability that the run resolves its task (`quality.score.model_probability`, source
  `model`), unless `use_model_probability` is off. The source is always said (`correctness_source`).
- efficiency: the efficiency check's step-ratio score (1 up to the expected steps, 0 at twice as many).
- code quality: patch hygiene (0.75 per stray file, 0.9 per debug line; a cosmetic-only patch is 0) times
  the static analysis factor (0.5 per new syntax error, 0.9 per new lint error) when measured; None
  without a patch.
- reasoning: mean of the thoughts' explanation share (acting steps with a thought of `EXPLAINED_CHARS`+),
  plan follow-through (`plan_action_match`), reading before editing and acknowledging errors (1 - 2 x
  ignored errors per action); None when no step has a thought.
- tool usage: mean of 1 - tool error rate, looking (read/search) before the first real edit, running
  something after the last real edit, and 1 - 2 x repeated failing commands per action.
"""

from __future__ import annotations

import math
from typing import Any

from trajsift.checks.base import CheckContext
from trajsift.columns import TESTS as TESTS_CHECK
from trajsift.columns import column
from trajsift.config import RewardSpec
from trajsift.facts import steps as st
from trajsift.facts.coherence import measure
from trajsift.facts.scoring import clamp, mean_known
from trajsift.facts.trajectory import EXPECTED_STEPS, expected_steps, patch_hygiene, step_ratio_score
from trajsift.patches import is_trivial_patch
from trajsift.schema import Step, Trajectory

TESTS = column(TESTS_CHECK, "")
MODEL_PROBABILITY = column("quality.score", "model_probability")
VERDICT_VALUE = {"correct": 1.0, "partially_correct": 0.5, "incorrect": 0.0}
EXPLAINED_CHARS = 20
STRAY_FACTOR, DEBUG_FACTOR = 0.75, 0.9
SYNTAX_FACTOR, LINT_FACTOR = 0.5, 0.9


def number(value: Any) -> float | None:
    """A finite float, or None (missing, null, NaN, not a number; booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return float(value)


def correctness(traj: Trajectory, columns: dict[str, Any], spec: RewardSpec) -> tuple[float | None, str]:
    """(value, source): source is `tests`, `verdict`, `label`, `model` or `` (not measured)."""
    counts = {
        name: number(columns.get(TESTS + name)) for name in ("f2p_passed", "f2p_failed", "p2p_passed", "p2p_failed")
    }
    f2p_total = (counts["f2p_passed"] or 0) + (counts["f2p_failed"] or 0)
    p2p_total = (counts["p2p_passed"] or 0) + (counts["p2p_failed"] or 0)
    if f2p_total or p2p_total:
        parts = []
        if f2p_total:
            parts.append(((counts["f2p_passed"] or 0) / f2p_total, spec.f2p_share))
        if p2p_total:
            parts.append(((counts["p2p_passed"] or 0) / p2p_total, 1.0 - spec.f2p_share))
        total = sum(weight for _, weight in parts)
        if total:
            return sum(value * weight for value, weight in parts) / total, "tests"
    verdict = columns.get(TESTS + "verdict")
    confidence = number(columns.get(TESTS + "confidence"))
    if verdict in VERDICT_VALUE:
        sure = 1.0 if confidence is None else clamp(confidence)
        return 0.5 + (VERDICT_VALUE[verdict] - 0.5) * sure, "verdict"
    if spec.use_outcome_label and traj.outcome.resolved is not None:
        return (1.0 if traj.outcome.resolved else 0.0), "label"
    probability = number(columns.get(MODEL_PROBABILITY))
    if spec.use_model_probability and probability is not None:
        return clamp(probability), "model"
    return None, ""


def efficiency(traj: Trajectory, columns: dict[str, Any], spec: RewardSpec, ctx: CheckContext) -> float | None:
    """The efficiency check's step score (its column when present and no override is configured)."""
    stored = number(columns.get(column("quality.efficiency", "step_score")))
    if stored is not None and spec.expected_steps is None:
        return stored
    count = len(st.acting(traj.steps))
    if count == 0:
        return None
    return step_ratio_score(count, expected_steps(traj, ctx.tasks, spec.expected_steps or EXPECTED_STEPS))


def code_quality(traj: Trajectory, columns: dict[str, Any]) -> float | None:
    files = st.patch_files(traj.final.patch)
    if not files:
        return None
    if is_trivial_patch(files):
        return 0.0
    stray = number(columns.get(column("quality.completeness", "stray_files")))
    debug = number(columns.get(column("quality.completeness", "debug_lines")))
    if stray is None or debug is None:
        _, stray_count, debug_count = patch_hygiene(traj.steps, files)
        stray, debug = float(stray_count), float(debug_count)
    value = STRAY_FACTOR**stray * DEBUG_FACTOR**debug
    syntax = _column_ending(columns, "new_syntax_errors")
    lint = _column_ending(columns, "new_lint_errors")
    if syntax is not None:
        value *= SYNTAX_FACTOR**syntax
    if lint is not None:
        value *= LINT_FACTOR**lint
    return value


def _column_ending(columns: dict[str, Any], metric: str) -> float | None:
    """A correctness column ending in `.metric` (the static analysis columns), when measured."""
    for name, value in columns.items():
        if name.startswith("correctness.") and name.endswith("." + metric):
            return number(value)
    return None


def coherence_metrics(traj: Trajectory, columns: dict[str, Any]) -> dict[str, Any]:
    """The coherence check's metrics: from the columns when the run has them, else measured now."""
    prefix = column("quality.coherence", "")
    names = ("plan_action_match", "read_before_edit", "ignored_errors", "repeated_failing_commands")
    if all(prefix + name in columns for name in names):
        return {name: columns[prefix + name] for name in names}
    metrics, _ = measure(traj)
    return metrics


def reasoning_heuristic(traj: Trajectory, metrics: dict[str, Any]) -> float | None:
    acting = st.acting(traj.steps)
    if not acting or not any(step.thought.strip() for step in traj.steps):
        return None
    explained = sum(1 for step in acting if len(step.thought.strip()) >= EXPLAINED_CHARS) / len(acting)
    ignored = number(metrics.get("ignored_errors"))
    acknowledged = None if ignored is None else 1.0 - min(1.0, 2.0 * ignored / len(acting))
    return mean_known(
        [explained, number(metrics.get("plan_action_match")), number(metrics.get("read_before_edit")), acknowledged]
    )


def tool_usage(traj: Trajectory, columns: dict[str, Any], metrics: dict[str, Any]) -> float | None:
    acting = st.acting(traj.steps)
    if not acting:
        return None
    error_rate = number(columns.get(column("quality.efficiency", "tool_error_rate")))
    if error_rate is None:
        error_rate = sum(1 for step in acting if st.flagged(step.observation)) / len(acting)
    repeated = number(metrics.get("repeated_failing_commands")) or 0.0
    looked, verified = edit_discipline(acting)
    return mean_known([1.0 - error_rate, looked, verified, 1.0 - min(1.0, 2.0 * repeated / len(acting))])


def edit_discipline(steps: list[Step]) -> tuple[float | None, float | None]:
    """(looked before the first real edit, ran something after the last one); None without real edits.
    Edits of scratch files (reproduction scripts) do not count as real edits."""
    real = [
        i
        for i, step in enumerate(steps)
        if step.action.type in st.CHANGES and not st.flagged(step.observation) and not st.is_scratch(step.action.target)
    ]
    if not real:
        return None, None
    looked = any(step.action.type in st.LOOKS for step in steps[: real[0]])
    verified = any(step.action.type in st.EXECUTIONS for step in steps[real[-1] + 1 :])
    return float(looked), float(verified)
