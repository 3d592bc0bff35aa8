"""`FinalState.patch_source` and faithful exit statuses for every reader, on records shaped like each real
format, and the field's round trip through JSON and Parquet."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from trajsift.arrow import from_row, to_table
from trajsift.checks._exit_status import run_end
from trajsift.readers.base import Origin
from trajsift.readers.chat import OpenAIChatReader
from trajsift.readers.mini_swe_agent import MiniSweAgentReader
from trajsift.readers.openhands_events import OpenHandsEventsReader
from trajsift.readers.read import read_trajectories
from trajsift.readers.swe_agent import SweAgentReader
from trajsift.schema import FinalState, Trajectory

ORIGIN = Origin(path="runs/demo__demo-7/demo__demo-7.traj")
PATCH = "diff --git a/pkg/core.py b/pkg/core.py\n--- a/pkg/core.py\n+++ b/pkg/core.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n"
DIFF_OUTPUT = PATCH + "\n(Open file: /repo/pkg/core.py)\n(Current directory: /repo)\nbash-$"


def parse(reader, record: dict) -> Trajectory:
    [trajectory] = reader.parse(record, ORIGIN)
    return trajectory


# --- SWE-agent .traj (0.x) -------------------------------------------------------------------------


def swe_traj(info: dict, last: tuple[str, str] = ("submit\n", "")) -> dict:
    entries = [("open pkg/core.py\n", "[File: /repo/pkg/core.py (1 lines total)]\n1:a = 1"), ("edit 1:1\na = 2\n", "")]
    entries.append(last)
    trajectory = [{"action": a, "observation": o, "response": a, "thought": "t", "state": "{}"} for a, o in entries]
    history = [{"role": "system", "content": "SETTING"}, {"role": "user", "content": "ISSUE:\nfix\nINSTRUCTIONS:\n"}]
    for action, observation in entries:
        history += [
            {"role": "assistant", "content": action, "action": action},
            {"role": "user", "content": observation},
        ]
    return {"environment": "swe_main", "trajectory": trajectory, "history": history, "info": info}


STATS = {"model_stats": {"instance_cost": 1.9, "api_calls": 3}}


@pytest.mark.parametrize(
    "info, patch, source, status",
    [
        ({"exit_status": "submitted", "submission": PATCH, **STATS}, PATCH, "recorded", "submitted"),
        ({"exit_status": "submitted (exit_cost)", "submission": PATCH, **STATS}, PATCH, "recorded", "cost_limit"),
        ({"exit_status": "submitted", "submission": None, **STATS}, "", "none", "submitted"),
        ({"exit_status": "exit_cost", **STATS}, "", "none", "cost_limit"),
        (dict(STATS), "", "unknown", "unknown"),  # crashed before writing its exit status
    ],
)
def test_swe_agent_patch_source_and_exit_status(info, patch, source, status):
    t = parse(SweAgentReader(), swe_traj(info))
    assert (t.final.patch, t.final.patch_source, run_end(t).status) == (patch, source, status)
    assert t.final.exit_status == (info.get("exit_status") or "")


def test_swe_agent_autosubmission_on_cost_limit_keeps_its_patch():
    t = parse(SweAgentReader(), swe_traj({"exit_status": "submitted (exit_cost)", "submission": PATCH, **STATS}))
    assert t.final.submitted and run_end(t).autosubmitted and t.final.patch == PATCH


def test_swe_agent_observed_diff_fills_in_only_where_the_scaffold_took_no_diff():
    diff_step = ("git diff\n", DIFF_OUTPUT)
    for info in (dict(STATS), {"exit_status": "exit_cost", **STATS}):
        t = parse(SweAgentReader(), swe_traj(info, last=diff_step))
        assert (t.final.patch, t.final.patch_source) == (PATCH, "observed_diff")
    submitted_empty = {"exit_status": "submitted", "submission": None, **STATS}
    t = parse(SweAgentReader(), swe_traj(submitted_empty, last=diff_step))
    assert (t.final.patch, t.final.patch_source) == ("", "none")


def test_mini_swe_agent_limit_without_submission_recovers_an_observed_diff():
    record = mini_traj({"exit_status": "LimitsExceeded", "submission": ""})
    record["messages"] += [
        {"role": "assistant", "content": "THOUGHT: check\n\n```bash\ngit diff\n```"},
        {"role": "user", "content": f"<returncode>0</returncode>\n<output>\n{PATCH}</output>"},
    ]
    t = parse(MiniSweAgentReader(), record)
    assert (t.final.patch, t.final.patch_source, run_end(t).status) == (PATCH, "observed_diff", "step_limit")


# --- mini-swe-agent ---------------------------------------------------------------------------------


def mini_traj(info: dict) -> dict:
    messages = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "<pr_description>\nfix\n</pr_description>"},
        {"role": "assistant", "content": "THOUGHT: fix\n\n```bash\nsed -i 's/1/2/' pkg/core.py\n```"},
        {"role": "user", "content": "<returncode>0</returncode>\n<output>\n</output>"},
    ]
    return {"trajectory_format": "mini-swe-agent-1", "info": {"mini_version": "1.15.0", **info}, "messages": messages}


@pytest.mark.parametrize(
    "info, patch, source, status",
    [
        ({"exit_status": "Submitted", "submission": PATCH}, PATCH, "recorded", "submitted"),
        ({"exit_status": "LimitsExceeded", "submission": PATCH}, PATCH, "recorded", "step_limit"),
        ({"exit_status": "LimitsExceeded", "submission": ""}, "", "none", "step_limit"),
        ({"exit_status": "Submitted"}, "", "unknown", "submitted"),
    ],
)
def test_mini_swe_agent_patch_source_and_exit_status(info, patch, source, status):
    t = parse(MiniSweAgentReader(), mini_traj(info))
    assert (t.final.patch, t.final.patch_source, run_end(t).status) == (patch, source, status)
    assert t.final.exit_status == info["exit_status"]


def test_mini_swe_agent_exception_message_is_an_error_not_a_patch():
    traceback = 'Traceback (most recent call last):\n  File "x.py", line 3\nValueError: bad literal'
    info = {"exit_status": "ValueError", "submission": "bad literal", "traceback": traceback}
    t = parse(MiniSweAgentReader(), mini_traj(info))
    assert (t.final.patch, t.final.patch_source, t.final.exit_status) == ("", "none", "ValueError")
    assert t.metadata["error"] == "bad literal" and t.metadata["traceback"] == traceback
    assert run_end(t).status == "error"
    limit = parse(MiniSweAgentReader(), mini_traj({"exit_status": "LimitsExceeded", "submission": "cost limit"}))
    assert limit.final.patch == "" and limit.metadata["exit_message"] == "cost limit"


# --- OpenHands event streams -------------------------------------------------------------------------


def events_row(**fields) -> dict:
    history = [
        {"id": 1, "source": "user", "action": "message", "args": {"content": "Fix it."}},
        {"id": 2, "source": "agent", "action": "run", "args": {"command": "git diff"}},
        {"id": 3, "source": "environment", "cause": 2, "observation": "run", "content": PATCH, "extras": {}},
        {"id": 4, "source": "agent", "action": "finish", "args": {"outputs": {}}},
        {"id": 5, "source": "environment", "observation": "agent_state_changed", "extras": {"agent_state": "finished"}},
    ]
    return {"instance_id": "demo__demo-7", "history": history, **fields}


@pytest.mark.parametrize(
    "fields, patch, source",
    [
        ({"test_result": {"git_patch": PATCH}}, PATCH, "recorded"),
        ({"test_result": {"git_patch": ""}}, "", "none"),  # the harness diffed the work tree: no change
        ({}, PATCH, "observed_diff"),  # a bare history: no recorded patch at all
    ],
)
def test_openhands_events_patch_source(fields, patch, source):
    t = parse(OpenHandsEventsReader(), events_row(**fields))
    assert (t.final.patch, t.final.patch_source, t.final.exit_status) == (patch, source, "finished")


def test_openhands_events_without_any_diff():
    row = events_row(test_result={"git_patch": ""}, error="RuntimeError: Agent reached maximum iteration")
    row["history"] = [event for event in row["history"] if event["id"] not in (2, 3)]
    t = parse(OpenHandsEventsReader(), row)
    assert (t.final.patch, t.final.patch_source) == ("", "none")
    assert run_end(t).status == "step_limit"
    bare = events_row()
    bare["history"] = bare["history"][:1] + bare["history"][3:]
    assert parse(OpenHandsEventsReader(), bare).final.patch_source == "unknown"


# --- chat formats ------------------------------------------------------------------------------------


def chat_record(**extra) -> dict:
    call = {"id": "c1", "type": "function", "function": {"name": "bash", "arguments": json.dumps({"command": "ls"})}}
    messages = [
        {"role": "user", "content": "Fix the bug in pkg/core.py"},
        {"role": "assistant", "content": "Look.", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "pkg"},
    ]
    return {"messages": messages, **extra}


@pytest.mark.parametrize(
    "extra, patch, source",
    [({"model_patch": PATCH}, PATCH, "recorded"), ({"patch": ""}, "", "none"), ({}, "", "unknown")],
)
def test_chat_patch_source(extra, patch, source):
    t = parse(OpenAIChatReader(), chat_record(**extra))
    assert (t.final.patch, t.final.patch_source) == (patch, source)


# --- round trips -------------------------------------------------------------------------------------


def test_patch_source_round_trips_through_parquet_and_json(tmp_path):
    observed = parse(SweAgentReader(), swe_traj(dict(STATS), last=("git diff\n", DIFF_OUTPUT)))
    plain = Trajectory(id="t-2", final=FinalState(exit_status="submitted"))  # made elsewhere: no source
    path = tmp_path / "out.parquet"
    pq.write_table(to_table([observed, plain]), path)
    rows = pq.read_table(path).column("trajectory").to_pylist()
    assert [from_row(row).final for row in rows] == [observed.final, plain.final]
    assert rows[0]["final"]["patch_source"] == "observed_diff"
    read_back = [item for item in read_trajectories([str(path)]) if isinstance(item, Trajectory)]
    assert [t.final.patch_source for t in read_back] == ["observed_diff", ""]
    assert "patch_source" not in plain.to_dict()["final"]  # omitted when empty
    assert Trajectory.from_dict(observed.to_dict()).final == observed.final
