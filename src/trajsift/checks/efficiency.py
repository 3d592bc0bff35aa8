"""`quality.efficiency`: how much work the agent spent for the task.

- step ratio: actions taken / expected actions; its score is 1 up to the expected count and falls
  linearly to 0 at twice that. The expectation is the task's `expected_steps` (from `ctx.tasks`) when
  known, else a default per difficulty;
- redundant reads: a read or search returning exactly what an earlier one returned, with no change to
  the code in between;
- novelty: share of actions whose observation differs from every earlier one;
- tool error rate: share of actions the scaffold flagged as failed (error flag or non-zero exit);
- tokens and cost per action (None when the trajectory does not record them); tokens per action also
  enter `score` through a smooth, monotone term.
"""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa

from trajsift import reasons
from trajsift.checks.base import Check, CheckContext, CheckOutput, Params, Scores
from trajsift.facts import steps as st
from trajsift.facts.scoring import ratio, weighted_score
from trajsift.facts.trajectory import EXPECTED_STEPS, expected_steps, step_ratio_score
from trajsift.schema import Step, Trajectory


class EfficiencyParams(Params):
    expected_steps: dict[str, int] = EXPECTED_STEPS
    """Expected number of actions per task difficulty when the task has no `expected_steps`; "" = unknown."""
    weights: dict[str, float] = {
        "steps": 2.0,
        "redundant_reads": 0.5,
        "novelty": 1.0,
        "tokens": 3.0,
        "tool_errors": 0.0,
    }
    """Weights in `score` of the smooth step score, 1 - redundant read share, the share of actions whose
    observation is new, and 1 - tool error rate (0 by default: failing runs are a normal part of debugging
    and, on real runs, error rates do not point one way). `tokens` is left out when usage is unknown."""
    tokens_per_step_reference: float = 10_000.0
    """Tokens per action at which the token part of `score`, 1 / (1 + tokens_per_step / reference), is 0.5.
    It is monotone, so the reference only sets how much tokens weigh against the other parts."""


class EfficiencyCheck(Check[EfficiencyParams]):
    id = "quality.efficiency"
    description = "Steps against the expectation, redundant reads, tool errors, tokens and cost per step."
    columns: ClassVar[dict[str, pa.DataType]] = {
        "score": pa.float64(),
        "steps": pa.int32(),
        "expected_steps": pa.int32(),
        "step_ratio": pa.float64(),
        "step_score": pa.float64(),
        "redundant_reads": pa.int32(),
        "redundant_read_ratio": pa.float64(),
        "novel_observation_ratio": pa.float64(),
        "tool_error_rate": pa.float64(),
        "tokens_per_step": pa.float64(),
        "cost_per_step": pa.float64(),
    }

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        params = self.params
        actions = st.acting(traj.steps)
        count = len(actions)
        expected = expected_steps(traj, ctx.tasks, params.expected_steps)
        step_ratio = count / expected
        step_score = step_ratio_score(count, expected)
        reads, redundant = redundant_reads(actions)
        redundant_share = ratio(redundant, reads)
        error_rate = ratio(sum(1 for step in actions if st.flagged(step.observation)), count)
        usage = traj.usage
        tokens = tokens_per_step(traj, count)
        novelty = ratio(len({st.observation_key(step.observation) for step in actions}), count)
        parts = {
            "novelty": novelty,
            "steps": smooth_step_score(step_ratio),
            "redundant_reads": None if redundant_share is None else 1.0 - redundant_share,
            "tool_errors": None if error_rate is None else 1.0 - error_rate,
            "tokens": None if tokens is None else 1.0 / (1.0 + tokens / params.tokens_per_step_reference),
        }
        score = weighted_score(parts, params.weights)
        findings = [reasons.EXCESS_STEPS] if step_ratio > 2.0 else []
        if redundant:
            findings.append(reasons.REDUNDANT_READS)
        return self.output(
            findings=findings,
            score=score,
            steps=count,
            expected_steps=expected,
            step_ratio=step_ratio,
            step_score=step_score,
            redundant_reads=redundant,
            redundant_read_ratio=redundant_share,
            novel_observation_ratio=novelty,
            tool_error_rate=error_rate,
            tokens_per_step=tokens,
            cost_per_step=None if usage.cost is None else ratio(usage.cost, count),
        )


def tokens_per_step(traj: Trajectory, count: int) -> float | None:
    tokens = st.total_tokens(traj.usage)
    return None if tokens is None else ratio(tokens, count)


def smooth_step_score(step_ratio: float) -> float:
    """The step part of `score`: 1 / (1 + step_ratio^2). Close to `step_score` around the expectation, but
    never flat, so longer runs always rank lower even when the expectation is off scale for an agent."""
    return 1.0 / (1.0 + step_ratio * step_ratio)


def redundant_reads(steps: list[Step]) -> tuple[int, int]:
    """(reads and searches, those returning what an earlier one returned with no change in between)."""
    seen: set[tuple[str, int]] = set()
    reads = redundant = 0
    for step in steps:
        kind = step.action.type
        if kind in st.CHANGES and not st.flagged(step.observation):
            seen.clear()
        if kind not in st.LOOKS:
            continue
        reads += 1
        key = (kind.value, st.observation_key(step.observation))
        if key in seen and step.observation.text.strip():
            redundant += 1
        seen.add(key)
    return reads, redundant
