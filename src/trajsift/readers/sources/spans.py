"""Byte spans of one big input, so that several workers read it: `ByteSpan`, and `LineRange`, the lines of a
JSONL stream that belong to one span.

A line belongs to the span holding its first byte (offsets into the decompressed bytes). So a span starts
right after the first line end at or after `start - 1` and stops right after the first line end at or after
`end - 1`: spans [0, t1), [t1, t2), ..., [tn, end of file) hold every line once, in order, whatever the cuts,
and a line longer than a span belongs to the span it starts in. A later span reads (and counts the line ends
of) everything before it: cheap for plain files (memory speed), one decoding pass of the prefix for
compressed ones.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

from trajsift.readers.sources.streams import DECOMPRESSION_ERRORS, InputTooLarge

SKIP_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ByteSpan:
    start: int
    end: int | None = None
    """None: to the input's end."""


class LineRange(io.RawIOBase):
    """The bytes of the lines of `stream` that belong to `span`; `skip()` first."""

    def __init__(self, stream: BinaryIO, span: ByteSpan) -> None:
        self._stream, self._span = stream, span
        self._at = 0  # offset in `stream` of the next byte delivered
        self._pending = b""
        self._done = False
        self.lines_before = 0
        """Line ends before the span's first line."""
        self.content_before = False
        """Whether anything but whitespace comes before the span's first line."""
        self.failed = False
        """Whether reading failed before the span's first line."""

    def readable(self) -> bool:
        return True

    def skip(self) -> bool:
        """Read up to the span's first line; False when the input ends or fails before it (a fault there is
        the earlier span's to report)."""
        if self._span.start <= 0:
            return True
        try:
            while True:
                chunk = self._stream.read1(SKIP_CHUNK)  # type: ignore[attr-defined] # bytes before a fault, never lost
                if not chunk:
                    return False
                found = chunk.find(b"\n", max(0, self._span.start - 1 - self._at))
                head = chunk if found < 0 else chunk[: found + 1]
                self.lines_before += head.count(b"\n")
                self.content_before = self.content_before or not head.isspace()
                self._at += len(head)
                if found >= 0:
                    self._pending = chunk[found + 1 :]
                    self._done = self._span.end is not None and self._at >= self._span.end
                    return True
        except (InputTooLarge, *DECOMPRESSION_ERRORS):
            self.failed = True
            return False

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._done:
            return 0
        data = self._pending or self._stream.read1(len(buffer))  # type: ignore[attr-defined]
        data, self._pending = data[: len(buffer)], data[len(buffer) :]
        end = self._span.end
        if end is not None and (found := data.find(b"\n", max(0, end - 1 - self._at))) >= 0:
            data, self._pending, self._done = data[: found + 1], b"", True
        self._at += len(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()
