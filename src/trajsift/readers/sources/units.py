"""The units a read works on: one file (`FileEntry`), one folder a folder-shaped format claims whole
(`FolderEntry`), or a path that is not read (`RejectedEntry`, with a reason code), plus the read limits.

A `FileEntry` opens its bytes decompressed and size-bounded; a file on disk is opened without following
symlinks (`disk_entry`).
"""

from __future__ import annotations

import io
import os
import stat
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from trajsift import reasons
from trajsift.readers.sources.names import is_artifact, printable, strip_compression
from trajsift.readers.sources.spans import ByteSpan
from trajsift.readers.sources.streams import (
    DECOMPRESSION_ERRORS,
    GZIP,
    BoundedReader,
    decompressing_stream,
    sniff_codec,
)
from trajsift.readers.sources.streams import (
    InputTooLarge as InputTooLarge,  # re-exported: raised by the streams `FileEntry.open` returns
)

DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_FILE_BYTES = 64 * 1024**3
DEFAULT_MAX_MEMBER_BYTES = 1024**3
STREAM_BUFFER = 64 * 1024
MAX_FOLDER_DEPTH = 100
"""Folders nested deeper are listed as `nesting_too_deep`, not walked (each level is a generator frame)."""


@dataclass(frozen=True)
class ReadLimits:
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    """A JSON document or JSONL line larger than this is quarantined as `row_too_large`."""
    parquet_batch_rows: int = 256
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    """Decompressed bytes read from one file before it is cut off as `file_too_large` (zip bombs)."""
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES
    """A tar member larger than this is quarantined as `file_too_large`."""
    max_buffered_bytes: int = 256 * 1024 * 1024
    """A Parquet / Arrow file that is compressed or inside an archive is decoded from memory: past this size
    it is quarantined as `file_too_large`."""


@dataclass
class FileEntry:
    """One input file, on disk or inside an archive. `open()` yields decompressed bytes."""

    path: str
    opener: Callable[[], BinaryIO]
    disk_path: str = ""
    """Set for plain files on disk, so columnar readers can seek instead of buffering."""
    fault: str = ""
    """Set by `read_bytes` when trailing bytes after whole compressed members were not decodable."""
    sniffed: str | None = field(default=None, repr=False)
    span: ByteSpan | None = None
    """Set when the file is read as spans by several workers: this entry reads only the lines of this span."""

    @property
    def codec(self) -> str:
        """The compression named by the suffix; a file without one is sniffed for a compressor's magic
        bytes (a `.jsonl` that holds gzip data is read as gzip)."""
        if self.sniffed is None:
            self.sniffed = strip_compression(self.name)[1] or sniff_codec(self.opener)
        return self.sniffed

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1].rsplit(":", 1)[-1]

    @property
    def base_name(self) -> str:
        """File name without its compression suffix."""
        return strip_compression(self.name)[0]

    def open(self, limit: int = DEFAULT_MAX_FILE_BYTES) -> BinaryIO:
        """Buffered decompressed bytes; reading past `limit` raises `InputTooLarge`."""
        stream = decompressing_stream(self.opener(), self.codec)
        return io.BufferedReader(BoundedReader(stream, limit, self.path), STREAM_BUFFER)  # type: ignore[return-value]

    def read_bytes(self, limit: int) -> bytes:
        """Read all decompressed bytes; raise `OverflowError` past `limit`. A fault after at least one whole
        gzip member or zstd frame (trailing garbage) keeps what came before it and is noted in `fault`."""
        codec = self.codec
        if codec in ("", GZIP):
            with self.opener() as raw:
                data = raw.read(limit + 1) if not codec else self._gunzip(raw.read(_gzip_budget(limit)), limit)
        else:
            data = self._read_stream(limit)
        if len(data) > limit:
            raise OverflowError(f"{self.path}: more than {limit} bytes")
        return data

    def _read_stream(self, limit: int) -> bytes:
        parts: list[bytes] = []
        size = 0
        with self.open() as stream:
            while size <= limit:
                try:
                    part = stream.read1(STREAM_BUFFER)  # type: ignore[attr-defined]
                except DECOMPRESSION_ERRORS as exc:
                    if not parts:
                        raise
                    self.fault = f"decoding stopped after {size} bytes: {type(exc).__name__}: {exc}"
                    break
                if not part:
                    break
                parts.append(part)
                size += len(part)
        return b"".join(parts)

    def _gunzip(self, raw: bytes, limit: int) -> bytes:
        """One-shot gzip decoding (about twice as fast as streaming), multi-member aware and bounded:
        stops after `limit + 1` output bytes; raises `EOFError` on a truncated stream."""
        parts: list[bytes] = []
        size = 0
        while raw:
            decoder = zlib.decompressobj(wbits=31)
            try:
                part = decoder.decompress(raw, limit + 1 - size)
            except zlib.error as exc:
                if not parts:
                    raise
                self.fault = f"{len(raw)} bytes after gzip member {len(parts)} are not gzip: {exc}"
                break
            parts.append(part)
            size += len(part)
            if size > limit:
                break
            if not decoder.eof:
                raise EOFError("compressed file ended before the end-of-stream marker was reached")
            raw = decoder.unused_data.lstrip(b"\0")
        return b"".join(parts)


def _gzip_budget(limit: int) -> int:
    """Compressed bytes enough for `limit + 1` decompressed ones, so a document within `limit` is never cut:
    deflate at worst (incompressible data) adds 5 bytes per 64 KiB block, gzip about 20 bytes of framing."""
    return limit + 1 + (limit >> 10) + 1024


@dataclass
class FolderEntry:
    """A folder whose files a folder reader parses together."""

    path: str
    files: dict[str, FileEntry] = field(default_factory=dict)

    def names(self) -> set[str]:
        return {strip_compression(name)[0] for name in self.files}

    def get(self, name: str) -> FileEntry | None:
        """Look a file up by its name with or without compression suffix."""
        if name in self.files:
            return self.files[name]
        return next((entry for key, entry in self.files.items() if strip_compression(key)[0] == name), None)


@dataclass
class RejectedEntry:
    """A path found in the inputs that is not read, with the reason code saying why."""

    path: str
    reason: str
    detail: str = ""


Entry = FileEntry | FolderEntry
Unit = FileEntry | FolderEntry | RejectedEntry
FolderClaim = Callable[[set[str]], bool]


def disk_entry(path: str) -> FileEntry:
    """A file on disk, opened without following symlinks; its shown path is `printable`."""

    def opener() -> BinaryIO:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OSError(f"not a regular file: {printable(path)}")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")

    return FileEntry(path=printable(path), opener=opener, disk_path=path)


def artifact(path: str, name: str) -> RejectedEntry | None:
    """A harness/run file or dataset marker met while walking: listed, not read."""
    if is_artifact(name):
        return RejectedEntry(printable(path), reasons.NOT_A_TRAJECTORY, "harness/run artifact or marker; not read")
    return None
