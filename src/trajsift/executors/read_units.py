"""The parent's share of a read: list the input units and cut them into groups for the workers.

Listing is cheap: paths only, nothing decoded. A tar archive is one unit (its worker walks it), or, when it
weighs more than `SPLIT_WEIGHT`, one unit per member range (`tar_ranges`), so that several workers read it; a
JSONL file that big is one unit per span of lines (`spans`). A folder a folder reader claims is one unit; a path
that is not read is a unit too (its worker turns it into its quarantine row, so rows stay in input order).
Units are written to `units.pkl` as picklable descriptors (disk paths, never open files), then cut into
contiguous groups balanced by weight (bytes on disk, compressed files counted `COMPRESSED_WEIGHT` times):
about `GROUPS_PER_WORKER` per worker, each at most `MAX_GROUP_BYTES` and `MAX_GROUP_UNITS`, so a worker's
memory stays flat whatever the input. `groups.json` (each group's byte offset in `units.pkl`, unit count and
weight) exists only once the listing is complete.
"""

from __future__ import annotations

import os
import pickle
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trajsift.files import atomic_write, read_json, write_json
from trajsift.readers.read import TrajectoryReader
from trajsift.readers.sources.archives import archive_codec, walk_tar
from trajsift.readers.sources.inputs import iter_entries
from trajsift.readers.sources.names import record_kind, strip_compression
from trajsift.readers.sources.sessions import starts_session
from trajsift.readers.sources.spans import ByteSpan
from trajsift.readers.sources.tar_ranges import uncompressed_size
from trajsift.readers.sources.units import FileEntry, FolderClaim, FolderEntry, ReadLimits, RejectedEntry, disk_entry

MAX_GROUP_BYTES = 32 * 1024 * 1024
MAX_GROUP_UNITS = 2000
GROUPS_PER_WORKER = 4
COMPRESSED_WEIGHT = 4
SPLIT_WEIGHT = MAX_GROUP_BYTES
"""An archive or a JSONL file weighing more is read as spans by several workers (`byte_spans`)."""
SPLIT_KINDS = (".jsonl", ".ndjson")
"""A compressed file (or archive) weighs this many times its size: it decodes into more bytes to parse."""

Descriptor = tuple
"""("file" | "archive", disk path, ByteSpan or None) | ("folder", shown path, {name: disk path})
| ("rejected", shown path, reason, detail)."""


@dataclass(frozen=True)
class Group:
    offset: int
    """Byte offset of the group's first descriptor in `units.pkl`."""
    units: int
    weight: int


@dataclass
class _ListedArchive:
    entry: FileEntry


def units_path(read_dir: Path) -> Path:
    return read_dir / "units.pkl"


def groups_path(read_dir: Path) -> Path:
    return read_dir / "groups.json"


def list_groups(inputs: list[str], reader: TrajectoryReader, read_dir: Path, workers: int) -> list[Group]:
    """List the units of `inputs` into `read_dir`; the groups (written to `groups.json`, or read back from it)."""
    if groups_path(read_dir).exists():
        return load_groups(read_dir)
    offsets, weights = array("q"), array("q")  # per unit, in input order: 16 bytes each

    def write(tmp: str) -> None:
        with open(tmp, "wb") as out:
            for unit in iter_entries(inputs, reader.claims_folder, reader.options.limits, _as_one_unit):
                for descriptor, weight in _described(unit, workers):
                    offsets.append(out.tell())
                    weights.append(weight)
                    pickle.dump(descriptor, out, protocol=pickle.HIGHEST_PROTOCOL)

    atomic_write(units_path(read_dir), write)
    groups = _cut(offsets, weights, workers)
    write_json(groups_path(read_dir), [[g.offset, g.units, g.weight] for g in groups])
    return groups


def load_groups(read_dir: Path) -> list[Group]:
    return [Group(offset, units, weight) for offset, units, weight in read_json(groups_path(read_dir))]


def _as_one_unit(entry: FileEntry, _claims: FolderClaim, _limits: ReadLimits) -> Iterator[_ListedArchive]:
    yield _ListedArchive(entry)


