"""Gemini CLI recorded conversations (`session-*.json`), hand-written in the recording's shape."""

from __future__ import annotations

import orjson

from trajsift.readers.read import read_trajectories
from trajsift.schema import PATCH_UNKNOWN, ActionType, Trajectory


def shell(call_id: str, command: str, output: str, status: str = "success") -> dict:
    response = {"functionResponse": {"id": call_id, "name": "run_shell_command", "response": {"output": output}}}
    return {
        "id": call_id,
        "name": "run_shell_command",
        "args": {"command": command, "description": "run it"},
        "result": [response],
        "status": status,
        "timestamp": "2026-01-01T00:00:02Z",
        "resultDisplay": output,
    }


def session() -> dict:
    replace = {
        "id": "replace-1",
        "name": "replace",
        "args": {"file_path": "/repo/calc.py", "old_string": "return a - b", "new_string": "return a + b"},
        "result": [{"functionResponse": {"id": "replace-1", "name": "replace", "response": {"output": "Edited."}}}],
        "status": "success",
        "timestamp": "2026-01-01T00:00:04Z",
    }
    failing = "Command: pytest -q\nStdout: 1 failed in 0.02s\nExit Code: 1"
    passing = "Command: pytest -q\nStdout: 1 passed in 0.02s\nExit Code: 0"
    return {
        "sessionId": "5f1c-session",
        "projectHash": "ab12",
        "startTime": "2026-01-01T00:00:00Z",
        "lastUpdated": "2026-01-01T00:01:00Z",
        "messages": [
            {"id": "m1", "timestamp": "t", "type": "user", "content": "Fix add() in /repo/calc.py; tests fail."},
            {
                "id": "m2",
                "timestamp": "t",
                "type": "gemini",
                "content": "",
                "thoughts": [{"subject": "Reproducing", "description": "Run the tests first.", "timestamp": "t"}],
                "toolCalls": [shell("run-1", "pytest -q", failing, status="error")],
                "tokens": {"input": 1000, "output": 50, "cached": 0, "total": 1050},
                "model": "gemini-2.5-pro",
            },
            {"id": "m3", "timestamp": "t", "type": "info", "content": "Tool call failed."},
            {
                "id": "m4",
                "timestamp": "t",
                "type": "gemini",
                "content": "The sign is wrong.",
                "toolCalls": [replace, shell("run-2", "pytest -q", passing)],
                "tokens": {"input": 1400, "output": 80, "cached": 900, "total": 2380},
                "model": "gemini-2.5-pro",
            },
            {"id": "m5", "timestamp": "t", "type": "gemini", "content": "Fixed: the tests pass now."},
        ],
    }


def test_gemini_cli_session_is_one_run_with_its_calls_results_and_usage(tmp_path):
    path = tmp_path / "chats" / "session-2026-01-01T00-00-5f1c.json"
    path.parent.mkdir()
    path.write_bytes(orjson.dumps(session()))
    [traj] = list(read_trajectories([str(path)]))
    assert isinstance(traj, Trajectory)
    assert (traj.id, traj.source.format, traj.source.scaffold) == ("5f1c-session", "gemini-cli", "gemini-cli")
    assert traj.source.model == "gemini-2.5-pro"
    assert traj.task.instruction.startswith("Fix add()")
    kinds = [(s.action.type, s.action.target) for s in traj.steps]
    assert kinds == [(ActionType.RUN_TESTS, ""), (ActionType.EDIT, "/repo/calc.py"), (ActionType.RUN_TESTS, "")]
    first, _, last = traj.steps
    assert first.thought.startswith("Reproducing: Run the tests first.")
    assert (first.observation.is_error, first.observation.exit_code) == (True, 1)
    assert (last.observation.is_error, last.observation.exit_code) == (False, 0)
    assert (traj.usage.input_tokens, traj.usage.output_tokens) == (2400, 130)
    assert traj.metadata["final_answer"] == "Fixed: the tests pass now."
    assert traj.final.patch_source == PATCH_UNKNOWN  # Gemini CLI records no diff; edits replay when a repo is given
    assert traj.final.exit_status == "unknown" and not traj.final.submitted  # the recording does not say


def test_a_file_of_other_json_with_a_session_id_is_not_claimed(tmp_path):
    path = tmp_path / "other.json"
    path.write_bytes(orjson.dumps({"sessionId": "x", "messages": [{"role": "user", "content": "hi"}]}))
    [item] = list(read_trajectories([str(path)]))
    assert not isinstance(item, Trajectory) or item.source.format != "gemini-cli"
