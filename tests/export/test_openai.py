"""Export to OpenAI chat records, and the round trip back through the `openai` reader."""

from __future__ import annotations

import json

import orjson
import pytest

from trajsift.actions.classify import classify_command, classify_tool_call
from trajsift.export import to_openai
from trajsift.readers.base import Origin
from trajsift.readers.chat import AnthropicChatReader, OpenAIChatReader, ShareGPTReader
from trajsift.schema import Action, ActionType, FinalState, Observation, Outcome, Source, Step, TaskRef, Trajectory

ORIGIN = Origin(path="export.jsonl", locator="export.jsonl:1")


def structured_trajectory() -> Trajectory:
    steps = [
        Step(
            thought="Look first.",
            action=classify_tool_call("bash", {"command": "ls"}),
            observation=Observation(text="a.py"),
        ),
        Step(thought="I know the fix.", action=Action(type=ActionType.THINK), observation=Observation(text="ok")),
        Step(
            action=classify_tool_call("str_replace_editor", {"command": "create", "path": "b.py", "file_text": "x=1"}),
            observation=Observation(text="File created", is_error=True),
        ),
        Step(action=classify_tool_call("bash", {"_raw": "{broken"}), observation=Observation(text="")),
        Step(action=classify_tool_call("finish", {}), observation=Observation(text="")),
    ]
    return Trajectory(
        id="t-1",
        source=Source(format="openai", model="m-1"),
        task=TaskRef(task_id="owner__repo-3", instruction="Create b.py"),
        steps=steps,
        final=FinalState(patch="diff --git a/b.py b/b.py\n", submitted=True),
        outcome=Outcome(resolved=False, label_source="harness"),
        metadata={
            "system_prompt": "Be careful.",
            "final_answer": "All done.",
            "user_messages": [{"position": 2, "role": "user", "text": "Carry on."}],
            "tools": [{"name": "bash", "description": "shell", "input_schema": {"type": "object"}}],
        },
    )


def step_key(step: Step) -> tuple:
    action = step.action
    return action.type, action.tool, action.command, action.arguments, step.thought, step.observation.text


def test_message_layout():
    record = to_openai(structured_trajectory())
    roles = [message["role"] for message in record["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user", "user"] + [
        "assistant",
        "tool",
    ] * 3 + ["assistant"]
    first_call = record["messages"][2]["tool_calls"][0]
    assert record["messages"][2]["content"] == "Look first."
    assert first_call["function"] == {"name": "bash", "arguments": '{"command":"ls"}'}
    assert record["messages"][3] == {
        "role": "tool",
        "tool_call_id": first_call["id"],
        "name": "bash",
        "content": "a.py",
    }
    assert record["messages"][6] == {"role": "user", "content": "Carry on."}
    assert record["messages"][-1] == {"role": "assistant", "content": "All done."}
    assert record["id"] == "t-1" and record["task_id"] == "owner__repo-3" and record["resolved"] is False
    json.dumps(record)  # plain JSON all the way down


def test_tool_schemas_declared_and_generated():
    tools = {tool["function"]["name"]: tool["function"] for tool in to_openai(structured_trajectory())["tools"]}
    assert set(tools) == {"bash", "str_replace_editor", "finish"}
    assert tools["bash"]["description"] == "shell"  # converted from the Anthropic declaration
    properties = tools["str_replace_editor"]["parameters"]["properties"]
    assert properties == {"command": {"type": "string"}, "path": {"type": "string"}, "file_text": {"type": "string"}}


def test_round_trip_through_the_openai_reader():
    original = structured_trajectory()
    record = orjson.loads(orjson.dumps(to_openai(original)))
    [back] = OpenAIChatReader().parse(record, ORIGIN)
    assert [step_key(step) for step in back.steps] == [step_key(step) for step in original.steps]
    assert back.id == original.id and back.task.task_id == original.task.task_id
    assert back.task.instruction == original.task.instruction
    assert back.source.model == "m-1" and back.final.patch == original.final.patch
    assert back.outcome.resolved is False
    for key in ("system_prompt", "final_answer", "user_messages"):
        assert back.metadata[key] == original.metadata[key]


CHAT_RECORDS = [
    (
        OpenAIChatReader(),
        {
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "Fix it"}]},
                {
                    "role": "assistant",
                    "content": "Two at once.",
                    "tool_calls": [
                        {"id": "1", "type": "function", "function": {"name": "bash", "arguments": '{"command": "ls"}'}},
                        {"id": "2", "type": "function", "function": {"name": "bash", "arguments": "{bad"}},
                    ],
                },
                {"role": "tool", "tool_call_id": "2", "content": "err"},
                {"role": "assistant", "content": "Thinking."},
                {"role": "assistant", "content": "Done."},
            ]
        },
    ),
    (
        AnthropicChatReader(),
        {
            "messages": [
                {"role": "user", "content": "Fix it"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "Hmm."},
                        {"type": "tool_use", "id": "u1", "name": "view", "input": {"path": "a.py"}},
                    ],
                },
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "u1", "content": "x = 1"}]},
            ]
        },
    ),
    (
        ShareGPTReader(),
        {
            "conversations": [
                {"from": "human", "value": "Fix it"},
                {"from": "function_call", "value": '{"name": "grep", "arguments": {"pattern": "x"}}'},
                {"from": "observation", "value": "a.py:1"},
                {"from": "gpt", "value": "Found it."},
            ]
        },
    ),
]


