"""Codex CLI reader: rollout files hand-written in the shapes the Codex CLI writes (one file is one run)."""

from __future__ import annotations

from pathlib import Path

import orjson

from trajsift.readers.read import read_trajectories
from trajsift.schema import ActionType, Quarantined, Trajectory

RUN_ID = "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
TASK = "add() in calc.py subtracts; make it add."
PATCH = (
    "*** Begin Patch\n*** Update File: calc.py\n@@ def add(a, b):\n-    return a - b\n+    return a + b\n*** End Patch"
)


def item(payload: dict, kind: str = "response_item") -> dict:
    return {"timestamp": "2025-10-01T10:00:00.000Z", "type": kind, "payload": payload}


def text(role: str, words: str) -> dict:
    part = "output_text" if role == "assistant" else "input_text"
    return item({"type": "message", "role": role, "content": [{"type": part, "text": words}]})


def shell(call_id: str, argv: list[str]) -> dict:
    arguments = orjson.dumps({"command": argv, "workdir": "/repo"}).decode()
    return item({"type": "function_call", "name": "shell", "arguments": arguments, "call_id": call_id})


def output(call_id: str, words: str, code: int = 0) -> dict:
    body = orjson.dumps({"output": words, "metadata": {"exit_code": code, "duration_seconds": 0.1}}).decode()
    return item({"type": "function_call_output", "call_id": call_id, "output": body})


def rollout() -> list[dict]:
    return [
        item({"id": RUN_ID, "cwd": "/repo", "cli_version": "0.46.0", "instructions": "You are Codex."}, "session_meta"),
        item({"cwd": "/repo", "model": "gpt-5-codex", "approval_policy": "never"}, "turn_context"),
        text("user", "<environment_context>\n  <cwd>/repo</cwd>\n</environment_context>"),
        text("user", TASK),
        item({"type": "reasoning", "summary": [{"type": "summary_text", "text": "**Reading calc.py**"}]}),
        shell("c1", ["bash", "-lc", "cat calc.py"]),
        output("c1", "def add(a, b):\n    return a - b\n"),
        item({"type": "custom_tool_call", "name": "apply_patch", "input": PATCH, "call_id": "c2"}),
        item({"type": "custom_tool_call_output", "call_id": "c2", "output": "Success. Updated: M calc.py"}),
        shell("c3", ["bash", "-lc", "python -m pytest -q"]),
        output("c3", "F.\n1 failed, 1 passed in 0.02s\n", code=1),
        shell("c4", ["python", "-m", "pytest", "-q", "tests/test_calc.py"]),
        output("c4", "..\n2 passed in 0.01s\n"),
        item(
            {"type": "token_count", "info": {"total_token_usage": {"input_tokens": 900, "output_tokens": 120}}},
            "event_msg",
        ),
        text("assistant", "add() now returns a + b; the tests pass."),
        item({"type": "task_complete", "last_agent_message": "done"}, "event_msg"),
    ]


def read(path: Path) -> list:
    return list(read_trajectories([str(path)]))


