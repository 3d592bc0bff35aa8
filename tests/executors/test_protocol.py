"""The executor protocol: any `Executor` plugs into the one driver and writes the local executor's files."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from trajsift.config import load_recipe
from trajsift.errors import ConfigError
from trajsift.executors import EXECUTORS, make_executor, shard_work
from trajsift.executors.base import ExecutorSettings, RunPlan, ShardStep
from trajsift.executors.local import LocalExecutor
from trajsift.executors.read_parts import ReadJob, UnitStep
from trajsift.executors.shard_work import StageJob
from trajsift.pipeline import Pipeline
from trajsift.progress import ShardDone
from trajsift.readers.read import ReadOptions
from trajsift.run import run_pipeline
from trajsift.stages import Stage


class Backwards:
    """A third executor, written against the protocol only: every shard in reverse order, in this process."""

    def __init__(self) -> None:
        self.maps: list[tuple[str, int]] = []
        self.closed = False

    def start(self, plan: RunPlan, pipeline: Pipeline) -> None:
        ctx = shard_work.make_context(plan.tasks, plan.tasks_path, str(plan.cache_dir))
        self.state = shard_work.WorkerState(pipeline=pipeline, ctx=ctx)

    def map_units(self, step: UnitStep, job: ReadJob, groups: Sequence[int]) -> Iterator[int]:
        self.maps.append((step.__name__, len(groups)))
        for group in sorted(groups, reverse=True):  # any order: the driver assembles the parts in input order
            step(job, group)
            yield group

    def map_shards(self, step: ShardStep, job: StageJob, shards: Sequence[int]) -> Iterator[int]:
        self.maps.append((step.__name__, len(shards)))
        for shard in sorted(shards, reverse=True):  # any order: the driver keys work by shard
            step(self.state, job, shard)
            yield shard

    def reduce(self, stage: Stage, job: StageJob, shards: Sequence[int]) -> dict[str, Any]:
        return shard_work.reduce_stage(stage, job, list(shards))

    def close(self) -> None:
        self.closed = True


class Recorder:
    def __init__(self) -> None:
        self.phases: list[str] = []
        self.shards: list[ShardDone] = []

    def phase(self, name: str, total: int, done: int = 0) -> None:
        self.phases.append(name)

    def advance(self, n: int) -> None:
        pass

    def shard_done(self, report: ShardDone) -> None:
        self.shards.append(report)


def test_a_new_executor_writes_the_local_files(dataset, recipe_file, tmp_path, run_files):
    recipe = load_recipe(str(recipe_file))
    run_pipeline([str(dataset)], tmp_path / "local", recipe)
    custom, progress = Backwards(), Recorder()
    result = run_pipeline([str(dataset)], tmp_path / "custom", recipe, custom, progress=progress)
    assert run_files(tmp_path / "local") == run_files(tmp_path / "custom")
    shards = result.stats["input"]["shards"]
    assert custom.closed and sum(result.counts.values()) == 60 and shards == 9  # 60 rows, shard_size 7
    assert ("annotate_shard", shards) in custom.maps and ("assign_shard", shards) in custom.maps
    assert custom.maps[0][0] == "read_group"
    stages = ["gate", "rank", "diversity", "review"]
    assert progress.phases == ["read", *stages]
    decided = {(r.stage, r.shard) for r in progress.shards}
    assert decided == {(stage, shard) for stage in stages for shard in range(shards)}
    assert all(r.path.exists() for r in progress.shards)


def test_read_options_of_the_caller_are_not_changed(dataset, recipe_file, tmp_path):
    options = ReadOptions()
    run_pipeline([str(dataset)], tmp_path / "out", load_recipe(str(recipe_file)), read_options=options)
    assert options.on_entry is None


def test_executors_by_name():
    assert set(EXECUTORS) == {"local", "ray"}
    local = make_executor("local", ExecutorSettings(workers=3))
    assert isinstance(local, LocalExecutor) and local.workers == 3
    with pytest.raises(ConfigError, match="unknown executor 'dask'; known: local, ray"):
        make_executor("dask", ExecutorSettings())


def test_run_plan_takes_keywords_only(tmp_path):
    with pytest.raises(TypeError):
        RunPlan(["in.jsonl"], tmp_path, load_recipe(None))  # type: ignore[misc]


def test_outputs_back_in_input_order_without_the_work_folder(dataset, recipe_file, tmp_path):
    """The run records every row's decision in input order; series interleave the three outputs back with it."""
    import shutil

    from trajsift.series import ordered_table

    out = tmp_path / "out"
    run_pipeline([str(dataset)], out, load_recipe(str(recipe_file)))
    shutil.rmtree(out / "_work")  # the executor's work files are private: never needed to read a run
    table = ordered_table(out, ["decision"])
    assert len(set(table["decision"].to_pylist())) >= 2  # the outputs really interleave
    assert table["trajectory_id"].to_pylist() == [f"traj-{i:03d}" for i in range(60)]
