"""`trajsift inspect` and `trajsift convert` through typer's CliRunner."""

from __future__ import annotations

import gzip
import json

import orjson
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from trajsift.cli.main import app
from trajsift.readers.read import read_trajectories
from trajsift.schema import Quarantined, Trajectory

runner = CliRunner()


def chat_record(record_id: str, command: str, observation: str, **extra) -> dict:
    call = {"id": "c1", "type": "function", "function": {"name": "bash", "arguments": json.dumps({"command": command})}}
    return {
        "id": record_id,
        "instance_id": "owner__repo-1",
        "messages": [
            {"role": "system", "content": "You are an agent."},
            {"role": "user", "content": "Fix the failing test."},
            {"role": "assistant", "content": "Run the tests first.", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": observation},
            {"role": "assistant", "content": "Done."},
        ],
        **extra,
    }


@pytest.fixture
def chat_file(tmp_path):
    path = tmp_path / "chats.jsonl"
    records = [
        chat_record("first", "pytest tests/test_calc.py", "1 failed", resolved=False),
        chat_record("second", "grep -rn add src", "src/calc.py:1:def add"),
    ]
    bad_rows = [b'{"messages": [{"role": "user", "content": "x"}, 5]}', b"{not json"]
    lines = [orjson.dumps(record) for record in records] + bad_rows
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def native(path) -> list[Trajectory]:
    return [item for item in read_trajectories([str(path)]) if isinstance(item, Trajectory)]


def test_convert_to_parquet_round_trips_losslessly(chat_file, tmp_path):
    out = tmp_path / "out" / "chats.parquet"
    out.parent.mkdir()
    result = runner.invoke(app, ["convert", str(chat_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "read 2 trajectories" in result.output and "2 quarantined" in result.output and "2 written" in result.output
    assert pq.read_table(out).num_rows == 2
    assert [t.to_dict() for t in native(out)] == [t.to_dict() for t in native(chat_file)]
    quarantine = (tmp_path / "out" / "chats.parquet.quarantine.jsonl").read_bytes().splitlines()
    assert sorted(orjson.loads(line)["reason"] for line in quarantine) == ["invalid_json", "wrong_schema"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["chats.parquet", "chats.parquet.quarantine.jsonl"]


def test_convert_to_native_jsonl_gz(chat_file, tmp_path):
    out = tmp_path / "chats.jsonl.gz"
    result = runner.invoke(app, ["convert", str(chat_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [orjson.loads(line) for line in gzip.decompress(out.read_bytes()).splitlines()]
    assert [row["id"] for row in rows] == ["first", "second"]
    assert [t.to_dict() for t in native(out)] == [t.to_dict() for t in native(chat_file)]


def test_convert_to_openai(chat_file, tmp_path):
    out = tmp_path / "sft.jsonl"
    result = runner.invoke(app, ["convert", str(chat_file), "-o", str(out), "--to", "openai"])
    assert result.exit_code == 0, result.output
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [row["id"] for row in rows] == ["first", "second"]
    first = rows[0]["messages"]
    assert [m["role"] for m in first] == ["system", "user", "assistant", "tool", "assistant"]
    assert first[2]["tool_calls"][0]["function"]["arguments"] == '{"command":"pytest tests/test_calc.py"}'
    assert rows[0]["resolved"] == "false" and json.loads(rows[0]["tools"])[0]["function"]["name"] == "bash"


def test_convert_without_quarantine_leaves_no_sidecar(tmp_path):
    source = tmp_path / "one.json"
    source.write_bytes(orjson.dumps(chat_record("only", "ls", "a.py")))
    out = tmp_path / "one.jsonl"
    result = runner.invoke(app, ["convert", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 quarantined" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.json", "one.jsonl"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["convert", "missing.jsonl", "-o", "out.jsonl"], "input not found"),
        (["convert", "{src}", "-o", "out.txt"], "unsupported output"),
        (["convert", "{src}", "-o", "out.parquet", "--to", "openai"], "writes JSONL"),
        (["convert", "{src}", "-o", "out.jsonl", "--format", "nope"], "unknown format"),
        (["inspect", "missing.jsonl"], "input not found"),
    ],
)
def test_errors_exit_non_zero_with_one_line(chat_file, tmp_path, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [arg.replace("{src}", str(chat_file)) for arg in arguments])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]
    assert not list(tmp_path.glob("out*")) and not list(tmp_path.glob(".trajsift-*"))
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file of the atomic writes is left behind


def test_inspect_lists_then_shows_the_first(chat_file):
    result = runner.invoke(app, ["inspect", str(chat_file)])
    assert result.exit_code == 0, result.output
    assert "2 trajectories" in result.output and "second" in result.output
    assert "$ pytest tests/test_calc.py" in result.output
    assert "grep -rn" not in result.output  # only the first trajectory's steps are shown
    assert "Run the tests first." in result.output and "1 failed" in result.output
    assert "not resolved" in result.output and "owner__repo-1" in result.output
    assert "wrong_schema" in result.output and "invalid_json" in result.output  # quarantined rows listed


def test_inspect_by_id_and_truncation(chat_file):
    result = runner.invoke(app, ["inspect", str(chat_file), "--id", "second", "--max-chars", "20"])
    assert result.exit_code == 0, result.output
    assert "$ grep -rn add src" in result.output and "$ pytest" not in result.output
    assert "src/calc.py:1:def a…" in result.output
    missing = runner.invoke(app, ["inspect", str(chat_file), "--id", "nope"])
    assert missing.exit_code == 1 and "no trajectory with id 'nope'" in missing.output


def test_inspect_escapes_markup(tmp_path):
    path = tmp_path / "evil.json"
    path.write_bytes(orjson.dumps(chat_record("evil", "echo [bold red]boom[/]", "[link=http://x]click[/link]")))
    result = runner.invoke(app, ["inspect", str(path)])
    assert result.exit_code == 0, result.output
    assert "echo [bold red]boom[/]" in result.output and "[link=http://x]click[/link]" in result.output


def test_inspect_only_quarantined_rows_fails(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"{broken\n")
    result = runner.invoke(app, ["inspect", str(path)])
    assert result.exit_code == 1
    assert "invalid_json" in result.output and "no trajectory could be read" in result.output


def test_quarantined_rows_are_not_trajectories(chat_file):
    items = list(read_trajectories([str(chat_file)]))
    assert sum(isinstance(item, Quarantined) for item in items) == 2