def write(path: Path, events: list[dict]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
    return path


def test_a_rollout_is_one_run(tmp_path):
    [traj] = read(write(tmp_path / f"rollout-2025-10-01T10-00-00-{RUN_ID}.jsonl", rollout()))
    assert isinstance(traj, Trajectory)
    assert traj.id == RUN_ID and traj.source.format == "codex" and traj.source.model == "gpt-5-codex"
    assert traj.task.instruction == TASK  # the environment context is the harness's, not the task
    kinds = [s.action.type for s in traj.steps]
    assert kinds == [ActionType.READ, ActionType.EDIT, ActionType.RUN_TESTS, ActionType.RUN_TESTS]
    assert traj.steps[0].action.command == "cat calc.py" and traj.steps[0].thought == "**Reading calc.py**"
    assert traj.steps[1].action.target == "calc.py"
    assert traj.steps[1].action.arguments["workdir"] == "/repo"  # its paths are the session directory's (replay)
    assert traj.steps[2].observation.is_error and not traj.steps[3].observation.is_error
    assert traj.steps[3].action.command == "python -m pytest -q tests/test_calc.py"
    assert traj.final.exit_status == "submitted"
    assert traj.final.submitted  # the session records no patch: handed in by the scaffold's own word
    assert traj.usage.input_tokens == 900 and traj.usage.output_tokens == 120
    assert traj.metadata["cli_version"] == "0.46.0"


def test_a_rollout_without_an_assistant_turn_is_quarantined(tmp_path):
    [row] = read(write(tmp_path / "rollout-empty.jsonl", rollout()[:4]))
    assert isinstance(row, Quarantined) and row.reason == "empty_input"


THREAD = "01999ce5-f229-7661-8570-53312bd47ea3"


def done(item_id: str, kind: str, **fields: object) -> dict:
    return {"type": "item.completed", "item": {"id": item_id, "type": kind, **fields}}


def exec_output(last_turn: dict) -> list[dict]:
    return [
        {"type": "thread.started", "thread_id": THREAD},
        {"type": "turn.started"},
        done("item_0", "reasoning", text="**Reading calc.py**"),
        {
            "type": "item.started",
            "item": {
                "id": "item_1",
                "type": "command_execution",
                "command": "bash -lc 'cat calc.py'",
                "aggregated_output": "",
                "status": "in_progress",
            },
        },
        done(
            "item_1",
            "command_execution",
            command="bash -lc 'cat calc.py'",
            status="completed",
            exit_code=0,
            aggregated_output="def add(a, b):\n    return a - b\n",
        ),
        done("item_2", "file_change", changes=[{"path": "/repo/calc.py", "kind": "update"}], status="completed"),
        done(
            "item_3",
            "command_execution",
            command="python -m pytest -q",
            status="failed",
            exit_code=1,
            aggregated_output="1 failed, 1 passed in 0.02s",
        ),
        done("item_4", "todo_list", items=[{"text": "fix add", "completed": True}]),
        done("item_5", "agent_message", text="Fixed add()."),
        last_turn,
    ]


def test_codex_exec_json_output_is_one_run(tmp_path):
    usage = {"input_tokens": 700, "cached_input_tokens": 300, "output_tokens": 90}
    [traj] = read(write(tmp_path / "codex.jsonl", exec_output({"type": "turn.completed", "usage": usage})))
    assert isinstance(traj, Trajectory)
    assert traj.id == THREAD and traj.source.format == "codex-exec"
    kinds = [s.action.type for s in traj.steps]
    assert kinds == [ActionType.READ, ActionType.EDIT, ActionType.RUN_TESTS]  # one step per item, last state
    assert traj.steps[0].thought == "**Reading calc.py**" and "a - b" in traj.steps[0].observation.text
    assert traj.steps[1].action.target == "/repo/calc.py"
    assert traj.steps[2].observation.is_error
    assert traj.final.exit_status == "submitted" and traj.usage.input_tokens == 700
    assert traj.metadata["codex_todo_list"][0]["id"] == "item_4"


def test_a_failed_codex_exec_turn_is_the_exit_status(tmp_path):
    failed = {"type": "turn.failed", "error": {"message": "stream disconnected before completion"}}
    [traj] = read(write(tmp_path / "codex.jsonl", exec_output(failed)))
    assert traj.final.exit_status == "error: stream disconnected before completion"


def test_apply_patch_run_through_the_shell_is_an_edit(tmp_path):
    """Older Codex CLIs call `apply_patch` through `shell` (an argv), newer models through `shell_command` (a
    heredoc): both are edits of the file the body names, read by the evidence checks like the custom tool call."""
    from trajsift.checks.base import CheckContext
    from trajsift.checks.evidence import EvidenceCheck

    heredoc = orjson.dumps({"command": f"apply_patch <<'PATCH'\n{PATCH}\nPATCH", "workdir": "/repo"}).decode()
    events = rollout()
    events[7] = shell("c2", ["apply_patch", PATCH])
    events[8] = output("c2", "Success. Updated the following files:\nM calc.py\n")
    for events_of_run in (
        events,
        [*events[:7], item({**events[7]["payload"], "name": "shell_command", "arguments": heredoc}), *events[8:]],
    ):
        [traj] = read(write(tmp_path / f"rollout-{len(events_of_run)}-{id(events_of_run)}.jsonl", events_of_run))
        edit = traj.steps[1].action
        assert (edit.type, edit.target) == (ActionType.EDIT, "calc.py")
        scores = EvidenceCheck().check_one(traj, CheckContext(), {}).scores
        assert scores["quality.evidence.tests_after_edit"] is True
        assert scores["quality.evidence.last_check_passed"] is True
