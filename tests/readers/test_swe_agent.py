"""SWE-agent `.traj` reader: 0.x single agent, CodeR multi-agent with demos, 1.x shape, edge cases."""

from __future__ import annotations

import gzip
import json

import orjson
import pytest

from trajsift.readers.base import Origin
from trajsift.readers.observed import observation_is_error, observation_is_truncated
from trajsift.readers.read import read_trajectories
from trajsift.readers.registry import READERS
from trajsift.readers.swe_agent import SweAgentReader
from trajsift.schema import ActionType, Quarantined, Trajectory

ISSUE = "We're currently solving the following issue within our repository. Here's the issue text:\nISSUE:\n"
STATE_NONE = '{"open_file": "n/a", "working_dir": "/repo"}\n'
STATE_OPEN = '{"open_file": "/repo/pkg/core.py", "working_dir": "/repo"}\n'


def entry(action: str, observation: str, thought: str = "thinking", state: str = STATE_NONE) -> dict:
    return {
        "action": action,
        "observation": observation,
        "response": f"{thought}\n```\n{action}```",
        "state": state,
        "thought": thought,
    }


def turn(role: str, content: str, agent: str = "primary", **extra: object) -> dict:
    return {"role": role, "content": content, "agent": agent, **extra}


def single_agent_traj() -> dict:
    steps = [
        entry("open pkg/core.py\n", "[File: /repo/pkg/core.py (120 lines total)]\n1:import os\n"),
        entry(
            "edit 3:3\n    return 1\nend_of_edit\n",
            "[File: /repo/pkg/core.py (120 lines total)]\n3:    return 1\n",
            state=STATE_OPEN,
        ),
        entry(
            "python reproduce.py\n",
            'Traceback (most recent call last):\n  File "reproduce.py", line 1\nValueError: bad\n',
        ),
        entry("submit\n", "diff --git a/pkg/core.py b/pkg/core.py\n"),
    ]
    history = [turn("system", "SETTING: you are an autonomous programmer")]
    history.append(
        turn("user", ISSUE + "Core returns 0 instead of 1\n\nINSTRUCTIONS:\nNow, you're going to solve this issue")
    )
    for step in steps:
        history.append(turn("assistant", step["response"], thought=step["thought"], action=step["action"]))
        history.append(turn("user", step["observation"] + "\n(Open file: n/a)\nbash-$"))
    info = {
        "exit_status": "submitted",
        "submission": "diff --git a/pkg/core.py b/pkg/core.py\n",
        "model_stats": {
            "total_cost": 9.5,
            "instance_cost": 0.42,
            "tokens_sent": 1200,
            "tokens_received": 80,
            "api_calls": 4,
        },
    }
    return {"environment": "swe_main", "trajectory": steps, "history": history, "info": info}


def parse(record: dict, path: str = "runs/cost_2_1/owner__repo-123.traj") -> Trajectory:
    reader = SweAgentReader()
    assert reader.sniff(record)
    [trajectory] = reader.parse(record, Origin(path=path))
    return trajectory


def test_single_agent_0x() -> None:
    t = parse(single_agent_traj())
    assert t.task.task_id == "owner__repo-123"
    assert t.task.instruction == "Core returns 0 instead of 1"
    assert t.source.format == "swe-agent" and t.source.scaffold == "swe-agent" and t.source.run == "cost_2_1"
    assert [s.action.type for s in t.steps] == [
        ActionType.READ,
        ActionType.EDIT,
        ActionType.RUN_COMMAND,
        ActionType.SUBMIT,
    ]
    assert [s.index for s in t.steps] == [0, 1, 2, 3]
    assert all(s.agent == "" for s in t.steps)  # a single agent is not a sub-agent
    assert t.steps[0].thought == "thinking"
    assert t.steps[1].action.target == "/repo/pkg/core.py"  # from the editor state
    assert t.steps[1].action.command.startswith("edit 3:3")
    assert t.steps[2].observation.is_error and not t.steps[0].observation.is_error
    assert t.steps[2].observation.exit_code is None
    assert t.final.submitted and t.final.exit_status == "submitted" and t.final.patch.startswith("diff --git")
    assert (t.usage.input_tokens, t.usage.output_tokens, t.usage.cost, t.usage.api_calls) == (1200, 80, 0.42, 4)
    assert t.metadata["environment"] == "swe_main"