@pytest.mark.parametrize(("reader", "record"), CHAT_RECORDS, ids=lambda value: getattr(value, "name", ""))
def test_round_trip_is_stable_for_every_chat_reader(reader, record):
    [first] = reader.parse(record, ORIGIN)
    [back] = OpenAIChatReader().parse(to_openai(first), ORIGIN)
    assert [step_key(s) for s in back.steps] == [step_key(s) for s in first.steps]
    assert back.task.instruction == first.task.instruction == "Fix it"
    assert back.metadata.get("final_answer") == first.metadata.get("final_answer")


def test_raw_commands_become_bash_calls_and_submit_a_call_without_arguments():
    steps = [
        Step(action=classify_command("open src/app.py"), observation=Observation(text="[file]")),
        Step(action=classify_command("submit")),
    ]
    record = to_openai(Trajectory(id="swe", steps=steps))
    calls = [m["tool_calls"][0]["function"] for m in record["messages"] if m.get("tool_calls")]
    assert calls == [
        {"name": "bash", "arguments": '{"command":"open src/app.py"}'},
        {"name": "submit", "arguments": "{}"},
    ]
    [back] = OpenAIChatReader().parse(record, ORIGIN)
    assert [s.action.command for s in back.steps][0] == "open src/app.py"
    assert back.steps[1].action.type is ActionType.SUBMIT


def test_a_named_tools_free_text_body_stays_that_tools_call():
    from trajsift.facts.edits import step_edit

    body = "# modification 1\n<file>pkg/a.py</file>\n<original>x = 1</original>\n<patched>x = 2</patched>"
    call = Action(type=ActionType.EDIT, tool="write_patch", command=body, arguments={"input": body}, target="pkg/a.py")
    write = Step(action=call)  # as the AutoCodeRover reader records it
    shell = Step(action=classify_command("cd /repo && python -m pytest -q"))
    record = to_openai(Trajectory(id="acr", steps=[write, shell]))
    calls = [m["tool_calls"][0]["function"] for m in record["messages"] if m.get("tool_calls")]
    assert [(c["name"], sorted(json.loads(c["arguments"]))) for c in calls] == [
        ("write_patch", ["input"]),
        ("bash", ["command"]),  # a shell command whose program differs from its first word stays a shell call
    ]
    [back] = OpenAIChatReader().parse(record, ORIGIN)
    assert back.steps[0].action.type is ActionType.EDIT
    edit = step_edit(back.steps[0])
    assert edit is not None and edit.files == ["pkg/a.py"] and edit.written == ["x = 2"]


@pytest.mark.parametrize("as_dict", [False, True])
def test_arguments_as_dict_option(as_dict):
    record = to_openai(structured_trajectory(), arguments_as_dict=as_dict)
    arguments = record["messages"][2]["tool_calls"][0]["function"]["arguments"]
    assert arguments == ({"command": "ls"} if as_dict else '{"command":"ls"}')
    [back] = OpenAIChatReader().parse(record, ORIGIN)
    assert back.steps[0].action.arguments == {"command": "ls"}
