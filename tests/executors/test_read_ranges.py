"""A big archive read as member ranges by several workers: the same units, rows and outputs as one walk."""

import gzip
import io
import tarfile
from pathlib import Path

import pytest
from tests.executors.test_read_parts import _line, read_files

from trajsift.config import load_recipe
from trajsift.executors import read_units
from trajsift.executors.read_units import byte_spans
from trajsift.readers.read import ReadOptions, TrajectoryReader
from trajsift.readers.sources.archives import walk_tar
from trajsift.readers.sources.spans import ByteSpan
from trajsift.readers.sources.units import FolderEntry, disk_entry
from trajsift.run import run_pipeline

LONG = "deeply-nested-folder-name-" * 5
"""Folder names past ustar's 100 bytes: written with pax (or GNU long name) headers before the member."""


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def make_tar(path: Path, fmt: int = tarfile.PAX_FORMAT, global_headers: dict | None = None) -> Path:
    """Runs in folders (some with long names), a malformed line, a member that is not JSON, a big member."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt, pax_headers=global_headers or {}) as archive:
        for k in range(30):
            folder = f"runs/{LONG if k % 4 == 1 else ''}run-{k:02d}"
            lines = [_line(k * 3 + j, f"traj-{k * 3 + j:03d}") for j in range(3)]
            if k == 11:
                lines.insert(1, b'{"truncated": ')
            _add(archive, f"{folder}/part-a.jsonl", b"\n".join(lines[:2]) + b"\n")
            _add(archive, f"{folder}/part-b.jsonl", b"\n".join(lines[2:]) + b"\n")
            if k == 17:
                _add(archive, f"{folder}/broken.json", b"{not json at all")
            if k == 20:
                _add(archive, f"{folder}/blob.bin", bytes(1300 * 1024))  # skipped by seeking
    data = buffer.getvalue()
    path.write_bytes(gzip.compress(data, 1) if path.suffix == ".gz" else data)
    return path


def units(path: Path, span: ByteSpan | None) -> list[tuple]:
    reader = TrajectoryReader(ReadOptions())
    found = walk_tar(disk_entry(str(path)), reader.claims_folder, reader.options.limits, span=span)
    return [(type(u).__name__, u.path, sorted(u.files) if isinstance(u, FolderEntry) else _reason(u)) for u in found]


def _reason(unit: object) -> str | None:
    return getattr(unit, "reason", None)


def spans(path: Path, pieces: int) -> list[ByteSpan]:
    size = len(gzip.decompress(path.read_bytes())) if path.suffix == ".gz" else path.stat().st_size
    cuts = [size * k // pieces for k in range(pieces)]
    return [ByteSpan(start, end) for start, end in zip(cuts, [*cuts[1:], None], strict=True)]


@pytest.mark.parametrize("name", ["runs.tar", "runs.tar.gz"])
@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
def test_ranges_yield_the_units_of_one_walk(tmp_path, name, fmt):
    path = make_tar(tmp_path / name, fmt)
    whole = units(path, None)
    assert len(whole) == 30 * 2 + 2
    odd = [kind for kind, path, _ in whole if path.endswith(("broken.json", "blob.bin"))]
    assert odd == ["FileEntry", "RejectedEntry"]
    for pieces in (2, 3, 7, 40):
        assert [u for span in spans(path, pieces) for u in units(path, span)] == whole, pieces


def test_pax_global_header_walks_from_the_start(tmp_path):
    path = make_tar(tmp_path / "runs.tar", global_headers={"comment": "made by a test"})
    whole = units(path, None)
    assert [u for span in spans(path, 5) for u in units(path, span)] == whole


@pytest.mark.parametrize("damage", ["truncated", "bad_checksum"])
def test_damaged_archive_reported_once_by_the_range_reaching_it(tmp_path, damage):
    data = bytearray(make_tar(tmp_path / "clean.tar").read_bytes())
    if damage == "truncated":
        data = data[: len(data) * 2 // 3]
    else:
        at = _header_offsets(bytes(data))[len(_header_offsets(bytes(data))) // 2]
        data[at + 100] ^= 0x55  # mode field: the checksum no longer holds
    path = tmp_path / "damaged.tar"
    path.write_bytes(bytes(data))
    whole = units(path, None)
    assert len(whole) < len(units(tmp_path / "clean.tar", None))
    if damage == "truncated":  # a bad header mid-archive ends it for `tarfile` as a zero block does
        assert [reason for *_, reason in whole].count("bad_archive") == 1
    for pieces in (2, 5, 11):
        assert [u for span in spans(path, pieces) for u in units(path, span)] == whole, pieces


def _header_offsets(data: bytes) -> list[int]:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return [member.offset for member in archive.getmembers()]


def test_compressed_archive_cut_into_at_most_workers_ranges(tmp_path):
    path = make_tar(tmp_path / "runs.tar.gz")
    assert len(byte_spans(str(path), ".gz", weight=10**12, workers=3)) == 3
    plain = make_tar(tmp_path / "runs.tar")
    assert len(byte_spans(str(plain), "", weight=5 * read_units.SPLIT_WEIGHT, workers=2)) == 5
    assert byte_spans(str(plain), "", weight=read_units.SPLIT_WEIGHT, workers=2) == [None]


def test_split_archive_outputs_byte_identical_for_any_worker_count(tmp_path, recipe_file, run_files, monkeypatch):
    path = make_tar(tmp_path / "runs.tar")
    recipe = load_recipe(str(recipe_file))
    run_pipeline([str(path)], tmp_path / "whole", recipe, workers=1)
    monkeypatch.setattr(read_units, "SPLIT_WEIGHT", path.stat().st_size // 5)
    assert len(byte_spans(str(path), "", path.stat().st_size, workers=1)) == 4  # a group per span at most
    outs = [tmp_path / f"split-{workers}" for workers in (1, 2, 3)]
    for workers, out in zip((1, 2, 3), outs, strict=True):
        run_pipeline([str(path)], out, recipe, workers=workers)
    expected = read_files(tmp_path / "whole")
    assert read_files(outs[0]) == read_files(outs[1]) == read_files(outs[2]) == expected
    assert run_files(outs[0]) == run_files(outs[1]) == run_files(outs[2]) == run_files(tmp_path / "whole")
    quarantine = expected["quarantine.jsonl"].decode()
    assert quarantine.count('"truncated_json"') == 1 and quarantine.count("broken.json") == 1
