"""Turn user inputs (files, folders, globs, tar archives) into readable units (see `units`).

A path that cannot be read safely (symlink, FIFO, unsafe archive member, corrupt archive) becomes a
`RejectedEntry` with a reason code instead of being dropped. Symlinks are never followed; every decompressed
stream and archive member is size-bounded; everything is streamed in sorted order.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from trajsift import reasons
from trajsift.errors import InputError
from trajsift.files import digest
from trajsift.readers.sources.archives import walk_tar
from trajsift.readers.sources.names import is_archive, is_record_file, not_read_reason, printable, strip_compression
from trajsift.readers.sources.units import (
    MAX_FOLDER_DEPTH,
    FileEntry,
    FolderClaim,
    FolderEntry,
    ReadLimits,
    RejectedEntry,
    Unit,
    artifact,
    disk_entry,
)

ArchiveWalk = Callable[[FileEntry, FolderClaim, ReadLimits], Iterator[Any]]
"""What becomes of a tar archive met in the inputs: `walk_tar` (its units), or one unit standing for it."""


def _expand_argument(arg: str) -> list[str]:
    """An existing path is taken literally (`data[1].jsonl`); a glob is expanded only when no such path exists."""
    if os.path.lexists(arg):
        return [arg]
    if any(ch in arg for ch in "*?["):
        matches = sorted(glob.glob(arg, recursive=True))
        if not matches:
            raise InputError(f"no file matches {printable(arg)!r}")
        return matches
    raise InputError(f"input not found: {printable(arg)}")


def iter_entries(
    inputs: list[str], claims_folder: FolderClaim, limits: ReadLimits | None = None, archives: ArchiveWalk = walk_tar
) -> Iterator[Unit]:
    """Yield units for every input, in a deterministic order; each tar archive met yields `archives(...)`.

    Raises `InputError` only for an explicit input that does not exist (or a glob matching nothing);
    anything found while walking is yielded, unreadable things as `RejectedEntry`.
    """
    limits = limits or ReadLimits()
    for arg in inputs:
        for path in _expand_argument(arg):
            name = os.path.basename(path.rstrip("/")) or path
            yield from _path_units(path, name, claims_folder, limits, archives)


def _path_units(
    path: str, name: str, claims_folder: FolderClaim, limits: ReadLimits, archives: ArchiveWalk, depth: int = 0
) -> Iterator[Unit]:
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        yield RejectedEntry(printable(path), reasons.UNREADABLE_FILE, f"{type(exc).__name__}: {exc}")
        return
    if stat.S_ISLNK(mode):
        detail = f"symlink to {printable(_link_target(path))!r} not followed; pass the resolved path to read it"
        yield RejectedEntry(printable(path), reasons.UNSAFE_PATH, detail)
    elif stat.S_ISDIR(mode):
        yield from _walk_dir(path, claims_folder, limits, archives, depth)
    elif not stat.S_ISREG(mode):
        yield RejectedEntry(printable(path), reasons.SPECIAL_FILE, f"not a regular file (mode {stat.filemode(mode)})")
    elif is_archive(name):
        yield from archives(disk_entry(path), claims_folder, limits)
    elif not_read_reason(name)[0] == reasons.UNSUPPORTED_COMPRESSION:
        yield RejectedEntry(printable(path), *not_read_reason(name))
    else:
        yield disk_entry(path)


def _link_target(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _walk_dir(
    root: str, claims_folder: FolderClaim, limits: ReadLimits, archives: ArchiveWalk, depth: int
) -> Iterator[Unit]:
    if depth > MAX_FOLDER_DEPTH:
        yield RejectedEntry(printable(root), reasons.NESTING_TOO_DEEP, f"folders nested over {MAX_FOLDER_DEPTH} deep")
        return
    try:
        with os.scandir(root) as scan:
            children = sorted(scan, key=lambda child: child.name)
    except OSError as exc:
        detail = f"cannot list folder: {type(exc).__name__}: {exc}"
        yield RejectedEntry(printable(root), reasons.UNREADABLE_FILE, detail)
        return
    files = [c.name for c in children if _is_plain_file(c)]
    if claims_folder({strip_compression(n)[0] for n in files}):
        yield from (unit for c in children if not _is_plain_file(c) for unit in _odd_child(c))
        yield FolderEntry(path=printable(root), files={n: disk_entry(os.path.join(root, n)) for n in files})
        return
    for child in children:
        plain = _is_plain_file(child)
        if plain and (known := artifact(child.path, child.name)):
            yield known
        elif not plain or is_archive(child.name) or is_record_file(child.name):
            yield from _path_units(child.path, child.name, claims_folder, limits, archives, depth + 1)
        else:
            yield RejectedEntry(printable(child.path), *not_read_reason(child.name))


def _is_plain_file(child: os.DirEntry) -> bool:
    try:
        return child.is_file(follow_symlinks=False)
    except OSError:
        return False


def _odd_child(child: os.DirEntry) -> Iterator[RejectedEntry]:
    """Non-regular entries of a claimed folder (symlinks, FIFOs) are reported, never read."""
    if child.is_dir(follow_symlinks=False):
        return
    reason = reasons.UNSAFE_PATH if child.is_symlink() else reasons.SPECIAL_FILE
    yield RejectedEntry(printable(child.path), reason, "not a regular file; not read")


def inputs_digest(inputs: list[str]) -> list[dict[str, Any]]:
    """Per input: path, total size and a digest of (relative path, size, mtime) of every file."""
    result = []
    for item in inputs:
        entries = []
        paths = [Path(item)] if not Path(item).is_dir() else sorted(Path(item).rglob("*"))
        for path in paths:
            if path.is_file() and not path.is_symlink():
                stat = path.stat()
                name = str(path.relative_to(item)) if path != Path(item) else path.name
                entries.append((printable(name), stat.st_size, stat.st_mtime_ns))
        size = sum(e[1] for e in entries)
        result.append({"path": printable(item), "files": len(entries), "bytes": size, "digest": digest(entries)})
    return result
