"""Decode the records of one input file, bounded and with a reason code for every failure.

`iter_records` yields `(origin, record_or_None, Quarantined_or_None)`; a bad line never stops
the lines around it from being read. Tolerated without quarantine: a UTF-8 byte order mark at the
start of a file, CRLF line ends, blank lines in JSONL (they hold no data), duplicate keys (the last
one wins, as in every JSON parser), and the `NaN` / `Infinity` literals Python's `json` module
writes (read as null).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from trajsift import reasons
from trajsift.readers.sources.columnar import iter_arrow, iter_parquet
from trajsift.readers.sources.json_array import NotAnArray, TooLong, iter_array_elements
from trajsift.readers.sources.names import record_kind
from trajsift.readers.sources.quarantining import Decoded, quarantine
from trajsift.readers.sources.sessions import gather_sessions
from trajsift.readers.sources.spans import LineRange
from trajsift.readers.sources.streams import DECOMPRESSION_ERRORS
from trajsift.readers.sources.units import (
    DEFAULT_MAX_RECORD_BYTES,
    FileEntry,
    InputTooLarge,
    ReadLimits,
    RejectedEntry,
)
from trajsift.schema import Quarantined

__all__ = ["DEFAULT_MAX_RECORD_BYTES", "Decoded", "ReadLimits", "decode_json", "iter_records", "quarantine"]

UTF8_BOM = b"\xef\xbb\xbf"
NON_FINITE = (b"NaN", b"Infinity")


def decode_json(data: bytes, origin: str) -> Decoded:
    """Decode one JSON document, mapping every failure to a reason code."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    try:
        return origin, orjson.loads(data), None
    except orjson.JSONDecodeError as exc:
        if any(token in data for token in NON_FINITE):
            lenient = _loads_non_finite(data)
            if lenient is not None:
                return origin, lenient, None
        return origin, None, quarantine(_json_reason(str(exc), data), origin, str(exc), data)


def _loads_non_finite(data: bytes) -> Any:
    """Parse JSON holding NaN / Infinity literals; they become null. None if still invalid."""
    try:
        value = json.loads(data.decode("utf-8"))
        return orjson.loads(orjson.dumps(value))  # NaN -> null; rejects lone surrogates
    except (ValueError, TypeError, RecursionError):
        return None


def _json_reason(message: str, data: bytes) -> str:
    if not data.strip():
        return reasons.EMPTY_INPUT
    if "depth limit" in message or "recursion" in message.lower():
        return reasons.NESTING_TOO_DEEP
    if "UTF-8" in message:
        return reasons.INVALID_UTF8
    if "surrogate" in message:
        return reasons.INVALID_UNICODE_ESCAPE
    if "unexpected end" in message or "EOF" in message:
        return reasons.TRUNCATED_JSON
    return reasons.INVALID_JSON


def iter_records(entry: FileEntry | RejectedEntry, limits: ReadLimits = ReadLimits()) -> Iterator[Decoded]:
    if isinstance(entry, RejectedEntry):
        yield entry.path, None, quarantine(entry.reason, entry.path, entry.detail)
        return
    kind = record_kind(entry.name)
    try:
        if kind in (".jsonl", ".ndjson"):
            yield from _iter_jsonl(entry, limits)
        elif kind == ".parquet":
            yield from iter_parquet(entry, limits)
        elif kind == ".arrow":
            yield from iter_arrow(entry, limits)
        else:
            yield from _iter_json_document(entry, limits)
    except InputTooLarge as exc:
        yield entry.path, None, quarantine(reasons.FILE_TOO_LARGE, entry.path, str(exc))
    except DECOMPRESSION_ERRORS as exc:
        yield entry.path, None, quarantine(_io_reason(entry, exc), entry.path, f"{type(exc).__name__}: {exc}")


def _io_reason(entry: FileEntry, exc: BaseException) -> str:
    if entry.codec and not isinstance(exc, (PermissionError, FileNotFoundError)):
        return reasons.DECOMPRESSION_ERROR
    return reasons.UNREADABLE_FILE


