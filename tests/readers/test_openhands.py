"""OpenHands completion-log reader: hand-written records in the real completion-file shapes."""

from __future__ import annotations

import json

import pytest

from trajsift import reasons
from trajsift.errors import FormatError
from trajsift.readers.base import Origin
from trajsift.readers.openhands import OpenHandsCompletionReader, tool_observation
from trajsift.readers.read import read_trajectories
from trajsift.schema import ActionType, Trajectory

READER = OpenHandsCompletionReader()
ORIGIN = Origin(path="logs/llm/demo__demo-7/litellm_proxy__model-y-1733339462.430701.json")
TASK = (
    "<uploaded_files>\n/workspace/demo\n</uploaded_files>\n"
    "<issue_description>\nFix the frobnicator.\n</issue_description>"
)
BASH_FOOTER = "\n[Python Interpreter: /usr/bin/python]\nroot@host:/workspace # \n[Command finished with exit code {}]"


def blocks(text: str) -> list[dict]:
    return [{"type": "text", "text": text}]


def call(call_id: str, name: str, **arguments) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def result(call_id: str, name: str, text: str) -> dict:
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": blocks(text)}


def response(message: dict, model: str | None = None) -> dict:
    return {"id": "r1", "model": model, "choices": [{"index": 0, "finish_reason": "tool_calls", "message": message}]}


def native_record(*turns: dict, final: dict | None = None) -> dict:
    messages = [
        {"role": "system", "content": blocks("You are OpenHands agent.")},
        {"role": "user", "content": blocks(TASK)},
        *turns,
    ]
    final = final or {"role": "assistant", "content": "All done.", "tool_calls": [call("f", "finish")]}
    return {
        "messages": messages,
        "response": response(final),
        "args": [],
        "kwargs": {"tools": [{"type": "function", "function": {"name": "execute_bash"}}]},
        "timestamp": 1733339462.43,
        "cost": 0.07,
    }


def parse(record: dict, origin: Origin = ORIGIN) -> Trajectory:
    [trajectory] = READER.parse(record, origin)
    return trajectory


def test_native_tool_calls_with_block_content_and_final_response():
    t = parse(
        native_record(
            {
                "role": "assistant",
                "content": blocks("Let me look."),
                "tool_calls": [call("a", "execute_bash", command="ls /workspace")],
            },
            result("a", "execute_bash", "ls /workspace\r\nsetup.py" + BASH_FOOTER.format(0)),
            {
                "role": "assistant",
                "content": blocks("Edit it."),
                "tool_calls": [
                    call(
                        "b",
                        "str_replace_editor",
                        command="str_replace",
                        path="/workspace/f.py",
                        old_str="1",
                        new_str="2",
                    )
                ],
            },
            result("b", "str_replace_editor", "The file /workspace/f.py has been edited."),
        )
    )
    assert [s.action.type for s in t.steps] == [ActionType.READ, ActionType.EDIT, ActionType.SUBMIT]
    assert t.steps[0].thought == "Let me look." and t.steps[0].observation.exit_code == 0
    assert t.steps[1].action.target == "/workspace/f.py" and t.steps[1].action.arguments["new_str"] == "2"
    assert t.steps[2].action.tool == "finish" and t.steps[2].thought == "All done."
    assert t.final.submitted and t.usage.api_calls == 3
    assert t.task.task_id == "demo__demo-7" and t.task.instruction == "Fix the frobnicator."
    assert t.source.model == "litellm_proxy/model-y"  # response model is null: taken from the file name
    assert t.metadata["call_cost"] == 0.07 and t.metadata["tools"] == ["execute_bash"]
    assert t.usage.finished_at.startswith("2024-12-04")


def test_results_out_of_order_and_missing():
    t = parse(
        native_record(
            {
                "role": "assistant",
                "content": "two at once",
                "tool_calls": [
                    call("x", "execute_bash", command="cat a.py"),
                    call("y", "execute_bash", command="cat b.py"),
                    call("z", "execute_bash", command="cat c.py"),
                ],
            },
            result("y", "execute_bash", "B"),
            result("x", "execute_bash", "A"),
        )
    )
    assert [s.observation.text for s in t.steps[:3]] == ["A", "B", ""]
    assert [s.thought for s in t.steps[:3]] == ["two at once", "", ""]


