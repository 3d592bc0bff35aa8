"""Decode Parquet and Arrow IPC files into records, bounded and fault-isolated.

Parquet is read row group by row group: a corrupt row group costs its own rows only (one quarantined
row names the range), and a row group whose rows average more than the record limit is quarantined as
`row_too_large` without being decoded. Files on disk are read from disk; compressed ones, or members of
an archive, are buffered only up to `ReadLimits.max_buffered_bytes`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq

from trajsift import reasons
from trajsift.arrow import is_trajsift_schema, rows_from_batch
from trajsift.readers.sources.quarantining import Decoded, quarantine
from trajsift.readers.sources.units import FileEntry, ReadLimits

ARROW_ERRORS = (pa.ArrowException, OSError, ValueError)
IPC_FILE_MAGIC = b"ARROW1"


def _source(entry: FileEntry, limits: ReadLimits) -> Any:
    """A seekable source: the file on disk, or its decompressed bytes (bounded)."""
    if entry.disk_path and not entry.codec:
        return pa.OSFile(entry.disk_path)
    with entry.open(limits.max_file_bytes) as stream:
        data = stream.read(limits.max_buffered_bytes + 1)
    if len(data) > limits.max_buffered_bytes:
        raise OverflowError(f"more than {limits.max_buffered_bytes} bytes to buffer; store it uncompressed on disk")
    return pa.BufferReader(data)


def iter_parquet(entry: FileEntry, limits: ReadLimits) -> Iterator[Decoded]:
    try:
        parquet = pq.ParquetFile(_source(entry, limits))
        schema = parquet.schema_arrow
    except OverflowError as exc:
        yield entry.path, None, quarantine(reasons.FILE_TOO_LARGE, entry.path, str(exc))
        return
    except ARROW_ERRORS as exc:
        yield entry.path, None, quarantine(reasons.BAD_PARQUET, entry.path, f"{type(exc).__name__}: {exc}")
        return
    native = is_trajsift_schema(schema)
    first = 0
    for group in range(parquet.metadata.num_row_groups):
        meta = parquet.metadata.row_group(group)
        yield from _row_group(entry.path, parquet, group, first, native, limits)
        first += meta.num_rows


def _row_group(path: str, parquet: pq.ParquetFile, group: int, first: int, native: bool, limits: ReadLimits):
    meta = parquet.metadata.row_group(group)
    where = f"{path}#{first}"
    span = f"row group {group} (rows {first}..{first + meta.num_rows - 1})"
    if meta.num_rows and meta.total_byte_size / meta.num_rows > limits.max_record_bytes:
        yield where, None, quarantine(reasons.ROW_TOO_LARGE, where, f"{span}: rows average over the record limit")
        return
    try:
        table = parquet.read_row_group(group)
    except ARROW_ERRORS as exc:
        yield where, None, quarantine(reasons.BAD_PARQUET, where, f"{span} unreadable: {type(exc).__name__}: {exc}")
        return
    yield from iter_batches(path, iter(table.to_batches(max_chunksize=limits.parquet_batch_rows)), native, first)


def iter_arrow(entry: FileEntry, limits: ReadLimits) -> Iterator[Decoded]:
    """Arrow IPC, stream format (Hugging Face `datasets` files) or file format (`ARROW1` magic)."""
    try:
        source = _source(entry, limits)
        magic = source.read(len(IPC_FILE_MAGIC))
        source.seek(0)
        if magic == IPC_FILE_MAGIC:
            reader = pyarrow.ipc.open_file(source)
            batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
        else:
            reader = pyarrow.ipc.open_stream(source)
            batches = iter(reader)
    except OverflowError as exc:
        yield entry.path, None, quarantine(reasons.FILE_TOO_LARGE, entry.path, str(exc))
        return
    except ARROW_ERRORS as exc:
        yield entry.path, None, quarantine(reasons.BAD_PARQUET, entry.path, f"{type(exc).__name__}: {exc}")
        return
    yield from iter_batches(entry.path, batches, is_trajsift_schema(reader.schema))


def iter_batches(path: str, batches: Iterator[pa.RecordBatch], native: bool, row: int = 0) -> Iterator[Decoded]:
    try:
        for batch in batches:
            for record in rows_from_batch(batch, native=native):
                yield f"{path}#{row}", record, None
                row += 1
    except ARROW_ERRORS as exc:
        yield f"{path}#{row}", None, quarantine(reasons.BAD_PARQUET, path, f"{type(exc).__name__}: {exc}")
