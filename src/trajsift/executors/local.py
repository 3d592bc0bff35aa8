"""Local executor: in-process or a process pool over shards, resumable after a kill.

Phases: read inputs into shards -> per stage: annotate each shard (-> reduce -> assign when the
stage is global) -> write outputs. Each phase's files are keyed by a fingerprint of everything
they depend on, so a rerun reuses what is complete and redoes only what is missing or changed.
Results never depend on the number of workers: shards come from the read, not from workers.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trajsift.executors import shard_work
from trajsift.executors.progress import NullProgress, Progress, ShardDone, report_shard
from trajsift.executors.reading import ReadResult, read_into_shards
from trajsift.executors.workspace import clean_temporaries, digest, write_json
from trajsift.pipeline import Pipeline
from trajsift.readers.read import ReadOptions
from trajsift.stages import Stage
from trajsift.tasks import Task


@dataclass
class RunPlan:
    """Everything a run depends on; its pieces key the work files."""

    inputs: list[str]
    out_dir: Path
    recipe_data: dict[str, Any]
    recipe_fingerprint: str
    tasks_path: str | None = None
    read_options: ReadOptions = field(default_factory=ReadOptions)
    workers: int = 1
    tasks: Mapping[str, Task] = field(default_factory=dict)
    """The tasks of `tasks_path`, loaded once by the caller (worker processes load their own)."""

    @property
    def work(self) -> Path:
        return self.out_dir / "_work"

    @property
    def cache_dir(self) -> Path:
        """Content-addressed caches of expensive checks (embeddings, test runs), shared across reruns."""
        return self.work / "cache"


@dataclass
class StageRun:
    name: str
    directory: Path | None
    skipped: str = ""


class LocalExecutor:
    def __init__(self, plan: RunPlan, pipeline: Pipeline, progress: Progress | None = None) -> None:
        self.plan = plan
        self.pipeline = pipeline
        self.progress = progress or NullProgress()
        self._pool: cf.ProcessPoolExecutor | None = None
        self._state: shard_work.WorkerState | None = None
        self._shards = 0

    def run(self, input_fingerprint: str) -> tuple[ReadResult, list[StageRun]]:
        try:
            return self._run(input_fingerprint)
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None

    def _run(self, input_fingerprint: str) -> tuple[ReadResult, list[StageRun]]:
        clean_temporaries(self.plan.out_dir)
        read_dir = self.plan.work / f"read-{input_fingerprint[:16]}"
        result = read_into_shards(self.plan, read_dir, self.progress)
        self._shards = result.shards
        stage_runs: list[StageRun] = []
        previous: Path | None = None
        chain = input_fingerprint
        for index, stage in enumerate(self.pipeline.stages):
            if stage.skipped:
                stage_runs.append(StageRun(stage.name, None, stage.skipped))
                continue
            spec = self.plan.recipe_data["stages"][index]
            chain = digest(chain, spec, self.plan.tasks_path or "")
            directory = self.plan.work / f"stage{index}-{stage.name}-{chain[:12]}"
            self._run_stage(index, result, previous, directory)
            stage_runs.append(StageRun(stage.name, directory))
            previous = directory
        return result, stage_runs

    def _run_stage(self, index: int, read: ReadResult, previous: Path | None, directory: Path) -> None:
        stage = self.pipeline.stages[index]
        shards = list(range(read.shards))
        job = shard_work.StageJob(
            index=index, read_dir=str(read.directory), previous=str(previous or ""), out=str(directory)
        )
        todo = [s for s in shards if not shard_work.annotated(job, s)]
        self.progress.phase(f"{stage.name}", len(shards), done=len(shards) - len(todo))
        self._map(shard_work.annotate_shard, job, todo)
        if not stage.is_global or not shards:  # no trajectory read: nothing to reduce
            return
        state_path = directory / "state.json"
        if not state_path.exists():
            write_json(state_path, self._reduce(stage, job, shards))
        todo = [s for s in shards if not shard_work.assigned(job, s)]
        self._map(shard_work.assign_shard, job, todo)

    def _reduce(self, stage: Stage, job: shard_work.StageJob, shards: list[int]) -> dict[str, Any]:
        """The global state of a stage from every shard's signatures (here, on this machine)."""
        return shard_work.reduce_stage(stage, job, shards)

    def _worker_state(self) -> shard_work.WorkerState:
        """The in-process worker's state: this executor's pipeline and the plan's tasks."""
        if self._state is None:
            ctx = shard_work.make_context(self.plan.tasks, self.plan.tasks_path, str(self.plan.cache_dir))
            self._state = shard_work.WorkerState(pipeline=self.pipeline, ctx=ctx)
        return self._state

    def _map(self, fn: Callable[..., Any], job: shard_work.StageJob, shards: list[int]) -> None:
        if not shards:
            return
        if self.plan.workers <= 1 or len(shards) == 1:
            state = self._worker_state()
            for shard in shards:
                fn(state, job, shard)
                self.progress.advance(1)
                self._report(fn, job, shard)
            return
        pool = self._worker_pool()
        futures = {pool.submit(shard_work.run_in_worker, fn.__name__, job, shard): shard for shard in shards}
        for future in cf.as_completed(futures):
            future.result()
            self.progress.advance(1)
            self._report(fn, job, futures[future])

    def _report(self, fn: Callable[..., Any], job: shard_work.StageJob, shard: int) -> None:
        """Publish a shard whose decisions are written (live dashboard and alerts read these reports)."""
        stage = self.pipeline.stages[job.index]
        if stage.is_global and fn is not shard_work.assign_shard:
            return  # a global stage decides only when its state is assigned
        path = shard_work.final_annotations_path(Path(job.out), stage.is_global, shard)
        report_shard(self.progress, ShardDone(job.index, stage.name, shard, self._shards, path))

    def _worker_pool(self) -> cf.ProcessPoolExecutor:
        """One pool for the whole run: workers build the pipeline once, not once per stage."""
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.plan.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=shard_work.init_worker,
                initargs=(self.plan.recipe_data, self.plan.tasks_path, str(self.plan.cache_dir), os.getpid()),
            )
        return self._pool
