"""Malformed input beyond the corpus kinds (`tests/corpus*.py`, run by `test_corpus.py`): limits,
tolerated oddities, permissions and archives cut short; every bad unit sits between valid ones and comes
out as a `Quarantined` with an exact reason code; the valid units around it are all read; nothing raises."""

from __future__ import annotations

import gzip
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tracemalloc

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from trajsift import reasons
from trajsift.arrow import to_table
from trajsift.readers.read import ReadOptions, read_trajectories
from trajsift.readers.sources.records import ReadLimits
from trajsift.schema import Action, ActionType, Quarantined, Step, TaskRef, Trajectory, Usage

pytestmark = pytest.mark.timeout(20)


def record(name: str, **fields) -> Trajectory:
    step = Step(index=0, thought="look", action=Action(type=ActionType.READ, tool="bash", command="cat a.py"))
    return Trajectory(id=name, task=TaskRef(task_id="octo__repo-1"), steps=[step], **fields)


def line(name: str) -> bytes:
    return record(name).to_json()


def read_all(paths: list, **limits) -> tuple[list[Trajectory], list[Quarantined]]:
    options = ReadOptions(limits=ReadLimits(**limits))
    items = list(read_trajectories([str(p) for p in paths], options))
    trajectories = [i for i in items if isinstance(i, Trajectory)]
    quarantined = [i for i in items if isinstance(i, Quarantined)]
    assert len(trajectories) + len(quarantined) == len(items)
    return trajectories, quarantined


def ids(trajectories: list[Trajectory]) -> list[str]:
    return [t.id for t in trajectories]


def jsonl_between(tmp_path, bad: bytes, suffix: str = ".jsonl") -> str:
    path = tmp_path / f"data{suffix}"
    data = line("before") + b"\n" + bad + b"\n" + line("after") + b"\n"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    return str(path)


def native_with(**overrides) -> bytes:
    import orjson

    data = orjson.loads(line("typed"))
    for key, value in overrides.items():
        target = data
        *parents, leaf = key.split(".")
        for parent in parents:
            target = target[int(parent)] if isinstance(target, list) else target[parent]
        target[leaf] = value
    return orjson.dumps(data)


def test_row_too_large_skips_only_that_line(tmp_path):
    big = native_with(thought="x").replace(b'"x"', b'"' + b"y" * 50_000 + b'"')
    path = jsonl_between(tmp_path, big)
    trajectories, quarantined = read_all([path], max_record_bytes=10_000)
    assert ids(trajectories) == ["before", "after"]
    assert [q.reason for q in quarantined] == [reasons.ROW_TOO_LARGE]


def test_extremely_long_line_within_limit_is_read(tmp_path):
    long_record = record("long", metadata={"blob": "z" * 5_000_000}).to_json()
    trajectories, quarantined = read_all([jsonl_between(tmp_path, long_record)])
    assert ids(trajectories) == ["before", "long", "after"]
    assert quarantined == []


@pytest.mark.parametrize("blank", [b"", b"   \t  ", b"\r"], ids=["empty_line", "whitespace_line", "bare_cr"])
def test_blank_lines_hold_no_data_and_are_skipped(tmp_path, blank):
    trajectories, quarantined = read_all([jsonl_between(tmp_path, blank)])
    assert ids(trajectories) == ["before", "after"]
    assert quarantined == []


def test_nan_and_infinity_literals_are_read_as_null(tmp_path):
    bad = native_with(id="nan").replace(b'"usage":{}', b'"usage":{"cost": NaN, "duration_s": -Infinity}')
    assert b"NaN" in bad
    trajectories, quarantined = read_all([jsonl_between(tmp_path, bad)])
    assert ids(trajectories) == ["before", "nan", "after"]
    assert trajectories[1].usage == Usage()
    assert quarantined == []


def test_nan_in_otherwise_invalid_json_still_quarantined(tmp_path):
    _, quarantined = read_all([jsonl_between(tmp_path, b'{"cost": NaN, "id": "a\\ud800"}')])
    assert [q.reason for q in quarantined] == [reasons.INVALID_JSON]


def test_duplicate_keys_last_one_wins(tmp_path):
    bad = line("first")[:-1] + b', "id": "second"}'
    trajectories, quarantined = read_all([jsonl_between(tmp_path, bad)])
    assert ids(trajectories) == ["before", "second", "after"]
    assert quarantined == []


def test_escaped_nul_is_valid_json(tmp_path):
    trajectories, _ = read_all([jsonl_between(tmp_path, native_with(id="a\u0000b"))])
    assert ids(trajectories) == ["before", "a\x00b", "after"]


