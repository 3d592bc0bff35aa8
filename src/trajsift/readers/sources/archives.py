"""Stream tar archives (plain or compressed, and one archive nested in another) into input units.

Members are read in one pass, in archive order. Members of one folder are grouped while they arrive,
so a folder reader can claim them together; a record member is kept in memory while small, else
spilled to an anonymous temporary file, so memory stays bounded whatever the archive holds. Every
member that is not read is listed with a reason; unsafe members (links, devices, escaping paths) are
rejected; a fault in the archive keeps every unit before it.
"""

from __future__ import annotations

import io
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, BinaryIO

from trajsift import reasons
from trajsift.readers.sources.names import (
    is_archive,
    is_record_file,
    is_text_file,
    not_read_reason,
    printable,
    strip_compression,
)
from trajsift.readers.sources.spans import ByteSpan
from trajsift.readers.sources.streams import (
    BZIP2,
    DECOMPRESSION_ERRORS,
    GZIP,
    XZ,
    ZSTD,
    RangeReader,
    decompressing_stream,
)
from trajsift.readers.sources.tar_ranges import SpanGate, positioned
from trajsift.readers.sources.units import (
    Entry,
    FileEntry,
    FolderClaim,
    FolderEntry,
    ReadLimits,
    RejectedEntry,
    Unit,
    artifact,
)

MAX_ARCHIVE_DEPTH = 2
"""An archive inside an archive is read; one nested deeper is listed as `nested_archive`."""
IN_MEMORY_MEMBER = 1024 * 1024
IN_MEMORY_BUDGET = 64 * 1024 * 1024
"""Bytes of one folder's members kept in memory; past it, members go to the folder's spill file."""
SHORT_ARCHIVE_CODECS = {".tgz": GZIP, ".tbz2": BZIP2, ".tbz": BZIP2, ".txz": XZ, ".tzst": ZSTD}
TAR_ERRORS = (tarfile.TarError, *DECOMPRESSION_ERRORS)


def archive_codec(name: str) -> str:
    lower = name.lower()
    return (
        next((codec for suffix, codec in SHORT_ARCHIVE_CODECS.items() if lower.endswith(suffix)), "")
        or (strip_compression(name)[1])
    )


def walk_tar(
    entry: FileEntry, claims: FolderClaim, limits: ReadLimits, depth: int = 1, span: ByteSpan | None = None
) -> Iterator[Unit]:
    """Units of the archive `entry` (a file on disk or a member of an enclosing archive); with `span`, only
    those of that member range (`tar_ranges`)."""
    codec = archive_codec(entry.name)
    try:
        found = positioned(entry.opener, lambda raw: _decoded(raw, codec), span or ByteSpan(0))
    except OSError as exc:
        yield RejectedEntry(entry.path, reasons.UNREADABLE_FILE, f"{type(exc).__name__}: {exc}")
        return
    if found is None:
        return  # the archive ends before the span: an earlier range reads it all
    stream, base = found
    walk = _TarWalk(entry.path, claims, limits, depth, SpanGate(span, base) if span else None)
    try:
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            yield from walk.members(archive)
    except TAR_ERRORS as exc:
        if walk.gate is None or walk.gate.started:  # before its range: the range before reports it
            yield RejectedEntry(entry.path, reasons.BAD_ARCHIVE, f"{type(exc).__name__}: {exc}")
    finally:
        stream.close()
    yield from walk.flush_all()


def _decoded(raw: BinaryIO, codec: str) -> BinaryIO:
    return io.BufferedReader(decompressing_stream(raw, codec), 1024 * 1024)  # type: ignore[return-value]


@dataclass
class _Folder:
    """Members of one archive folder waiting for the folder to end."""

    files: dict[str, FileEntry] = field(default_factory=dict)
    others: list[tuple[str, str]] = field(default_factory=list)
    """(shown path, name) of members that are not read."""
    spill: _Spill | None = None
    in_memory: int = 0