def _iter_json_document(entry: FileEntry, limits: ReadLimits) -> Iterator[Decoded]:
    try:
        data = entry.read_bytes(limits.max_record_bytes)
    except OverflowError as exc:
        yield from _large_document(entry, limits, str(exc))
        return
    yield from _document_records(*decode_json(data, entry.path))
    if entry.fault:
        yield entry.path, None, quarantine(reasons.DECOMPRESSION_ERROR, entry.path, entry.fault)


def _large_document(entry: FileEntry, limits: ReadLimits, detail: str) -> Iterator[Decoded]:
    """A document over the record limit: a JSON array of records is read element by element, never held
    whole; anything else (one record, one run's event stream) is quarantined as too large."""
    count = 0
    try:
        with entry.open(limits.max_file_bytes) as stream:
            for count, element in enumerate(iter_array_elements(stream, limits.max_record_bytes), 1):
                origin = f"{entry.path}#{count - 1}"
                if isinstance(element, TooLong):
                    yield origin, None, quarantine(reasons.ROW_TOO_LARGE, origin, "array element exceeds limit")
                    continue
                decoded = decode_json(element, origin)
                if count == 1 and decoded[2] is None and _one_run([decoded[1]]):
                    break  # one run's events or messages: the whole document is one record
                yield decoded
            else:
                return
    except NotAnArray as exc:
        if count:
            yield entry.path, None, quarantine(reasons.TRUNCATED_JSON, entry.path, f"after {count} elements: {exc}")
            return
    yield entry.path, None, quarantine(reasons.ROW_TOO_LARGE, entry.path, detail)


def _document_records(origin: str, record: Any, bad: Quarantined | None) -> Iterator[Decoded]:
    if bad is None and is_event_list(record):
        yield origin, {"history": record}, None  # one run stored as a bare list of events
        return
    if bad is None and is_message_list(record):
        yield origin, {"messages": record}, None  # one chat stored as a bare list of messages (Cline)
        return
    if bad is None and isinstance(record, list) and any(isinstance(item, dict) for item in record):
        for i, item in enumerate(record):
            yield f"{origin}#{i}", item, None
        return
    if bad is None and record == []:
        bad = quarantine(reasons.EMPTY_INPUT, origin, "empty JSON array")
    yield origin, record, bad


CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


def _one_run(head: list[Any]) -> bool:
    """The array's first element says the whole array is one run (its events, or its chat messages)."""
    message = head[0]
    return is_event_list(head) or (isinstance(message, dict) and message.get("role") in CHAT_ROLES)


def is_event_list(record: Any) -> bool:
    """A JSON array that is one agent run's event stream (OpenHands `trajs/<id>.json`), not a list of records."""
    if not isinstance(record, list) or not record or not isinstance(record[0], dict):
        return False
    head = record[:3]
    return all(isinstance(e, dict) and ("action" in e or "observation" in e) and "role" not in e for e in head) and any(
        "source" in e or "cause" in e or "timestamp" in e for e in head
    )


def is_message_list(record: Any) -> bool:
    """A JSON array that is one conversation (`role` + `content` messages, an assistant among them), as Cline /
    Roo Code keep `api_conversation_history.json`, not a list of records."""
    if not isinstance(record, list) or not record:
        return False
    roles = [e.get("role") if isinstance(e, dict) and ("content" in e or "tool_calls" in e) else None for e in record]
    return all(role in CHAT_ROLES for role in roles) and "assistant" in roles


def _iter_jsonl(entry: FileEntry, limits: ReadLimits) -> Iterator[Decoded]:
    """Each line a record; a session file's lines gathered into one record per run (`sessions`)."""
    with _jsonl_stream(entry, limits) as (stream, lines_before, content_before):
        lines = _jsonl_lines(entry.path, iter_lines(stream, limits.max_record_bytes, lines_before))
        seen_content = content_before
        for decoded in gather_sessions(lines, entry.path, at_file_start=not content_before):
            seen_content = True
            yield decoded
    if not seen_content and (entry.span is None or entry.span.end is None):  # the file's last span says it
        yield entry.path, None, quarantine(reasons.EMPTY_INPUT, entry.path, "no JSON line in file")


