"""Read phase of a run: inputs -> fixed-size shards of trajectories + a quarantine file.

The parent lists the input units and cuts them into groups (`read_units`); the executor's workers read the
groups into part files (`read_parts`, `Executor.map_units`); the parent then walks the parts in input order,
quarantines repeated ids (first occurrence kept) and cuts shards of `shard_size` by joining the trajectories'
zstd frames, never decoding or compressing them. Shards are zstd-compressed JSON arrays of `Trajectory`,
byte-identical whatever the executor, its worker count or the grouping. `DONE.json` marks the phase
complete; a read killed before it reuses the listing and every complete part.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from trajsift import reasons
from trajsift.executors.read_parts import (
    QUARANTINED,
    TRAJECTORY,
    ReadJob,
    UnitStep,
    iter_part,
    part_path,
    quarantine_line,
    read_group,
    save_setup,
    setup_path,
)
from trajsift.executors.read_units import groups_path, list_groups, units_path
from trajsift.executors.shard_work import join_frames, shard_path
from trajsift.files import read_json, write_bytes, write_json
from trajsift.progress import Progress
from trajsift.readers.read import ReadOptions, TrajectoryReader
from trajsift.readers.sources.records import quarantine
from trajsift.tasks import Task


@dataclass
class ReadResult:
    directory: Path
    shards: int = 0
    trajectories: int = 0
    quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    units: int = 0
    not_read: int = 0
    """Quarantine rows that list a file deliberately not read (`reasons.NOT_READ_REASONS`)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "shards": self.shards,
            "trajectories": self.trajectories,
            "quarantined": self.quarantined,
            "quarantine_reasons": self.quarantine_reasons,
            "units": self.units,
            "not_read": self.not_read,
            "reconcile": "every record read is one trajectory or one quarantine row; every file not read is one "
            "quarantine row whose reason is in not_read",
        }


MapUnits = Callable[[UnitStep, ReadJob, Sequence[int]], Iterator[int]]
"""`Executor.map_units`: run a step on every group, anywhere; yield each group once its part file exists."""


def read_into_shards(
    inputs: list[str],
    options: ReadOptions,
    tasks: Mapping[str, Task],
    shard_size: int,
    read_dir: Path,
    progress: Progress,
    map_units: MapUnits,
    step: UnitStep = read_group,
    assembler: Callable[[Path, int, Progress], Assembler] | None = None,
) -> ReadResult:
    """Read `inputs` into shards of `shard_size` trajectories under `read_dir` (or reuse a complete read).
    `step` reads a group into its part file and `assembler` cuts the shards (the lean read of `trajsift dedup`
    gives its own: `executors.lean_read`)."""
    done = read_dir / "DONE.json"
    if done.exists():
        saved = read_json(done)  # holds a note besides the counts: keep only the fields
        counts = {f.name: saved[f.name] for f in fields(ReadResult) if f.name in saved and f.name != "directory"}
        return ReadResult(directory=read_dir, **counts)
    if read_dir.exists() and not groups_path(read_dir).exists():  # killed while listing: list again
        shutil.rmtree(read_dir)
    read_dir.mkdir(parents=True, exist_ok=True)
    progress.phase("read", 0)
    if not groups_path(read_dir).exists():
        save_setup(read_dir, options, tasks)
    reader = TrajectoryReader(dataclasses.replace(options, on_entry=None))
    groups = list_groups(inputs, reader, read_dir, os.cpu_count() or 1)
    todo = sorted(
        (g for g in range(len(groups)) if not part_path(read_dir, g).exists()), key=lambda g: -groups[g].weight
    )
    assembling = (assembler or Assembler)(read_dir, shard_size, progress)
    ready = set(range(len(groups))) - set(todo)
    assembling.take(ready)
    for group in map_units(step, ReadJob(str(read_dir)), todo):  # heaviest first: no straggler at the end
        ready.add(group)
        assembling.take(ready)
    result = assembling.finish()
    write_json(done, result.to_json())
    write_json(read_dir / "readers.json", sorted(assembling.readers))  # which processes read: not a run output
    done_with = [units_path(read_dir), setup_path(read_dir), *(part_path(read_dir, g) for g in range(len(groups)))]
    for path in done_with:  # the shards hold it all now
        path.unlink(missing_ok=True)
    return result


class Assembler:
    """Walks the part files in input order into shards and the quarantine file."""

    def __init__(self, read_dir: Path, shard_size: int, progress: Progress) -> None:
        self.read_dir, self.shard_size, self.progress = read_dir, shard_size, progress
        self.result = ReadResult(directory=read_dir)
        self.next_group = 0
        self.seen: set[str] = set()
        self.batch: list[bytes] = []
        self.counts: Counter[str] = Counter()
        self.readers: set[str] = set()
        for stale in read_dir.glob("shard-*.json.zst"):  # of a read killed while assembling
            stale.unlink()
        self.partial = read_dir / ".quarantine.jsonl.partial"  # all-or-nothing: no atomic write needed
        self.bad = open(self.partial, "wb")  # noqa: SIM115 - closed by `finish`

    def take(self, ready: set[int]) -> None:
        """Add every part from the next one on that is ready, in order."""
        while self.next_group in ready:
            self._add_part(part_path(self.read_dir, self.next_group))
            self.next_group += 1

    def _add_part(self, path: Path) -> None:
        for row in iter_part(path):
            if row[0] == TRAJECTORY:
                self._add_trajectory(*row[1:])
            elif row[0] == QUARANTINED:
                self._quarantine(row[1], row[2])
            else:
                self.result.units += row[1]
                self.readers.add(row[2])
                self.progress.advance(row[1])

    def _add_trajectory(self, trajectory_id: str, origin: str, data: bytes) -> None:
        if trajectory_id in self.seen:
            row = quarantine(reasons.DUPLICATE_ID, origin, f"trajectory id {trajectory_id!r} seen before")
            self._quarantine(row.reason, quarantine_line(row))
            return
        self.seen.add(trajectory_id)
        self.batch.append(data)
        if len(self.batch) >= self.shard_size:
            self._write_shard()

    def _quarantine(self, reason: str, line: bytes) -> None:
        self.bad.write(line)
        self.counts[reason] += 1

    def _write_shard(self) -> None:
        """The shard as `msgspec.json.encode(list_of_trajectories)` writes it once decompressed: the rows' frames
        joined, never decoded or compressed here."""
        write_bytes(shard_path(self.read_dir, self.result.shards), join_frames(self.batch))
        self.result.shards += 1
        self.result.trajectories += len(self.batch)
        self.batch = []

    def finish(self) -> ReadResult:
        if self.batch:
            self._write_shard()
        self.bad.close()
        os.replace(self.partial, self.read_dir / "quarantine.jsonl")
        result, counts = self.result, self.counts
        result.quarantined = sum(counts.values())
        result.quarantine_reasons = dict(sorted(counts.items()))
        result.not_read = sum(n for reason, n in counts.items() if reason in reasons.NOT_READ_REASONS)
        return result
