"""OpenHands V1 (software-agent SDK) evaluation rows, hand-written in the SDK's serialised event shapes."""

from __future__ import annotations

import json

import pytest

from trajsift.errors import FormatError
from trajsift.readers.base import Origin
from trajsift.readers.openhands_events import OpenHandsEventsReader
from trajsift.readers.openhands_sdk import OpenHandsSdkReader
from trajsift.schema import PATCH_RECORDED, ActionType

ORIGIN = Origin(path="eval/output.jsonl", locator="eval/output.jsonl:2")
DIFF = (
    "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-    return a - b\n+    return a + b\n"
)


def text(value: str) -> list[dict]:
    return [{"type": "text", "text": value}]


def action(call_id: str, tool: str, response: str, thought: str = "", **arguments: object) -> dict:
    return {
        "kind": "ActionEvent",
        "id": f"a-{call_id}",
        "timestamp": "2026-01-05T10:00:00",
        "source": "agent",
        "thought": text(thought) if thought else [],
        "action": {"kind": "TerminalAction" if tool == "terminal" else "FileEditorAction", **arguments},
        "tool_name": tool,
        "tool_call_id": call_id,
        "tool_call": {"id": call_id, "name": tool, "arguments": json.dumps(arguments), "origin": "completion"},
        "llm_response_id": response,
    }


def observation(call_id: str, tool: str, output: str, is_error: bool = False) -> dict:
    return {
        "kind": "ObservationEvent",
        "id": f"o-{call_id}",
        "timestamp": "2026-01-05T10:00:01",
        "source": "environment",
        "tool_name": tool,
        "tool_call_id": call_id,
        "observation": {"kind": "TerminalObservation", "content": text(output), "is_error": is_error},
        "action_id": f"a-{call_id}",
    }


def sdk_row(*tail: dict) -> dict:
    history = [
        {
            "kind": "SystemPromptEvent",
            "id": "s",
            "source": "agent",
            "system_prompt": text("You are OpenHands."),
            "tools": [],
        },
        {
            "kind": "MessageEvent",
            "id": "m",
            "source": "user",
            "llm_message": {"role": "user", "content": text("add() subtracts: fix calc.py")},
        },
        action("c1", "terminal", "r1", "Find it.", command="grep -rn 'def add' ."),
        observation("c1", "terminal", "./calc.py:1:def add(a, b):"),
        action("c2", "file_editor", "r2", "Read both.", command="view", path="/workspace/calc.py"),
        action("c3", "file_editor", "r2", command="view", path="/workspace/test_calc.py"),
        observation("c3", "file_editor", "def test_add(): assert add(1, 2) == 3"),
        observation("c2", "file_editor", "def add(a, b):\n    return a - b"),
        {
            "kind": "ConversationStateUpdateEvent",
            "id": "u1",
            "source": "environment",
            "key": "execution_status",
            "value": "running",
        },
        action(
            "c4",
            "file_editor",
            "r3",
            command="str_replace",
            path="/workspace/calc.py",
            old_str="a - b",
            new_str="a + b",
        ),
        observation("c4", "file_editor", "The file /workspace/calc.py has been edited."),
        action("c5", "terminal", "r4", command="python -m pytest -q"),
        {
            "kind": "AgentErrorEvent",
            "id": "e",
            "source": "agent",
            "tool_name": "terminal",
            "tool_call_id": "c5",
            "error": "command timed out",
        },
        *tail,
    ]
    return {
        "instance_id": "owner__repo-3",
        "history": history,
        "test_result": {"git_patch": DIFF, "report": {"resolved": True}},
        "metadata": {"llm_config": {"model": "litellm_proxy/claude-sonnet-4-5"}, "agent_class": "CodeActAgent"},
        "metrics": {
            "accumulated_cost": 0.42,
            "accumulated_token_usage": {"prompt_tokens": 9000, "completion_tokens": 700},
        },
        "error": None,
    }


FINISHED = (
    action("c6", "finish", "r5", message="Fixed add()."),
    observation("c6", "finish", "Fixed add()."),
    {
        "kind": "ConversationStateUpdateEvent",
        "id": "u2",
        "source": "environment",
        "key": "execution_status",
        "value": "finished",
    },
)


def test_events_become_steps_with_parallel_calls_paired_by_id() -> None:
    (traj,) = OpenHandsSdkReader().parse(sdk_row(*FINISHED), ORIGIN)
    kinds = [step.action.type for step in traj.steps]
    assert kinds[:4] == [ActionType.SEARCH, ActionType.READ, ActionType.READ, ActionType.EDIT]
    assert kinds[-1] is ActionType.SUBMIT
    view_calc, view_test = traj.steps[1], traj.steps[2]
    assert view_calc.action.target.endswith("calc.py") and "a - b" in view_calc.observation.text
    assert view_test.observation.text.startswith("def test_add") and view_calc.thought == "Read both."
    tests = traj.steps[4]
    assert tests.action.command == "python -m pytest -q" and tests.observation.is_error
    assert tests.observation.text == "command timed out"
    assert traj.source.format == "openhands-sdk" and traj.source.model.endswith("claude-sonnet-4-5")
    assert traj.source.scaffold == "openhands/CodeActAgent"
    assert traj.task.task_id == "owner__repo-3" and traj.task.instruction == "add() subtracts: fix calc.py"
    assert traj.final.exit_status == "finished" and traj.final.submitted
    assert traj.final.patch == DIFF and traj.final.patch_source == PATCH_RECORDED
    assert traj.outcome.resolved is True and traj.usage.cost == 0.42 and traj.usage.input_tokens == 9000
    assert traj.metadata["internal_events"] == {"ConversationStateUpdateEvent": 2}


def test_a_run_stopped_by_the_iteration_limit_says_so() -> None:
    limit = {"kind": "ConversationIterationLimitEvent", "id": "l", "source": "environment"}
    (traj,) = OpenHandsSdkReader().parse(sdk_row(limit), ORIGIN)
    assert traj.final.exit_status == "max_iterations_reached" and not traj.final.submitted
    row = sdk_row()
    row["error"] = "RuntimeError: sandbox died"
    row["history"] = [e for e in row["history"] if e["kind"] != "ConversationStateUpdateEvent"]
    (crashed,) = OpenHandsSdkReader().parse(row, ORIGIN)
    assert crashed.final.exit_status == "error" and crashed.metadata["error"].startswith("RuntimeError")


def test_each_openhands_reader_claims_only_its_own_events() -> None:
    v1, v0 = OpenHandsSdkReader(), OpenHandsEventsReader()
    row = sdk_row(*FINISHED)
    assert v1.sniff(row) and not v0.sniff(row)
    row_from_an_action = {"history": row["history"][2:]}
    assert v1.sniff(row_from_an_action) and not v0.sniff(row_from_an_action)
    v0_row = {"history": [{"id": 1, "source": "agent", "action": "run", "args": {"command": "ls"}}]}
    assert v0.sniff(v0_row) and not v1.sniff(v0_row)


def test_an_empty_history_is_rejected_with_the_row_error() -> None:
    with pytest.raises(FormatError) as caught:
        OpenHandsSdkReader().parse({"instance_id": "x", "history": [], "error": "agent crashed"}, ORIGIN)
    assert caught.value.reason == "empty_input" and "agent crashed" in str(caught.value)
