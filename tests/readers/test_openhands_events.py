"""OpenHands event-stream reader: hand-written `output.jsonl` rows in the serialised event shape."""

from __future__ import annotations

import json

import pytest

from trajsift import reasons
from trajsift.errors import FormatError
from trajsift.readers.base import Origin
from trajsift.readers.openhands_events import OpenHandsEventsReader
from trajsift.readers.read import read_trajectories
from trajsift.schema import ActionType, Trajectory

READER = OpenHandsEventsReader()
ORIGIN = Origin(
    path="evaluation/outputs/swe_bench_lite/CodeActAgent/model_maxiter_30/output.jsonl", locator="output.jsonl:3"
)


def action(event_id: int, kind: str, args: dict, source: str = "agent", tool: str | None = None) -> dict:
    event = {
        "id": event_id,
        "timestamp": f"2024-12-04T10:00:{event_id:02d}",
        "source": source,
        "action": kind,
        "args": args,
    }
    if tool:
        event["tool_call_metadata"] = {
            "function_name": tool,
            "tool_call_id": f"call_{event_id}",
            "total_calls_in_response": 1,
        }
    return event


def observation(event_id: int, cause: int | None, kind: str, content: str, **extras) -> dict:
    event = {
        "id": event_id,
        "timestamp": f"2024-12-04T10:00:{event_id:02d}",
        "source": "environment",
        "observation": kind,
        "content": content,
        "extras": extras,
    }
    if cause is not None:
        event["cause"] = cause
    return event


def row(history: list, **fields) -> dict:
    base = {
        "instance_id": "demo__demo-7",
        "instruction": "Fix the frobnicator.",
        "history": history,
        "test_result": {"git_patch": "diff --git a/f.py b/f.py\n"},
        "metrics": {
            "accumulated_cost": 1.25,
            "costs": [{"cost": 0.5}, {"cost": 0.75}],
            "accumulated_token_usage": {"prompt_tokens": 900, "completion_tokens": 80},
        },
        "metadata": {"agent_class": "CodeActAgent", "llm_config": {"model": "anthropic/model-z", "temperature": 0.0}},
        "error": None,
    }
    return {**base, **fields}


def parse(record: dict) -> Trajectory:
    [trajectory] = READER.parse(record, ORIGIN)
    return trajectory


HISTORY = [
    action(0, "system", {"content": "You are OpenHands agent."}),
    action(1, "message", {"content": "Fix the frobnicator."}, source="user"),
    action(2, "recall", {"query": "Fix"}, source="user"),
    observation(3, 2, "recall", ""),
    action(4, "run", {"command": "grep -rn frob src", "thought": "Find it."}, tool="execute_bash"),
    action(6, "read", {"path": "/workspace/src/f.py", "thought": ""}, tool="str_replace_editor"),
    observation(5, 4, "run", "src/f.py:1:frob", command="grep -rn frob src", metadata={"exit_code": 0}),
    observation(7, 6, "read", "     1\tfrob = 1", path="/workspace/src/f.py"),
    action(
        8,
        "edit",
        {"path": "/workspace/src/f.py", "command": "str_replace", "old_str": "1", "new_str": "2", "thought": "Fix."},
        tool="str_replace_editor",
    ),
    observation(9, 8, "error", "ERROR:\nNo replacement was performed."),
    action(10, "run", {"command": "python -m pytest tests", "thought": ""}, tool="execute_bash"),
    observation(
        11,
        10,
        "run",
        "x\n[... Observation truncated due to length ...]\ny",
        command="python -m pytest tests",
        exit_code=1,
    ),
    action(12, "run", {"command": "sleep 600", "thought": ""}, tool="execute_bash"),
    observation(13, 12, "run", "still running", metadata={"exit_code": -1}),
    action(14, "think", {"thought": "Consider edge cases."}, tool="think"),
    action(15, "message", {"content": "I believe it is done.", "wait_for_response": True}),
    action(16, "finish", {"outputs": {}, "thought": "Done.", "final_thought": "Fixed."}, tool="finish"),
    observation(17, None, "agent_state_changed", "", agent_state="finished"),
]


