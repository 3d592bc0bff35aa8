"""Whole runs over malformed input: a bad value quarantines its unit and the run goes on; a run that reads
no trajectory writes empty outputs and its quarantine and exits non-zero; stats let a user reconcile
what went in with what came out."""

from __future__ import annotations

import json
import os

import orjson
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from trajsift import reasons
from trajsift.cli.errors import ExitCode
from trajsift.cli.main import app
from trajsift.schema import Action, ActionType, Step, TaskRef, Trajectory

pytestmark = pytest.mark.timeout(120)
runner = CliRunner()


def record(name: str, **fields) -> bytes:
    step = Step(index=0, thought="look", action=Action(type=ActionType.READ, tool="bash", command="cat a.py"))
    return Trajectory(id=name, task=TaskRef(task_id="octo__repo-1"), steps=[step], **fields).to_json()


def with_value(line: bytes, key: str, value_json: bytes) -> bytes:
    return line[:-1] + b',"' + key.encode() + b'":' + value_json + b"}"


def quarantine_rows(out) -> list[dict]:
    return [orjson.loads(row) for row in (out / "quarantine.jsonl").read_bytes().splitlines()]


def test_bad_values_quarantine_their_unit_and_the_run_goes_on(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    overflow = record("overflow").replace(b'"usage":{}', b'"usage":{"input_tokens":18446744073709551615}')
    deep = with_value(record("deep"), "metadata", b'{"k":' * 400 + b"{}" + b"}" * 400)
    (data / "runs.jsonl").write_bytes(b"\n".join([record("a"), overflow, deep, record("b")]) + b"\n")
    (data / os.fsdecode(b"caf\xe9.jsonl")).write_bytes(record("c") + b"\n")
    (data / "README.md").write_bytes(b"notes\n")
    (data / "old.jsonl.lz4").write_bytes(b"\x04\x22\x4d\x18")
    result = runner.invoke(app, ["run", str(data), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    kept = sum(pq.ParquetFile(out / f"{name}.parquet").metadata.num_rows for name in ("kept", "rejected", "review"))
    assert kept == 3
    rows = quarantine_rows(out)
    assert sorted(r["reason"] for r in rows) == sorted(
        [
            reasons.NUMBER_OUT_OF_RANGE,
            reasons.NESTING_TOO_DEEP,
            reasons.NOT_A_TRAJECTORY_FILE,
            reasons.UNSUPPORTED_COMPRESSION,
        ]
    )
    stats = json.loads((out / "stats.json").read_text())["input"]
    assert (stats["trajectories"], stats["quarantined"], stats["not_read"]) == (3, 4, 2)


def test_run_with_no_readable_unit_writes_empty_outputs_and_exits_non_zero(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    (data / "bad.jsonl").write_bytes(b"{oops\n" + b'{"hello": "world"}\n')
    (data / "big.jsonl").write_bytes(record("x").replace(b'"usage":{}', b'"usage":{"api_calls":9223372036854775808}'))
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(data), "--out", str(out)])
    assert result.exit_code == ExitCode.NOTHING_READ, result.output
    assert "no readable trajectory" in result.output
    for name in ("kept", "rejected", "review"):
        assert pq.ParquetFile(out / f"{name}.parquet").metadata.num_rows == 0
    assert [r["reason"] for r in quarantine_rows(out)] == [
        reasons.INVALID_JSON,
        reasons.UNKNOWN_FORMAT,
        reasons.NUMBER_OUT_OF_RANGE,
    ]


def test_dedup_of_an_empty_folder_exits_non_zero_without_a_traceback(tmp_path):
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["dedup", str(tmp_path / "empty"), "--out", str(tmp_path / "out")])
    assert result.exit_code == ExitCode.NOTHING_READ, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert (tmp_path / "out" / "quarantine.jsonl").read_bytes() == b""


def test_explicit_path_with_glob_characters_is_read_literally(tmp_path):
    (tmp_path / "data[1].jsonl").write_bytes(record("literal") + b"\n")
    (tmp_path / "data1.jsonl").write_bytes(record("glob-match") + b"\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(tmp_path / "data[1].jsonl"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    ids = pq.read_table(out / "rejected.parquet", columns=["trajectory_id"]).column(0).to_pylist()
    ids += pq.read_table(out / "kept.parquet", columns=["trajectory_id"]).column(0).to_pylist()
    ids += pq.read_table(out / "review.parquet", columns=["trajectory_id"]).column(0).to_pylist()
    assert ids == ["literal"]
