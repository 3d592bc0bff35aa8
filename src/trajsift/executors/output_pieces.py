"""Output pieces: each shard's rows of the kept / rejected / review outputs, built by the workers.

`prepare_piece` (a shard step, run through `Executor.map_shards` after the last stage) joins a shard's last
decided annotations with its trajectories into the output table, exactly as the write phase would, and
writes it as an Arrow IPC file (`piece-NNNNN.arrow`, zstd buffers) with the trajectories' start and finish
times beside it. The driver's write phase then only reads the pieces in shard order (no record decoded), adds
them to the stats and streams them into the Parquet outputs, so the outputs are the bytes they would be if
the driver built every table itself.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from trajsift import annotations as ann
from trajsift.executors import shard_work
from trajsift.executors.shard_work import StageJob, WorkerState
from trajsift.files import atomic_write, read_table
from trajsift.writer import output_table

TIMES = ("_started_at", "_finished_at")
"""Extra columns of a piece: what the stats read from the trajectories; dropped before the outputs."""


def piece_path(out: str | Path, shard: int) -> Path:
    return Path(out) / f"piece-{shard:05d}.arrow"


def prepare_piece(state: WorkerState, job: StageJob, shard: int) -> None:
    """The output table of `shard` from the read (`job.read_dir`) and the last active stage (`job.previous`,
    stage `job.index`; none when every stage was skipped), into `job.out`."""
    trajs = shard_work.load_shard(job.read_dir, shard)
    types = state.pipeline.column_types()
    if job.previous:
        stage = state.pipeline.stages[job.index]
        path = shard_work.final_annotations_path(Path(job.previous), stage.is_global, shard)
        rows = ann.from_table(read_table(path), types)
    else:
        rows = [ann.Annotation(meta=ann.meta_of(t)) for t in trajs]
    table = output_table(rows, trajs, types)
    table = table.append_column(TIMES[0], pa.array([t.usage.started_at for t in trajs], pa.string()))
    table = table.append_column(TIMES[1], pa.array([t.usage.finished_at for t in trajs], pa.string()))

    def write(tmp: str) -> None:
        options = pa.ipc.IpcWriteOptions(compression="zstd")
        with pa.OSFile(tmp, "wb") as sink, pa.ipc.new_file(sink, table.schema, options=options) as writer:
            writer.write_table(table)

    atomic_write(piece_path(job.out, shard), write)


def load_piece(out: str | Path, shard: int) -> tuple[pa.Table, list[tuple[str, str]]]:
    """A piece's output table and its trajectories' (started_at, finished_at)."""
    with pa.OSFile(str(piece_path(out, shard)), "rb") as source:  # read into memory: no map outlives the file
        table = pa.ipc.open_file(source).read_all()
    times = list(zip(*(table[name].to_pylist() for name in TIMES), strict=True))
    return table.drop_columns(list(TIMES)), times
