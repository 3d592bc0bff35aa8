"""Generic chat readers (openai, anthropic, sharegpt) on hand-written records in the real shapes."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trajsift.errors import FormatError
from trajsift.facts.edits import step_edit
from trajsift.readers.base import Origin
from trajsift.readers.chat import AnthropicChatReader, OpenAIChatReader, ShareGPTReader
from trajsift.readers.read import ReadOptions, read_trajectories
from trajsift.readers.registry import READERS
from trajsift.schema import ActionType, Quarantined, Trajectory

ORIGIN = Origin(path="data/chat.jsonl", locator="data/chat.jsonl:3")


def bash_call(call_id: str, command: str) -> dict:
    arguments = json.dumps({"command": command})
    return {"id": call_id, "type": "function", "function": {"name": "bash", "arguments": arguments}}


def openai_record(**extra) -> dict:
    return {
        "messages": [
            {"role": "system", "content": "You are a coding agent."},
            {"role": "user", "content": "Fix the bug in calc.py"},
            {"role": "assistant", "content": "Let me look around.", "tool_calls": [bash_call("c1", "ls -la")]},
            {"role": "tool", "tool_call_id": "c1", "content": "calc.py\ntest_calc.py"},
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "Read both files."}],
                "tool_calls": [bash_call("c2", "cat calc.py"), bash_call("c3", "cat test_calc.py")],
            },
            {"role": "tool", "tool_call_id": "c3", "content": [{"type": "text", "text": "def test_add(): ..."}]},
            {"role": "tool", "tool_call_id": "c2", "content": "def add(a, b): return a - b"},
            {"role": "assistant", "content": "The sign is wrong; I will fix it."},
            {"role": "user", "content": "Go ahead."},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c4",
                        "type": "function",
                        "function": {
                            "name": "str_replace_editor",
                            "arguments": {
                                "command": "str_replace",
                                "path": "calc.py",
                                "old_str": "a - b",
                                "new_str": "a + b",
                            },
                        },
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c4", "content": "The file calc.py has been edited."},
            {"role": "assistant", "content": "Fixed: add now returns a + b."},
        ],
        "tools": [{"type": "function", "function": {"name": "bash", "parameters": {"type": "object"}}}],
        **extra,
    }


def parse_one(reader, record: dict) -> Trajectory:
    [trajectory] = reader.parse(record, ORIGIN)
    return trajectory


def test_openai_steps_thoughts_and_observations():
    trajectory = parse_one(OpenAIChatReader(), openai_record())
    commands = [step.action.command for step in trajectory.steps]
    assert commands[:3] == ["ls -la", "cat calc.py", "cat test_calc.py"]
    assert [step.index for step in trajectory.steps] == list(range(5))
    assert [step.action.type for step in trajectory.steps] == [
        ActionType.READ,
        ActionType.READ,
        ActionType.READ,
        ActionType.THINK,
        ActionType.EDIT,
    ]
    first, second, third, think, edit = trajectory.steps
    assert first.thought == "Let me look around."
    assert first.observation.text == "calc.py\ntest_calc.py"
    assert second.thought == "Read both files." and third.thought == ""
    # results arrive out of order: matched by tool_call_id, list content joined as text
    assert second.observation.text == "def add(a, b): return a - b"
    assert third.observation.text == "def test_add(): ..."
    assert think.thought == "The sign is wrong; I will fix it." and think.observation.text == "Go ahead."
    assert edit.action.tool == "str_replace_editor" and edit.action.target == "calc.py"
    assert edit.action.arguments["new_str"] == "a + b"


def test_openai_task_system_prompt_and_final_answer():
    trajectory = parse_one(OpenAIChatReader(), openai_record())
    assert trajectory.task.instruction == "Fix the bug in calc.py"
    assert trajectory.metadata["system_prompt"] == "You are a coding agent."
    assert trajectory.metadata["final_answer"] == "Fixed: add now returns a + b."
    assert trajectory.metadata["tools"][0]["function"]["name"] == "bash"
    assert trajectory.source.format == "openai" and trajectory.source.path == ORIGIN.locator


def test_openai_record_fields_are_mapped_and_the_rest_kept():
    record = openai_record(
        id="run-7",
        instance_id="owner__repo-12",
        model="gpt-x",
        resolved=True,
        model_patch="diff --git a/calc.py b/calc.py\n",
        metadata={"temperature": 0.2, "split": "train"},
        reward=1.0,
        annotator="alice",
    )
    trajectory = parse_one(OpenAIChatReader(), record)
    assert trajectory.id == "run-7"
    assert trajectory.task.task_id == "owner__repo-12"
    assert trajectory.source.model == "gpt-x" and trajectory.source.temperature == 0.2
    assert trajectory.outcome.resolved is True and trajectory.outcome.label_source == "record.resolved"
    assert trajectory.final.patch.startswith("diff --git") and trajectory.final.submitted
    assert trajectory.metadata["split"] == "train"
    assert trajectory.metadata["reward"] == 1.0 and trajectory.metadata["annotator"] == "alice"
    assert "messages" not in trajectory.metadata and "model_patch" not in trajectory.metadata


@pytest.mark.parametrize(
    ("extra", "expected"),
    [({"reward": 0}, False), ({"label": "resolved"}, True), ({"label": "FAILED"}, False), ({"reward": 0.5}, None)],
)
def test_outcome_from_reward_and_label(extra, expected):
    assert parse_one(OpenAIChatReader(), openai_record(**extra)).outcome.resolved is expected


def test_record_without_id_gets_a_stable_id():
    one = parse_one(OpenAIChatReader(), openai_record(task_id="owner__repo-1"))
    two = parse_one(OpenAIChatReader(), openai_record(task_id="owner__repo-1"))
    assert one.id == two.id and one.id.startswith("owner__repo-1/")


def test_missing_result_and_invalid_argument_json():
    record = {
        "messages": [
            {"role": "user", "content": "task"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": "a", "type": "function", "function": {"name": "bash", "arguments": '{"command": "ls'}},
                    {"id": "b", "type": "function", "function": {"name": "bash", "arguments": '{"command": "pwd"}'}},
                ],
            },
            {"role": "tool", "tool_call_id": "b", "content": "/repo"},
            {"role": "tool", "tool_call_id": "zzz", "content": "a result for no call"},
        ]
    }
    trajectory = parse_one(OpenAIChatReader(), record)
    broken, pwd = trajectory.steps
    assert broken.action.arguments == {"_raw": '{"command": "ls'}
    assert broken.observation.text == ""
    assert pwd.observation.text == "/repo"
    assert trajectory.metadata["orphan_tool_results"] == [
        {"tool_call_id": "zzz", "text": "a result for no call", "position": 2}
    ]
    assert "final_answer" not in trajectory.metadata


def test_results_without_ids_match_in_order():
    record = {
        "messages": [
            {"role": "user", "content": "task"},
            {"role": "assistant", "function_call": {"name": "bash", "arguments": '{"command": "ls"}'}},
            {"role": "function", "name": "bash", "content": "a.py"},
        ]
    }
    [step] = parse_one(OpenAIChatReader(), record).steps
    assert step.action.command == "ls" and step.observation.text == "a.py"


def test_no_tool_calls_at_all():
    record = {
        "messages": [
            {"role": "user", "content": "What does calc.add do?"},
            {"role": "assistant", "content": "Let me think about it."},
            {"role": "assistant", "content": "It adds two numbers."},
        ]
    }
    trajectory = parse_one(OpenAIChatReader(), record)
    [think] = trajectory.steps
    assert think.action.type is ActionType.THINK and think.thought == "Let me think about it."
    assert trajectory.metadata["final_answer"] == "It adds two numbers."


def test_user_message_after_a_tool_step_is_kept():
    record = {
        "messages": [
            {"role": "user", "content": "task"},
            {"role": "assistant", "content": "", "tool_calls": [bash_call("x", "ls")]},
            {"role": "tool", "tool_call_id": "x", "content": "a.py"},
            {"role": "user", "content": "Hurry up."},
            {"role": "assistant", "content": "", "tool_calls": [bash_call("y", "pytest")]},
        ]
    }
    trajectory = parse_one(OpenAIChatReader(), record)
    assert trajectory.metadata["user_messages"] == [{"position": 1, "role": "user", "text": "Hurry up."}]
    assert trajectory.steps[1].action.type is ActionType.RUN_TESTS


def test_bad_messages_raise_format_errors():
    with pytest.raises(FormatError):
        OpenAIChatReader().parse({"messages": []}, ORIGIN)
    with pytest.raises(FormatError):
        OpenAIChatReader().parse({"messages": [{"role": "user", "content": "x"}, "oops"]}, ORIGIN)
    with pytest.raises(FormatError):
        OpenAIChatReader().parse({"messages": [{"role": "assistant", "tool_calls": "ls"}]}, ORIGIN)


def anthropic_record() -> dict:
    return {
        "system": [{"type": "text", "text": "You are Claude, a coding agent."}],
        "messages": [
            {"role": "user", "content": "Make the tests pass."},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Start with the tests.", "signature": "sig"},
                    {"type": "text", "text": "Running the tests."},
                    {"type": "tool_use", "id": "toolu_1", "name": "bash", "input": {"command": "pytest -q"}},
                    {"type": "tool_use", "id": "toolu_2", "name": "bash", "input": {"command": "git status"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_2", "content": "clean"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [{"type": "text", "text": "1 failed"}],
                        "is_error": True,
                    },
                    {"type": "text", "text": "Keep going."},
                ],
            },
            {"role": "assistant", "content": [{"type": "text", "text": "Done."}]},
        ],
        "tools": [{"name": "bash", "description": "Run a command", "input_schema": {"type": "object"}}],
    }


def test_anthropic_blocks():
    trajectory = parse_one(AnthropicChatReader(), anthropic_record())
    tests, status = trajectory.steps
    assert tests.thought == "Start with the tests.\nRunning the tests."
    assert tests.action.type is ActionType.RUN_TESTS and tests.action.command == "pytest -q"
    assert tests.observation.text == "1 failed" and tests.observation.is_error
    assert status.observation.text == "clean" and not status.observation.is_error
    assert trajectory.metadata["system_prompt"] == "You are Claude, a coding agent."
    assert trajectory.metadata["user_messages"] == [{"position": 2, "role": "user", "text": "Keep going."}]
    assert trajectory.metadata["final_answer"] == "Done."
    assert trajectory.source.format == "anthropic"


def sharegpt_record() -> dict:
    return {
        "conversations": [
            {"from": "human", "value": "Find where parse_config is defined."},
            {
                "from": "function_call",
                "value": json.dumps({"name": "grep", "arguments": {"pattern": "def parse_config"}}),
            },
            {"from": "observation", "value": "src/config.py:12:def parse_config(path):"},
            {"from": "gpt", "value": "I will open it."},
            {
                "from": "function_call",
                "value": json.dumps({"name": "read_file", "arguments": {"path": "src/config.py"}}),
            },
            {"from": "observation", "value": "import yaml"},
            {"from": "function_call", "value": "not json at all"},
            {"from": "gpt", "value": "It is in src/config.py, line 12."},
        ],
        "system": "You can call tools.",
        "tools": json.dumps([{"name": "grep", "description": "search", "parameters": {"type": "object"}}]),
        "id": 42,
    }


def test_sharegpt_function_calls_and_observations():
    trajectory = parse_one(ShareGPTReader(), sharegpt_record())
    search, read, broken = trajectory.steps
    assert search.action.tool == "grep" and search.action.type is ActionType.SEARCH
    assert search.observation.text == "src/config.py:12:def parse_config(path):"
    assert read.thought == "I will open it." and read.action.target == "src/config.py"
    assert read.observation.text == "import yaml"
    assert broken.action.arguments == {"_raw": "not json at all"} and broken.observation.text == ""
    assert trajectory.id == "42"
    assert trajectory.metadata["system_prompt"] == "You can call tools."
    assert trajectory.metadata["tools"][0]["name"] == "grep"
    assert trajectory.metadata["final_answer"] == "It is in src/config.py, line 12."


def test_sharegpt_bash_blocks_answered_by_human_are_commands():
    record = {
        "conversations": [
            {"from": "human", "value": "How many files are in /etc?"},
            {"from": "gpt", "value": "Think: count them.\n\nAct: bash\n\n```bash\nls /etc | wc -l\n```"},
            {"from": "human", "value": "The output of the OS:\n214"},
            {"from": "gpt", "value": "Act: answer(214)"},
        ]
    }
    trajectory = parse_one(ShareGPTReader(), record)
    [step] = trajectory.steps
    assert step.action.command == "ls /etc | wc -l" and step.action.tool == "bash"
    assert step.observation.text == "The output of the OS:\n214"
    assert trajectory.metadata["final_answer"] == "Act: answer(214)"


SCAFFOLD_RECORDS = [
    {"trajectory_format": "mini-swe-agent-1", "messages": [{"role": "user", "content": "x"}], "info": {}},
    {"messages": [{"role": "user", "content": "x"}], "fncall_messages": [], "response": {}},
    {"messages": [{"role": "user", "content": "x"}], "response": {"choices": []}, "kwargs": {}},
    {"history": [{"role": "user", "content": "x"}], "trajectory": []},
]


@pytest.mark.parametrize("record", SCAFFOLD_RECORDS)
def test_scaffold_logs_are_not_claimed(record):
    assert not any(reader().sniff(record) for reader in (OpenAIChatReader, AnthropicChatReader, ShareGPTReader))


def test_sniffing_picks_the_right_reader():
    assert OpenAIChatReader().sniff(openai_record()) and not AnthropicChatReader().sniff(openai_record())
    assert AnthropicChatReader().sniff(anthropic_record()) and not OpenAIChatReader().sniff(anthropic_record())
    assert ShareGPTReader().sniff(sharegpt_record()) and not OpenAIChatReader().sniff(sharegpt_record())
    assert list(READERS)[-3:] == ["openai", "anthropic", "sharegpt"]


def test_read_trajectories_jsonl_mix(tmp_path):
    path = tmp_path / "mixed.jsonl"
    lines = [openai_record(id="o"), anthropic_record(), sharegpt_record(), {"messages": "nope"}]
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    items = list(read_trajectories([str(path)]))
    formats = [item.source.format for item in items if isinstance(item, Trajectory)]
    assert formats == ["openai", "anthropic", "sharegpt"]
    [bad] = [item for item in items if isinstance(item, Quarantined)]
    assert bad.reason == "unknown_format" and bad.origin.endswith(":4")
    forced = list(read_trajectories([str(path)], ReadOptions(format="openai")))
    assert [type(item).__name__ for item in forced] == ["Trajectory", "Trajectory", "Quarantined", "Quarantined"]


def test_a_file_holding_one_bare_list_of_messages_is_one_run(tmp_path):
    """Cline / Roo Code keep a task's chat as `api_conversation_history.json`: a JSON array of Anthropic messages."""
    history = anthropic_record()["messages"]
    path = tmp_path / "task-1" / "api_conversation_history.json"
    path.parent.mkdir()
    path.write_bytes(orjson.dumps(history))
    [traj] = list(read_trajectories([str(path)]))
    assert isinstance(traj, Trajectory) and traj.source.format == "anthropic"
    assert [s.action.type for s in traj.steps] == [
        s.action.type for s in AnthropicChatReader().parse({"messages": history}, ORIGIN)[0].steps
    ]
    records = tmp_path / "records.json"  # an array of chat records is still one run per element
    records.write_bytes(orjson.dumps([openai_record(id="a"), openai_record(id="b")]))
    assert [t.id for t in read_trajectories([str(records)])] == ["a", "b"]


