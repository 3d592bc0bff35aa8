"""Binary Arrow columns of per-row signatures as numpy arrays, without one Python object per row."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

RELEASE_BYTES = 64 << 20
"""Chunk bytes consumed between two returns of Arrow's freed memory to the system (its allocator keeps it)."""


def offsets_and_data(column: pa.ChunkedArray | pa.Array, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The `n + 1` int64 offsets and the data bytes of a binary column (chunks joined; the bytes not copied
    for a single-chunk binary or large_binary column)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not (pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type)):
        array = array.cast(pa.large_binary())
    width = np.int32 if pa.types.is_binary(array.type) else np.int64
    offsets = np.frombuffer(array.buffers()[1], dtype=width)[array.offset : array.offset + n + 1].astype(np.int64)
    data = array.buffers()[2]
    return offsets, np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8)


def fixed_rows(column: pa.ChunkedArray | pa.Array, width: int | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """`n x width` bytes of a binary column (`None`: the longest row's length); rows of another length
    (missing) are zeros and not ok."""
    offsets, data = offsets_and_data(column, n)
    if width is None:
        width = int(np.diff(offsets).max(initial=0))
    ok = np.diff(offsets) == width
    if ok.all():  # the usual case: the rows are one contiguous block, use it in place
        return data[offsets[0] : offsets[0] + n * width].reshape(n, width), ok
    out = np.zeros((n, width), dtype=np.uint8)
    rows = np.flatnonzero(ok)
    for start in range(0, rows.size, 65536):
        block = rows[start : start + 65536]
        out[block] = data[offsets[block, None] + np.arange(width)[None, :]]
    return out, ok


def consume_chunks(chunks: list[pa.Array | None]) -> Iterator[tuple[int, pa.Array]]:
    """Each chunk with its first row, its slot in `chunks` emptied as it is handed out: where nothing else holds
    the column (a reduce given the only reference to its table), its bytes are freed as they are converted
    instead of staying beside the converted copy (at 1M rows near's signatures are ~0.8 GB, novelty's ~1 GB)."""
    row = freed = 0
    for position in range(len(chunks)):
        chunk, chunks[position] = chunks[position], None
        if chunk is None:
            raise ValueError("a chunk was consumed twice")
        yield row, chunk
        row, freed = row + len(chunk), freed + chunk.nbytes
        del chunk
        if freed > RELEASE_BYTES:
            pa.default_memory_pool().release_unused()
            freed = 0
    pa.default_memory_pool().release_unused()


def fixed_rows_of_chunks(chunks: list[pa.Array | None], width: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """`fixed_rows` of a column given as its chunks, consumed (`consume_chunks`): one `n x width` copy is built
    and the column's own bytes go as it fills, where `fixed_rows` joins the chunks into a second copy first."""
    out = np.zeros((n, width), dtype=np.uint8)
    ok = np.zeros(n, dtype=bool)
    for row, chunk in consume_chunks(chunks):
        rows, rows_ok = fixed_rows(chunk, width, len(chunk))
        out[row : row + len(chunk)], ok[row : row + len(chunk)] = rows, rows_ok
    return out, ok
