"""The trajectory reward: a weighted sum of its components (weights from the recipe's `rewards:` section).

Renormalisation: a component that cannot be measured for a trajectory (None: no tests and no label for
correctness, no patch for code quality, no thoughts for reasoning, ...) is left out and the weights of the
measured ones are divided by their sum, so the reward stays in [0, 1] and is never filled with a default.
`weights` in the result are the weights actually used (summing to 1). With no measurable component at
all, the reward is None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import trajsift.rewards.components as comp
from trajsift.checks.base import CheckContext
from trajsift.config import RewardSpec
from trajsift.schema import Trajectory

COMPONENTS = ("correctness", "efficiency", "code_quality", "reasoning", "tool_usage")


@dataclass
class TrajectoryReward:
    trajectory_id: str
    reward: float | None
    components: dict[str, float | None]
    weights: dict[str, float]
    """Renormalised weights of the components that entered the reward."""
    sources: dict[str, str] = field(default_factory=dict)
    """Where correctness (`tests`, `verdict`, `label`) and reasoning (`judge`, `heuristic`) came from."""


def combine(components: dict[str, float | None], weights: dict[str, float]) -> tuple[float | None, dict[str, float]]:
    """(weighted sum over measured components, renormalised weights used)."""
    used = {name: weights.get(name, 0.0) for name, value in components.items() if value is not None}
    used = {name: weight for name, weight in used.items() if weight > 0}
    total = sum(used.values())
    if not total:
        return None, {}
    normalised = {name: weight / total for name, weight in used.items()}
    reward = sum(normalised[name] * float(components[name]) for name in normalised)  # type: ignore[arg-type]
    return max(0.0, min(1.0, reward)), normalised


def trajectory_reward(
    traj: Trajectory,
    columns: dict[str, Any],
    spec: RewardSpec,
    ctx: CheckContext | None = None,
    judge_client: Any = None,
) -> TrajectoryReward:
    """Score one trajectory. `columns` are its annotation columns from a run (may be empty);
    `judge_client` is an LLM client used for reasoning when `spec.judge_reasoning` is set."""
    ctx = ctx or CheckContext()
    correctness, correctness_source = comp.correctness(traj, columns, spec)
    metrics = comp.coherence_metrics(traj, columns)
    reasoning, reasoning_source = _reasoning(traj, metrics, spec, judge_client)
    values = {
        "correctness": correctness,
        "efficiency": comp.efficiency(traj, columns, spec, ctx),
        "code_quality": comp.code_quality(traj, columns),
        "reasoning": reasoning,
        "tool_usage": comp.tool_usage(traj, columns, metrics),
    }
    reward, weights = combine(values, spec.weights)
    sources = {"correctness": correctness_source, "reasoning": reasoning_source}
    return TrajectoryReward(traj.id, reward, values, weights, sources)


def _reasoning(traj: Trajectory, metrics: dict[str, Any], spec: RewardSpec, client: Any) -> tuple[float | None, str]:
    """The judge's score when configured and it answers; the thought heuristics otherwise (a failed judge
    call gives no judge score; the heuristics still measure the thoughts)."""
    if spec.judge_reasoning and client is not None:
        from trajsift.llm.judge import judge_reasoning  # optional capability, imported only when configured

        verdict = judge_reasoning(traj, client)
        if verdict is not None:
            return max(0.0, min(1.0, float(verdict.score))), "judge"
    value = comp.reasoning_heuristic(traj, metrics)
    return value, "heuristic" if value is not None else ""
