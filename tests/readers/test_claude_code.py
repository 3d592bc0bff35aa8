"""Claude Code reader: a session JSONL file and `claude -p --output-format stream-json` output, hand-written in
the shapes Claude Code writes (one file is one run)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import zstandard

from trajsift.executors.read_units import _described, byte_spans
from trajsift.readers.read import read_trajectories
from trajsift.readers.sources.sessions import starts_session
from trajsift.readers.sources.units import disk_entry
from trajsift.schema import ActionType, Quarantined, Trajectory

SESSION = "5b1c2f7e-0000-4000-8000-00000000abcd"
TASK = "The function add in calc.py subtracts instead of adding. Fix it."


def line(kind: str, message: dict | None = None, **extra: object) -> dict:
    event = {"type": kind, "sessionId": SESSION, "uuid": f"u{len(extra)}", "cwd": "/repo", "version": "2.0.61"}
    if message is not None:
        event["message"] = message
    return {**event, **extra}


def assistant(msg_id: str, *blocks: dict, stop: str | None = None, tokens: tuple[int, int] = (100, 20)) -> dict:
    usage = {"input_tokens": tokens[0], "output_tokens": tokens[1], "cache_read_input_tokens": 50}
    message = {"id": msg_id, "role": "assistant", "model": "claude-sonnet-4-5", "content": list(blocks)}
    return line("assistant", {**message, "stop_reason": stop, "usage": usage})


def use(call_id: str, name: str, **tool_input: object) -> dict:
    return {"type": "tool_use", "id": call_id, "name": name, "input": tool_input}


def result(call_id: str, text: str, error: bool = False) -> dict:
    return line(
        "user",
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call_id, "content": text, "is_error": error}],
        },
    )


def session_events() -> list[dict]:
    return [
        {"type": "summary", "summary": "Fix add", "leafUuid": "leaf-1"},
        line("user", {"role": "user", "content": TASK}),
        line("user", {"role": "user", "content": "Caveat: local command output"}, isMeta=True),
        assistant("msg_1", {"type": "thinking", "thinking": "Look at calc.py first."}),
        assistant("msg_1", use("t1", "Read", file_path="/repo/calc.py")),  # the same API message: joined
        result("t1", "     1\tdef add(a, b):\n     2\t    return a - b\n"),
        assistant(
            "msg_2",
            {"type": "text", "text": "The sign is wrong."},
            use("t2", "Edit", file_path="/repo/calc.py", old_string="a - b", new_string="a + b"),
        ),
        result("t2", "The file /repo/calc.py has been updated."),
        line(
            "assistant",
            {"id": "side", "role": "assistant", "content": [use("s1", "Bash", command="ls")]},
            isSidechain=True,
        ),
        assistant("msg_3", use("t3", "Bash", command="cd /repo && python -m pytest -q tests/test_calc.py")),
        result("t3", "..\n2 passed in 0.01s\n"),
        assistant("msg_4", {"type": "text", "text": "Fixed: add now returns a + b; the tests pass."}, stop="end_turn"),
    ]


def write_jsonl(path: Path, events: list[dict], bad_line: bool = False) -> Path:
    lines = [orjson.dumps(e) for e in events]
    if bad_line:
        lines.insert(3, b'{"type": "assistant", "message": {')
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def read_one(path: Path) -> tuple[Trajectory, list[Quarantined]]:
    items = list(read_trajectories([str(path)]))
    trajectories = [i for i in items if isinstance(i, Trajectory)]
    assert len(trajectories) == 1, items
    return trajectories[0], [i for i in items if isinstance(i, Quarantined)]


def test_a_session_file_is_one_run(tmp_path):
    traj, quarantined = read_one(write_jsonl(tmp_path / f"{SESSION}.jsonl", session_events()))
    assert quarantined == []
    assert traj.id == SESSION and traj.source.format == "claude-code" and traj.source.model == "claude-sonnet-4-5"
    assert traj.task.instruction == TASK
    kinds = [step.action.type for step in traj.steps]
    assert kinds == [ActionType.READ, ActionType.EDIT, ActionType.RUN_TESTS]  # sidechain and meta: none
    assert traj.steps[0].thought == "Look at calc.py first."
    assert traj.steps[1].action.target.endswith("calc.py") and "a - b" in traj.steps[0].observation.text
    assert "2 passed" in traj.steps[2].observation.text
    assert traj.final.exit_status == "submitted"
    assert traj.usage.input_tokens == 400 and traj.usage.output_tokens == 80  # msg_1 counted once
    assert traj.metadata["cwd"] == "/repo" and traj.metadata["cache_tokens"] == {"cache_read_input_tokens": 200}


def test_stream_json_output_ends_with_its_result_line(tmp_path):
    events = [
        {"type": "system", "subtype": "init", "session_id": SESSION, "model": "claude-opus-4-1", "tools": ["Bash"]},
        *({k: v for k, v in e.items() if k != "sessionId"} | {"session_id": SESSION} for e in session_events()[1:-1]),
        {
            "type": "result",
            "subtype": "error_max_turns",
            "is_error": True,
            "num_turns": 4,
            "session_id": SESSION,
            "total_cost_usd": 0.42,
        },
    ]
    traj, _ = read_one(write_jsonl(tmp_path / "run.jsonl", events))
    assert traj.id == SESSION and len(traj.steps) == 3
    assert traj.final.exit_status == "error_max_turns" and traj.usage.cost == pytest.approx(0.42)
    assert traj.metadata["result_num_turns"] == 4


def test_an_undecodable_line_is_quarantined_and_the_run_still_read(tmp_path):
    traj, quarantined = read_one(write_jsonl(tmp_path / "s.jsonl", session_events(), bad_line=True))
    assert len(traj.steps) == 3
    assert [q.reason for q in quarantined] == ["truncated_json"]


def test_a_file_of_one_record_per_line_is_not_a_session(tmp_path):
    rows = [
        {
            "instance_id": f"t-{i}",
            "messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "done"}],
        }
        for i in range(3)
    ]
    path = write_jsonl(tmp_path / "rows.jsonl", rows)
    assert len([i for i in read_trajectories([str(path)]) if isinstance(i, Trajectory)]) == 3
    assert not starts_session(str(path), "")


def test_a_big_compressed_session_is_never_cut_into_spans(tmp_path):
    events = session_events()
    filler = [result("t3", "x" * 2_000_000) for _ in range(20)]  # ~40 MB: more than one span's weight
    data = b"\n".join(orjson.dumps(e) for e in [*events[:-1], *filler, events[-1]]) + b"\n"
    path = tmp_path / "big.jsonl.zst"
    path.write_bytes(zstandard.ZstdCompressor(level=1).compress(data))
    assert starts_session(str(path), ".zst")
    assert len(byte_spans(str(path), ".zst", len(data), 4)) > 1  # a record file this big would be cut
    assert [d[0][2] for d in _described(disk_entry(str(path)), 4)] == [None]


def test_runs_appended_to_one_file_are_read_apart(tmp_path):
    def run(session: str, cost: float) -> list[dict]:
        init = {"type": "system", "subtype": "init", "session_id": session, "model": "claude-opus-4-1"}
        body = [
            {k: v for k, v in e.items() if k != "sessionId"} | {"session_id": session} for e in session_events()[1:]
        ]
        return [init, *body, {"type": "result", "subtype": "success", "session_id": session, "total_cost_usd": cost}]

    items = list(read_trajectories([str(write_jsonl(tmp_path / "runs.jsonl", run("s-1", 0.1) + run("s-2", 0.2)))]))
    assert [(t.id, t.usage.cost, len(t.steps)) for t in items] == [("s-1", 0.1, 3), ("s-2", 0.2, 3)]
    assert items[0].id != items[1].id and all(isinstance(t, Trajectory) for t in items)


def test_a_subagent_file_is_read_as_the_subagents_run(tmp_path):
    events = [{**e, "isSidechain": True} for e in session_events()[1:] if not e.get("isSidechain")]
    traj, _ = read_one(write_jsonl(tmp_path / "agent-1a2b3c4d.jsonl", events))
    assert [step.action.type for step in traj.steps] == [ActionType.READ, ActionType.EDIT, ActionType.RUN_TESTS]
