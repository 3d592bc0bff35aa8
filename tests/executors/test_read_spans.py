"""A big JSONL file (plain or compressed) read as spans of lines by several workers: the rows of one read."""

import gzip
from pathlib import Path

import pytest
import zstandard
from tests.executors.test_read_parts import _line, read_files

from trajsift.config import load_recipe
from trajsift.executors import read_units
from trajsift.executors.read_units import byte_spans
from trajsift.readers.read import ReadOptions, TrajectoryReader
from trajsift.readers.sources.spans import ByteSpan
from trajsift.readers.sources.units import ReadLimits, disk_entry
from trajsift.run import run_pipeline
from trajsift.schema import Trajectory


def make_jsonl(path: Path, rows: int = 90) -> Path:
    """Rows with blank and indented lines between them, a truncated line, a line that is not an object, and a
    very long line (past the record limit the tests set)."""
    lines = []
    for i in range(rows):
        lines.append(_line(i, f"traj-{i:03d}"))
        if i % 7 == 3:
            lines.append(b"   \n")
        if i == 20:
            lines.append(b'{"truncated": ')
        if i == 41:
            lines.append(b"[1, 2]")
        if i == 60:
            lines.append(b'  {"long": "' + b"x" * 5000 + b'"}')
    data = b"\n".join(lines) + b"\n"
    compress = {".gz": lambda d: gzip.compress(d, 1), ".zst": zstandard.ZstdCompressor(1).compress}
    path.write_bytes(compress.get(path.suffix, bytes)(data))
    return path


def rows(path: Path, span: ByteSpan | None) -> list[tuple]:
    entry = disk_entry(str(path))
    entry.span = span
    reader = TrajectoryReader(ReadOptions(limits=ReadLimits(max_record_bytes=4000)))
    return [
        (item.id, item.source.path) if isinstance(item, Trajectory) else (item.reason, item.origin)
        for item in reader.read_units([entry])
    ]


def spans(size: int, pieces: int) -> list[ByteSpan]:
    cuts = [size * k // pieces for k in range(pieces)]
    return [ByteSpan(start, end) for start, end in zip(cuts, [*cuts[1:], None], strict=True)]


@pytest.mark.parametrize("name", ["runs.jsonl", "runs.jsonl.gz", "runs.jsonl.zst"])
def test_spans_yield_the_rows_of_one_read(tmp_path, name):
    path = make_jsonl(tmp_path / name)
    whole = rows(path, None)
    reasons = [first for first, _ in whole if not first.startswith("traj-")]
    assert reasons == ["truncated_json", "not_an_object", "row_too_large"]
    size = len(make_jsonl(tmp_path / "plain.jsonl").read_bytes())
    for pieces in (2, 3, 7, 50, 400):
        assert [row for span in spans(size, pieces) for row in rows(path, span)] == whole, pieces


def test_span_cut_inside_a_long_line_belongs_to_the_span_it_starts_in(tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_bytes(_line(1, "a") + b"\n" + b'{"long": "' + b"y" * 9000 + b'"}\n' + _line(2, "b") + b"\n")
    whole = rows(path, None)
    cut = len(_line(1, "a")) + 100  # inside the long line: the next span starts after it
    assert rows(path, ByteSpan(0, cut)) + rows(path, ByteSpan(cut, cut + 50)) + rows(path, ByteSpan(cut + 50)) == whole


def test_blank_file_reported_once_by_its_last_span(tmp_path):
    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"\n   \n" * 1000)
    whole = rows(path, None)
    assert [reason for reason, _ in whole] == ["empty_input"]
    assert [row for span in spans(path.stat().st_size, 4) for row in rows(path, span)] == whole


def test_corrupt_compressed_tail_reported_once(tmp_path):
    path = make_jsonl(tmp_path / "runs.jsonl.gz", rows=300)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 3 // 4])
    whole = rows(path, None)
    assert whole[-1][0] == "decompression_error"
    size = len(gzip.decompress(make_jsonl(tmp_path / "x.jsonl.gz", rows=300).read_bytes()))
    for pieces in (2, 3, 5):
        assert [row for span in spans(size, pieces) for row in rows(path, span)] == whole, pieces


def test_split_jsonl_outputs_byte_identical_to_one_read(tmp_path, recipe_file, run_files, monkeypatch):
    path = make_jsonl(tmp_path / "runs.jsonl", rows=200)
    recipe = load_recipe(str(recipe_file))
    run_pipeline([str(path)], tmp_path / "whole", recipe, workers=1)
    monkeypatch.setattr(read_units, "SPLIT_WEIGHT", path.stat().st_size // 5)
    assert len(byte_spans(str(path), "", path.stat().st_size, workers=1)) == 4
    outs = [tmp_path / f"split-{workers}" for workers in (1, 2)]
    for workers, out in zip((1, 2), outs, strict=True):
        run_pipeline([str(path)], out, recipe, workers=workers)
    assert read_files(outs[0]) == read_files(outs[1]) == read_files(tmp_path / "whole")
    assert run_files(outs[0]) == run_files(outs[1]) == run_files(tmp_path / "whole")