def test_bom_and_crlf_are_tolerated(tmp_path):
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + line("b1") + b"\n" + line("b2") + b"\n")
    (tmp_path / "bom_doc.json").write_bytes(b"\xef\xbb\xbf" + line("b3"))
    (tmp_path / "crlf.jsonl").write_bytes(line("c1") + b"\r\n" + line("c2") + b"\r\n")
    trajectories, quarantined = read_all([tmp_path])
    assert ids(trajectories) == ["b1", "b2", "b3", "c1", "c2"]
    assert quarantined == []


# --- file-level kinds: a folder with valid files around the bad one ---------------------------


def folder_around(tmp_path, name: str, content: bytes | None = None):
    """`a.jsonl` (valid), the bad file `name`, `z.jsonl` (valid); returns the bad file's path."""
    (tmp_path / "a.jsonl").write_bytes(line("a") + b"\n")
    (tmp_path / "z.jsonl").write_bytes(line("z") + b"\n")
    bad = tmp_path / name
    if content is not None:
        bad.write_bytes(content)
    return bad


def assert_folder_quarantines(tmp_path, reason: str, **limits) -> list[Quarantined]:
    trajectories, quarantined = read_all([tmp_path], **limits)
    assert ids(trajectories)[0] == "a" and ids(trajectories)[-1] == "z"
    assert {q.reason for q in quarantined} == {reason}, quarantined
    return quarantined


def gz_jsonl(*names: str) -> bytes:
    return gzip.compress(b"".join(line(n) + b"\n" for n in names))


def test_truncated_gz_keeps_rows_before_the_cut(tmp_path):
    bad = folder_around(tmp_path, "m.jsonl.gz", gz_jsonl(*[f"r{i}" for i in range(2000)])[:-200])
    trajectories, quarantined = read_all([tmp_path])
    got = ids(trajectories)
    assert got[0] == "a" and got[-1] == "z" and got[1:4] == ["r0", "r1", "r2"]
    assert [q.reason for q in quarantined] == [reasons.DECOMPRESSION_ERROR]
    assert quarantined[0].origin == str(bad)


def test_truncated_parquet(tmp_path):
    table = to_table([record("p0"), record("p1")])
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    folder_around(tmp_path, "m.parquet", buffer.getvalue()[:-20])
    assert_folder_quarantines(tmp_path, reasons.BAD_PARQUET)


def test_parquet_with_foreign_schema_quarantines_each_row(tmp_path):
    pq.write_table(pa.table({"question": ["a", "b", "c"], "score": [1, 2, 3]}), tmp_path / "m.parquet")
    folder_around(tmp_path, "m.parquet")
    quarantined = assert_folder_quarantines(tmp_path, reasons.UNKNOWN_FORMAT)
    assert [q.origin.rsplit("#", 1)[1] for q in quarantined] == ["0", "1", "2"]


def test_native_parquet_with_bad_row_quarantines_that_row(tmp_path):
    table = to_table([record("p0"), record("p1")])
    rows = table.column("trajectory").to_pylist()
    rows[1]["steps"][0]["action"]["type"] = "teleport"
    bad_table = pa.table({"trajectory": pa.array(rows, type=table.schema.field("trajectory").type)})
    pq.write_table(bad_table.replace_schema_metadata(table.schema.metadata), tmp_path / "m.parquet")
    folder_around(tmp_path, "m.parquet")
    trajectories, quarantined = read_all([tmp_path])
    assert ids(trajectories) == ["a", "p0", "z"]
    assert [q.reason for q in quarantined] == [reasons.WRONG_SCHEMA]


def test_json_list_mixing_objects_and_scalars(tmp_path):
    folder_around(tmp_path, "m.json", b"[" + line("m0") + b', 7, "s", null, ' + line("m1") + b"]")
    trajectories, quarantined = read_all([tmp_path])
    assert ids(trajectories) == ["a", "m0", "m1", "z"]
    assert [q.reason for q in quarantined] == [reasons.NOT_AN_OBJECT] * 3
    assert [q.origin.rsplit("#", 1)[1] for q in quarantined] == ["1", "2", "3"]


def test_json_list_of_scalars_is_one_unit(tmp_path):
    folder_around(tmp_path, "m.json", b"[1, 2, 3]")
    assert len(assert_folder_quarantines(tmp_path, reasons.NOT_AN_OBJECT)) == 1


