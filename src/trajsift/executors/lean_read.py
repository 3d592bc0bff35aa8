"""The lean read of `trajsift dedup`: each worker reads a group of input units and signs it in the same pass.

No shard of full records is written and decoded again by every stage. Per group `g` (listed and balanced as
in `executors.reading`), `sign_group` writes:

- `part-g.zst`: the group's rows in input order as `read_parts` frames, a trajectory by its position in the
  group instead of its record: `(QUARANTINED, reason, line)`, `(TRAJECTORY, id, origin, position)`, `(SUMMARY, ...)`;
- `ann-g.arrow`, `sig-g.arrow`: the first stage's annotations and signatures of the group's trajectories, what
  `shard_work.annotate_rows` writes for a shard (the first stage sees every row: all are live);
- `traj-g.arrow`: the records in the output layout (`arrow.TRAJECTORY`), read back only by the output pieces.

`LeanAssembler` then walks the parts in input order like the shard read (repeated ids quarantined, first kept)
and cuts the compact rows into shards: the first stage's `ann-N` / `sig-N` files in its stage folder, and
`slices-N.json` (which group rows form shard N) for the pieces. The files of the next stages are the general
pipeline's, so reduces, assigns and the write phase run unchanged, on any executor.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import zstandard

from trajsift import annotations as ann
from trajsift.arrow import TRAJECTORY
from trajsift.executors.read_parts import QUARANTINED, ReadJob, frame, open_group, part_path, quarantine_line
from trajsift.executors.read_parts import TRAJECTORY as TRAJECTORY_ROW
from trajsift.executors.reading import Assembler, ReadResult
from trajsift.executors.shard_work import WorkerState, build_state, signature_table
from trajsift.files import atomic_write, read_json, write_bytes, write_json, write_table
from trajsift.progress import Progress
from trajsift.readers.admit import admitted_row
from trajsift.schema import Quarantined, Trajectory

SETUP = "lean.pkl"
RECORDS = pa.schema([pa.field("trajectory", TRAJECTORY)])
_IPC = pa.ipc.IpcWriteOptions(compression="lz4")
"""The group files' compression: lz4, cheap to write and to read back."""


@dataclass(frozen=True)
class LeanSetup:
    """What a worker needs to sign a group: the recipe (its pipeline), the tasks file, the cache, the stage."""

    recipe_data: dict[str, Any]
    tasks_path: str | None
    cache_dir: str
    stage: int
    """Index of the first active stage: the one signed while reading."""
    batch: int
    """Trajectories annotated at a time (the recipe's shard size)."""


_states: dict[str, tuple[LeanSetup, WorkerState]] = {}


def group_file(read_dir: str | Path, kind: str, group: int) -> Path:
    return Path(read_dir) / f"{kind}-{group:05d}.arrow"


def slices_path(read_dir: str | Path, shard: int) -> Path:
    return Path(read_dir) / f"slices-{shard:05d}.json"


def _state(read_dir: str) -> tuple[LeanSetup, WorkerState]:
    """This process's pipeline for the lean read in `read_dir`, built once per read."""
    if read_dir not in _states:
        _states.clear()
        setup: LeanSetup = pickle.loads((Path(read_dir) / SETUP).read_bytes())
        _states[read_dir] = (setup, build_state(setup.recipe_data, setup.tasks_path, setup.cache_dir))
    return _states[read_dir]


def sign_group(job: ReadJob, group: int) -> None:
    """Read group `group` of the lean read in `job.read_dir` and write its part and its three tables; the records
    go to their file batch by batch (a worker holds one batch of them, whatever the group's size)."""
    setup, state = _state(job.read_dir)
    read = open_group(job, group)
    frames: list[bytes] = []
    tables: dict[str, list[pa.Table]] = {"ann": [], "sig": []}

    def sign(tmp: str) -> None:
        with pa.OSFile(tmp, "wb") as sink, pa.ipc.new_file(sink, RECORDS, options=_IPC) as records:
            batch: list[Trajectory] = []
            laid: list[dict] = []  # their rows in the output layout, built when admitted (`admitted_row`)
            signed = 0
            for item in read.items:
                if isinstance(item, Quarantined):
                    frames.append(frame((QUARANTINED, item.reason, quarantine_line(item))))
                    continue
                frames.append(frame((TRAJECTORY_ROW, item.id, item.source.path or item.id, signed)))  # its table row
                signed += 1
                batch.append(item)
                laid.append(admitted_row(item))
                if len(batch) >= setup.batch:
                    _sign_batch(state, setup.stage, batch, laid, tables, records)
                    batch, laid = [], []
            _sign_batch(state, setup.stage, batch, laid, tables, records)

    atomic_write(group_file(job.read_dir, "traj", group), sign, checkpointed=False)
    for kind, parts in tables.items():
        _write_ipc(group_file(job.read_dir, kind, group), parts)
    frames.append(read.summary())
    write_bytes(part_path(job.read_dir, group), _compress(b"".join(frames)))  # last: the group is complete


def _sign_batch(
    state: WorkerState,
    index: int,
    batch: list[Trajectory],
    laid: list[dict],
    tables: dict[str, list[pa.Table]],
    records: Any,
) -> None:
    """Annotate `batch` with stage `index` as `annotate_rows` does (no row before it) into `tables`; its records
    in the output layout (`laid`, as read) to the `records` IPC writer."""
    if not batch:
        return
    stage = state.pipeline.stages[index]
    types = state.pipeline.column_types()
    rows = [ann.Annotation(meta=ann.meta_of(t)) for t in batch]
    signatures = stage.annotate(batch, rows, state.ctx)
    tables["ann"].append(ann.to_table(rows, types))
    tables["sig"].append(signature_table(stage, rows, signatures, types))
    records.write_table(pa.table({"trajectory": pa.array(laid, type=TRAJECTORY)}))


