"""Binary Arrow columns of per-row signatures as numpy arrays, without one Python object per row."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


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
