"""Byte-level readers of the input layer: member-wise decompression, chunked line splitting, streamed JSON
arrays, archive members spilled to disk, and the decompressed-size bound."""

from __future__ import annotations

import gzip
import io
import json
import tarfile

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from trajsift.readers.sources import archives
from trajsift.readers.sources.inputs import iter_entries
from trajsift.readers.sources.json_array import NotAnArray, TooLong, iter_array_elements
from trajsift.readers.sources.records import iter_lines, iter_records
from trajsift.readers.sources.streams import GZIP, ZSTD, decompressing_stream
from trajsift.readers.sources.units import FileEntry, InputTooLarge, ReadLimits


def read_all(stream, size: int) -> tuple[bytes, BaseException | None]:
    got = b""
    try:
        while chunk := stream.read(size):
            got += chunk
    except Exception as exc:  # noqa: BLE001 - the fault is what the test looks at
        return got, exc
    return got, None


@pytest.mark.parametrize(("codec", "compress"), [(GZIP, gzip.compress), (ZSTD, zstandard.compress)])
@pytest.mark.parametrize("read_size", [1, 7, 4096, 1 << 20])
def test_members_are_all_read_and_a_fault_comes_after_their_bytes(codec, compress, read_size):
    payload = [b"".join(b"member %d line %d\n" % (m, i) for i in range(800)) for m in range(3)]
    data = b"".join(compress(p) for p in payload)
    assert read_all(decompressing_stream(io.BytesIO(data), codec), read_size) == (b"".join(payload), None)
    got, fault = read_all(decompressing_stream(io.BytesIO(data + b"trailing garbage"), codec), read_size)
    assert got == b"".join(payload) and fault is not None
    got, fault = read_all(decompressing_stream(io.BytesIO(data[:-9]), codec), read_size)
    assert b"".join(payload[:2]) == got[: len(b"".join(payload[:2]))] and isinstance(fault, EOFError)


def test_zstd_bomb_is_decoded_in_bounded_steps():
    bomb = zstandard.ZstdCompressor().compress(b"\0" * (256 << 20))
    stream = decompressing_stream(io.BytesIO(bomb), ZSTD)
    buffer = bytearray(1 << 20)
    stream.readinto(buffer)
    assert len(stream._out) < 128 << 20  # one step of 2 KiB input, not the whole frame


class Chunks:
    """A stream returning at most `size` bytes per read, like a pipe."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data, self._size = io.BytesIO(data), size

    def readinto1(self, view) -> int:
        piece = self._data.read(min(len(view), self._size))
        view[: len(piece)] = piece
        return len(piece)

    def read(self, size: int) -> bytes:
        return self._data.read(min(size, self._size))


LINE_PARTS = st.lists(st.sampled_from([b"", b" ", b"\r", b"\t", b"{}", b"ab", b"x" * 40, b"  {} ", b"\xef\xbb\xbf{}"]))


@settings(max_examples=300, deadline=None)
@given(parts=LINE_PARTS, limit=st.integers(1, 30), size=st.integers(1, 9))
def test_lines_match_a_plain_split(parts, limit, size):
    data = b"\n".join(parts)
    expected = []
    for number, line in enumerate(data.split(b"\n"), 1):
        body = line.lstrip(b" \t\r")
        if body.strip():
            ending = b"\n" if number <= data.count(b"\n") else b""
            expected.append((number, None if len(body) > limit else body + ending))
    got = [(n, None if isinstance(line, TooLong) else line) for n, line in iter_lines(Chunks(data, size), limit)]
    assert got == expected


JSON_VALUES = st.recursive(
    st.none() | st.integers() | st.text(alphabet='ab"\\,[]{}é '),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='k"\\,]'), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(JSON_VALUES, max_size=6), size=st.integers(1, 9))
def test_array_elements_match_json_loads(values, size):
    text = json.dumps(values, ensure_ascii=False).encode()
    assert [json.loads(e) for e in iter_array_elements(Chunks(text, size), 10**6)] == values


def test_array_element_over_the_limit_is_skipped_unheld():
    text = b'[{"a": "' + b"x" * 1000 + b'"}, {"b": 1}]'
    elements = list(iter_array_elements(Chunks(text, 64), 100))
    assert isinstance(elements[0], TooLong) and len(elements[0].head) <= 200
    assert elements[1:] == [b' {"b": 1}']
    with pytest.raises(NotAnArray):
        list(iter_array_elements(Chunks(b'{"a": 1}', 4), 100))


def test_large_tar_members_are_spilled_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "IN_MEMORY_MEMBER", 10)
    monkeypatch.setattr(archives, "IN_MEMORY_BUDGET", 20)

    rows = [json.dumps({"id": f"r{i}", "pad": "p" * i}).encode() + b"\n" for i in range(30)]
    with tarfile.open(tmp_path / "runs.tar", "w") as archive:
        for i, row in enumerate(rows):
            info = tarfile.TarInfo(f"run/m{i:02d}.jsonl")
            info.size = len(row)
            archive.addfile(info, io.BytesIO(row))
    entries = list(iter_entries([str(tmp_path / "runs.tar")], lambda names: False))
    assert [e.open().read() for e in entries] == rows
    assert [e.open().read() for e in entries] == rows  # each open starts at its own offset


def test_bounded_reader_delivers_up_to_the_limit_then_raises():
    entry = FileEntry(path="x.jsonl", opener=lambda: io.BytesIO(b'{"id": "a"}\n' * 100))
    decoded = list(iter_records(entry, ReadLimits(max_file_bytes=600)))
    assert sum(record is not None for _, record, _ in decoded) == 50
    assert decoded[-1][2].reason == "file_too_large"
    with pytest.raises(InputTooLarge), entry.open(limit=10) as stream:
        stream.read()
