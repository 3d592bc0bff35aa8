"""Write phase of a run: each shard's last decided annotations joined with its trajectories, streamed into
the kept / rejected / review outputs, the quarantine file and `stats.json`; plus the input order
(`order.parquet`: every row's decision in input order, so a reader can put the three outputs back in input
order without looking at the executor's work files)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from trajsift import annotations as ann
from trajsift.executors import shard_work
from trajsift.executors.base import Phases, RunPlan
from trajsift.files import read_table, write_json, write_table
from trajsift.pipeline import Pipeline
from trajsift.rundir import RunDir
from trajsift.schema import Trajectory
from trajsift.stats import StatsBuilder
from trajsift.writer import write_outputs, write_quarantine


@dataclass
class Written:
    stats: dict[str, Any]
    counts: dict[str, int]


def write_phase(plan: RunPlan, pipeline: Pipeline, phases: Phases) -> Written:
    """Write the outputs into `plan.out_dir`; returns the stats and the row count of each output."""
    types = pipeline.column_types()
    stage_checks = {s.name: [c.id for c in s.checks] for s in pipeline.stages}
    builder = StatsBuilder([s.name for s in pipeline.stages], types, bool(plan.recipe.labels), stage_checks)

    decisions: list[pa.Array] = []

    def shards() -> Iterator[tuple[list[ann.Annotation], list[Trajectory]]]:
        for rows, trajs in _final_shards(pipeline, phases):
            builder.add(rows, [(t.usage.started_at, t.usage.finished_at) for t in trajs])
            decisions.append(pa.array([row.decision for row in rows], pa.string()))
            yield rows, trajs

    counts = write_outputs(plan.out_dir, shards(), types, plan.recipe.output.jsonl)
    order = pa.chunked_array(decisions, pa.string()).combine_chunks()
    write_table(RunDir(plan.out_dir).order, pa.table({"decision": order.dictionary_encode()}))
    write_quarantine(plan.out_dir, phases.read.directory / "quarantine.jsonl")
    runs = [
        {"name": r.name, "status": "skipped" if r.skipped else "ran", "skip_reason": r.skipped} for r in phases.stages
    ]
    stats = builder.build(phases.read.to_json(), runs)
    write_json(RunDir(plan.out_dir).stats, stats)
    return Written(stats, counts)


def _final_shards(pipeline: Pipeline, phases: Phases) -> Iterator[tuple[list[ann.Annotation], list[Trajectory]]]:
    active = [(run, stage) for run, stage in zip(phases.stages, pipeline.stages, strict=True) if not stage.skipped]
    types = pipeline.column_types()
    read = phases.read
    for shard in range(read.shards):
        trajs = shard_work.load_shard(read.directory, shard)
        if active:
            run, stage = active[-1]
            assert run.directory is not None  # an active stage always has its folder
            path = shard_work.final_annotations_path(run.directory, stage.is_global, shard)
            rows = ann.from_table(read_table(path), types)
        else:
            rows = [ann.Annotation(meta=ann.meta_of(t)) for t in trajs]
        yield rows, trajs