def test_fncall_view_is_preferred():
    record = native_record()
    record["messages"] = [
        {"role": "user", "content": "prompt view"},
        {"role": "assistant", "content": "<function=think>\n<parameter=thought>x</parameter>\n</function>"},
    ]
    record["fncall_messages"] = [
        {"role": "user", "content": TASK},
        {
            "role": "assistant",
            "content": "run",
            "tool_calls": [call("t1", "execute_bash", command="python -m pytest -x")],
        },
        result("t1", "execute_bash", "1 passed\n[The command completed with exit code 0.]"),
    ]
    record["fncall_response"] = response(
        {"role": "assistant", "content": "done", "tool_calls": [call("t2", "finish")]}, model="m-z"
    )
    t = parse(record)
    assert [s.action.type for s in t.steps] == [ActionType.RUN_TESTS, ActionType.SUBMIT]
    assert t.metadata["view"] == "fncall_messages" and t.source.model == "m-z"


def test_prompt_based_text_calls_are_parsed():
    messages = [
        {"role": "system", "content": "tools..."},
        {
            "role": "user",
            "content": "Here's a running example\n--------------------- NEW TASK DESCRIPTION ---------------------\n"
            + TASK,
        },
        {
            "role": "assistant",
            "content": "Look first.\n<function=str_replace_editor>\n<parameter=command>view</parameter>\n"
            "<parameter=path>/workspace/f.py</parameter>\n<parameter=view_range>[1, 20]</parameter>\n</function>",
        },
        {"role": "user", "content": "EXECUTION RESULT of [str_replace_editor]:\n     1\tx = 1"},
        {
            "role": "assistant",
            "content": "Run it.\n<function=execute_bash>\n<parameter=command>\npython f.py\n</parameter>\n</function>",
        },
        {
            "role": "user",
            "content": "EXECUTION RESULT of [execute_bash]:\nboom\n[The command completed with exit code 1.]",
        },
    ]
    final = {"role": "assistant", "content": "Finished.\n<function=finish>\n"}  # stop word cut the closing tag
    t = parse({"messages": messages, "response": response(final), "args": [], "kwargs": {"stop": ["</function"]}})
    assert [s.action.type for s in t.steps] == [ActionType.READ, ActionType.RUN_COMMAND, ActionType.SUBMIT]
    assert t.steps[0].thought == "Look first." and t.steps[0].action.target == "/workspace/f.py"
    assert t.steps[0].observation.text == "     1\tx = 1"
    assert t.steps[0].action.arguments["view_range"] == [1, 20]  # typed as in the function-calling view
    assert t.steps[1].action.arguments == {"command": "python f.py"} and t.steps[1].observation.exit_code == 1
    assert t.task.instruction == "Fix the frobnicator."


def test_message_without_call_is_a_think_step_observed_by_the_user_reply():
    t = parse(
        native_record(
            {"role": "assistant", "content": blocks("I think it is fixed.")},
            {"role": "user", "content": blocks("Please continue working on the task.")},
        )
    )
    assert t.steps[0].action.type == ActionType.THINK and t.steps[0].action.tool == "message"
    assert t.steps[0].observation.text == "Please continue working on the task."


def test_tool_observation_flags():
    assert tool_observation("ERROR:\nNo replacement was performed.").is_error
    cut = tool_observation("a\n[... Observation truncated due to length ...]\nb" + BASH_FOOTER.format(2))
    assert cut.truncated and cut.exit_code == 2 and not cut.is_error
    assert tool_observation("plain").exit_code is None


def test_no_assistant_turn_is_a_format_error():
    record = {"messages": [{"role": "system", "content": "s"}], "response": {"choices": []}, "kwargs": {}}
    with pytest.raises(FormatError) as info:
        READER.parse(record, ORIGIN)
    assert info.value.reason == reasons.EMPTY_INPUT


def test_sniff_claims_only_completion_logs():
    assert READER.sniff(native_record())
    assert not READER.sniff({"messages": [], "trajectory_format": "mini-swe-agent-1", "info": {}})
    assert not READER.sniff({"messages": [{"role": "user", "content": "hi"}]})
    assert not READER.sniff({"history": [], "instance_id": "x"})
    assert not READER.sniff({"messages": [], "response": "text", "kwargs": {}})


def test_read_pipeline_picks_this_reader(tmp_path):
    folder = tmp_path / "demo__demo-7"
    folder.mkdir()
    (folder / "model-y-1733339462.43.json").write_text(json.dumps(native_record()))
    [item] = list(read_trajectories([str(tmp_path)]))
    assert isinstance(item, Trajectory) and item.source.format == "openhands-completions"
    assert item.task.task_id == "demo__demo-7"