class _TarWalk:
    def __init__(self, path: str, claims: FolderClaim, limits: ReadLimits, depth: int, gate: SpanGate | None) -> None:
        self.path, self.claims, self.limits, self.depth, self.gate = path, claims, limits, depth, gate
        self.pending: dict[str, _Folder] = {}

    def members(self, archive: tarfile.TarFile) -> Iterator[Unit]:
        while (member := archive.next()) is not None:
            archive.members = []  # a streamed archive would otherwise keep every header: memory grows per member
            folder_name, _, name = member.name.rpartition("/")
            if self.gate is not None and not self.gate.admits(member.offset, folder_name):
                if self.gate.done:
                    return
                continue
            for done in [f for f in self.pending if f != folder_name]:
                yield from self._flush(done, self.pending.pop(done))
            yield from self._member(archive, member, folder_name, name)

    def _member(self, archive: tarfile.TarFile, member: tarfile.TarInfo, folder_name: str, name: str) -> Iterator[Unit]:
        where = f"{self.path}:{printable(member.name)}"
        if rejected := _unsafe(member, where):
            yield rejected
        elif not member.isfile():
            return
        elif member.size > self.limits.max_member_bytes:
            yield RejectedEntry(where, reasons.FILE_TOO_LARGE, f"member of {member.size} bytes")
        elif is_archive(name) and self.depth < MAX_ARCHIVE_DEPTH:
            inner = FileEntry(path=where, opener=lambda: archive.extractfile(member))  # type: ignore[arg-type,return-value]
            yield from walk_tar(inner, self.claims, self.limits, self.depth + 1)
        elif is_archive(name):
            yield RejectedEntry(where, reasons.NESTED_ARCHIVE, f"archive nested more than {MAX_ARCHIVE_DEPTH} deep")
        elif is_record_file(name) or is_text_file(name):
            folder = self.pending.setdefault(folder_name, _Folder())
            folder.files[name] = FileEntry(path=where, opener=self._keep(archive, member, folder))
        else:
            self.pending.setdefault(folder_name, _Folder()).others.append((where, name))

    def _keep(self, archive: tarfile.TarFile, member: tarfile.TarInfo, folder: _Folder) -> Callable[[], BinaryIO]:
        data = archive.extractfile(member)
        assert data is not None
        if member.size <= IN_MEMORY_MEMBER and folder.in_memory + member.size <= IN_MEMORY_BUDGET:
            folder.in_memory += member.size
            kept = data.read()
            return lambda: io.BytesIO(kept)
        folder.spill = folder.spill or _Spill()
        return folder.spill.add(data)

    def _flush(self, folder_name: str, folder: _Folder) -> Iterator[Unit]:
        if folder.files and self.claims({strip_compression(n)[0] for n in folder.files}):
            yield FolderEntry(path=f"{self.path}:{printable(folder_name)}", files=folder.files)
            return
        units: list[tuple[str, Unit]] = [(e.path, _file_unit(e, name)) for name, e in folder.files.items()]
        units += [(where, RejectedEntry(where, *not_read_reason(name))) for where, name in folder.others]
        yield from (unit for _, unit in sorted(units, key=lambda pair: pair[0]))

    def flush_all(self) -> Iterator[Unit]:
        for done in list(self.pending):
            yield from self._flush(done, self.pending.pop(done))


def _file_unit(entry: FileEntry, name: str) -> Entry | RejectedEntry:
    if found := artifact(entry.path, name):
        return found
    if is_record_file(name):
        return entry
    return RejectedEntry(entry.path, *not_read_reason(name))


def _unsafe(member: tarfile.TarInfo, where: str) -> RejectedEntry | None:
    name = member.name
    if name.startswith("/") or ".." in name.replace("\\", "/").split("/"):
        return RejectedEntry(where, reasons.UNSAFE_PATH, "member name escapes the archive")
    if member.issym() or member.islnk():
        return RejectedEntry(where, reasons.UNSAFE_PATH, f"link member to {printable(member.linkname)!r} not followed")
    if not member.isfile() and not member.isdir():
        return RejectedEntry(where, reasons.SPECIAL_FILE, "device or FIFO member")
    return None


class _Spill:
    """One anonymous temporary file holding members' bytes; each opener reads its own byte range."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="trajsift-member-")

    def add(self, data: IO[bytes]) -> Callable[[], BinaryIO]:
        offset = self._file.seek(0, io.SEEK_END)
        shutil.copyfileobj(data, self._file, 1024 * 1024)
        self._file.flush()
        size = self._file.tell() - offset
        spill = self  # the openers keep the file open for as long as an entry refers to it
        return lambda: io.BufferedReader(RangeReader(spill._file.fileno(), offset, size))  # type: ignore[return-value]
