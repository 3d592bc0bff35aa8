"""Compute rewards over a run directory or raw inputs and write them for RL trainers.

Outputs, joinable on `trajectory_id` (and `step_index`):
- `rewards.parquet`: one row per trajectory: `trajectory_id`, `task_id`, `decision` (from a run dir),
  `reward`, each component, `weight_<component>` (the renormalised weights used), the sources of
  correctness and reasoning;
- `step_rewards.parquet`: one row per step: `trajectory_id`, `step_index` (position in the trajectory's
  steps), `reward` and its parts (see `trajsift.rewards.steps`), the step's `label`, `label_rule` and
  `label_evidence` (see `trajsift.steplabels`);
- with `jsonl`, the same rows as `rewards.jsonl` / `step_rewards.jsonl`.
From a run directory the annotation columns of kept / review / rejected.parquet are used where present;
from raw inputs the components are computed from the trajectories (no tests: correctness comes from the
outside label if `use_outcome_label` is set, else it is left out).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from trajsift.arrow import TRAJECTORY_COLUMN, from_row
from trajsift.checks.base import CheckContext
from trajsift.config import Recipe
from trajsift.rewards.steps import StepReward, step_rewards
from trajsift.rewards.trajectory import COMPONENTS, TrajectoryReward, trajectory_reward
from trajsift.rundir import RunDir
from trajsift.schema import Trajectory
from trajsift.steplabels import StepLabel, label_steps

RUN_OUTPUTS = ("kept", "review", "rejected")
"""The run output parts rewards are computed for, in this order."""
BATCH_ROWS = 64
FLUSH_ROWS = 4096
STEP_FIELDS = [f.name for f in dataclasses.fields(StepReward)]


@dataclass
class Scored:
    reward: TrajectoryReward
    steps: list[StepReward]
    labels: list[StepLabel] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class RewardSummary:
    trajectories: int = 0
    steps: int = 0
    quarantined: int = 0
    files: list[str] = field(default_factory=list)


def is_run_dir(path: str | Path) -> bool:
    path = Path(path)
    return path.is_dir() and any(RunDir(path).output(name).exists() for name in RUN_OUTPUTS)


def iter_run_dir(run_dir: str | Path) -> Iterator[tuple[Trajectory, dict[str, Any]]]:
    """(trajectory, annotation columns) for every row of a run's kept / review / rejected outputs."""
    for name in RUN_OUTPUTS:
        path = RunDir(run_dir).output(name)
        if not path.exists():
            continue
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
            for row in batch.to_pylist():
                record = row.pop(TRAJECTORY_COLUMN)
                yield from_row(record), row


def iter_inputs(inputs: list[str], recipe: Recipe, counter: RewardSummary) -> Iterator[tuple[Trajectory, dict]]:
    """(trajectory, {}) for raw inputs, read with the recipe's read options and labels."""
    from trajsift.readers.labels import load_labels
    from trajsift.readers.read import ReadOptions, read_trajectories
    from trajsift.readers.sources.records import ReadLimits

    options = ReadOptions(
        format=recipe.read.format,
        limits=ReadLimits(max_record_bytes=recipe.read.max_record_bytes),
        labels=load_labels(recipe.labels) if recipe.labels else None,
    )
    for item in read_trajectories(inputs, options):
        if isinstance(item, Trajectory):
            yield item, {}
        else:
            counter.quarantined += 1


def score_all(
    rows: Iterator[tuple[Trajectory, dict[str, Any]]], recipe: Recipe, ctx: CheckContext, judge_client: Any = None
) -> Iterator[Scored]:
    spec = recipe.rewards
    for traj, columns in rows:
        task = ctx.tasks.get(traj.task.task_id) if traj.task.task_id else None
        reward = trajectory_reward(traj, columns, spec, ctx, judge_client)
        steps = step_rewards(traj, spec.step_weights, task)
        meta = {"task_id": traj.task.task_id, "decision": columns.get("decision")}
        yield Scored(reward, steps, label_steps(traj), meta)


def reward_row(scored: Scored) -> dict[str, Any]:
    reward = scored.reward
    row: dict[str, Any] = {"trajectory_id": reward.trajectory_id, **scored.meta, "reward": reward.reward}
    for name in COMPONENTS:
        row[name] = reward.components.get(name)
    for name in COMPONENTS:
        row[f"weight_{name}"] = reward.weights.get(name, 0.0)
    row["correctness_source"] = reward.sources.get("correctness", "")
    row["reasoning_source"] = reward.sources.get("reasoning", "")
    return row


def step_rows(scored: Scored) -> list[dict[str, Any]]:
    trajectory_id = scored.reward.trajectory_id
    rows = [{"trajectory_id": trajectory_id, **dataclasses.asdict(step)} for step in scored.steps]
    for row, label in zip(rows, scored.labels, strict=False):
        row["label"], row["label_rule"], row["label_evidence"] = label.label, label.rule, label.evidence
    return rows


REWARD_SCHEMA = pa.schema(
    [("trajectory_id", pa.string()), ("task_id", pa.string()), ("decision", pa.string()), ("reward", pa.float64())]
    + [(name, pa.float64()) for name in COMPONENTS]
    + [(f"weight_{name}", pa.float64()) for name in COMPONENTS]
    + [("correctness_source", pa.string()), ("reasoning_source", pa.string())]
)
STEP_TYPES = {"step_index": pa.int64(), "tests_passed": pa.int64(), "tests_failed": pa.int64()}
STEP_SCHEMA = pa.schema(
    [("trajectory_id", pa.string())]
    + [(name, STEP_TYPES.get(name, pa.float64())) for name in STEP_FIELDS]
    + [("label", pa.string()), ("label_rule", pa.string()), ("label_evidence", pa.string())]
)


def write_rewards(out_dir: str | Path, scored: Iterator[Scored], jsonl: bool, summary: RewardSummary) -> None:
    """Stream scored trajectories into the output files; each file appears atomically at the end."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    parts = {"rewards": REWARD_SCHEMA, "step_rewards": STEP_SCHEMA}
    partial = {name: out / f".{name}.parquet.partial" for name in parts}
    writers = {name: pq.ParquetWriter(partial[name], schema, compression="zstd") for name, schema in parts.items()}
    handles = {name: open(out / f".{name}.jsonl.partial", "wb") for name in parts} if jsonl else {}
    pending: dict[str, list[dict[str, Any]]] = {name: [] for name in parts}

    def flush(name: str) -> None:  # one row group per `FLUSH_ROWS` rows, not one per trajectory
        if pending[name]:
            writers[name].write_table(pa.Table.from_pylist(pending[name], schema=parts[name]))
            pending[name] = []

    try:
        for item in scored:
            rows = {"rewards": [reward_row(item)], "step_rewards": step_rows(item)}
            for name in parts:
                pending[name] += rows[name]
                if len(pending[name]) >= FLUSH_ROWS:
                    flush(name)
                if name in handles:
                    handles[name].writelines(orjson.dumps(r) + b"\n" for r in rows[name])
            summary.trajectories += 1
            summary.steps += len(item.steps)
        for name in parts:
            flush(name)
    finally:
        for writer in writers.values():
            writer.close()
        for handle in handles.values():
            handle.close()
    for name in parts:
        os.replace(partial[name], out / f"{name}.parquet")
        summary.files.append(str(out / f"{name}.parquet"))
        if jsonl:
            os.replace(out / f".{name}.jsonl.partial", out / f"{name}.jsonl")
            summary.files.append(str(out / f"{name}.jsonl"))