def test_text_only_chats_act_through_their_fenced_shell_blocks():
    """mini-swe-agent style rows without a format marker: each reply's last bash block is its command."""
    record = {
        "messages": [
            {"role": "system", "content": "Reply with one bash block."},
            {"role": "user", "content": "Fix add() in calc.py"},
            {
                "role": "assistant",
                "content": "THOUGHT: look.\n\n```python\nprint(1)\n```\nthen\n```bash\ncat calc.py\n```",
            },
            {"role": "user", "content": "Observation: def add(a, b): return a - b"},
            {"role": "assistant", "content": "THOUGHT: the example is\n```python\nadd(1, 2)\n```"},
            {"role": "user", "content": "Please reply with exactly one bash block."},
            {"role": "assistant", "content": "```bash\nsed -i 's/a - b/a + b/' calc.py && python -m pytest -q\n```"},
            {"role": "user", "content": "Observation: 1 passed"},
        ]
    }
    (trajectory,) = OpenAIChatReader().parse(record, ORIGIN)
    first, second, third = trajectory.steps
    assert first.action.type is ActionType.READ and first.action.command == "cat calc.py"
    assert first.observation.text.startswith("Observation: def add")
    assert second.action.type is ActionType.THINK and second.observation.text.startswith("Please reply")
    assert third.action.command.startswith("sed -i") and third.observation.text == "Observation: 1 passed"
    assert record["messages"][3]["role"] == "user"  # the record itself is left as it was


