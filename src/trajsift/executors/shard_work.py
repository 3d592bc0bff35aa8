"""The per-shard work of a stage, runnable in this process or in a pool worker.

Files of stage directory `out`: `ann-N.parquet` (checks run; decided unless the stage is global),
`sig-N.parquet` (global signatures of live rows), `state.json` (the reduce), `final-N.parquet`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import zstandard

from trajsift import annotations as ann
from trajsift.arrow import skip_pandas
from trajsift.checks.base import CheckContext
from trajsift.config import Recipe
from trajsift.executors.lifeline import die_with_parent
from trajsift.files import read_json, read_table, write_table
from trajsift.pipeline import Pipeline, build_pipeline
from trajsift.schema import Trajectory
from trajsift.stages import Stage
from trajsift.tasks import Task, load_tasks

_SHARD_DECODER = msgspec.json.Decoder(list[Trajectory])
SHARD_LEVEL = 1
"""zstd level of the shards' records, compressed one frame per record by the read's workers (`read_parts`)."""
_OPEN, _COMMA, _CLOSE = (zstandard.ZstdCompressor(level=SHARD_LEVEL).compress(c) for c in (b"[", b",", b"]"))
_MAGIC = _OPEN[:4]
"""How every zstd frame starts (a record's JSON never does: it starts with `{`)."""
_READ_SIZE = 1 << 20
"""Bytes read at a time across a shard's frames (the default, 128 KiB, decodes ~40 % slower)."""


@dataclass(frozen=True)
class StageJob:
    index: int
    read_dir: str
    previous: str
    out: str
    jsonl: bool = False
    """The outputs include JSONL copies (read by `output_pieces`)."""
    then: StageJob | None = None
    """The next stage, annotated in the same pass over each shard (`annotate_shard`): decoded once."""
    pieces: str = ""
    """The output pieces' folder when they are built in the same pass as the assign (`output_pieces`)."""


@dataclass
class WorkerState:
    pipeline: Pipeline
    ctx: CheckContext


_worker: WorkerState | None = None


def build_state(recipe_data: dict[str, Any], tasks_path: str | None, cache_dir: str = "") -> WorkerState:
    """A worker process's state, rebuilt from the recipe and the task file."""
    tasks: dict[str, Task] = load_tasks(tasks_path) if tasks_path else {}
    pipeline = build_pipeline(Recipe.model_validate(recipe_data), tasks)
    return WorkerState(pipeline=pipeline, ctx=make_context(tasks, tasks_path, cache_dir))


def make_context(tasks: Mapping[str, Task], tasks_path: str | None, cache_dir: str) -> CheckContext:
    task_dir = str(Path(tasks_path).resolve().parent) if tasks_path else ""
    return CheckContext(tasks=tasks, cache_dir=cache_dir, task_dir=task_dir)


def init_worker(recipe_data: dict[str, Any], tasks_path: str | None, cache_dir: str = "", parent_pid: int = 0) -> None:
    """A pool worker's initializer: dies with `parent_pid`, then builds its pipeline (pyarrow told not to import
    pandas: `arrow.skip_pandas`)."""
    global _worker
    if parent_pid:
        die_with_parent(parent_pid)
    skip_pandas()
    _worker = build_state(recipe_data, tasks_path, cache_dir)


def run_in_worker(step: Callable[[WorkerState, StageJob, int], None], job: StageJob, shard: int) -> None:
    """`step` (`annotate_shard` or `assign_shard`, pickled by reference) on `shard`, in a pool worker."""
    assert _worker is not None, "worker not initialised"
    step(_worker, job, shard)


def shard_path(read_dir: str | Path, shard: int) -> Path:
    return Path(read_dir) / f"shard-{shard:05d}.json.zst"


def join_frames(records: list[bytes]) -> bytes:
    """A shard's file from its records' zstd frames: frames that decode to the JSON array of the records, as
    `msgspec.json.encode` writes it (a zstd file of several frames decodes to their contents joined). A record
    still in plain JSON (a part file left by a version that did not compress them) is compressed here."""
    plain = [i for i, record in enumerate(records) if not record.startswith(_MAGIC)]
    if plain:
        compressor = zstandard.ZstdCompressor(level=SHARD_LEVEL)
        records = list(records)
        for i in plain:
            records[i] = compressor.compress(records[i])
    return _OPEN + _COMMA.join(records) + _CLOSE


def load_shard(read_dir: str | Path, shard: int) -> list[Trajectory]:
    data = shard_path(read_dir, shard).read_bytes()
    reader = zstandard.ZstdDecompressor().stream_reader(data, read_size=_READ_SIZE, read_across_frames=True)
    return _SHARD_DECODER.decode(reader.read())


def _file(job: StageJob, kind: str, shard: int) -> Path:
    return Path(job.out) / f"{kind}-{shard:05d}.parquet"


def signature_path(job: StageJob, shard: int) -> Path:
    """The signatures of a global stage's live rows in `shard` (what its reduce reads)."""
    return _file(job, "sig", shard)


def annotated(job: StageJob, shard: int) -> bool:
    return _file(job, "ann", shard).exists()


def assigned(job: StageJob, shard: int) -> bool:
    return _file(job, "final", shard).exists()


def final_annotations_path(stage_dir: Path, is_global: bool, shard: int) -> Path:
    return stage_dir / f"{'final' if is_global else 'ann'}-{shard:05d}.parquet"


def previous_rows(state: WorkerState, job: StageJob, trajs: list[Trajectory], shard: int) -> list[ann.Annotation]:
    if not job.previous:
        return [ann.Annotation(meta=ann.meta_of(t)) for t in trajs]
    stages = state.pipeline.stages
    prev_index = max(i for i in range(job.index) if not stages[i].skipped)
    path = final_annotations_path(Path(job.previous), stages[prev_index].is_global, shard)
    return ann.from_table(read_table(path), state.pipeline.column_types())


def annotate_shard(state: WorkerState, job: StageJob, shard: int) -> None:
    """Stage `job.index` on `shard`, then `job.then` on its rows as written (the table, not read back)."""
    trajs = load_shard(job.read_dir, shard)
    table = annotate_rows(state, job, shard, trajs, previous_rows(state, job, trajs, shard))
    if job.then is not None:
        annotate_rows(state, job.then, shard, trajs, ann.from_table(table, state.pipeline.column_types()))


def annotate_rows(
    state: WorkerState, job: StageJob, shard: int, trajs: list[Trajectory], rows: list[ann.Annotation]
) -> pa.Table:
    """Run stage `job.index` on `shard`'s trajectories and their rows so far; write its annotation files and
    return the annotations' table."""
    stage = state.pipeline.stages[job.index]
    signatures = stage.annotate(trajs, rows, state.ctx)
    types = state.pipeline.column_types()
    if stage.is_global:
        write_table(_file(job, "sig", shard), signature_table(stage, rows, signatures, types))
    else:
        stage.decide(rows)
    table = ann.to_table(rows, types)
    write_table(_file(job, "ann", shard), table)
    return table


def signature_table(stage: Stage, rows: list[ann.Annotation], sigs: list[dict], types: dict) -> pa.Table:
    all_types = {**ann.META_COLUMNS, **types}
    columns: dict[str, pa.DataType] = {"trajectory_id": pa.string(), **stage.signature_types()}
    for name in sorted(stage.rule_columns()):
        columns[name] = all_types.get(name, pa.float64())
    live = [(row, sig) for row, sig in zip(rows, sigs, strict=True) if stage.live(row)]
    data = {name: [] for name in columns}
    for row, sig in live:
        values = {**row.columns(), **sig}
        for name in columns:
            data[name].append(values.get(name))
    return pa.table(data, schema=pa.schema([pa.field(n, t) for n, t in columns.items()]))


def reduce_stage(stage: Stage, job: StageJob, shards: list[int]) -> dict[str, Any]:
    """The stage's reduce over its shards' signatures, each check's columns read from the files for it alone:
    at 1M rows novelty's vectors are ~1 GB and near's signatures ~1 GB, never both in memory."""
    if not shards:
        return stage.reduce(pa.table({"trajectory_id": pa.array([], pa.string())}))
    return stage.reduce_from(signature_loader(job, shards))


def signature_loader(job: StageJob, shards: list[int]) -> Callable[[list[str]], pa.Table]:
    """`columns` -> those columns of the shards' signature files, as one table (a chunk per shard)."""
    paths = [_file(job, "sig", s) for s in shards]
    return lambda columns: pa.concat_tables([read_table(path, columns) for path in paths])


_states: dict[str, tuple[tuple[int, int], Any]] = {}


def stage_state(job: StageJob) -> Any:
    """The stage's reduce (`state.json`, read only), parsed once per process while the file is unchanged: it
    grows with the rows (~50 MB of JSON, ~2.5 CPU-s to parse, at 1M), so parsing it per shard costs O(N^2)."""
    path = Path(job.out) / "state.json"
    stat = path.stat()
    version = (stat.st_mtime_ns, stat.st_size)
    cached = _states.get(str(path))
    if cached is None or cached[0] != version:
        _states.clear()  # one stage's state at a time
        _states[str(path)] = cached = (version, read_json(path))
    return cached[1]


def assign_shard(state: WorkerState, job: StageJob, shard: int) -> pa.Table:
    """A global stage's decisions for `shard` from its reduce; writes and returns the final annotations."""
    stage = state.pipeline.stages[job.index]
    types = state.pipeline.column_types()
    rows = ann.from_table(read_table(_file(job, "ann", shard)), types)
    sig_rows = read_table(_file(job, "sig", shard)).to_pylist()
    by_id = {row["trajectory_id"]: row for row in sig_rows}
    signatures = [by_id.get(row.id, {}) for row in rows]
    stage.assign(rows, signatures, stage_state(job))
    table = ann.to_table(rows, types)
    write_table(_file(job, "final", shard), table)
    return table
