"""Concatenate Parquet files of one schema into the file one `ParquetWriter` would have written from their rows.

A Parquet file is `PAR1`, its row groups' column chunks, then its footer (Thrift compact-protocol
`FileMetaData`), the footer's length and `PAR1`. A row group's bytes do not depend on where they sit, so the
workers write each shard's rows as a small file and decode its footer (`split_parquet`: each row group's metadata
re-encoded around its offsets), and `ParquetConcat` copies each file's row-group bytes after the previous ones and
writes one footer: the first file's, with every row group's offsets moved by how far its bytes moved, the row
groups renumbered and the row counts summed. Page indexes and Bloom filters (written between the row groups and
the footer) are not supported: `pyarrow` writes neither by default.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

MAGIC = b"PAR1"
STOP, TRUE, FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(13)
Struct = list[tuple[int, int, Any]]
"""A Thrift struct as read: (field id, compact type, value) in the order written, so it re-encodes byte for byte."""

FILE_NUM_ROWS, FILE_ROW_GROUPS = 3, 4
GROUP_COLUMNS, GROUP_FILE_OFFSET, GROUP_ORDINAL = 1, 5, 7
CHUNK_FILE_OFFSET, CHUNK_META = 2, 3
META_OFFSETS = (9, 10, 11)
"""ColumnMetaData: data, index and dictionary page offsets."""
UNSUPPORTED_CHUNK = {4: "offset index", 6: "column index", 10: "encrypted column"}
UNSUPPORTED_META = {14: "Bloom filter"}


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def byte(self) -> int:
        self.pos += 1
        return self.data[self.pos - 1]

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, kind: int) -> Any:
        if kind in (TRUE, FALSE):
            return kind == TRUE
        if kind == BYTE:
            return struct.unpack("b", bytes([self.byte()]))[0]
        if kind in (I16, I32, I64):
            return self.zigzag()
        if kind == DOUBLE:
            self.pos += 8
            return struct.unpack("<d", self.data[self.pos - 8 : self.pos])[0]
        if kind == BINARY:
            size = self.varint()
            self.pos += size
            return self.data[self.pos - size : self.pos]
        if kind in (LIST, SET):
            header = self.byte()
            size, element = header >> 4, header & 0x0F
            size = self.varint() if size == 15 else size
            items = [self.byte() == TRUE if element in (TRUE, FALSE) else self.value(element) for _ in range(size)]
            return (element, items)
        if kind == STRUCT:
            return self.fields()
        raise ValueError(f"unsupported Thrift compact type {kind} in a Parquet footer")

    def fields(self) -> Struct:
        out: Struct = []
        last = 0
        while (header := self.byte()) != STOP:
            delta, kind = header >> 4, header & 0x0F
            field = last + delta if delta else self.zigzag()
            out.append((field, kind, self.value(kind)))
            last = field
        return out


class _Writer:
    def __init__(self) -> None:
        self.out = bytearray()
        self.segments: Segments = []
        """What was written before each `_Offset` or `_Ordinal` met (`_marked_group`), then the marker."""

    def varint(self, n: int) -> None:
        while n > 0x7F:
            self.out.append((n & 0x7F) | 0x80)
            n >>= 7
        self.out.append(n)

    def zigzag(self, n: int) -> None:
        self.varint((n << 1) ^ (n >> 63))

    def value(self, kind: int, value: Any) -> None:
        if kind == BYTE:
            self.out += struct.pack("b", value)
        elif isinstance(value, (_Offset, _Ordinal)):
            self.segments += [bytes(self.out), value]
            self.out = bytearray()
        elif kind in (I16, I32, I64):
            self.zigzag(value)
        elif kind == DOUBLE:
            self.out += struct.pack("<d", value)
        elif kind == BINARY:
            self.varint(len(value))
            self.out += value
        elif kind in (LIST, SET):
            element, items = value
            self.out.append((len(items) << 4 | element) if len(items) < 15 else (0xF0 | element))
            if len(items) >= 15:
                self.varint(len(items))
            for item in items:
                if element in (TRUE, FALSE):
                    self.out.append(TRUE if item else FALSE)
                elif isinstance(item, bytes) and element == STRUCT:  # a struct already encoded
                    self.out += item
                else:
                    self.value(element, item)
        elif kind == STRUCT:
            self.fields(value)

    def fields(self, fields: Struct) -> None:
        last = 0
        for field, kind, value in fields:
            if kind in (TRUE, FALSE):
                kind = TRUE if value else FALSE
            if 0 < field - last <= 15:
                self.out.append((field - last) << 4 | kind)
            else:
                self.out.append(kind)
                self.zigzag(field)
            if kind not in (TRUE, FALSE):
                self.value(kind, value)
            last = field
        self.out.append(STOP)


def read_footer(data: bytes) -> tuple[Struct, int]:
    """The `FileMetaData` of a whole Parquet file's bytes, and where its row groups end (the footer starts)."""
    if len(data) < 12 or data[:4] != MAGIC or data[-4:] != MAGIC:
        raise ValueError("not a Parquet file")
    (size,) = struct.unpack("<I", data[-8:-4])
    start = len(data) - 8 - size
    return _Reader(data[start : len(data) - 8]).fields(), start