def _described(unit: Any, workers: int) -> Iterator[tuple[Descriptor, int]]:
    """The unit's descriptor and weight; a big archive's or JSONL file's spans (`byte_spans`), each with its
    share of the weight."""
    descriptor = _describe(unit)
    weight = _weight(descriptor)
    kind, name = descriptor[0], os.path.basename(descriptor[1])
    if kind == "archive" or (kind == "file" and record_kind(name) in SPLIT_KINDS):
        codec = archive_codec(name) if kind == "archive" else strip_compression(name)[1]
        spans = byte_spans(descriptor[1], codec, weight, workers)
        if len(spans) > 1 and kind == "file" and starts_session(descriptor[1], codec):
            spans = [None]  # one run's event stream: read whole
        yield from (((kind, descriptor[1], span), weight // len(spans)) for span in spans)
    else:
        yield descriptor, weight


def byte_spans(path: str, codec: str, weight: int, workers: int) -> list[ByteSpan | None]:
    """Spans of about `SPLIT_WEIGHT` each of the file at `path` (one span, None, when small): at most `workers`
    for a compressed file (each span decodes everything before it), else at most a group per span (each span
    reads the headers or line ends before it)."""
    pieces = min(-(-weight // SPLIT_WEIGHT), workers if codec else GROUPS_PER_WORKER * workers)
    if pieces <= 1:
        return [None]
    try:
        size = uncompressed_size(path, codec) or os.stat(path).st_size * COMPRESSED_WEIGHT
    except OSError:
        return [None]  # its worker reports it
    cuts = [size * k // pieces for k in range(pieces)]
    return [ByteSpan(start, end) for start, end in zip(cuts, [*cuts[1:], None], strict=True)]


def _describe(unit: Any) -> Descriptor:
    if isinstance(unit, _ListedArchive):
        return ("archive", unit.entry.disk_path, None)
    if isinstance(unit, RejectedEntry):
        return ("rejected", unit.path, unit.reason, unit.detail)
    if isinstance(unit, FolderEntry):
        return ("folder", unit.path, {name: entry.disk_path for name, entry in unit.files.items()})
    return ("file", unit.disk_path, None)


def _weight(descriptor: Descriptor) -> int:
    kind = descriptor[0]
    if kind == "rejected":
        return 0
    paths = descriptor[2].values() if kind == "folder" else [descriptor[1]]
    return sum(_file_weight(path, compressed=kind == "archive") for path in paths)


def _file_weight(path: str, compressed: bool) -> int:
    try:
        size = os.stat(path, follow_symlinks=False).st_size
    except OSError:
        return 0  # its worker reports it
    return size * COMPRESSED_WEIGHT if compressed or strip_compression(os.path.basename(path))[1] else size


def _cut(offsets: array, weights: array, workers: int) -> list[Group]:
    """Contiguous groups of about total / (`GROUPS_PER_WORKER` x workers) weight, within the bounds."""
    total = sum(weights)
    target = min(MAX_GROUP_BYTES, max(1, total // (GROUPS_PER_WORKER * max(1, workers))))
    groups: list[Group] = []
    start, count, weight = 0, 0, 0
    for offset, unit_weight in zip(offsets, weights, strict=True):
        if count and (weight + unit_weight > target or count >= MAX_GROUP_UNITS):
            groups.append(Group(start, count, weight))
            count, weight = 0, 0
        if not count:
            start = offset
        count, weight = count + 1, weight + unit_weight
    if count:
        groups.append(Group(start, count, weight))
    return groups


def group_units(read_dir: Path, group: Group, claims: FolderClaim, limits: ReadLimits) -> Iterator[Any]:
    """The units of `group`, rebuilt in a worker from their descriptors; an archive yields its own units."""
    with open(units_path(read_dir), "rb") as source:
        source.seek(group.offset)
        descriptors = [pickle.load(source) for _ in range(group.units)]
    for descriptor in descriptors:
        kind = descriptor[0]
        if kind == "archive":
            yield from walk_tar(disk_entry(descriptor[1]), claims, limits, span=descriptor[2])
        elif kind == "file":
            entry = disk_entry(descriptor[1])
            entry.span = descriptor[2]
            yield entry
        elif kind == "rejected":
            yield RejectedEntry(*descriptor[1:])
        elif kind == "folder":
            files = {name: disk_entry(path) for name, path in descriptor[2].items()}
            yield FolderEntry(path=descriptor[1], files=files)
