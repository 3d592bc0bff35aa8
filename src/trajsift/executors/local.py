"""Local executor: the read's unit groups and per-shard work in this process (`--workers 1`) or in a process
pool; reduces here.

The pool (`worker_pool`) is created on the first map with more than one group or shard and lives for the whole
run, so workers build the pipeline once, not once per stage. Workers die with the run's process (`lifeline`).
"""

from __future__ import annotations

import concurrent.futures as cf
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any

from trajsift.executors import shard_work
from trajsift.executors.base import ExecutorSettings, RunPlan, ShardStep
from trajsift.executors.read_parts import ReadJob, UnitStep
from trajsift.executors.shard_work import StageJob
from trajsift.executors.worker_pool import BLAS_THREAD_VARIABLES, FrozenHeap, make_pool, warm_up
from trajsift.pipeline import Pipeline
from trajsift.stages import Stage

__all__ = ["BLAS_THREAD_VARIABLES", "LocalExecutor"]


class LocalExecutor:
    """`Executor` on this machine: `settings.workers` processes (the address is not used)."""

    def __init__(self, settings: ExecutorSettings | None = None) -> None:
        self.workers = (settings or ExecutorSettings()).workers
        if self.workers > 1:
            warm_up()  # the fork server's imports overlap the caller's set-up and the read's listing
        self._plan: RunPlan | None = None
        self._pipeline: Pipeline | None = None
        self._pool: cf.ProcessPoolExecutor | None = None
        self._state: shard_work.WorkerState | None = None
        self._heap = FrozenHeap()

    def start(self, plan: RunPlan, pipeline: Pipeline) -> None:
        self._plan, self._pipeline = plan, pipeline
        self._heap.freeze()  # this process reads, and runs shards itself with one worker
        if self.workers > 1:
            warm_up()  # started by `__init__` unless stopped since (a no-op then)

    def map_units(self, step: UnitStep, job: ReadJob, groups: Sequence[int]) -> Iterator[int]:
        """The read's groups in the pool (started here, reused by the stages); in this process for one worker."""
        return self._map(groups, lambda group: step(job, group), lambda pool, group: pool.submit(step, job, group))

    def map_shards(self, step: ShardStep, job: StageJob, shards: Sequence[int]) -> Iterator[int]:
        return self._map(
            shards,
            lambda shard: step(self._worker_state(), job, shard),
            lambda pool, shard: pool.submit(shard_work.run_in_worker, step, job, shard),
        )

    def _map(
        self,
        items: Sequence[int],
        here: Callable[[int], None],
        there: Callable[[cf.ProcessPoolExecutor, int], cf.Future],
    ) -> Iterator[int]:
        """Each item `here` (one worker, or one item), else `there` in the pool; yield each item once done."""
        if self.workers <= 1 or len(items) == 1:
            for item in items:
                here(item)
                yield item
            return
        futures = yield from self._submit_while_starting(items, here, there)
        for future in cf.as_completed(futures):
            future.result()
            yield futures[future]

    def _submit_while_starting(
        self,
        items: Sequence[int],
        here: Callable[[int], None],
        there: Callable[[cf.ProcessPoolExecutor, int], cf.Future],
    ) -> Generator[int, None, dict[cf.Future, int]]:
        """Submit every item to the pool from a thread. Its first submit waits for the pool's workers to start
        (on the first map, for the fork server's imports); meanwhile this process runs items `here` from the end
        of the list (the lightest when the heaviest come first), so its core is not idle. Returns the futures."""
        todo: deque[int] = deque(items)
        futures: dict[cf.Future, int] = {}

        def submit() -> None:
            pool = self._worker_pool()
            while todo:
                try:
                    item = todo.popleft()
                except IndexError:  # taken here meanwhile
                    return
                futures[there(pool, item)] = item

        with cf.ThreadPoolExecutor(1, thread_name_prefix="trajsift-pool-submit") as starter:  # waits for it on exit
            submitting = starter.submit(submit)
            while not submitting.done() and todo:
                try:
                    item = todo.pop()
                except IndexError:
                    break
                here(item)
                yield item
            submitting.result()
        return futures

    def reduce(self, stage: Stage, job: StageJob, shards: Sequence[int]) -> dict[str, Any]:
        """The global state from every shard's signatures, gathered on this machine."""
        return shard_work.reduce_stage(stage, job, list(shards))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        self._heap.unfreeze()

    def _started(self) -> tuple[RunPlan, Pipeline]:
        if self._plan is None or self._pipeline is None:
            raise RuntimeError("LocalExecutor.start(plan, pipeline) was not called")
        return self._plan, self._pipeline

    def _worker_state(self) -> shard_work.WorkerState:
        """The in-process worker's state: the run's pipeline and the plan's tasks."""
        if self._state is None:
            plan, pipeline = self._started()
            ctx = shard_work.make_context(plan.tasks, plan.tasks_path, str(plan.cache_dir))
            self._state = shard_work.WorkerState(pipeline=pipeline, ctx=ctx)
        return self._state

    def _worker_pool(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            plan, _ = self._started()
            initargs = (plan.recipe_data, plan.tasks_path, str(plan.cache_dir))
            self._pool = make_pool(self.workers, initargs)
        return self._pool