def test_text_function_calls_are_calls_and_the_next_user_turn_their_result():
    """Prompt-based function calling in plain messages (R2E-Gym / OpenHands text format)."""
    view = "<function=file_editor>\n<parameter=command>view</parameter>\n<parameter=path>/testbed/calc.py</parameter>\n"
    record = {
        "messages": [
            {"role": "system", "content": "Call functions as <function=NAME>."},
            {"role": "user", "content": "Fix add() in calc.py"},
            {"role": "assistant", "content": f"Look at it first.\n{view}</function>"},
            {"role": "user", "content": "EXECUTION RESULT of [file_editor]:\n1\tdef add(a, b): return a - b"},
            {
                "role": "assistant",
                "content": "<function=execute_bash>\n<parameter=cmd>python -m pytest -q</parameter>\n",
            },
            {"role": "user", "content": "1 failed"},
            {"role": "assistant", "content": "I could not finish."},
        ]
    }
    (trajectory,) = OpenAIChatReader().parse(record, ORIGIN)
    viewed, tested = trajectory.steps
    assert viewed.action.type is ActionType.READ and viewed.action.target.endswith("calc.py")
    assert viewed.thought == "Look at it first." and viewed.observation.text == "1\tdef add(a, b): return a - b"
    assert tested.action.type is ActionType.RUN_TESTS and tested.observation.text == "1 failed"
    assert trajectory.metadata["final_answer"] == "I could not finish."