def gzip_bomb(head: bytes, fill: bytes, size: int, tail: bytes) -> bytes:
    """gzip of head + fill * size + tail, compressed chunk by chunk (never holding it expanded)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1) as stream:
        stream.write(head)
        chunk = fill * 1_000_000
        for _ in range(size // len(chunk)):
            stream.write(chunk)
        stream.write(tail)
    return out.getvalue()


def test_gzip_bomb_document_is_cut_at_the_record_limit(tmp_path):
    head = b'{"id": "bomb", "schema_version": "1", "metadata": {"x": "'
    folder_around(tmp_path, "bomb.json.gz", gzip_bomb(head, b"A", 200_000_000, b'"}}'))
    tracemalloc.start()
    try:
        assert_folder_quarantines(tmp_path, reasons.ROW_TOO_LARGE, max_record_bytes=2_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


def test_gzip_bomb_jsonl_is_cut_at_the_file_limit(tmp_path):
    rows = line("row") + b"\n"
    compressor = zstandard.ZstdCompressor(level=3)
    folder_around(tmp_path, "bomb.jsonl.zst", compressor.compress(rows * 200_000))
    trajectories, quarantined = read_all([tmp_path], max_file_bytes=1_000_000)
    assert 0 < len(trajectories) - 2 < 1_000_000 // len(rows) + 1
    assert [q.reason for q in quarantined] == [reasons.FILE_TOO_LARGE]


def test_gzip_bomb_single_line_is_skipped_in_bounded_memory(tmp_path):
    head, tail = line("before") + b'\n{"x": "', b'"}\n' + line("after") + b"\n"
    (tmp_path / "m.jsonl.gz").write_bytes(gzip_bomb(head, b"B", 100_000_000, tail))
    tracemalloc.start()
    try:
        trajectories, quarantined = read_all([tmp_path], max_record_bytes=1_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ids(trajectories) == ["before", "after"]
    assert [q.reason for q in quarantined] == [reasons.ROW_TOO_LARGE]
    assert peak < 10_000_000


# --- paths: symlinks, special files, permissions ------------------------------------------------


def test_symlink_inside_folder_is_quarantined_not_followed(tmp_path):
    secret = tmp_path.parent / f"{tmp_path.name}-secret.jsonl"
    secret.write_bytes(line("secret") + b"\n")
    folder_around(tmp_path, "m.jsonl").symlink_to(secret)
    (tmp_path / "linked_dir").symlink_to(tmp_path.parent)
    quarantined = assert_folder_quarantines(tmp_path, reasons.UNSAFE_PATH)
    assert sorted(os.path.basename(q.origin) for q in quarantined) == ["linked_dir", "m.jsonl"]
    trajectories, _ = read_all([tmp_path])
    assert "secret" not in ids(trajectories)


def test_symlink_given_directly_is_quarantined(tmp_path):
    (tmp_path / "real.jsonl").write_bytes(line("r") + b"\n")
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "real.jsonl")
    trajectories, quarantined = read_all([tmp_path / "link.jsonl", tmp_path / "real.jsonl"])
    assert ids(trajectories) == ["r"]
    assert [(q.reason, q.origin) for q in quarantined] == [(reasons.UNSAFE_PATH, str(tmp_path / "link.jsonl"))]


def test_fifo_in_folder_does_not_hang(tmp_path):
    os.mkfifo(folder_around(tmp_path, "m.jsonl"))
    quarantined = assert_folder_quarantines(tmp_path, reasons.SPECIAL_FILE)
    assert quarantined[0].origin.endswith("m.jsonl")


def test_fifo_given_directly_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "p.jsonl")
    _, quarantined = read_all([tmp_path / "p.jsonl"])
    assert [q.reason for q in quarantined] == [reasons.SPECIAL_FILE]


def test_device_in_folder_is_quarantined(tmp_path):
    device = folder_around(tmp_path, "m.json")
    try:
        os.mknod(device, 0o600 | 0o020000, os.makedev(1, 3))  # a character device like /dev/null
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create a device node here: {exc}")
    assert_folder_quarantines(tmp_path, reasons.SPECIAL_FILE)


def test_directory_named_like_a_record_file_is_walked(tmp_path):
    folder_around(tmp_path, "m.json")
    (tmp_path / "m.json").mkdir()
    (tmp_path / "m.json" / "inner.jsonl").write_bytes(line("inner") + b"\n")
    (tmp_path / "empty.jsonl").mkdir()
    trajectories, quarantined = read_all([tmp_path])
    assert ids(trajectories) == ["a", "inner", "z"]
    assert quarantined == []


UNPRIVILEGED_READ = """
import json, os, sys
from trajsift.readers.read import read_trajectories
from trajsift.schema import Trajectory
if os.geteuid() == 0:  # root ignores permission bits: drop to nobody once everything is imported
    os.setgid(65534)
    os.setuid(65534)
