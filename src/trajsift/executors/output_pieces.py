"""Output pieces: each shard's share of the outputs and of `stats.json`, built by the workers.

`prepare_piece` (a shard step, run through `Executor.map_shards` after the last stage) joins a shard's last
decided annotations with its trajectories into the output table, exactly as the write phase would, and writes
`piece-NNNNN.pkl`: per decision a Parquet file of the shard's rows, its footer already decoded (`split_parquet`),
and their JSONL lines when the run writes JSONL; the rows' decisions in order; the shard's partial stats
(`StatsBuilder.merge`). The driver's write phase then only concatenates the pieces in shard order
(`writer.write_pieces`: no row encoded there) and merges the stats, so the outputs are the bytes they would be
if the driver built and wrote every table itself.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from trajsift import annotations as ann
from trajsift.executors import shard_work
from trajsift.executors.shard_work import StageJob, WorkerState
from trajsift.files import atomic_write, read_table
from trajsift.parquet_concat import ParquetPart, split_parquet
from trajsift.schema import Trajectory
from trajsift.stats import StatsBuilder
from trajsift.writer import decision_parts, jsonl_bytes, output_schema, output_table, parquet_bytes


@dataclass
class Piece:
    parquet: dict[str, ParquetPart]
    """Per decision value, a Parquet file of the shard's rows with that decision, split for concatenation."""
    jsonl: dict[str, bytes]
    """Per decision value, the JSONL lines of those rows (empty unless `job.jsonl`)."""
    decisions: pa.Array
    """Every row's decision, in input order."""
    stats: StatsBuilder
    """The shard's rows counted, every score value kept (`keep_every_value`)."""


def piece_path(out: str | Path, shard: int) -> Path:
    return Path(out) / f"piece-{shard:05d}.pkl"


def prepare_piece(state: WorkerState, job: StageJob, shard: int) -> None:
    """The outputs of `shard` from the read (`job.read_dir`) and the last active stage (`job.previous`,
    stage `job.index`; none when every stage was skipped), into `job.out`."""
    trajs = shard_work.load_shard(job.read_dir, shard)
    types = state.pipeline.column_types()
    if job.previous:
        stage = state.pipeline.stages[job.index]
        path = shard_work.final_annotations_path(Path(job.previous), stage.is_global, shard)
        rows = ann.from_table(read_table(path), types)
    else:
        rows = [ann.Annotation(meta=ann.meta_of(t)) for t in trajs]
    _piece_of(job, shard, trajs, rows, types)


def assign_with_piece(state: WorkerState, job: StageJob, shard: int) -> None:
    """`shard_work.assign_shard` for the last stage, then the shard's piece (into `job.pieces`) from the
    annotations as written, not read back: `prepare_piece`'s bytes, one pass and one wait less."""
    table = shard_work.assign_shard(state, job, shard)
    types = state.pipeline.column_types()
    piece_job = StageJob(job.index, job.read_dir, job.out, job.pieces, jsonl=job.jsonl)
    _piece_of(piece_job, shard, shard_work.load_shard(job.read_dir, shard), ann.from_table(table, types), types)


def _piece_of(job: StageJob, shard: int, trajs: list[Trajectory], rows: list[ann.Annotation], types: dict) -> None:
    times = [(t.usage.started_at, t.usage.finished_at) for t in trajs]
    write_piece(job, shard, rows, output_table(rows, trajs, types), times, types)


def write_piece(
    job: StageJob, shard: int, rows: list[ann.Annotation], table: pa.Table, times: list[tuple[str, str]], types: dict
) -> None:
    """`shard`'s piece from its rows, their output table (`writer.output_table`) and their trajectories'
    (started_at, finished_at)."""
    stats = StatsBuilder([], types, keep_every_value=True)
    stats.add(rows, times)
    schema = output_schema(types)
    piece = Piece({}, {}, pa.array([row.decision for row in rows], pa.string()), stats)
    for decision, part in decision_parts(table):
        piece.parquet[decision.value] = split_parquet(parquet_bytes(part, schema))  # decoded here, not in the driver
        piece.jsonl[decision.value] = jsonl_bytes(part) if job.jsonl else b""

    def write(tmp: str) -> None:
        with open(tmp, "wb") as sink:
            pickle.dump(piece, sink, protocol=pickle.HIGHEST_PROTOCOL)

    atomic_write(piece_path(job.out, shard), write)


def load_piece(out: str | Path, shard: int) -> Piece:
    with open(piece_path(out, shard), "rb") as source:
        return pickle.load(source)
