"""Ray executor: the local executor's phases and files, with the work spread over a Ray cluster.

The read phase is the local one (shards are the unit of work and fix the output order). Each stage's
per-shard work (annotate, assign) runs as Ray Data `map_batches` over shard numbers, in a pool of
stateful actors that build the pipeline once (like the local pool's worker initialiser), sized by the
stage's checks' declared `resources` (`num_cpus`, `memory`, `concurrency`). Global stages reduce with
each check's `distributed_reduce` when it has one (`diversity.near`: LSH and action runs as Ray tasks
with hash shuffles), else on the driver from the collected signatures (small per row).

Every file is the one the local executor writes, under the same names and completion rules, so the
writer produces the same outputs and a failed run resumes from whatever either executor completed.
`out_dir` must be visible to every node (one machine, NFS, a mounted bucket).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from trajsift.executors import shard_work
from trajsift.executors.local import LocalExecutor, RunPlan
from trajsift.executors.progress import Progress
from trajsift.executors.reading import ReadResult
from trajsift.executors.workspace import read_table
from trajsift.pipeline import Pipeline
from trajsift.stages import Stage

FAIL_ENV = "TRAJSIFT_RAY_FAIL_AT"
"""Fault injection for the resume tests: `<stage name>:<shard>` makes annotating that shard raise."""


class ShardWorker:
    """A Ray Data actor: builds the pipeline once, then runs `annotate_shard` / `assign_shard` per shard."""

    def __init__(self, recipe_data: dict[str, Any], tasks_path: str | None, cache_dir: str, fail_at: str) -> None:
        self.state = shard_work.build_state(recipe_data, tasks_path, cache_dir)
        self.fail_at = fail_at

    def __call__(self, batch: dict[str, np.ndarray], phase: str, job: shard_work.StageJob) -> dict[str, np.ndarray]:
        stage = self.state.pipeline.stages[job.index].name
        for shard in batch["shard"].tolist():
            if phase == "annotate_shard" and self.fail_at == f"{stage}:{shard}":
                raise RuntimeError(f"injected failure ({FAIL_ENV}={self.fail_at})")
            getattr(shard_work, phase)(self.state, job, shard)
        return {"shard": batch["shard"]}


def stage_resources(stage: Stage) -> dict[str, float]:
    """The most any check of the stage asks for (`num_cpus`, `memory`); the least `concurrency`."""
    merged: dict[str, float] = {}
    for check in stage.checks:
        for key, value in check.resources.items():
            pick = min if key == "concurrency" else max
            merged[key] = pick(merged[key], value) if key in merged else value
    return merged


class RayExecutor(LocalExecutor):
    def __init__(
        self, plan: RunPlan, pipeline: Pipeline, progress: Progress | None = None, address: str | None = None
    ) -> None:
        super().__init__(plan, pipeline, progress)
        self.address = address
        self.fail_at = os.environ.get(FAIL_ENV, "")

    def run(self, input_fingerprint: str) -> tuple[ReadResult, list[Any]]:
        connect(self.address)
        return super().run(input_fingerprint)

    def _map(self, fn: Any, job: shard_work.StageJob, shards: list[int]) -> None:
        import ray.data

        if not shards:
            return
        resources = stage_resources(self.pipeline.stages[job.index])
        actors = max(1, min(len(shards), self.plan.workers, int(resources.get("concurrency", len(shards)))))
        items = ray.data.from_items([{"shard": s} for s in shards], override_num_blocks=len(shards))
        done = items.map_batches(
            ShardWorker,
            fn_constructor_args=(self.plan.recipe_data, self.plan.tasks_path, str(self.plan.cache_dir), self.fail_at),
            fn_kwargs={"phase": fn.__name__, "job": job},
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=resources.get("num_cpus", 1),
            memory=resources.get("memory"),
        )
        for batch in done.iter_batches(batch_size=1, batch_format="numpy"):
            self.progress.advance(len(batch["shard"]))
            for shard in batch["shard"]:
                self._report(fn, job, int(shard))  # live stats and alerts, as the local executor does

    def _reduce(self, stage: Stage, job: shard_work.StageJob, shards: list[int]) -> dict[str, Any]:
        """Distributed reduces where a check has one; the rest from the signatures collected here."""
        paths = [Path(job.out) / f"sig-{s:05d}.parquet" for s in shards]
        offsets = np.r_[0, np.cumsum([read_metadata_rows(p) for p in paths])].tolist()
        sources = list(zip(map(str, paths), offsets[:-1], strict=True))
        state: dict[str, Any] = {}
        for check in stage.global_checks:
            result = check.distributed_reduce(sources, partitions())
            if result is not None:
                state[check.id] = result
        local_checks = [c for c in stage.checks if c.id not in state]
        skip = {name for c in stage.global_checks if c.id in state for name in c.signature_types()}
        tables = [_without(read_table(p), skip) for p in paths]
        merged = pa.concat_tables(tables) if tables else pa.table({"trajectory_id": pa.array([], pa.string())})
        state.update(dataclasses.replace(stage, checks=local_checks).reduce(merged))
        return state


def _without(table: pa.Table, names: set[str]) -> pa.Table:
    return table.drop_columns([n for n in table.column_names if n in names])


def read_metadata_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def partitions() -> int:
    """Hash partitions of the distributed reduces: two per CPU of the cluster (results do not depend on it)."""
    import ray

    return max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))


def connect(address: str | None) -> None:
    """Join the Ray cluster at `address` (`auto`: the one this node belongs to), or start a local one."""
    import ray
    import ray.data

    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
