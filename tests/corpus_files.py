"""Malformed-input kinds of one file between valid files: compression (any suffix case, every codec,
faults inside a stream), names (not UTF-8, glob characters, markers), sizes (sparse files, bombs)."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import zlib
from pathlib import Path

import zstandard

from corpus import Case, Kind, around, case, lines, valid_files
from corpus_archives import ARCHIVE_KINDS
from trajsift import reasons as r
from trajsift.readers.sources.units import DEFAULT_MAX_RECORD_BYTES

SPARSE_BYTES = 256 * 1024**2
BOMB_BYTES = 2 * DEFAULT_MAX_RECORD_BYTES
"""Sizes used by the unit tests; `bench/malformed_real.py` and the memory tests raise them."""


def zst(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


def gz(data: bytes) -> bytes:
    return gzip.compress(data, 1)


def _bomb(compress_to: str, head: bytes, fill: bytes, size: int, tail: bytes) -> bytes:
    """Compressed head + fill * size + tail, written chunk by chunk (never held expanded)."""
    chunk = fill * (1024 * 1024)
    parts = [head, *(chunk for _ in range(size // len(chunk))), tail]
    compressor = zlib.compressobj(1, wbits=31) if compress_to == "gz" else zstandard.ZstdCompressor(1).compressobj()
    return b"".join(compressor.compress(p) for p in parts) + compressor.flush()


def _sparse(name: str) -> Kind:
    def build(root: Path, valid: list[bytes]) -> Case:
        built = around(name, lambda v: b"", 0, r.ROW_TOO_LARGE if not name.endswith(".parquet") else r.BAD_PARQUET)
        result = built(root, valid)
        with open(root / name, "r+b") as sparse:
            sparse.truncate(SPARSE_BYTES)
        return result

    return build


def _hf_markers(root: Path, valid: list[bytes]) -> Case:
    (root / "dataset_info.json").write_bytes(b'{"features": {}}')
    (root / "state.json").write_bytes(b'{"_data_files": []}')
    (root / ".gitattributes").write_bytes(b"*.arrow filter=lfs\n")
    (root / "train.jsonl").write_bytes(lines(valid[0], valid[1]))
    return case(2, r.NOT_A_TRAJECTORY, r.MARKER_FILE)


def _bracket_name(root: Path, valid: list[bytes]) -> Case:
    (root / "data[1].jsonl").write_bytes(lines(valid[0]))
    (root / "data1.jsonl").write_bytes(lines(valid[1], valid[2]))  # what the glob `data[1].jsonl` would match
    return case(1, inputs=["data[1].jsonl"])


def _symlink(root: Path, valid: list[bytes]) -> Case:
    built = around("m.jsonl", lambda v: lines(v[0]), 0, r.UNSAFE_PATH)(root, valid)
    outside = root.parent / f"{root.name}-outside.jsonl"
    outside.write_bytes(lines(valid[4]))
    (root / "m.jsonl").unlink()
    (root / "m.jsonl").symlink_to(outside)
    return built


def _fifo(root: Path, valid: list[bytes]) -> Case:
    built = around("m.jsonl", lambda v: b"", 0, r.SPECIAL_FILE)(root, valid)
    (root / "m.jsonl").unlink()
    os.mkfifo(root / "m.jsonl")
    return built


def _deep_folders(root: Path, valid: list[bytes]) -> Case:
    deep = root.joinpath(*["d"] * 150)
    deep.mkdir(parents=True)
    (deep / "m.jsonl").write_bytes(lines(valid[3]))
    return case(valid_files(root, valid), r.NESTING_TOO_DEEP)


def _dir_named_jsonl(root: Path, valid: list[bytes]) -> Case:
    (root / "d.jsonl").mkdir()
    return around("d.jsonl/inner.jsonl", lambda v: lines(v[0]), 1)(root, valid)


FORMAT_KINDS: dict[str, Kind] = {
    "gz_not_gzip": around("m.jsonl.gz", lambda v: lines(v[0]), 0, r.DECOMPRESSION_ERROR),
    "gz_crc_mismatch": around(
        "m.json.gz", lambda v: (lambda d: d[:-8] + bytes([d[-8] ^ 0xFF]) + d[-7:])(gz(v[0])), 0, r.DECOMPRESSION_ERROR
    ),
    "corrupt_zst": around("m.jsonl.zst", lambda v: b"\x28\xb5\x2f\xfd" + b"\x00garbage" * 20, 0, r.DECOMPRESSION_ERROR),
    "zst_not_zstd": around("m.json.zst", lambda v: v[0], 0, r.DECOMPRESSION_ERROR),
    "empty_jsonl": around("m.jsonl", lambda v: b"", 0, r.EMPTY_INPUT),
    "empty_json": around("m.json", lambda v: b"", 0, r.EMPTY_INPUT),
    "whitespace_only_json": around("m.json", lambda v: b" \n\t\n", 0, r.EMPTY_INPUT),
    "zero_byte_gz": around("m.json.gz", lambda v: b"", 0, r.EMPTY_INPUT),
    "gz_of_nothing": around("m.jsonl.gz", lambda v: gz(b""), 0, r.EMPTY_INPUT),
    "empty_json_array": around("m.json", lambda v: b"[]", 0, r.EMPTY_INPUT),
    "truncated_json_document": around("m.json", lambda v: v[0][:-30], 0, r.TRUNCATED_JSON),
    "trailing_garbage_document": around("m.traj", lambda v: v[0] + b"\n}garbage", 0, r.INVALID_JSON),
    "utf16_document": around("m.json", lambda v: v[0].decode().encode("utf-16"), 0, r.INVALID_UTF8),
}

COMPRESSION_KINDS: dict[str, Kind] = {
    "upper_case_jsonl": around("X.JSONL", lambda v: lines(v[0]), 1),
    "upper_case_traj_gz": around("m.traj.GZ", lambda v: gz(v[0]), 1),
    "jsonl_bz2": around("m.jsonl.bz2", lambda v: bz2.compress(lines(v[0], v[1])), 2),
    "jsonl_xz": around("m.jsonl.xz", lambda v: lzma.compress(lines(v[0], v[1])), 2),
    "jsonl_lzma_alone": around("m.jsonl.lzma", lambda v: lzma.compress(lines(v[0]), lzma.FORMAT_ALONE), 1),
    "json_gzip_suffix": around("m.json.gzip", lambda v: gz(v[0]), 1),
    "upper_jsonl_zst": around("M.JSONL.ZST", lambda v: zst(lines(v[0], v[1])), 2),
    "ndjson_zstd_suffix": around("m.ndjson.zstd", lambda v: zst(lines(v[0])), 1),
    "corrupt_bz2": around("m.jsonl.bz2", lambda v: b"BZh91AY&SY" + b"\x00garbage" * 30, 0, r.DECOMPRESSION_ERROR),
    "corrupt_xz": around("m.jsonl.xz", lambda v: b"\xfd7zXZ\x00" + b"\x01junk" * 30, 0, r.DECOMPRESSION_ERROR),
    "truncated_bz2": around("m.jsonl.bz2", lambda v: bz2.compress(lines(v[0]))[:-20], 0, r.DECOMPRESSION_ERROR),
    "truncated_gz_line": around("m.jsonl.gz", lambda v: gz(lines(v[0]))[:-40], 0, r.DECOMPRESSION_ERROR),
    "gz_trailing_garbage": around(
        "m.jsonl.gz", lambda v: gz(lines(v[0], v[1])) + b"GARBAGE!" * 8, 2, r.DECOMPRESSION_ERROR
    ),
    "zst_trailing_garbage": around(
        "m.jsonl.zst", lambda v: zst(lines(v[0], v[1])) + b"GARBAGE!" * 8, 2, r.DECOMPRESSION_ERROR
    ),
    "json_gz_trailing_garbage": around("m.traj.gz", lambda v: gz(v[0]) + b"junk" * 9, 1, r.DECOMPRESSION_ERROR),
    "zst_truncated_second_frame": around(
        "m.jsonl.zst", lambda v: zst(lines(v[0])) + zst(lines(v[1]))[:-12], 1, r.DECOMPRESSION_ERROR
    ),
    "gz_multi_member": around("m.jsonl.gz", lambda v: gz(lines(v[0])) + gz(lines(v[1])), 2),
    "gz_members_nul_padded": around("m.jsonl.gz", lambda v: gz(lines(v[0])) + b"\0" * 512 + gz(lines(v[1])), 2),
    "gz_empty_member_first": around("m.jsonl.gz", lambda v: gz(b"") + gz(lines(v[0])), 1),
    "zst_multi_frame": around("m.jsonl.zst", lambda v: zst(lines(v[0])) + zst(lines(v[1])), 2),
    "gzip_data_under_plain_jsonl_name": around("m.jsonl", lambda v: gz(lines(v[0], v[1])), 2),
    "zstd_data_under_plain_json_name": around("m.json", lambda v: zst(v[0]), 1),
    "lz4_suffix": around("m.jsonl.lz4", lambda v: b"\x04\x22\x4d\x18" + b"lz4" * 20, 0, r.UNSUPPORTED_COMPRESSION),
    "zip_file": around("runs.zip", lambda v: b"PK\x03\x04" + b"zip" * 20, 0, r.UNSUPPORTED_COMPRESSION),
}

NAME_KINDS: dict[str, Kind] = {
    "readme_md": around("README.md", lambda v: b"# notes\n", 0, r.NOT_A_TRAJECTORY_FILE),
    "python_file": around("helper.py", lambda v: b"print(1)\n", 0, r.NOT_A_TRAJECTORY_FILE),
    "ds_store": around(".DS_Store", lambda v: b"\x00\x00\x00\x01Bud1", 0, r.MARKER_FILE),
    "results_json_artifact": around("results.json", lambda v: b'{"resolved": []}', 0, r.NOT_A_TRAJECTORY),
    "hf_markers_beside_trajectories": _hf_markers,
    "non_utf8_file_name": around("caf\udce9.jsonl", lambda v: lines(v[0]), 1),
    "non_utf8_folder_name": around("d\udcff/m.jsonl", lambda v: lines(v[0]), 1),
    "glob_characters_in_explicit_path": _bracket_name,
    "symlink_in_folder": _symlink,
    "fifo_in_folder": _fifo,
    "directory_named_jsonl": _dir_named_jsonl,
    "folders_nested_150_deep": _deep_folders,
    "crlf_jsonl": around("m.jsonl", lambda v: v[0] + b"\r\n" + v[1] + b"\r\n", 2),
}


def _big_array(valid: list[bytes], pads: list[bytes]) -> bytes:
    """A JSON array over the record limit: two valid records, then `pads` (each a JSON value)."""
    return b"[" + b",".join([valid[0], valid[1], *pads]) + b"]"


HALF_LIMIT = b'{"pad": "' + b"p" * (DEFAULT_MAX_RECORD_BYTES // 2) + b'"}'

SIZE_KINDS: dict[str, Kind] = {
    "json_array_over_limit_of_records": around(
        "m.json", lambda v: _big_array(v, [HALF_LIMIT] * 3), 2, r.UNKNOWN_FORMAT
    ),
    "json_array_with_element_over_limit": around(
        "m.json.gz", lambda v: gz(_big_array(v, [b'"' + b"q" * DEFAULT_MAX_RECORD_BYTES + b'"'])), 2, r.ROW_TOO_LARGE
    ),
    "json_array_over_limit_truncated": around(
        "m.json", lambda v: _big_array(v, [HALF_LIMIT] * 3)[:-2], 2, r.UNKNOWN_FORMAT, r.TRUNCATED_JSON
    ),
    "sparse_jsonl": _sparse("sparse.jsonl"),
    "sparse_json_document": _sparse("sparse.json"),
    "sparse_parquet": _sparse("sparse.parquet"),
    "gz_blank_line_bomb": around("m.jsonl.gz", lambda v: _bomb("gz", v[0] + b"\n", b"\n", BOMB_BYTES, v[1]), 2),
    "gz_line_bomb": around(
        "m.jsonl.gz", lambda v: _bomb("gz", v[0] + b'\n{"x": "', b"A", BOMB_BYTES, b'"}\n' + v[1]), 2, r.ROW_TOO_LARGE
    ),
    "zst_line_bomb": around(
        "m.jsonl.zst", lambda v: _bomb("zst", v[0] + b'\n{"x": "', b"A", BOMB_BYTES, b'"}\n' + v[1]), 2, r.ROW_TOO_LARGE
    ),
    "gz_document_bomb": around(
        "m.json.gz", lambda v: _bomb("gz", b'{"x": "', b"A", BOMB_BYTES, b'"}'), 0, r.ROW_TOO_LARGE
    ),
}

FILE_KINDS: dict[str, Kind] = {**FORMAT_KINDS, **COMPRESSION_KINDS, **NAME_KINDS, **SIZE_KINDS, **ARCHIVE_KINDS}
