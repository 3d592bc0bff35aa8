"""Run rows whose `trajectory` is a list of chat turns, in the shapes public SWE data sets publish them."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trajsift.errors import FormatError
from trajsift.readers.base import Origin
from trajsift.readers.chat_rows import ChatRowsReader
from trajsift.readers.read import read_trajectories
from trajsift.readers.swe_agent import SweAgentReader
from trajsift.schema import PATCH_RECORDED, ActionType, Quarantined, Trajectory

ORIGIN = Origin(path="data/train-00000-of-00012.parquet", locator="data/train-00000-of-00012.parquet:7")
PATCH = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"


def swe_agent_row(**extra: object) -> dict:
    """SWE-agent 0.x turns as `role` + `text` (the system turn also carries `system_prompt`)."""
    turns = [
        ("system", "SETTING: you are an autonomous programmer in a special shell."),
        ("user", "ISSUE: x should be 2, not 1."),
        ("ai", "Let me open the file.\n```\nopen a.py\n```"),
        ("user", "[File: /repo/a.py (1 lines total)]\n1:x = 1\n(Open file: /repo/a.py)\nbash-$"),
        ("ai", "Change the value.\n```\nedit 1:1\nx = 2\nend_of_edit\n```"),
        ("user", "[File: /repo/a.py (1 lines total)]\n1:x = 2\nFile updated.\nbash-$"),
        ("ai", "Run the check.\n```\npython -c 'import a; print(a.x)'\n```"),
        ("user", "2\nbash-$"),
        ("ai", "Done.\n```\nsubmit\n```"),
        ("user", PATCH),
    ]
    trajectory = [
        {"cutoff_date": "01.01.2023", "mask": role != "ai", "role": role, "system_prompt": "", "text": text}
        for role, text in turns
    ]
    return {
        "instance_id": "owner__repo-5",
        "model_name": "swe-agent-llama-70b",
        "target": True,
        "trajectory": trajectory,
        "exit_status": "submitted",
        "generated_patch": PATCH,
        "eval_logs": "Will execute following command for apply_patch: ...",
        **extra,
    }


def openhands_row() -> dict:
    """OpenHands messages as published rows: function arguments as JSON text, tool results named and paired."""

    def call(call_id: str, name: str, **arguments: object) -> dict:
        return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}

    trajectory = [
        {"role": "system", "content": "You are OpenHands agent."},
        {"role": "user", "content": "<uploaded_files>/workspace/repo</uploaded_files> Fix x."},
        {"role": "assistant", "content": "Look first.", "tool_calls": [call("t1", "execute_bash", command="cat a.py")]},
        {"role": "tool", "content": "x = 1", "name": "execute_bash", "tool_call_id": "t1"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                call(
                    "t2",
                    "str_replace_editor",
                    command="str_replace",
                    path="/workspace/repo/a.py",
                    old_str="x = 1",
                    new_str="x = 2",
                )
            ],
        },
        {
            "role": "tool",
            "content": "The file a.py has been edited.",
            "name": "str_replace_editor",
            "tool_call_id": "t2",
        },
        {"role": "assistant", "content": "", "tool_calls": [call("t3", "finish", message="Fixed.")]},
        {"role": "tool", "content": "", "name": "finish", "tool_call_id": "t3"},
    ]
    return {
        "instance_id": "owner__repo-9",
        "repo": "owner/repo",
        "trajectory_id": "owner__repo-9.run3",
        "trajectory": trajectory,
        "model_patch": PATCH,
        "dataset": "swe-gym",
    }


def test_swe_agent_turns_act_through_their_last_fenced_block() -> None:
    (traj,) = ChatRowsReader().parse(swe_agent_row(), ORIGIN)
    assert [step.action.type for step in traj.steps] == [
        ActionType.READ,
        ActionType.EDIT,
        ActionType.RUN_COMMAND,
        ActionType.SUBMIT,
    ]
    opened, edited = traj.steps[0], traj.steps[1]
    assert opened.action.target == "a.py" and "1:x = 1" in opened.observation.text
    assert edited.action.command.startswith("edit 1:1") and "File updated." in edited.observation.text
    assert edited.action.target == "/repo/a.py"  # the file the previous observation showed open
    assert edited.thought.startswith("Change the value.")
    assert traj.source.format == "chat-rows" and traj.source.model == "swe-agent-llama-70b"
    assert traj.task.task_id == "owner__repo-5" and traj.task.instruction == "ISSUE: x should be 2, not 1."
    assert traj.final.patch == PATCH and traj.final.patch_source == PATCH_RECORDED
    assert traj.final.exit_status == "submitted" and traj.outcome.resolved is True
    assert traj.metadata["eval_logs"].startswith("Will execute") and "trajectory" not in traj.metadata
    (unresolved,) = ChatRowsReader().parse(swe_agent_row(target=False), ORIGIN)
    assert unresolved.outcome.resolved is False


def test_openhands_rows_pair_json_text_calls_with_their_results() -> None:
    (traj,) = ChatRowsReader().parse(openhands_row(), ORIGIN)
    kinds = [step.action.type for step in traj.steps]
    assert kinds[:2] == [ActionType.READ, ActionType.EDIT] and kinds[-1] is ActionType.SUBMIT
    assert traj.steps[0].observation.text == "x = 1"
    assert traj.steps[1].action.arguments["new_str"] == "x = 2" and traj.steps[1].action.target.endswith("a.py")
    assert traj.id == "owner__repo-9.run3" and traj.task.repo == "owner/repo"
    assert traj.final.patch == PATCH and traj.outcome.resolved is None
    assert traj.metadata["dataset"] == "swe-gym"


def test_claims_chat_turn_rows_only() -> None:
    reader = ChatRowsReader()
    assert reader.sniff(swe_agent_row()) and reader.sniff(openhands_row())
    swe_agent_traj = {"trajectory": [{"action": "ls", "observation": "a.py", "response": "ls"}], "info": {}}
    assert not reader.sniff(swe_agent_traj) and SweAgentReader().sniff(swe_agent_traj)
    assert not reader.sniff({"messages": [{"role": "user", "content": "hi"}]})
    assert not reader.sniff({"trajectory": []})


@pytest.mark.parametrize(("trajectory", "reason"), [([], "empty_input"), ([{"role": "user"}, "text"], "wrong_schema")])
def test_malformed_rows_raise_with_a_reason(trajectory: list, reason: str) -> None:
    with pytest.raises(FormatError) as caught:
        ChatRowsReader().parse({"trajectory": trajectory}, ORIGIN)
    assert caught.value.reason == reason


def test_a_parquet_shard_of_rows_is_read_row_by_row(tmp_path: Path) -> None:
    rows = [swe_agent_row(instance_id=f"owner__repo-{i}", target=i % 2 == 0) for i in range(3)]
    rows.append(
        {
            "instance_id": "owner__repo-x",
            "trajectory": [
                {"cutoff_date": "x", "mask": True, "role": "user", "system_prompt": "", "text": "no turns of the agent"}
            ],
        }
    )
    path = tmp_path / "train-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    items = list(read_trajectories([str(path)]))
    read = [item for item in items if isinstance(item, Trajectory)]
    assert [(t.task.task_id, t.outcome.resolved, len(t.steps)) for t in read] == [
        ("owner__repo-0", True, 4),
        ("owner__repo-1", False, 4),
        ("owner__repo-2", True, 4),
        ("owner__repo-x", None, 0),
    ]
    assert not [item for item in items if isinstance(item, Quarantined)]
