"""Split a top-level JSON array into its elements while streaming, so a JSON file larger than the record
limit that holds many records is read record by record instead of being held (or refused) whole.

Only the array's structure is scanned (brackets, braces, commas, strings and their escapes); each
element's bytes are handed out for a real JSON parser to decode. An element longer than the limit is
skipped while scanning, never held, and reported as `TooLong`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from trajsift.errors import TrajsiftError


class TooLong:
    """A record longer than the limit: its first bytes only (the rest was skipped, never held)."""

    def __init__(self, head: bytes) -> None:
        self.head = head


OUTSIDE_STRING = re.compile(rb'[\[\]{},"]')
INSIDE_STRING = re.compile(rb'["\\]')
CHUNK = 1024 * 1024
BLANK = b" \t\r\n\xef\xbb\xbf"


class NotAnArray(TrajsiftError, ValueError):
    """The document does not start with `[` (or its structure breaks before the end)."""


class _Scanner:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.depth = 0  # nesting inside the top-level array (0: between elements)
        self.in_string = self.escaped = False
        self.element = bytearray()
        self.too_long: bytes | None = None  # head of an element past the limit, being skipped
        self.finished = False

    def feed(self, chunk: bytes) -> Iterator[bytes | TooLong]:
        pos = 0
        while pos < len(chunk) and not self.finished:
            if self.escaped:
                self._keep(chunk[pos : pos + 1])
                self.escaped, pos = False, pos + 1
                continue
            found = (INSIDE_STRING if self.in_string else OUTSIDE_STRING).search(chunk, pos)
            end = found.start() if found else len(chunk)
            self._keep(chunk[pos:end])
            if found is None:
                break
            yield from self._token(chunk[end : end + 1])
            pos = end + 1

    def _token(self, token: bytes) -> Iterator[bytes | TooLong]:
        if self.in_string:
            self.in_string, self.escaped = token != b'"', token == b"\\"
            self._keep(token)
            return
        if self.depth == 0 and token in (b",", b"]"):
            yield from self._element_done()
            self.finished = token == b"]"
            return
        self.in_string = token == b'"'
        self.depth += {b"[": 1, b"{": 1, b"]": -1, b"}": -1}.get(token, 0)
        if self.depth < 0:
            raise NotAnArray("unbalanced brackets")
        self._keep(token)

    def _keep(self, data: bytes) -> None:
        if self.too_long is not None:
            return
        self.element += data
        if len(self.element) > self.limit:
            self.too_long = bytes(self.element[:200])
            self.element = bytearray()

    def _element_done(self) -> Iterator[bytes | TooLong]:
        if self.too_long is not None:
            yield TooLong(self.too_long)
        elif self.element.strip(BLANK):
            yield bytes(self.element)
        self.element, self.too_long = bytearray(), None


def iter_array_elements(stream: Any, limit: int) -> Iterator[bytes | TooLong]:
    """Elements of the JSON array read from `stream`; raises `NotAnArray` if it is not one."""
    head = b""
    while not head and (chunk := stream.read(CHUNK)):
        head = chunk.lstrip(BLANK)
    if not head.startswith(b"["):
        raise NotAnArray("the document is not a JSON array")
    scanner = _Scanner(limit)
    chunk = head[1:]
    while not scanner.finished:
        yield from scanner.feed(chunk)
        if not scanner.finished and not (chunk := stream.read(CHUNK)):
            raise NotAnArray("the array ends before its closing bracket")
