"""Decompressing byte streams, bounded and fault-isolated.

gzip and zstd are decoded member by member (frame by frame), with bounded output per step: a file of
several members reads them all, and a fault (trailing garbage, a corrupt or truncated member) is raised
only after every byte decoded before it has been delivered, so it costs only what it corrupts. bz2 and
xz / lzma use the standard library readers, which bound their output the same way.
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import zlib
from collections.abc import Callable
from typing import BinaryIO

import zstandard

from trajsift.errors import InputError

GZIP, ZSTD, BZIP2, XZ = ".gz", ".zst", ".bz2", ".xz"
COMPRESSION_SUFFIXES = {
    ".gz": GZIP,
    ".gzip": GZIP,
    ".zst": ZSTD,
    ".zstd": ZSTD,
    ".bz2": BZIP2,
    ".xz": XZ,
    ".lzma": XZ,
}
"""Suffix (lower case) -> the codec reading it."""
UNSUPPORTED_COMPRESSIONS = (".zip", ".7z", ".rar", ".lz4", ".lz", ".br", ".z", ".sz", ".snappy")
RAW_CHUNK = 64 * 1024
ZSTD_CHUNK = 2 * 1024
"""zstd's decoder has no output bound: feeding 2 KiB at a time bounds one step's output (RLE blocks) to ~90 MB."""
MAX_STEP_OUTPUT = 1024 * 1024
DECOMPRESSION_ERRORS = (EOFError, zlib.error, zstandard.ZstdError, OSError, lzma.LZMAError)


class _GzipMember:
    """One gzip member: zlib with output bounded per step (the rest waits in `unconsumed_tail`)."""

    def __init__(self) -> None:
        self._zlib = zlib.decompressobj(wbits=31)
        self.pending_input = b""

    @property
    def eof(self) -> bool:
        return self._zlib.eof

    @property
    def unused_data(self) -> bytes:
        return self._zlib.unused_data

    def decompress(self, data: bytes) -> bytes:
        out = self._zlib.decompress(self.pending_input + data, MAX_STEP_OUTPUT)
        self.pending_input = self._zlib.unconsumed_tail
        return out


class _ZstdFrame:
    """One zstd frame, fed in small pieces so that no step's output is unbounded."""

    def __init__(self) -> None:
        self._obj = zstandard.ZstdDecompressor().decompressobj()
        self.pending_input = b""
        self.eof = False
        self.unused_data = b""

    def decompress(self, data: bytes) -> bytes:
        view = memoryview(self.pending_input + data if self.pending_input else data)
        outs: list[bytes] = []
        size = pos = 0
        while pos < len(view) and size < MAX_STEP_OUTPUT:
            outs.append(self._obj.decompress(view[pos : pos + ZSTD_CHUNK]))
            size += len(outs[-1])
            pos += ZSTD_CHUNK
            if self._obj.eof:
                self.eof = True
                self.unused_data = self._obj.unused_data + bytes(view[pos:])
                break
        self.pending_input = b"" if self.eof else bytes(view[pos:])
        return b"".join(outs)


class MemberStream(io.RawIOBase):
    """Concatenated gzip members or zstd frames, decoded one after another; a fault is raised only once
    everything decoded before it has been read."""

    def __init__(self, raw: BinaryIO, new_member: Callable[[], _GzipMember | _ZstdFrame], pad: bytes = b"") -> None:
        self._raw, self._new, self._pad = raw, new_member, pad
        self._member: _GzipMember | _ZstdFrame | None = None
        self._input = b""
        self._out = b""
        self._at = 0
        self._error: BaseException | None = None
        self._raw_eof = False
        self._members = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while self._at >= len(self._out):
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            self._out, self._at = b"", 0
            if not self._step():
                return 0
        size = min(len(buffer), len(self._out) - self._at)
        buffer[:size] = memoryview(self._out)[self._at : self._at + size]
        self._at += size
        return size

    def _step(self) -> bool:
        """Decode some more into `_out`; False at the clean end of the stream."""
        try:
            return self._decode_some()
        except (zlib.error, zstandard.ZstdError, EOFError) as exc:
            self._error = exc
            return True

    def _decode_some(self) -> bool:
        if self._member is None and not self._start_member():
            return False
        member = self._member
        assert member is not None
        if not self._input and not member.pending_input and not self._fill():
            raise EOFError(f"compressed stream ends inside member {self._members}")
        data, self._input = self._input, b""
        self._out = member.decompress(data)
        if member.eof:
            self._input = member.unused_data
            self._member = None
        return True

    def _start_member(self) -> bool:
        """Begin the next member (garbage fails in its first step); False at the end of the stream."""
        while True:
            if self._pad:
                self._input = self._input.lstrip(self._pad)
            if self._input:
                break
            if not self._fill():
                return False
        self._member = self._new()
        self._members += 1
        return True

    def _fill(self) -> bool:
        chunk = self._raw.read(RAW_CHUNK) if not self._raw_eof else b""
        self._raw_eof = not chunk
        self._input += chunk
        return bool(chunk)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def decompressing_stream(raw: BinaryIO, codec: str) -> BinaryIO:
    """A raw stream of the decompressed bytes of `raw` (`codec`: a value of `COMPRESSION_SUFFIXES`, or '')."""
    if codec == GZIP:
        return MemberStream(raw, _GzipMember, pad=b"\0")  # type: ignore[return-value]
    if codec == ZSTD:
        return MemberStream(raw, _ZstdFrame)  # type: ignore[return-value]
    if codec == BZIP2:
        return bz2.BZ2File(raw)  # type: ignore[return-value]
    if codec == XZ:
        return lzma.LZMAFile(raw)  # type: ignore[return-value]
    return raw


class RangeReader(io.RawIOBase):
    """Reads bytes `[offset, offset + size)` of an open file descriptor with `pread` (own position)."""

    def __init__(self, fd: int, offset: int, size: int) -> None:
        self._fd, self._pos, self._end = fd, offset, offset + size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self._end - self._pos)
        if want <= 0:
            return 0
        data = os.pread(self._fd, want, self._pos)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


class InputTooLarge(InputError):
    """A decompressed stream went past `ReadLimits.max_file_bytes`."""


class BoundedReader(io.RawIOBase):
    """Counts bytes read from `inner` and raises `InputTooLarge` once past `limit`."""

    def __init__(self, inner: BinaryIO, limit: int, name: str) -> None:
        self._inner, self._limit, self._name, self._count = inner, limit, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Bytes up to the limit are all delivered; the read after them raises."""
        if self._count > self._limit:
            raise InputTooLarge(f"{self._name}: more than {self._limit} decompressed bytes")
        size = self._inner.readinto(memoryview(buffer)[: self._limit + 1 - self._count]) or 0  # type: ignore[attr-defined]
        self._count += size
        return size

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()


MAGIC_BYTES = {b"\x1f\x8b": GZIP, b"\x28\xb5\x2f\xfd": ZSTD, b"BZh": BZIP2, b"\xfd7zXZ\x00": XZ}


def sniff_codec(opener: Callable[[], BinaryIO]) -> str:
    try:
        with opener() as raw:
            head = raw.read(6)
    except OSError:
        return ""  # the read proper reports it
    return next((codec for magic, codec in MAGIC_BYTES.items() if head.startswith(magic)), "")