def encode(fields: Struct) -> bytes:
    writer = _Writer()
    writer.fields(fields)
    return bytes(writer.out)


class _Offset(int):
    """A byte offset from the start of its file, left to fill in when the file's place is known."""


class _Ordinal:
    """A row group's number in the concatenated file, left to fill in."""


Segments = list[Any]
"""A row group's metadata encoded in pieces: bytes, then an `_Offset` or the `_Ordinal`, then bytes, and so on."""


@dataclass
class ParquetPart:
    """A whole Parquet file split for `ParquetConcat` (by `split_parquet`, where the file was written)."""

    body: bytes
    """Its row groups' bytes (between `PAR1` and the footer)."""
    rows: int
    groups: list[Segments]
    footer: Struct
    """Its footer's fields besides the row count and the row groups (version, schema, key-value metadata, writer)."""


def split_parquet(data: bytes) -> ParquetPart:
    """`data` (a whole Parquet file) ready to be appended; the Thrift decoding happens here, not in `ParquetConcat`."""
    footer, end = read_footer(data)
    groups = []
    for group in _get(footer, FILE_ROW_GROUPS, (STRUCT, []))[1]:
        writer = _Writer()
        writer.fields(_marked_group(group))
        groups.append([*writer.segments, bytes(writer.out)])
    rest = [field for field in footer if field[0] not in (FILE_NUM_ROWS, FILE_ROW_GROUPS)]
    return ParquetPart(data[len(MAGIC) : end], _get(footer, FILE_NUM_ROWS, 0), groups, rest)


def _get(fields: Struct, field: int, default: Any = None) -> Any:
    return next((value for fid, _, value in fields if fid == field), default)


def _marked(offset: int) -> int:
    """0 is no offset (Arrow writes 0 for the deprecated column-chunk offset and for the pages of an empty row
    group), never a real one (a file starts with `PAR1`): it stays 0."""
    return _Offset(offset) if offset else 0


def _marked_group(group: Struct) -> Struct:
    """A row group's metadata with its offsets and ordinal marked to be filled in."""
    out: Struct = []
    for fid, kind, value in group:
        if fid == GROUP_COLUMNS:
            value = (value[0], [_marked_chunk(chunk) for chunk in value[1]])
        elif fid == GROUP_FILE_OFFSET:
            value = _marked(value)
        elif fid == GROUP_ORDINAL:
            value = _Ordinal()
        out.append((fid, kind, value))
    return out


def _marked_chunk(chunk: Struct) -> Struct:
    """A column chunk's metadata with its offsets and its `ColumnMetaData`'s marked."""
    marked = _marked_fields(chunk, (CHUNK_FILE_OFFSET,), UNSUPPORTED_CHUNK)
    return [
        (fid, kind, _marked_fields(value, META_OFFSETS, UNSUPPORTED_META) if fid == CHUNK_META else value)
        for fid, kind, value in marked
    ]


def _marked_fields(fields: Struct, offsets: tuple[int, ...], unsupported: dict[int, str]) -> Struct:
    for fid, _, _ in fields:
        if fid in unsupported:
            raise ValueError(f"cannot concatenate Parquet files with a {unsupported[fid]}")
    return [(fid, kind, _marked(value) if fid in offsets else value) for fid, kind, value in fields]


def _filled(segments: Segments, shift: int, ordinal: int) -> bytes:
    writer = _Writer()
    for segment in segments:
        if isinstance(segment, bytes):
            writer.out += segment
        else:
            writer.zigzag(ordinal if isinstance(segment, _Ordinal) else segment + shift)
    return bytes(writer.out)


class ParquetConcat:
    """Appends Parquet files (same schema and writer settings; `split_parquet`) to `sink`; `close` writes the
    footer."""

    def __init__(self, sink: BinaryIO) -> None:
        self.sink = sink
        self.sink.write(MAGIC)
        self.position = len(MAGIC)
        self.footer: Struct | None = None
        self.groups: list[bytes] = []
        self.rows = 0

    def append(self, part: ParquetPart) -> None:
        if self.footer is None:
            self.footer = part.footer
        shift = self.position - len(MAGIC)
        self.groups += [_filled(segments, shift, len(self.groups) + n) for n, segments in enumerate(part.groups)]
        self.rows += part.rows
        self.sink.write(part.body)
        self.position += len(part.body)

    def close(self) -> None:
        if self.footer is None:
            raise ValueError("no Parquet file appended: nothing gives the schema")
        counts = [(FILE_NUM_ROWS, I64, self.rows), (FILE_ROW_GROUPS, LIST, (STRUCT, self.groups))]
        data = encode(sorted([*self.footer, *counts], key=lambda field: field[0]))
        self.sink.write(data + struct.pack("<I", len(data)) + MAGIC)
