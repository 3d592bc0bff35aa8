"""Write phase of a run: each shard's piece (its rows of the kept / rejected / review outputs as Parquet, its
decisions and partial stats, built by the workers: `output_pieces`) concatenated into the outputs and merged into
`stats.json`, in shard order; the quarantine file; and the input order (`order.parquet`: every row's decision in
input order, so a reader can put the three outputs back in input order without looking at the executor's work
files)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from trajsift.executors.base import Phases, RunPlan
from trajsift.executors.output_pieces import load_piece, piece_path
from trajsift.files import write_json, write_table
from trajsift.pipeline import Pipeline
from trajsift.rundir import RunDir
from trajsift.stats import StatsBuilder
from trajsift.writer import PieceFiles, write_pieces, write_quarantine


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

    def pieces() -> Iterator[PieceFiles]:
        for shard in range(phases.read.shards):
            piece = load_piece(phases.pieces, shard)
            piece_path(phases.pieces, shard).unlink()  # held here now: the disk never holds all pieces and
            # the outputs at once (~the outputs' size at 1M rows); a rerun after a failure builds it again
            builder.merge(piece.stats)
            decisions.append(piece.decisions)
            yield piece.parquet, piece.jsonl

    counts = write_pieces(plan.out_dir, pieces(), types, plan.recipe.output.jsonl)
    order = pa.chunked_array(decisions, pa.string()).combine_chunks()
    write_table(RunDir(plan.out_dir).order, pa.table({"decision": order.dictionary_encode()}))
    write_quarantine(plan.out_dir, phases.read.directory / "quarantine.jsonl")
    runs = [
        {"name": r.name, "status": "skipped" if r.skipped else "ran", "skip_reason": r.skipped} for r in phases.stages
    ]
    stats = builder.build(phases.read.to_json(), runs)
    write_json(RunDir(plan.out_dir).stats, stats)
    return Written(stats, counts)