items = list(read_trajectories(sys.argv[1:]))
print(json.dumps([i.id if isinstance(i, Trajectory) else i.reason for i in items]))
"""


def read_unprivileged(folder) -> list[str]:
    """Read in a subprocess that runs as an unprivileged user: trajectory ids and reasons, in order."""
    result = subprocess.run([sys.executable, "-c", UNPRIVILEGED_READ, str(folder)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def open_dir():
    """A folder an unprivileged user can traverse (pytest's tmp_path is private to root)."""
    path = tempfile.mkdtemp(prefix="trajsift-perm-")
    os.chmod(path, 0o755)
    yield pathlib.Path(path)
    shutil.rmtree(path, ignore_errors=True)


def make_public(folder) -> None:
    for name in ("a.jsonl", "z.jsonl"):
        (folder / name).chmod(0o644)


def test_file_without_read_permission(open_dir):
    folder_around(open_dir, "m.jsonl", line("m") + b"\n").chmod(0)
    make_public(open_dir)
    assert read_unprivileged(open_dir) == ["a", reasons.UNREADABLE_FILE, "z"]


def test_folder_without_list_permission(open_dir):
    folder_around(open_dir, "m.jsonl")
    make_public(open_dir)
    (open_dir / "m.jsonl").mkdir()
    (open_dir / "m.jsonl").chmod(0)
    assert read_unprivileged(open_dir) == ["a", reasons.UNREADABLE_FILE, "z"]


# --- tar archives ---------------------------------------------------------------------------------


def add_member(archive: tarfile.TarFile, name: str, data: bytes = b"", **fields) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in fields.items():
        setattr(info, key, value)
    archive.addfile(info, io.BytesIO(data) if data else None)


def write_tar(path, members: list[tuple]) -> None:
    with tarfile.open(path, "w:gz") as archive:
        for name, data, fields in members:
            add_member(archive, name, data, **fields)


def valid_member(name: str) -> tuple:
    return (name, line(name.split("/")[-1].split(".")[0]) + b"\n", {})


def test_tar_member_over_the_member_limit(tmp_path):
    members = [valid_member("run/a.jsonl"), ("run/big.jsonl", b"x" * 5000, {}), valid_member("run/z.jsonl")]
    write_tar(tmp_path / "runs.tar.gz", members)
    trajectories, quarantined = read_all([tmp_path / "runs.tar.gz"], max_member_bytes=4000)
    assert ids(trajectories) == ["a", "z"]
    assert [q.reason for q in quarantined] == [reasons.FILE_TOO_LARGE]


def test_truncated_tar_keeps_members_before_the_cut(tmp_path):
    members = [valid_member("run/a.jsonl"), ("run/pad.txt", os.urandom(200_000), {}), valid_member("run/z.jsonl")]
    write_tar(tmp_path / "runs.tar.gz", members)
    data = (tmp_path / "runs.tar.gz").read_bytes()
    (tmp_path / "runs.tar.gz").write_bytes(data[: len(data) // 2])
    trajectories, quarantined = read_all([tmp_path / "runs.tar.gz"])
    assert ids(trajectories) == ["a"]
    assert [q.reason for q in quarantined] == [reasons.BAD_ARCHIVE]


def test_bad_line_inside_tar_member(tmp_path):
    members = [("run/m.jsonl", line("a") + b"\n{oops\n" + line("z") + b"\n", {})]
    write_tar(tmp_path / "runs.tar.gz", members)
    trajectories, quarantined = read_all([tmp_path / "runs.tar.gz"])
    assert ids(trajectories) == ["a", "z"]
    assert [(q.reason, q.origin) for q in quarantined] == [
        (reasons.INVALID_JSON, f"{tmp_path}/runs.tar.gz:run/m.jsonl:2")
    ]


def test_tar_zst_archive_is_read(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data, fields in [valid_member("run/a.jsonl"), valid_member("run/z.jsonl")]:
            add_member(archive, name, data, **fields)
    (tmp_path / "runs.tar.zst").write_bytes(zstandard.ZstdCompressor().compress(buffer.getvalue()))
    trajectories, quarantined = read_all([tmp_path / "runs.tar.zst"])
    assert ids(trajectories) == ["a", "z"] and quarantined == []
