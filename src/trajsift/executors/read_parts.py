"""A worker's share of a read: one group of units -> one part file.

`read_group` reads the group's units with the run's `TrajectoryReader` (labels applied), fills task fields
from the task file, and writes `part-NNNNN.zst` atomically: a zstd stream of length-prefixed msgpack rows, in
input order: `(QUARANTINED, reason, JSON line)`, `(TRAJECTORY, id, origin, the trajectory's msgspec JSON as one
zstd frame)`, and last `(SUMMARY, units read, host:pid of the writer)`. The frames are compressed here, in the
workers, so the parent cuts shards by joining them (`shard_work.join_frames`), never compressing. A part file
exists only once complete, so a read killed mid-way resumes from the parts that exist. The read options and
tasks come from `setup.pkl` in the read folder, written once by the parent, so a job is only (read folder,
group number).
"""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
import socket
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import orjson
import zstandard

from trajsift.executors.read_units import Group, group_units, load_groups
from trajsift.executors.shard_work import SHARD_LEVEL
from trajsift.files import atomic_write, write_bytes
from trajsift.readers.read import Item, ReadOptions, TrajectoryReader
from trajsift.readers.sources.names import printable
from trajsift.schema import Quarantined, Trajectory
from trajsift.tasks import Task

QUARANTINED, TRAJECTORY, SUMMARY = 0, 1, 2
_LENGTH = struct.Struct("<Q")
_ENCODER = msgspec.msgpack.Encoder()
_JSON = msgspec.json.Encoder()


@dataclass(frozen=True)
class ReadJob:
    """What every group of a read shares: the read folder (units, groups, setup, parts)."""

    read_dir: str


UnitStep = Callable[[ReadJob, int], None]
"""Per-group work of a read (`read_group`): a module-level function, pickled by reference to any worker."""


@dataclass
class _Setup:
    options: ReadOptions
    tasks: Mapping[str, Task]
    groups: list[Group]


_setups: dict[str, _Setup] = {}


def setup_path(read_dir: Path) -> Path:
    return read_dir / "setup.pkl"


def part_path(read_dir: str | Path, group: int) -> Path:
    return Path(read_dir) / f"part-{group:05d}.zst"


def save_setup(read_dir: Path, options: ReadOptions, tasks: Mapping[str, Task]) -> None:
    """The read options (without the progress hook) and the tasks, for the workers."""
    data = (dataclasses.replace(options, on_entry=None), dict(tasks))
    write_bytes(setup_path(read_dir), pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))


def _setup(read_dir: str) -> _Setup:
    """This process's setup of the read in `read_dir`, loaded once per read."""
    if read_dir not in _setups:
        _setups.clear()  # one read at a time
        options, tasks = pickle.loads(setup_path(Path(read_dir)).read_bytes())
        _setups[read_dir] = _Setup(options, tasks, load_groups(Path(read_dir)))
    return _setups[read_dir]


@dataclass
class GroupRead:
    """A group's items as they are read (tasks joined), and how many units they came from so far."""

    items: Iterator[Item]
    units: int = 0

    def count(self, entry: Any) -> None:
        self.units += getattr(entry, "span", None) is None or entry.span.start == 0  # a file read as spans: once

    def summary(self) -> bytes:
        """The part file's last frame (once `items` is exhausted): units read and who read them."""
        return frame((SUMMARY, self.units, f"{socket.gethostname()}:{os.getpid()}"))


def open_group(job: ReadJob, group: int) -> GroupRead:
    """Group `group` of the read in `job.read_dir`, read lazily with the run's reader."""
    setup = _setup(job.read_dir)
    read = GroupRead(iter(()))
    reader = TrajectoryReader(dataclasses.replace(setup.options, on_entry=read.count))
    limits = reader.options.limits
    listed = group_units(Path(job.read_dir), setup.groups[group], reader.claims_folder, limits)
    read.items = join_tasks(reader.read_units(listed), setup.tasks)
    return read


def read_group(job: ReadJob, group: int) -> None:
    """Read group `group` of the read in `job.read_dir` into its part file."""
    read = open_group(job, group)
    records = zstandard.ZstdCompressor(level=SHARD_LEVEL)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as raw, zstandard.ZstdCompressor(level=1).stream_writer(raw, closefd=False) as out:
            for item in read.items:  # the records are compressed already: this stream squeezes the rest
                out.write(frame(_row(item, records)))
            out.write(read.summary())

    atomic_write(part_path(job.read_dir, group), write)


def _row(item: Item, records: zstandard.ZstdCompressor) -> tuple:
    if isinstance(item, Quarantined):
        return (QUARANTINED, item.reason, quarantine_line(item))
    return (TRAJECTORY, item.id, item.source.path or item.id, records.compress(_JSON.encode(item)))


def frame(row: tuple) -> bytes:
    """One row of a part file: its msgpack, length-prefixed."""
    data = _ENCODER.encode(row)
    return _LENGTH.pack(len(data)) + data


def iter_part(path: Path) -> Iterator[tuple]:
    """The rows of a part file, in order (the summary row last)."""
    with open(path, "rb") as raw:
        stream = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw), 1024 * 1024)
        while header := stream.read(_LENGTH.size):
            (size,) = _LENGTH.unpack(header)
            yield tuple(msgspec.msgpack.decode(stream.read(size)))


def join_tasks(items: Iterable[Item], tasks: Mapping[str, Task]) -> Iterator[Item]:
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


def quarantine_line(row: Quarantined) -> bytes:
    """One JSON line; text that is not valid Unicode (names that are not UTF-8) is escaped, never fatal."""
    data = row.to_dict()
    try:
        return orjson.dumps(data) + b"\n"
    except TypeError:
        return orjson.dumps({k: printable(v) if isinstance(v, str) else v for k, v in data.items()}) + b"\n"