def coder_traj() -> dict:
    """CodeR: a Manager plans, a Programmer (with a demonstration) edits, the Manager submits."""
    plan = 'plan\n{"entry": "Programmer"}\nend_of_plan\n'
    steps = [
        entry(plan, "The manager has planned a Programmer-only run."),
        entry("open pkg/core.py\n", "[File: /repo/pkg/core.py (120 lines total)]"),
        entry("edit 3:3\n    return 1\nend_of_edit\n", "[File: /repo/pkg/core.py (120 lines total)]", state=STATE_OPEN),
        entry("submit\n", "diff --git a/pkg/core.py b/pkg/core.py\n"),
    ]
    issue = ISSUE + "Core returns 0\nINSTRUCTION:\nPick a plan"
    history = [
        turn("system", "SETTING: You are a Manager", "Manager"),
        turn("user", issue, "Manager"),
        turn("assistant", "DISCUSSION\nuse plan two", "Manager", thought="use plan two", action=plan),
        turn("user", steps[0]["observation"], "Manager"),
        turn("system", "You are an autonomous programmer", "Programmer"),
        turn("user", "Here is a demonstration of how to correctly accomplish this task.", "Programmer", is_demo=True),
        turn("assistant", "demo thought\n```\nls\n```", "Programmer", is_demo=True, action="ls\n"),
        turn("user", issue, "Programmer"),
        turn("assistant", "look", "Programmer", thought="look", action="open pkg/core.py\n"),
        turn("user", steps[1]["observation"], "Programmer"),
        turn("assistant", "fix", "Programmer", thought="fix", action=steps[2]["action"]),
        turn("user", steps[2]["observation"], "Programmer"),
        turn("assistant", "done", "Manager", thought="done", action="submit\n"),
        turn("user", steps[3]["observation"], "Manager"),
    ]
    info = {
        "exit_status": "submitted",
        "submission": "diff --git a/pkg/core.py b/pkg/core.py\n",
        "model_stats": {"instance_cost": 1.5, "tokens_sent": 10, "tokens_received": 2, "api_calls": 4},
    }
    return {"environment": "swe_main", "trajectory": steps, "history": history, "info": info}


def test_coder_multi_agent_aligns_agents_and_skips_demos() -> None:
    t = parse(coder_traj(), path="coder/trajs/owner__repo-7.traj.gz")
    assert t.source.scaffold == "coder" and t.source.run == ""  # `trajs` is not a run name
    assert [s.agent for s in t.steps] == ["Manager", "Programmer", "Programmer", "Manager"]
    assert len(t.steps) == 4  # the demonstration turn is not a step
    assert t.task.instruction == "Core returns 0"
    assert t.metadata["agents"] == ["Manager", "Programmer"]
    assert "agent_alignment" not in t.metadata


def test_coder_mismatch_aligns_by_action_text() -> None:
    record = coder_traj()
    del record["history"][8:10]  # the Programmer's `open` turn is missing from the history
    t = parse(record)
    assert [s.agent for s in t.steps] == ["Manager", "", "Programmer", "Manager"]
    assert "by_action" in t.metadata["agent_alignment"]


def test_history_only_fallback_pairs_turns() -> None:
    record = coder_traj()
    record["trajectory"] = []
    t = parse(record)
    assert [s.action.command.strip() for s in t.steps][1:] == [
        "open pkg/core.py",
        "edit 3:3\n    return 1\nend_of_edit",
        "submit",
    ]
    assert t.steps[1].observation.text.startswith("[File: /repo/pkg/core.py")
    assert t.steps[1].agent == "Programmer"


def v1_traj() -> dict:
    """SWE-agent 1.x: dict state, typed content blocks, tool calls, replay_config with the model."""
    call = {
        "id": "call_1",
        "type": "function",
        "function": {
            "name": "str_replace_editor",
            "arguments": json.dumps({"command": "view", "path": "/testbed/a.py"}),
        },
    }
    steps = [
        {
            "action": "str_replace_editor view /testbed/a.py",
            "observation": "Here's the result of running `cat -n`",
            "response": "",
            "thought": "Let me look",
            "execution_time": 0.2,
            "state": {"open_file": "/testbed/a.py", "working_dir": "/testbed"},
            "query": [],
            "extra_info": {},
        },
        {
            "action": "submit",
            "observation": "diff --git a/a.py b/a.py",
            "response": "",
            "thought": "Done",
            "execution_time": 0.1,
            "state": {},
            "query": [],
            "extra_info": {},
        },
    ]
    history = [
        {"role": "system", "content": "You are a helpful assistant", "agent": "main", "message_type": "system_prompt"},
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": "<uploaded_files>/testbed</uploaded_files>\n"
                    "<pr_description>\nFix a.py\n</pr_description>\nCan you help?",
                }
            ],
            "agent": "main",
            "message_type": "observation",
        },
        {
            "role": "assistant",
            "content": "Let me look",
            "thought": "Let me look",
            "action": steps[0]["action"],
            "agent": "main",
            "tool_calls": [call],
            "message_type": "action",
        },
        {
            "role": "tool",
            "content": [{"type": "text", "text": "OBSERVATION:\n..."}],
            "agent": "main",
            "tool_call_ids": ["call_1"],
            "message_type": "observation",
        },
        {
            "role": "assistant",
            "content": "Done",
            "thought": "Done",
            "action": "submit",
            "agent": "main",
            "tool_calls": [{"id": "call_2", "type": "function", "function": {"name": "submit", "arguments": "{}"}}],
            "message_type": "action",
        },
    ]
    info = {
        "swe_agent_version": "1.0.1",
        "submission": "diff --git a/a.py b/a.py",
        "exit_status": "submitted",
        "model_stats": {"instance_cost": 0.1, "tokens_sent": 50, "tokens_received": 5, "api_calls": 2},
    }
    config = json.dumps({"agent": {"model": {"name": "claude-sonnet-4", "temperature": 0.0}}})
    return {"trajectory": steps, "history": history, "info": info, "replay_config": config, "environment": "main"}


