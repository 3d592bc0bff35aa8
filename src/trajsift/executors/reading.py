"""Read phase of a run: inputs -> fixed-size shards of trajectories + a quarantine file.

Shards are zstd-compressed JSON arrays of `Trajectory` (fast to decode back into records).
The phase is all-or-nothing: `DONE.json` marks it complete; an interrupted read starts over.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, BinaryIO

import msgspec
import orjson
import zstandard

from trajsift import reasons
from trajsift.files import read_json, write_bytes, write_json
from trajsift.progress import Progress
from trajsift.readers.read import ReadOptions, TrajectoryReader
from trajsift.readers.sources.names import printable
from trajsift.readers.sources.records import quarantine
from trajsift.schema import Quarantined, Trajectory
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


def read_into_shards(
    inputs: list[str],
    options: ReadOptions,
    tasks: Mapping[str, Task],
    shard_size: int,
    read_dir: Path,
    progress: Progress,
) -> ReadResult:
    """Read `inputs` into shards of `shard_size` trajectories under `read_dir` (or reuse a complete read)."""
    done = read_dir / "DONE.json"
    if done.exists():
        saved = read_json(done)  # holds a note besides the counts: keep only the fields
        counts = {f.name: saved[f.name] for f in fields(ReadResult) if f.name in saved and f.name != "directory"}
        return ReadResult(directory=read_dir, **counts)
    if read_dir.exists():
        shutil.rmtree(read_dir)
    read_dir.mkdir(parents=True)
    result = ReadResult(directory=read_dir)
    progress.phase("read", 0)

    def on_entry(_entry: Any) -> None:
        result.units += 1
        progress.advance(1)

    items = TrajectoryReader(dataclasses.replace(options, on_entry=on_entry)).read(inputs)
    partial = read_dir / ".quarantine.jsonl.partial"  # the phase is all-or-nothing: no atomic write needed
    counts: Counter[str] = Counter()
    with open(partial, "wb") as bad:
        for shard in _shards(_unique(_join_tasks(items, tasks), bad, counts), shard_size):
            write_bytes(read_dir / f"shard-{result.shards:05d}.json.zst", _encode(shard))
            result.shards += 1
            result.trajectories += len(shard)
    os.replace(partial, read_dir / "quarantine.jsonl")
    result.quarantined = sum(counts.values())
    result.quarantine_reasons = dict(sorted(counts.items()))
    result.not_read = sum(n for reason, n in counts.items() if reason in reasons.NOT_READ_REASONS)
    write_json(done, result.to_json())
    return result


def _encode(shard: list[Trajectory]) -> bytes:
    return zstandard.ZstdCompressor(level=3).compress(msgspec.json.encode(shard))


def _join_tasks(items: Iterable[Trajectory | Quarantined], tasks: Mapping[str, Task]) -> Iterable[Any]:
    """Fill category, difficulty, repo and base commit from the task file where the record lacks them."""
    for item in items:
        task = tasks.get(item.task.task_id) if isinstance(item, Trajectory) else None
        if task is not None:
            ref = item.task
            ref.category = ref.category or task.category
            ref.difficulty = ref.difficulty or task.difficulty
            ref.repo = ref.repo or task.repo
            ref.base_commit = ref.base_commit or task.base_commit
            ref.instruction = ref.instruction or task.instruction
        yield item


def _unique(items: Iterable[Any], bad: BinaryIO, counts: Counter[str]) -> Iterable[Trajectory]:
    """Trajectories with unseen ids; quarantined rows and repeated ids are written to `bad` and counted."""
    seen: set[str] = set()
    for item in items:
        if isinstance(item, Trajectory) and item.id in seen:
            detail = f"trajectory id {item.id!r} seen before"
            item = quarantine(reasons.DUPLICATE_ID, item.source.path or item.id, detail)
        if isinstance(item, Quarantined):
            bad.write(_quarantine_line(item))
            counts[item.reason] += 1
        else:
            seen.add(item.id)
            yield item


def _quarantine_line(row: Quarantined) -> bytes:
    """One JSON line; text that is not valid Unicode (names that are not UTF-8) is escaped, never fatal."""
    data = row.to_dict()
    try:
        return orjson.dumps(data) + b"\n"
    except TypeError:
        return orjson.dumps({k: printable(v) if isinstance(v, str) else v for k, v in data.items()}) + b"\n"


def _shards(items: Iterable[Trajectory], size: int) -> Iterable[list[Trajectory]]:
    batch: list[Trajectory] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