AIDER_TURN = """I'll fix the sign and add a test.

calc/ops.py
```python
<<<<<<< SEARCH
def add(a, b):
    return a - b
=======
def add(a, b):
    return a + b
>>>>>>> REPLACE
```

```python
### tests/test_ops.py
<<<<<<< SEARCH
=======
from calc.ops import add


def test_add():
    assert add(1, 2) == 3
>>>>>>> REPLACE
<<<<<<< SEARCH
    assert add(1, 2) == 3
=======
    assert add(1, 2) == 3
    assert add(-1, 1) == 0
>>>>>>> REPLACE
```

```bash
python -m pytest -q tests/test_ops.py
```"""


def test_search_replace_blocks_are_edits_of_the_file_named_before_them():
    """Aider's edit format (file name before the fence) and Agentless' (`### path` inside it), in a text-only chat:
    each block one edit; the turn's shell block runs after them and gets the next user turn as its result."""
    record = {
        "messages": [
            {"role": "user", "content": "add() in calc/ops.py subtracts"},
            {"role": "assistant", "content": "```bash\ncat calc/ops.py\n```"},
            {"role": "user", "content": "def add(a, b):\n    return a - b"},
            {"role": "assistant", "content": AIDER_TURN},
            {"role": "user", "content": "2 passed in 0.01s"},
        ]
    }
    (trajectory,) = OpenAIChatReader().parse(record, ORIGIN)
    read, fix, create, extend, test = trajectory.steps
    assert read.action.type is ActionType.READ and read.observation.text.startswith("def add")
    assert [s.action.type for s in (fix, create, extend)] == [ActionType.EDIT, ActionType.CREATE, ActionType.EDIT]
    assert [s.action.target for s in (fix, create, extend)] == ["calc/ops.py", "tests/test_ops.py", "tests/test_ops.py"]
    assert fix.action.arguments["old_str"] == "def add(a, b):\n    return a - b"
    assert fix.thought == f"I'll fix the sign and add a test.\n\ncalc/ops.py\n\n{AIDER_TURN.split(chr(10) * 2)[-1]}"
    assert not fix.observation.text and not create.observation.text
    edit = step_edit(fix)
    assert edit is not None and edit.files == ["calc/ops.py"] and "return a + b" in edit.written
    assert "return a - b" in edit.removed
    assert test.action.type is ActionType.RUN_TESTS and test.observation.text == "2 passed in 0.01s"