def test_event_stream_row_maps_steps_and_run_fields():
    t = parse(row(HISTORY))
    assert [s.action.type for s in t.steps] == [
        ActionType.SEARCH,
        ActionType.READ,
        ActionType.EDIT,
        ActionType.RUN_TESTS,
        ActionType.RUN_COMMAND,
        ActionType.THINK,
        ActionType.THINK,
        ActionType.SUBMIT,
    ]
    grep, read, edit, tests, sleep, think, message, finish = t.steps
    assert grep.thought == "Find it." and grep.observation.text == "src/f.py:1:frob" and grep.observation.exit_code == 0
    assert read.observation.text.endswith("frob = 1") and read.action.target == "/workspace/src/f.py"
    assert (
        edit.observation.is_error
        and edit.action.tool == "str_replace_editor"
        and edit.action.arguments["new_str"] == "2"
    )
    assert tests.observation.exit_code == 1 and tests.observation.truncated and not tests.observation.is_error
    assert sleep.observation.exit_code is None and sleep.observation.is_error
    assert (
        think.thought == "Consider edge cases."
        and message.thought == "I believe it is done."
        and message.action.tool == "message"
    )
    assert finish.thought == "Done." and finish.timestamp == "2024-12-04T10:00:16"
    assert [s.index for s in t.steps] == list(range(8))
    assert t.final.submitted and t.final.exit_status == "finished" and t.final.patch.startswith("diff")
    assert t.task.task_id == "demo__demo-7" and t.task.instruction == "Fix the frobnicator."
    assert (
        t.usage.cost == 1.25 and t.usage.api_calls == 2 and t.usage.input_tokens == 900 and t.usage.output_tokens == 80
    )
    assert t.usage.started_at == "2024-12-04T10:00:00" and t.usage.finished_at == "2024-12-04T10:00:17"
    assert t.source.model == "anthropic/model-z" and t.source.scaffold == "openhands/CodeActAgent"


def test_old_pairs_format_links_observations_by_position():
    history = [
        [action(1, "message", {"content": "Fix it."}, source="user"), {}],
        [
            {"action": "run", "args": {"command": "ls", "thought": "look"}, "source": "agent", "id": 2},
            {"observation": "run", "content": "f.py", "extras": {"exit_code": 0}, "source": "environment"},
        ],
        [
            {"action": "finish", "args": {"outputs": {}, "thought": ""}, "source": "agent", "id": 3},
            {"observation": "null", "content": "", "extras": {}},
        ],
    ]
    t = parse({"instance_id": "demo__demo-7", "history": history, "test_result": {}})
    assert [s.action.type for s in t.steps] == [ActionType.READ, ActionType.SUBMIT]
    assert t.steps[0].observation.text == "f.py" and t.steps[0].observation.exit_code == 0
    assert t.task.instruction == "Fix it."  # no top-level instruction: the first user message


def test_uncaused_observation_attaches_to_the_preceding_action_and_missing_ones_stay_empty():
    history = [
        {"action": "run", "args": {"command": "cat a.py"}, "source": "agent"},
        {"observation": "run", "content": "A", "extras": {}},
        {"action": "run", "args": {"command": "cat b.py"}, "source": "agent", "id": 9},
    ]
    t = parse({"history": history})
    assert [s.observation.text for s in t.steps] == ["A", ""]


def test_bare_history_record_takes_task_id_from_path():
    t = READER.parse({"history": HISTORY}, Origin(path="trajs/demo__demo-7.json"))[0]
    assert t.task.task_id == "demo__demo-7" and len(t.steps) == 8


def test_empty_history_is_a_format_error_with_the_run_error():
    with pytest.raises(FormatError) as info:
        READER.parse(row([], error="Maximum retries (5) reached"), ORIGIN)
    assert info.value.reason == reasons.EMPTY_INPUT and "Maximum retries" in info.value.detail


def test_sniff_claims_only_event_streams():
    assert READER.sniff(row(HISTORY))
    assert READER.sniff({"history": [[{"action": "run", "args": {}}, {"observation": "run"}]]})
    swe_agent = {"history": [{"role": "assistant", "content": "x", "action": "ls", "agent": "main"}], "info": {}}
    assert not READER.sniff(swe_agent)
    assert not READER.sniff({"messages": [], "trajectory_format": "mini-swe-agent-1"})
    assert not READER.sniff({"messages": [], "response": {"choices": []}, "kwargs": {}})
    assert not READER.sniff({"history": "not a list"})


def test_read_pipeline_picks_this_reader_for_jsonl_rows(tmp_path):
    path = tmp_path / "output.jsonl"
    path.write_text(json.dumps(row(HISTORY)) + "\n" + json.dumps(row([], error="boom")) + "\n")
    first, second = list(read_trajectories([str(path)]))
    assert isinstance(first, Trajectory) and first.source.format == "openhands-events"
    assert second.reason == reasons.EMPTY_INPUT
