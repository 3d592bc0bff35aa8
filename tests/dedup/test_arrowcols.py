import numpy as np
import pyarrow as pa
import pytest

from trajsift.dedup.arrowcols import consume_chunks, fixed_rows, fixed_rows_of_chunks


def chunks_of(rows_per_chunk, width=8):
    rng = np.random.default_rng(11)
    return [
        pa.array([rng.integers(0, 256, width, dtype=np.uint8).tobytes() for _ in range(n)], pa.large_binary())
        for n in rows_per_chunk
    ]


def test_fixed_rows_of_chunks_equals_fixed_rows_of_the_joined_column():
    chunks = chunks_of([3, 0, 5])
    odd = pa.array([b"\x01" * 8, None, b"\x02" * 3], pa.large_binary())  # missing and short rows
    chunks.append(odd)
    expected = fixed_rows(pa.chunked_array(chunks), 8, 11)
    got = fixed_rows_of_chunks(list(chunks), 8, 11)
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])
    assert got[1].tolist()[-3:] == [True, False, False]


def test_consumed_chunks_leave_the_list_and_their_bytes_are_freed():
    chunks = [pa.array([b"x" * 1000] * 1000, pa.binary()) for _ in range(4)]  # ~1 MB each, held by the list alone
    held = pa.total_allocated_bytes()
    allocated = [pa.total_allocated_bytes() for _row, _chunk in consume_chunks(chunks)]
    assert chunks == [None] * 4
    assert allocated[0] >= held - 10_000  # nothing freed before the first chunk is handed out
    assert allocated[-1] <= held - 2_900_000  # by the last, the three before it are gone


def test_chunks_are_handed_out_with_their_first_row():
    chunks = chunks_of([2, 0, 3])
    assert [(row, len(chunk)) for row, chunk in consume_chunks(chunks)] == [(0, 2), (2, 0), (2, 3)]
    with pytest.raises(ValueError, match="consumed twice"):
        list(consume_chunks(chunks))