def _jsonl_lines(path: str, lines: Iterator[tuple[int, bytes | TooLong]]) -> Iterator[Decoded]:
    for number, line in lines:
        origin = f"{path}:{number}"
        if isinstance(line, TooLong):
            yield origin, None, quarantine(reasons.ROW_TOO_LARGE, origin, "line exceeds limit", line.head)
        else:
            yield decode_json(line, origin)


@contextmanager
def _jsonl_stream(entry: FileEntry, limits: ReadLimits) -> Iterator[tuple[Any, int, bool]]:
    """(the file's lines, or its span's, line ends before them, whether content comes before them)."""
    with entry.open(limits.max_file_bytes) as stream:
        if entry.span is None:
            yield stream, 0, False
            return
        lines = LineRange(stream, entry.span)
        if not lines.skip():
            yield io.BytesIO(), 0, lines.failed or lines.content_before  # the file ends (or fails) before it
            return
        yield io.BufferedReader(lines, LINE_CHUNK), lines.lines_before, lines.content_before


NON_BLANK = re.compile(rb"[^ \t\r\n\f\v]")
LINE_CHUNK = 1024 * 1024


def iter_lines(stream: Any, limit: int, lines_before: int = 0) -> Iterator[tuple[int, bytes | TooLong]]:
    """(1-based line number, line) for every line holding more than whitespace; `stream` starts after
    `lines_before` line ends."""
    return _LineSplitter(stream, limit, lines_before).lines()


class _LineSplitter:
    """Splits a stream into lines in chunks read into one reused buffer: runs of blank lines cost no
    Python step each, and no more than `limit` bytes of one line are ever held; a line past it is
    skipped by searching each chunk for its end, never appending it."""

    def __init__(self, stream: Any, limit: int, lines_before: int = 0) -> None:
        self._stream, self._limit = stream, limit
        self._chunk = bytearray(LINE_CHUNK)
        self._buf = bytearray()
        self._number = lines_before  # line ends before buf[0]
        self._skipping = False  # inside a line already reported as too long

    def lines(self) -> Iterator[tuple[int, bytes | TooLong]]:
        view = memoryview(self._chunk)
        while True:
            size = self._stream.readinto1(view)
            scanned = len(self._buf)  # what buf held before holds no line end: never scan it again
            if self._skipping:
                end = self._chunk.find(b"\n", 0, size)
                if end < 0 and size:
                    continue
                self._number, self._skipping = self._number + (end >= 0), False
                self._buf = bytearray(view[end + 1 : size] if end >= 0 else b"")
            else:
                self._buf += view[:size]
            yield from self._split(scanned, at_end=not size)
            if not size:
                return

    def _split(self, scanned: int, at_end: bool) -> Iterator[tuple[int, bytes | TooLong]]:
        buf, pos = self._buf, 0
        while pos < len(buf):
            start = _next_non_blank(buf, pos)
            self._number += buf.count(b"\n", pos, start)
            pos = start
            end = buf.find(b"\n", max(start, scanned))
            if end < 0 and not at_end:
                if len(buf) - start > self._limit:
                    yield self._number + 1, TooLong(bytes(buf[start : start + 200]))
                    pos, self._skipping = len(buf), True
                break
            stop = len(buf) if end < 0 else end + 1
            if start < len(buf):
                too_long = (end if end >= 0 else stop) - start > self._limit
                line = TooLong(bytes(buf[start : min(stop, start + 200)])) if too_long else bytes(buf[start:stop])
                yield self._number + 1, line
            self._number, pos = self._number + (end >= 0), stop
        del buf[:pos]


def _next_non_blank(buf: bytearray, pos: int) -> int:
    """Index of the first byte at or after `pos` that is not whitespace (len(buf) if none), in time
    proportional to the whitespace skipped: growing windows are tested whole in C before a search."""
    window = 64
    while pos < len(buf):
        end = min(len(buf), pos + window)
        if not buf[pos:end].isspace():
            found = NON_BLANK.search(buf, pos, end)
            assert found is not None
            return found.start()
        pos, window = end, window * 2
    return len(buf)
