"""Input expansion, bounded streams, and read.py's guards around readers."""

from __future__ import annotations

import gzip
import io
import random
import tarfile
from typing import Any, ClassVar

import pyarrow.parquet as pq
import pytest

from trajsift import reasons
from trajsift.arrow import to_table
from trajsift.errors import FormatError, InputError
from trajsift.readers.read import ReadOptions, TrajectoryReader, read_trajectories
from trajsift.readers.sources.inputs import iter_entries
from trajsift.readers.sources.records import iter_records
from trajsift.readers.sources.units import FileEntry, FolderEntry, InputTooLarge, ReadLimits, RejectedEntry
from trajsift.schema import Quarantined, Trajectory


def line(name: str) -> bytes:
    return Trajectory(id=name).to_json()


def never_claims(names: set[str]) -> bool:
    return False


def test_missing_explicit_input_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="input not found"):
        list(iter_entries([str(tmp_path / "nope.jsonl")], never_claims))
    with pytest.raises(InputError, match="no file matches"):
        list(iter_entries([str(tmp_path / "*.jsonl")], never_claims))


def test_entries_are_sorted_and_filtered_by_suffix(tmp_path):
    for name in ("b.jsonl", "a.json.gz", "notes.md", "c.parquet", "README"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.traj").write_bytes(b"")
    units = list(iter_entries([str(tmp_path)], never_claims))
    assert [u.name for u in units if isinstance(u, FileEntry)] == ["a.json.gz", "b.jsonl", "c.parquet", "d.traj"]
    listed = [(u.path.rsplit("/", 1)[1], u.reason) for u in units if isinstance(u, RejectedEntry)]
    assert listed == [("README", reasons.NOT_A_TRAJECTORY_FILE), ("notes.md", reasons.NOT_A_TRAJECTORY_FILE)]


def test_glob_expands_in_order(tmp_path):
    for name in ("2.jsonl", "1.jsonl", "x.txt"):
        (tmp_path / name).write_bytes(b"")
    units = list(iter_entries([str(tmp_path / "*.jsonl")], never_claims))
    assert [u.name for u in units] == ["1.jsonl", "2.jsonl"]


def test_claimed_folder_reports_its_symlinks(tmp_path):
    (tmp_path / "meta.json").write_bytes(b"{}")
    (tmp_path / "link.json").symlink_to(tmp_path / "meta.json")
    units = list(iter_entries([str(tmp_path)], lambda names: "meta.json" in names))
    assert isinstance(units[0], RejectedEntry) and units[0].reason == reasons.UNSAFE_PATH
    assert isinstance(units[1], FolderEntry) and set(units[1].files) == {"meta.json"}


def test_tar_members_grouped_into_claimed_folders(tmp_path):
    with tarfile.open(tmp_path / "runs.tar.gz", "w:gz") as archive:
        for name in ("r1/meta.json", "r1/patch.diff", "r2/meta.json", "top.jsonl"):
            info = tarfile.TarInfo(name)
            info.size = 2
            archive.addfile(info, io.BytesIO(b"{}"))
    units = list(iter_entries([str(tmp_path / "runs.tar.gz")], lambda names: "meta.json" in names))
    assert [(type(u).__name__, u.path.rsplit(":", 1)[1]) for u in units] == [
        ("FolderEntry", "r1"),
        ("FolderEntry", "r2"),
        ("FileEntry", "top.jsonl"),
    ]
    assert units[0].get("patch.diff") is not None


def test_open_is_bounded_on_decompressed_bytes(tmp_path):
    (tmp_path / "x.json.gz").write_bytes(gzip.compress(b"a" * 100_000))
    (entry,) = iter_entries([str(tmp_path / "x.json.gz")], never_claims)
    with pytest.raises(InputTooLarge), entry.open(limit=10_000) as stream:
        stream.read()
    with pytest.raises(OverflowError):
        entry.read_bytes(50_000)
    assert entry.read_bytes(100_000) == b"a" * 100_000


def test_read_bytes_keeps_an_incompressible_gzip_document_within_the_limit(tmp_path):
    data = random.Random(7).randbytes(990)  # gzip makes it larger than the limit
    (tmp_path / "x.json.gz").write_bytes(gzip.compress(data))
    assert (tmp_path / "x.json.gz").stat().st_size > 1000
    (entry,) = iter_entries([str(tmp_path / "x.json.gz")], never_claims)
    assert entry.read_bytes(1000) == data
    with pytest.raises(OverflowError):
        entry.read_bytes(989)


def test_iter_records_accepts_rejected_entries():
    rejected = RejectedEntry("/x/link.jsonl", reasons.UNSAFE_PATH, "symlink")
    ((origin, record, bad),) = iter_records(rejected)  # type: ignore[arg-type]
    assert record is None and bad is not None and bad.reason == reasons.UNSAFE_PATH


def test_compressed_parquet_is_read_within_the_file_limit(tmp_path):
    buffer = io.BytesIO()
    pq.write_table(to_table([Trajectory(id="p0"), Trajectory(id="p1")]), buffer)
    (tmp_path / "t.parquet.gz").write_bytes(gzip.compress(buffer.getvalue()))
    items = list(read_trajectories([str(tmp_path)]))
    assert [i.id for i in items] == ["p0", "p1"]
    small = ReadOptions(limits=ReadLimits(max_file_bytes=100))
    assert [i.reason for i in read_trajectories([str(tmp_path)], small)] == [reasons.FILE_TOO_LARGE]


class BrokenReader:
    """A reader with bugs: it claims records with `"broken"`, then fails in the way the record asks."""

    name: ClassVar[str] = "broken"
    description: ClassVar[str] = "test double"

    def sniff(self, record: dict[str, Any]) -> bool:
        if record.get("broken") == "sniff":
            raise RuntimeError("sniff bug")
        return "broken" in record

    def parse(self, record: dict[str, Any], origin: Any) -> Any:
        how = record["broken"]
        if how == "format":
            raise FormatError(reasons.WRONG_SCHEMA, "no steps")
        if how == "key":
            return [record["missing"]]
        if how == "lazy":
            return (1 / 0 for _ in range(1))
        if how == "empty":
            return []
        raise RuntimeError("parse bug")


class BrokenFolderReader:
    name: ClassVar[str] = "broken-folder"
    description: ClassVar[str] = "test double"

    def claims(self, names: set[str]) -> bool:
        if "boom.json" in names:
            raise RuntimeError("claims bug")
        return "meta.json" in names

    def parse_folder(self, folder: FolderEntry) -> list[Trajectory]:
        raise MemoryError("parse_folder bug")


@pytest.fixture
def broken_reader() -> TrajectoryReader:
    reader = TrajectoryReader()
    reader.record_readers = [*reader.record_readers, BrokenReader()]
    reader.folder_readers = [BrokenFolderReader()]
    return reader


def test_reader_bugs_become_quarantined_rows(tmp_path, broken_reader):
    bad = [b'{"broken": "%s"}' % how for how in (b"sniff", b"format", b"key", b"lazy", b"empty", b"other")]
    (tmp_path / "m.jsonl").write_bytes(b"\n".join([line("a"), *bad, line("z")]))
    items = list(broken_reader.read([str(tmp_path)]))
    got = [i.id if isinstance(i, Trajectory) else i.reason for i in items]
    assert got == [
        "a",
        reasons.UNKNOWN_FORMAT,
        reasons.WRONG_SCHEMA,
        reasons.WRONG_SCHEMA,
        reasons.READER_ERROR,
        reasons.EMPTY_INPUT,
        reasons.READER_ERROR,
        "z",
    ]


def test_folder_reader_bugs_become_quarantined_rows(tmp_path, broken_reader):
    for folder, names in {"r1": ("meta.json",), "r2": ("boom.json", "x.jsonl")}.items():
        (tmp_path / folder).mkdir()
        for name in names:
            (tmp_path / folder / name).write_bytes(line(folder) + b"\n")
    items = list(broken_reader.read([str(tmp_path)]))
    assert isinstance(items[0], Quarantined) and items[0].reason == reasons.READER_ERROR
    assert [i.id for i in items[1:]] == ["r2", "r2"]  # claims() failed: r2's files are read one by one


def test_on_entry_sees_every_readable_unit(tmp_path):
    (tmp_path / "a.jsonl").write_bytes(line("a") + b"\n")
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "a.jsonl")
    seen: list[str] = []
    items = list(read_trajectories([str(tmp_path)], ReadOptions(on_entry=lambda e: seen.append(e.path))))
    assert seen == [str(tmp_path / "a.jsonl")]
    assert len(items) == 2


def test_file_entry_name_inside_archive():
    entry = FileEntry(path="/d/runs.tar.gz:r1/x.traj.gz", opener=lambda: io.BytesIO(b""))
    assert entry.name == "x.traj.gz" and entry.base_name == "x.traj"
