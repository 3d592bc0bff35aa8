"""The lean path of `trajsift dedup`: the driver's phases with the first stage signed while reading.

`trajsift run` decodes every shard of full records once per stage and once more for the outputs. A dedup
pipeline (the diversity stages) needs much less: its first stage only signs (exact, near and novelty
signatures, computed from the records once) and the stages after it read the row's task and scores. So here:

- the read is `lean_read.sign_group` in the workers: records are read, signed by the first stage and laid out
  for the outputs in one pass; the shards hold only the first stage's annotations and signatures;
- the first stage's reduce and assign, and every later stage's reduce and assign, are the general ones;
- a later stage annotates from the rows alone (`annotate_from_rows`), allowed only for checks that read
  nothing of a record but its annotation columns (`ROW_ONLY_CHECKS`);
- each shard's output table takes its records from the read's `traj` files (`prepare_lean_piece`).

The outputs are the general path's, byte for byte (tests/executors/test_lean.py).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from trajsift import annotations as ann
from trajsift.checks.global_check import GlobalCheck
from trajsift.executors import shard_work
from trajsift.executors.base import ShardStep
from trajsift.executors.driver import Driver
from trajsift.executors.lean_read import LeanAssembler, LeanSetup, shard_records, sign_group
from trajsift.executors.output_pieces import write_piece
from trajsift.executors.reading import ReadResult, read_into_shards
from trajsift.executors.shard_work import StageJob, WorkerState
from trajsift.files import read_table
from trajsift.pipeline import Pipeline
from trajsift.schema import Outcome, Source, TaskRef, Trajectory
from trajsift.writer import output_table_of

ROW_ONLY_CHECKS = frozenset({"diversity.sample"})
"""Checks that read only a row's annotation columns and its record's id and task id (what `row_record` keeps)."""


def lean_applies(pipeline: Pipeline) -> bool:
    """Whether the lean path runs `pipeline`: its first active stage has only global checks, and every later
    one only checks of `ROW_ONLY_CHECKS`."""
    active = [stage for stage in pipeline.stages if not stage.skipped]
    if not active or not active[0].checks or not all(isinstance(c, GlobalCheck) for c in active[0].checks):
        return False
    return all(check.id in ROW_ONLY_CHECKS for stage in active[1:] for check in stage.checks)


def row_record(meta: dict[str, Any]) -> Trajectory:
    """A record holding only what a row's metadata columns say of it (`annotations.meta_of` inverted)."""
    text = {name: meta.get(name) or "" for name in ("task_id", "category", "difficulty", "repo")}
    source = {name: meta.get(name) or "" for name in ("scaffold", "model", "format", "run")}
    return Trajectory(
        id=meta["trajectory_id"],
        source=Source(**source, temperature=meta.get("temperature")),
        task=TaskRef(**text),
        outcome=Outcome(resolved=meta.get("resolved_label")),
    )


def annotate_from_rows(state: WorkerState, job: StageJob, shard: int) -> None:
    """`shard_work.annotate_shard` for a stage of `ROW_ONLY_CHECKS`: the records rebuilt from the rows."""
    rows = shard_work.previous_rows(state, job, [], shard)
    shard_work.annotate_rows(state, job, shard, [row_record(row.meta) for row in rows], rows)


def prepare_lean_piece(state: WorkerState, job: StageJob, shard: int) -> None:
    """`output_pieces.prepare_piece` with the records from the lean read's `traj` files (never decoded)."""
    types = state.pipeline.column_types()
    stage = state.pipeline.stages[job.index]
    path = shard_work.final_annotations_path(Path(job.previous), stage.is_global, shard)
    rows = ann.from_table(read_table(path), types)
    records = shard_records(job.read_dir, shard)
    times = [pc.fill_null(pc.struct_field(records, ["usage", name]), "") for name in ("started_at", "finished_at")]
    pairs = list(zip(*(column.to_pylist() for column in times), strict=True))
    write_piece(job, shard, rows, output_table_of(rows, records, types), pairs, types)


class LeanDriver(Driver):
    """`Driver` with the lean read (first stage signed in it), row-only later stages and lean pieces."""

    piece_step = staticmethod(prepare_lean_piece)

    def _read(self, input_fingerprint: str) -> ReadResult:
        plan = self.plan
        first = next(i for i, stage in enumerate(self.pipeline.stages) if not stage.skipped)
        chain = self._chain(input_fingerprint, first)
        cache = str(plan.cache_dir)
        setup = LeanSetup(plan.recipe_data, plan.tasks_path, cache, first, plan.recipe.shard_size)
        assembler = partial(LeanAssembler, setup=setup, stage_dir=self._stage_dir(first, chain))
        return read_into_shards(
            plan.inputs,
            plan.read_options,
            plan.tasks,
            plan.recipe.shard_size,
            plan.work / f"lean-{chain[:16]}",
            self.progress,
            self.executor.map_units,
            step=sign_group,
            assembler=assembler,
        )

    def _annotate_step(self, index: int) -> ShardStep:
        return annotate_from_rows  # the first stage's shards are annotated by the read: never asked for