def _compress(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=1).compress(data)


def _write_ipc(path: Path, tables: list[pa.Table]) -> None:
    """An Arrow IPC file of the tables' batches; none for a group without trajectories (no table is read)."""
    if not tables:
        return

    def write(tmp: str) -> None:
        with pa.OSFile(tmp, "wb") as sink, pa.ipc.new_file(sink, tables[0].schema, options=_IPC) as writer:
            for table in tables:
                writer.write_table(table)

    atomic_write(path, write, checkpointed=False)


def read_ipc(path: Path) -> pa.Table:
    with pa.OSFile(str(path), "rb") as source:  # read into memory: no map outlives the file
        return pa.ipc.open_file(source).read_all()


def shard_records(read_dir: str | Path, shard: int) -> pa.Array:
    """The `trajectory` column of shard `shard`, one chunk, from the groups' `traj` files (runs of rows): only
    the record batches holding its rows are read (a group's file holds ~10 shards' records)."""
    batch = _setup(str(read_dir)).batch
    parts: list[pa.Array] = []
    for group, runs in read_json(slices_path(read_dir, shard)):
        with pa.OSFile(str(group_file(read_dir, "traj", group)), "rb") as source:
            reader = pa.ipc.open_file(source)
            for start, stop in runs:
                column = _rows(reader, start, stop, batch)["trajectory"]
                parts += column.chunks
    return pa.concat_arrays(parts) if parts else pa.array([], TRAJECTORY)


def _rows(reader: pa.ipc.RecordBatchFileReader, start: int, stop: int, batch: int) -> pa.Table:
    """Rows [start, stop) of a `traj` file from the batches that hold them: `sign_group` writes batches of
    exactly `batch` rows (the last may hold fewer). Batches read that break that layout: the whole file."""
    first, last = start // batch, (stop - 1) // batch
    batches = [reader.get_batch(i) for i in range(first, min(last + 1, reader.num_record_batches))]
    full = all(b.num_rows == batch for b in batches[:-1]) and len(batches) == last - first + 1
    if full and batches and batches[-1].num_rows >= stop - last * batch:
        return pa.Table.from_batches(batches).slice(start - first * batch, stop - start)
    return reader.read_all().slice(start, stop - start)  # not the layout `sign_group` writes: read it all


_setups: dict[str, LeanSetup] = {}


def _setup(read_dir: str) -> LeanSetup:
    """The lean read's setup (`SETUP`), unpickled once per process and read."""
    if read_dir not in _setups:
        _setups.clear()
        _setups[read_dir] = pickle.loads((Path(read_dir) / SETUP).read_bytes())
    return _setups[read_dir]


def _runs(rows: list[int]) -> list[list[int]]:
    """Ascending row numbers as [start, stop) runs."""
    runs: list[list[int]] = []
    for row in rows:
        if runs and runs[-1][1] == row:
            runs[-1][1] += 1
        else:
            runs.append([row, row + 1])
    return runs


class LeanAssembler(Assembler):
    """`reading.Assembler` over the lean parts: cuts the groups' compact rows into the first stage's shard
    files (`stage_dir`) and each shard's slices, never a record. Writes the workers' setup (`SETUP`) first."""

    def __init__(self, read_dir: Path, shard_size: int, progress: Progress, *, setup: LeanSetup, stage_dir: Path):
        super().__init__(read_dir, shard_size, progress)
        self.stage_dir = stage_dir
        stage_dir.mkdir(parents=True, exist_ok=True)
        write_bytes(read_dir / SETUP, pickle.dumps(setup, protocol=pickle.HIGHEST_PROTOCOL))
        self.tables: dict[int, dict[str, pa.Table]] = {}

    def _add_part(self, path: Path) -> None:
        group = self.next_group
        if group_file(self.read_dir, "ann", group).exists():  # a group without trajectories has no tables
            self.tables[group] = {kind: read_ipc(group_file(self.read_dir, kind, group)) for kind in ("ann", "sig")}
        super()._add_part(path)

    def _add_trajectory(self, trajectory_id: str, origin: str, data: Any) -> None:
        """`data`: the row of the trajectory in its group's tables."""
        super()._add_trajectory(trajectory_id, origin, (self.next_group, data))

    def _write_shard(self) -> None:
        shard = self.result.shards
        by_group: dict[int, list[int]] = {}
        for group, rank in self.batch:
            by_group.setdefault(group, []).append(rank)
        self._pending_tables()
        for kind in ("ann", "sig"):
            parts = [self.tables[g][kind].take(rows) for g, rows in by_group.items()]
            write_table(self.stage_dir / f"{kind}-{shard:05d}.parquet", pa.concat_tables(parts))
        slices = [[group, _runs(rows)] for group, rows in sorted(by_group.items())]
        write_json(slices_path(self.read_dir, shard), slices, checkpointed=False)
        self.result.shards += 1
        self.result.trajectories += len(self.batch)
        self.batch = []

    def _pending_tables(self) -> None:
        """Group tables no row still waiting for a shard needs are dropped (memory stays flat)."""
        first = self.batch[0][0] if self.batch else self.next_group
        for group in [g for g in self.tables if g < first]:
            del self.tables[group]

    def finish(self) -> ReadResult:
        result = super().finish()
        for group in range(self.next_group):
            for kind in ("ann", "sig"):
                group_file(self.read_dir, kind, group).unlink(missing_ok=True)
        return result
