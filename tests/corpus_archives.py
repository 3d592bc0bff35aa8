"""Malformed-input kinds inside containers: tar archives (nested, compressed, odd and unsafe members,
many members) and columnar files (a corrupt Parquet row group, Arrow IPC in both layouts)."""

from __future__ import annotations

import bz2
import io
import tarfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpus import Case, Kind, around, case, lines, tar_bytes, valid_files
from trajsift import reasons as r
from trajsift.arrow import to_table
from trajsift.readers.read import read_trajectories
from trajsift.schema import Trajectory

MANY_MEMBERS = 5_000


def _tar_with(special: tarfile.TarInfo, reason: str) -> Kind:
    def make(valid: list[bytes]) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for name, data in (("run/a1.jsonl", lines(valid[0])), (None, b""), ("run/z1.jsonl", lines(valid[1]))):
                info = special if name is None else tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data) if data else None)
        return buffer.getvalue()

    return around("runs.tar.gz", make, 2, reason)


def _info(name: str, **fields) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    for key, value in fields.items():
        setattr(info, key, value)
    return info


def _many_members(valid: list[bytes]) -> bytes:
    members = [(f"notes/n{i:06d}.md", b"note\n") for i in range(MANY_MEMBERS)]
    return tar_bytes([*members, ("runs/m.jsonl", lines(valid[0]))])


def native_trajectories(records: list[bytes], scratch: Path) -> list[Trajectory]:
    """The records read as trajectories (any reader's format), so they can be stored in columnar files."""
    scratch.write_bytes(lines(*records))
    try:
        return [t for t in read_trajectories([str(scratch)]) if isinstance(t, Trajectory)]
    finally:
        scratch.unlink()


def _corrupt_row_group(root: Path, valid: list[bytes]) -> Case:
    """Three row groups of one row each; the middle one's column data overwritten with garbage."""
    trajectories = native_trajectories(valid[3:6], root / ".scratch.jsonl")
    path = root / "m.parquet"
    with pq.ParquetWriter(path, to_table(trajectories[:1]).schema, compression="zstd") as writer:
        for trajectory in trajectories:
            writer.write_table(to_table([trajectory]))
    column = pq.ParquetFile(path).metadata.row_group(1).column(0)
    data = bytearray(path.read_bytes())
    start = column.data_page_offset + 8
    data[start : start + 64] = b"\xee" * 64
    path.write_bytes(bytes(data))
    return case(valid_files(root, valid) + 2, r.BAD_PARQUET)


def _arrow(layout: str) -> Kind:
    def build(root: Path, valid: list[bytes]) -> Case:
        table = to_table(native_trajectories(valid[3:5], root / ".scratch.jsonl"))
        sink = io.BytesIO()
        writer = pa.ipc.new_file if layout == "file" else pa.ipc.new_stream
        with writer(sink, table.schema) as out:
            out.write_table(table)
        return around("m.arrow", lambda v: sink.getvalue(), 2)(root, valid)

    return build


ARCHIVE_KINDS: dict[str, Kind] = {
    "tar_in_tar": around(
        "outer.tar", lambda v: tar_bytes([("inner.tar", tar_bytes([("run/m.jsonl", lines(v[0]))]))]), 1
    ),
    "tgz_in_tar": around(
        "outer.tar", lambda v: tar_bytes([("x/inner.tgz", tar_bytes([("m.jsonl", lines(v[0]))], "w:gz"))]), 1
    ),
    "tar_in_tar_in_tar": around(
        "outer.tar",
        lambda v: tar_bytes([("mid.tar", tar_bytes([("deep.tar", tar_bytes([("m.jsonl", lines(v[0]))]))]))]),
        0,
        r.NESTED_ARCHIVE,
    ),
    "tar_bz2": around("runs.tar.bz2", lambda v: tar_bytes([("run/m.jsonl", lines(v[0]))], "w:bz2"), 1),
    "tar_xz": around("runs.tar.xz", lambda v: tar_bytes([("run/m.jsonl", lines(v[0]))], "w:xz"), 1),
    "upper_case_tgz": around("RUNS.TGZ", lambda v: tar_bytes([("run/m.jsonl", lines(v[0]))], "w:gz"), 1),
    "tar_upper_case_member": around("runs.tar", lambda v: tar_bytes([("run/R.JSONL", lines(v[0]))]), 1),
    "tar_member_bz2": around("runs.tar", lambda v: tar_bytes([("run/m.jsonl.bz2", bz2.compress(lines(v[0])))]), 1),
    "tar_member_zip": around(
        "runs.tar", lambda v: tar_bytes([("run/m.zip", b"PK\x03\x04")]), 0, r.UNSUPPORTED_COMPRESSION
    ),
    "tar_member_readme": around("runs.tar", lambda v: tar_bytes([("run/README", b"x")]), 0, r.NOT_A_TRAJECTORY_FILE),
    "tar_member_non_utf8_name": around("runs.tar", lambda v: tar_bytes([("run/caf\udce9.jsonl", lines(v[0]))]), 1),
    "tar_of_many_members": around("many.tar", _many_members, 1, r.NOT_A_TRAJECTORY_FILE),
    "tar_member_parent_traversal": _tar_with(_info("run/../../escape.jsonl"), r.UNSAFE_PATH),
    "tar_member_absolute": _tar_with(_info("/etc/abs.jsonl"), r.UNSAFE_PATH),
    "tar_member_symlink": _tar_with(_info("run/l.jsonl", type=tarfile.SYMTYPE, linkname="/etc/passwd"), r.UNSAFE_PATH),
    "tar_member_hardlink": _tar_with(
        _info("run/h.jsonl", type=tarfile.LNKTYPE, linkname="run/a1.jsonl"), r.UNSAFE_PATH
    ),
    "tar_member_fifo": _tar_with(_info("run/p.jsonl", type=tarfile.FIFOTYPE), r.SPECIAL_FILE),
    "tar_member_device": _tar_with(_info("run/d.jsonl", type=tarfile.CHRTYPE, devmajor=1, devminor=3), r.SPECIAL_FILE),
    "not_a_tar": around("m.tar", lambda v: b"this is not a tar archive" * 40, 0, r.BAD_ARCHIVE),
    "tar_gz_not_gzip": around("m.tar.gz", lambda v: b"nope" * 300, 0, r.BAD_ARCHIVE),
    "parquet_corrupt_row_group": _corrupt_row_group,
    "arrow_ipc_file_layout": _arrow("file"),
    "arrow_ipc_stream_layout": _arrow("stream"),
    "corrupt_parquet": around("m.parquet", lambda v: b"PAR1" + b"\x00" * 100 + b"PAR1", 0, r.BAD_PARQUET),
    "not_parquet": around("m.parquet", lambda v: v[0], 0, r.BAD_PARQUET),
    "corrupt_arrow": around("m.arrow", lambda v: b"\xff\xff\xff\xff" + b"\x01" * 64, 0, r.BAD_PARQUET),
}
