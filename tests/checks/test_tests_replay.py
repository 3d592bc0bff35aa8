"""`correctness.tests` on a log without a patch: the edits are replayed onto the base commit and verified
in the real sandbox; a replay it cannot do stays `unknown`, with the reason."""

from __future__ import annotations

from pathlib import Path

import orjson

from harness.sandbox_helpers import needs_bwrap
from harness.verify_helpers import make_repo, make_task
from trajsift.checks.base import CheckContext
from trajsift.checks.tests import TestsCheck
from trajsift.demo.writers import TEST_COMMAND, TEST_ENV
from trajsift.readers.read import read_trajectories
from trajsift.schema import Action, ActionType, FinalState, Observation, Step, TaskRef, Trajectory
from trajsift.tasks import Environment

ROOT = "/workspace/calc__calc__1.0"


def edit(old: str, new: str) -> Step:
    arguments = {"command": "str_replace", "path": f"{ROOT}/calc.py", "old_str": old, "new_str": new}
    action = Action(type=ActionType.EDIT, tool="str_replace_editor", arguments=arguments)
    return Step(action=action, observation=Observation(text="The file /workspace/calc.py has been edited."))


def bash(command: str) -> Step:
    action = Action(type=ActionType.EDIT, tool="execute_bash", arguments={"command": command})
    return Step(action=action, observation=Observation(text=""))


def log_without_patch(name: str, *steps: Step) -> Trajectory:
    final = FinalState(patch="", patch_source="unknown", exit_status="max_iterations")
    return Trajectory(id=name, task=TaskRef(task_id="calc-1"), steps=list(steps), final=final)


@needs_bwrap
def test_replayed_patches_are_verified_and_refusals_stay_unknown(tmp_path: Path) -> None:
    _, commit = make_repo(tmp_path)
    check = TestsCheck({"cache_dir": str(tmp_path / "cache")})
    environment = Environment(python="3.11", packages=["pytest"], env=TEST_ENV)  # as the demo's tasks
    task = make_task(commit, environment=environment, test_command=TEST_COMMAND)
    ctx = CheckContext(tasks={"calc-1": task}, task_dir=str(tmp_path))
    batch = [
        log_without_patch("fixed", bash(f"cd {ROOT} && python -m pytest"), edit("a - b", "a + b")),
        log_without_patch("wrong", edit("return a - b", "return a * b")),
        log_without_patch("sed", bash(f"sed -i 's/a - b/a + b/' {ROOT}/calc.py")),
    ]
    columns = [
        {k.removeprefix("correctness.tests."): v for k, v in out.scores.items()}
        for out in check.run(batch, ctx, [{}] * len(batch))
    ]
    assert [c["patch_source"] for c in columns] == ["replayed", "replayed", "unknown"]
    assert columns[0]["verdict"] == "correct", (columns[0]["reason"], columns[0]["evidence"])
    assert columns[0]["f2p_passed"] == 2
    assert columns[1]["verdict"] == "incorrect" and columns[1]["f2p_failed"] == 2
    assert columns[2]["verdict"] == "unknown" and columns[2]["reason"] == "no_patch"
    assert columns[2]["replay_reason"] == "shell_write:sed" and columns[0]["replay_reason"] == ""


def _session_files(folder: Path) -> list[str]:
    """A Claude Code session and a Codex rollout that fix `calc.py` through their own edit tools, no patch logged."""
    claude = [
        {
            "type": "user",
            "sessionId": "cc-1",
            "instance_id": "calc-1",
            "message": {"role": "user", "content": "Fix add."},
        },
        {
            "type": "assistant",
            "sessionId": "cc-1",
            "message": {
                "id": "m1",
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "t1",
                        "name": "Edit",
                        "input": {"file_path": f"{ROOT}/calc.py", "old_string": "a - b", "new_string": "a + b"},
                    }
                ],
            },
        },
        {
            "type": "user",
            "sessionId": "cc-1",
            "message": {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "The file has been updated."}],
            },
        },
        {
            "type": "assistant",
            "sessionId": "cc-1",
            "message": {
                "id": "m2",
                "role": "assistant",
                "stop_reason": "end_turn",
                "content": [{"type": "text", "text": "Fixed."}],
            },
        },
    ]
    body = "*** Begin Patch\n*** Update File: calc.py\n@@\n def add(a, b):\n-    return a - b\n+    return a + b\n"
    body += "*** End Patch"
    codex = [
        {"type": "session_meta", "payload": {"id": "cx-1", "cwd": ROOT, "instance_id": "calc-1"}},
        {
            "type": "response_item",
            "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Fix add."}]},
        },
        {
            "type": "response_item",
            "payload": {"type": "custom_tool_call", "name": "apply_patch", "input": body, "call_id": "c1"},
        },
        {
            "type": "response_item",
            "payload": {"type": "custom_tool_call_output", "call_id": "c1", "output": "Success."},
        },
        {
            "type": "response_item",
            "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Done."}]},
        },
    ]
    paths = []
    for name, events in (("calc-1-claude.jsonl", claude), ("calc-1-codex.jsonl", codex)):
        (folder / name).write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
        paths.append(str(folder / name))
    return paths


@needs_bwrap
def test_claude_code_and_codex_runs_are_replayed_and_verified(tmp_path: Path) -> None:
    _, commit = make_repo(tmp_path)
    check = TestsCheck({"cache_dir": str(tmp_path / "cache")})
    task = make_task(
        commit, environment=Environment(python="3.11", packages=["pytest"], env=TEST_ENV), test_command=TEST_COMMAND
    )
    batch = [t for t in read_trajectories(_session_files(tmp_path)) if isinstance(t, Trajectory)]
    assert [t.source.format for t in batch] == ["claude-code", "codex"]
    ctx = CheckContext(tasks={"calc-1": task}, task_dir=str(tmp_path))
    columns = [
        {k.removeprefix("correctness.tests."): v for k, v in out.scores.items()}
        for out in check.run(batch, ctx, [{}] * len(batch))
    ]
    assert [c["patch_source"] for c in columns] == ["replayed", "replayed"]
    assert [c["verdict"] for c in columns] == ["correct", "correct"], [(c["reason"], c["evidence"]) for c in columns]