def test_a_search_replace_block_naming_no_file_stays_text():
    text = "Maybe:\n```\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```"
    record = {"messages": [{"role": "user", "content": "fix x"}, {"role": "assistant", "content": text}]}
    (trajectory,) = OpenAIChatReader().parse(record, ORIGIN)
    assert not trajectory.steps  # neither an edit nor a shell command
    assert trajectory.metadata["final_answer"] == text


LINES = ["<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE", "```python", "```", "pkg/a.py", "### pkg/b.py", "x = 1", ""]


@given(st.lists(st.sampled_from(LINES), max_size=40))
@settings(max_examples=300, deadline=None)
def test_search_replace_parsing_never_breaks_on_shuffled_markers(lines):
    """Any order of markers, fences and file names: edits name a file, complete blocks only, nothing raises."""
    from trajsift.readers._text_actions import edit_blocks, search_replace_calls

    text = "\n".join(lines)
    calls, rest = search_replace_calls(text)
    blocks = edit_blocks(text)
    assert len(calls) <= len(blocks) <= text.count(">>>>>>> REPLACE")
    for call in calls:
        arguments = call["function"]["arguments"]
        assert arguments["path"] in ("pkg/a.py", "pkg/b.py")
        assert "<<<<<<< SEARCH" not in arguments.get("old_str", "") + arguments.get("file_text", "")
    assert rest == text if not calls else len(rest) < len(text)
