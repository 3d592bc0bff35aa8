"""Member ranges of one tar archive (plain or compressed), so that several workers read one big archive.

A `ByteSpan` names two offsets into the archive's uncompressed bytes. Its range holds the members from the
first *cut* member at or after `start` up to (not including) the first cut member at or after `end`; a cut
member is the archive's first member or one whose folder differs from the folder of the member before it.
A folder is never split across ranges, so spans [0, t1), [t1, t2), ..., [tn, end of archive) yield exactly
the units of a whole-archive walk, in the same order, each once; a span whose range holds no member is empty.

A range starting past 0 fast-forwards by reading only the tar headers (no `tarfile` objects: ~5x cheaper) to
the member just before `start`, then replays that member's headers to `tarfile`, so the walk knows the folder
of the member before its first one. Headers it does not follow exactly (pax global headers, sparse members,
sizes given in pax records or in base-256, a bad checksum) make it walk from the archive's start instead.
A compressed archive is decoded from its start by every range (gzip and zstd streams have no random access
without an index pass); that costs each later range the decoding of what comes before it, about 0.25 cpu-s
per 80 MB of tar, which is why compressed archives are cut into few ranges (`read_units`).
"""

from __future__ import annotations

import io
import os
import struct
import tarfile
from collections.abc import Callable
from typing import BinaryIO

import zstandard

from trajsift.readers.sources.spans import ByteSpan
from trajsift.readers.sources.streams import DECOMPRESSION_ERRORS, GZIP, ZSTD

BLOCK = 512
_PREFIX_TYPES = (tarfile.XHDTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)
_UNFOLLOWED_TYPES = (tarfile.XGLTYPE, tarfile.GNUTYPE_SPARSE)
_SEEK_PAST = 1024 * 1024
"""Data at least this long is skipped by seeking when the stream can seek (a plain tar on disk)."""


class SpanGate:
    """Decides, member by member in archive order, which members belong to a span's range."""

    def __init__(self, span: ByteSpan, base: int = 0) -> None:
        self.span, self.base = span, base
        self.previous: str | None = None
        self.started = self.done = False

    def admits(self, offset: int, folder: str) -> bool:
        """True for a member of the range; `done` is set at the first member past it."""
        cut, self.previous = self.previous is None or folder != self.previous, folder
        at = self.base + offset
        if cut and self.span.end is not None and at >= self.span.end:
            self.done = True
            return False
        self.started = self.started or (cut and at >= self.span.start)
        return self.started


def positioned(opener: Callable[[], BinaryIO], decoded: Callable[[BinaryIO], BinaryIO], span: ByteSpan):
    """(stream, offset of its first byte in the archive) for walking `span`, or None when the archive ends
    before the span's start. `decoded` wraps a raw stream into the archive's uncompressed bytes."""
    stream = decoded(opener())
    if span.start <= 0:
        return stream, 0
    try:
        found = _fast_forward(stream, span.start)
    except DECOMPRESSION_ERRORS:
        found = None  # a fault before the range: the range that reaches it reports it
    if found is None or found is _FOLLOW_WITH_TARFILE:
        stream.close()
        return None if found is None else (decoded(opener()), 0)
    offset, headers = found
    return io.BufferedReader(_Replay(headers, stream), 1024 * 1024), offset


_FOLLOW_WITH_TARFILE = object()


def _fast_forward(stream: BinaryIO, start: int):
    """Skip whole members up to the last one starting before `start`; (its offset, its header bytes) with
    the stream just past them; None at the archive's end; `_FOLLOW_WITH_TARFILE` for headers not followed."""
    offset = 0
    while True:
        headers = bytearray()
        while True:
            header = stream.read(BLOCK)
            if len(header) < BLOCK or not any(header):
                return None  # end of archive (or cut short: the range that reaches it reports it)
            fields = _header_fields(header)
            if fields is None:
                return _FOLLOW_WITH_TARFILE
            kind, size = fields
            headers += header
            if kind not in _PREFIX_TYPES:
                break
            extension = stream.read(_blocks(size))
            if b"size=" in extension or b"GNU.sparse" in extension:
                return _FOLLOW_WITH_TARFILE
            headers += extension
        data = _blocks(size) if kind in tarfile.REGULAR_TYPES or kind not in tarfile.SUPPORTED_TYPES else 0
        if offset + len(headers) + data >= start:
            return offset, bytes(headers)
        _discard(stream, data)
        offset += len(headers) + data


def _header_fields(header: bytes) -> tuple[bytes, int] | None:
    """(type flag, size) of a ustar/gnu header whose checksum holds; None for what is not followed here."""
    kind = header[156:157]
    try:
        size, checksum = _octal(header[124:136]), _octal(header[148:156])
    except ValueError:
        return None
    if kind in _UNFOLLOWED_TYPES or checksum != 256 + sum(header[:148]) + sum(header[156:]):
        return None
    return kind, size


def _octal(field: bytes) -> int:
    if field[0] & 0x80:
        raise ValueError("base-256 number")
    return int(field.split(b"\0", 1)[0].strip() or b"0", 8)


def _blocks(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def _discard(stream: BinaryIO, size: int) -> None:
    if size >= _SEEK_PAST and stream.seekable():
        stream.seek(size, os.SEEK_CUR)
        return
    while size > 0:
        got = len(stream.read(min(size, _SEEK_PAST)))
        if not got:
            return
        size -= got


class _Replay(io.RawIOBase):
    """`head`, then the rest of `tail`."""

    def __init__(self, head: bytes, tail: BinaryIO) -> None:
        self._head, self._tail = memoryview(head), tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        return self._tail.readinto(buffer)  # type: ignore[attr-defined]

    def close(self) -> None:
        self._tail.close()
        super().close()


def uncompressed_size(path: str, codec: str) -> int | None:
    """The archive's uncompressed size where the file says it cheaply (plain; one gzip member under 4 GiB;
    a zstd frame that records it); None when unknown."""
    size = os.stat(path).st_size
    if not codec:
        return size
    with open(path, "rb") as raw:
        if codec == GZIP and size > 18:
            raw.seek(-4, os.SEEK_END)
            (stated,) = struct.unpack("<I", raw.read(4))
            return stated if stated >= size else None  # smaller: several members or past 4 GiB
        if codec == ZSTD:
            try:
                stated = zstandard.frame_content_size(raw.read(18))
            except zstandard.ZstdError:
                return None
            return stated if stated > 0 else None
    return None