def test_v1_shape() -> None:
    t = parse(v1_traj(), path="out/sweagent-run/sympy__sympy-20590/sympy__sympy-20590.traj")
    assert t.task.task_id == "sympy__sympy-20590" and t.task.instruction == "Fix a.py"
    assert t.source.model == "claude-sonnet-4" and t.source.temperature == 0.0
    assert t.source.run == ""  # the parent folder is the task id
    assert t.steps[0].action.type == ActionType.READ
    assert t.steps[0].action.tool == "str_replace_editor" and t.steps[0].action.arguments["path"] == "/testbed/a.py"
    assert t.steps[0].action.command == "str_replace_editor view /testbed/a.py"
    assert t.steps[1].action.type == ActionType.SUBMIT
    assert t.metadata["swe_agent_version"] == "1.0.1"
    assert t.usage.cost == 0.1


def test_missing_info() -> None:
    record = single_agent_traj()
    del record["info"]
    t = parse(record)
    assert t.final.patch == "" and not t.final.submitted and t.final.exit_status == ""
    assert t.usage.cost is None and t.usage.api_calls is None
    assert len(t.steps) == 4


def test_null_submission_and_exit_cost() -> None:
    record = single_agent_traj()
    record["info"].update(submission=None, exit_status="exit_cost")
    t = parse(record)
    assert t.final.patch == "" and not t.final.submitted and t.final.exit_status == "exit_cost"
    record["info"].update(submission="diff --git a/x b/x\n", exit_status="submitted (exit_cost)")
    t = parse(record)
    assert t.final.submitted and t.final.exit_status == "submitted (exit_cost)"


def test_truncated_observation() -> None:
    record = single_agent_traj()
    record["trajectory"][0]["observation"] = (
        'More than 100 files matched for "foo" in /repo. Please narrow your search.\n'
    )
    record["trajectory"][1]["observation"] = (
        "x" * 50_000 + "\n<response clipped><NOTE>To save on context only part of this file has been shown"
    )
    t = parse(record)
    assert t.steps[0].observation.truncated and t.steps[1].observation.truncated
    assert not t.steps[2].observation.truncated


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Traceback (most recent call last):\n  File x\nKeyError: 'a'", True),
        ("bash: foo: command not found", True),
        ("ls: cannot access 'x': No such file or directory", True),
        ("Your proposed edit has introduced new syntax error(s). Please read this error message carefully", True),
        ("File missing.py not found", True),
        ("[File: /repo/a.py (3 lines total)]\n1:raise ValueError('Error: bad')\n", False),
        ("Script completed successfully, no errors.", False),
        ("", False),
    ],
)
def test_error_heuristic(text: str, expected: bool) -> None:
    assert observation_is_error(text) is expected


def test_truncation_heuristic_ignores_code_mentioning_truncate() -> None:
    assert not observation_is_truncated("def truncate_name(name):\n    return name[:10]")


def test_sniff_rejects_other_formats() -> None:
    reader = SweAgentReader()
    assert not reader.sniff({"messages": [{"role": "user", "content": "hi"}], "info": {}})  # mini-swe-agent
    assert not reader.sniff({"history": [{"source": "agent", "action": "run"}], "instance_id": "x"})  # OpenHands
    assert reader.sniff({"trajectory": [], "history": [], "info": {"exit_status": "early_exit"}})


def test_empty_trajectory_is_kept_with_no_steps() -> None:
    t = parse({"trajectory": [], "history": [], "info": {"exit_status": "early_exit", "submission": None}})
    assert t.steps == [] and t.final.exit_status == "early_exit"


def test_bad_entries_are_quarantined_by_the_read_layer(tmp_path) -> None:
    good = tmp_path / "owner__repo-1.traj.gz"
    good.write_bytes(gzip.compress(orjson.dumps(single_agent_traj())))
    bad = tmp_path / "owner__repo-2.traj"
    bad.write_bytes(orjson.dumps({"trajectory": ["not a step"], "history": [], "info": {"exit_status": "x"}}))
    items = list(read_trajectories([str(tmp_path)]))
    trajectories = [i for i in items if isinstance(i, Trajectory)]
    quarantined = [i for i in items if isinstance(i, Quarantined)]
    assert [t.task.task_id for t in trajectories] == ["owner__repo-1"]
    assert len(quarantined) == 1 and quarantined[0].origin.endswith("owner__repo-2.traj")
    assert quarantined[0].reason == "wrong_schema"


def test_registered_right_after_native() -> None:
    assert list(READERS)[:2] == ["trajsift", "swe-agent"]
