"""Ray executor: the per-shard work of each stage spread over a Ray cluster, global reduces distributed.

The driver (`executors.driver`) runs the phases and owns the files, as for the local executor. The read's
`map_units` runs each group of input units as a Ray Data task, so the cluster's nodes read the inputs. Each
`map_shards` is Ray Data `map_batches` over shard numbers, in a pool of stateful actors that build the
pipeline once (like the local pool's worker initialiser), sized by the stage's checks' declared
`resources` (`num_cpus`, `memory`, `concurrency`). A global stage reduces each check that has an entry
in `DISTRIBUTED_REDUCES` (check id -> a reduce that never gathers the signatures: `diversity.near`, LSH and
action runs as Ray tasks with hash shuffles; `diversity.exact`, digests grouped by hash partition); the other
checks and rules reduce here, from the collected signatures (small per row). Checks know nothing of Ray: this
map is the only link. A check that spreads its own work (`correctness.tests`: one verification per (task,
patch) pair) gets `fan_out` in its context: one Ray task per item; its stage's actors then hold no CPU while they wait.

`out_dir` must be visible to every node (one machine, NFS, a mounted bucket).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from trajsift.checks.global_check import GlobalCheck
from trajsift.executors import shard_work
from trajsift.executors.base import ExecutorSettings, RunPlan, ShardStep
from trajsift.executors.ray_exact import exact_reduce
from trajsift.executors.ray_near import near_reduce
from trajsift.executors.read_parts import ReadJob, UnitStep
from trajsift.executors.shard_work import StageJob
from trajsift.files import read_table
from trajsift.pipeline import Pipeline
from trajsift.stages import Stage

FAIL_ENV = "TRAJSIFT_RAY_FAIL_AT"
"""Fault injection for the resume tests: `<stage name>:<shard>` makes annotating that shard raise."""

DistributedReduce = Callable[[GlobalCheck, list[tuple[str, int]], int], Any]
"""`(check, sources, parts) -> state of check.reduce`; `sources`: per shard, its signature file and the
global index of its first row in shard order; `parts`: hash partitions of the shuffles."""

DISTRIBUTED_REDUCES: dict[str, DistributedReduce] = {
    "diversity.near": near_reduce,
    "diversity.exact": exact_reduce,
}
"""Global checks whose reduce runs across the cluster, by check id (add one here to distribute another)."""


class ShardWorker:
    """A Ray Data actor: builds the pipeline once, then runs a shard step (annotate, assign) per shard."""

    def __init__(self, recipe_data: dict[str, Any], tasks_path: str | None, cache_dir: str, fail_at: str) -> None:
        self.state = shard_work.build_state(recipe_data, tasks_path, cache_dir)
        self.state.ctx = dataclasses.replace(self.state.ctx, fan_out=fan_out)
        self.fail_at = fail_at

    def __call__(self, batch: dict[str, np.ndarray], step: ShardStep, job: StageJob) -> dict[str, np.ndarray]:
        stage = self.state.pipeline.stages[job.index].name
        for shard in batch["shard"].tolist():
            if step is shard_work.annotate_shard and self.fail_at == f"{stage}:{shard}":
                raise RuntimeError(f"injected failure ({FAIL_ENV}={self.fail_at})")
            step(self.state, job, shard)
        return {"shard": batch["shard"]}


def _read_groups(batch: dict[str, np.ndarray], step: UnitStep, job: ReadJob) -> dict[str, np.ndarray]:
    """A Ray Data task: read each group of the batch into its part file."""
    for group in batch["group"].tolist():
        step(job, group)
    return {"group": batch["group"]}


def stage_resources(stage: Stage) -> dict[str, float]:
    """The most any check of the stage asks for (`num_cpus`, `memory`); the least `concurrency`."""
    merged: dict[str, float] = {}
    for check in stage.checks:
        for key, value in check.resources.items():
            pick = min if key == "concurrency" else max
            merged[key] = pick(merged[key], value) if key in merged else value
    return merged


class RayExecutor:
    """`Executor` on a Ray cluster at `settings.address` (or a local Ray instance); `settings.workers`
    bounds the actors of a stage."""

    def __init__(self, settings: ExecutorSettings | None = None) -> None:
        settings = settings or ExecutorSettings()
        self.workers, self.address = settings.workers, settings.address
        self.fail_at = os.environ.get(FAIL_ENV, "")
        self._plan: RunPlan | None = None
        self._pipeline: Pipeline | None = None

    def start(self, plan: RunPlan, pipeline: Pipeline) -> None:
        connect(self.address)
        self._plan, self._pipeline = plan, pipeline

    def close(self) -> None:
        """Nothing to stop: actor pools end with each map; the Ray instance outlives the run."""

    def map_units(self, step: UnitStep, job: ReadJob, groups: Sequence[int]) -> Iterator[int]:
        """The read's groups as Ray Data tasks on the cluster's workers (one CPU each, `workers` at a time):
        the nodes read the inputs and write the part files; the driver only lists and assembles."""
        import ray.data

        if not groups:
            return
        items = ray.data.from_items([{"group": g} for g in groups], override_num_blocks=len(groups))
        done = items.map_batches(
            _read_groups,
            fn_kwargs={"step": step, "job": job},
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.TaskPoolStrategy(size=max(1, min(len(groups), self.workers))),
            num_cpus=1,
        )
        for batch in done.iter_batches(batch_size=1, batch_format="numpy"):
            yield from (int(group) for group in batch["group"])

    def map_shards(self, step: ShardStep, job: StageJob, shards: Sequence[int]) -> Iterator[int]:
        import ray.data

        plan, pipeline = self._started()
        resources = stage_resources(pipeline.stages[job.index])
        actors = max(1, min(len(shards), self.workers, int(resources.get("concurrency", len(shards)))))
        items = ray.data.from_items([{"shard": s} for s in shards], override_num_blocks=len(shards))
        done = items.map_batches(
            ShardWorker,
            fn_constructor_args=(plan.recipe_data, plan.tasks_path, str(plan.cache_dir), self.fail_at),
            fn_kwargs={"step": step, "job": job},
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=0 if resources.get("fan_out") else resources.get("num_cpus", 1),
            memory=resources.get("memory"),
        )
        for batch in done.iter_batches(batch_size=1, batch_format="numpy"):
            yield from (int(shard) for shard in batch["shard"])

    def reduce(self, stage: Stage, job: StageJob, shards: Sequence[int]) -> dict[str, Any]:
        """Distributed reduces where a check has one; the rest from the signatures collected here."""
        paths = [shard_work.signature_path(job, s) for s in shards]
        offsets = np.r_[0, np.cumsum([pq.ParquetFile(p).metadata.num_rows for p in paths])].tolist()
        sources = list(zip(map(str, paths), offsets[:-1], strict=True))
        state: dict[str, Any] = {}
        for check in stage.global_checks:
            if check.id in DISTRIBUTED_REDUCES:
                state[check.id] = DISTRIBUTED_REDUCES[check.id](check, sources, partitions())
        local_checks = [c for c in stage.checks if c.id not in state]
        skip = {name for c in stage.global_checks if c.id in state for name in c.signature_types()}
        tables = [_without(read_table(p), skip) for p in paths]
        merged = pa.concat_tables(tables) if tables else pa.table({"trajectory_id": pa.array([], pa.string())})
        state.update(dataclasses.replace(stage, checks=local_checks).reduce(merged))
        return state

    def _started(self) -> tuple[RunPlan, Pipeline]:
        if self._plan is None or self._pipeline is None:
            raise RuntimeError("RayExecutor.start(plan, pipeline) was not called")
        return self._plan, self._pipeline


def _without(table: pa.Table, names: set[str]) -> pa.Table:
    return table.drop_columns([n for n in table.column_names if n in names])


def partitions() -> int:
    """Hash partitions of the distributed reduces: two per CPU of the cluster (results do not depend on it)."""
    import ray

    return max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))


def fan_out(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """`fn(item)` for every item, one Ray task each (one CPU: a sandboxed test run), results in item order."""
    import ray

    remote = ray.remote(num_cpus=1)(_call)
    return ray.get([remote.remote(fn, item) for item in items])


def _call(fn: Callable[[Any], Any], item: Any) -> Any:
    return fn(item)


def connect(address: str | None) -> None:
    """Join the Ray cluster at `address` (`auto`: the one this node belongs to), or start a local one."""
    import ray
    import ray.data

    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
