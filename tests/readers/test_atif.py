"""ATIF reader (Harbor's `trajectory.json`) on hand-written records in the shapes the RFC gives."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from trajsift.errors import FormatError
from trajsift.readers.atif import AtifReader
from trajsift.readers.base import Origin
from trajsift.readers.native import NativeReader
from trajsift.readers.read import read_trajectories
from trajsift.schema import PATCH_OBSERVED_DIFF, PATCH_RECORDED, PATCH_UNKNOWN, ActionType, Quarantined, Trajectory

ORIGIN = Origin(path="jobs/j1/owner__repo-7__abc/agent/trajectory.json")
DIFF = (
    "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n"
    " def add(a, b):\n-    return a - b\n+    return a + b\n"
)


def call(call_id: str, name: str, **arguments: object) -> dict:
    return {"tool_call_id": call_id, "function_name": name, "arguments": arguments}


def agent(step_id: int, message: str, *calls: dict, results: list[tuple[str, str]] = (), **extra: object) -> dict:
    step = {"step_id": step_id, "source": "agent", "message": message, **extra}
    if calls:
        step["tool_calls"] = list(calls)
    if results:
        step["observation"] = {"results": [{"source_call_id": cid, "content": text} for cid, text in results]}
    return step


def claude_code_run(**root: object) -> dict:
    """A Claude-Code-shaped ATIF run: search, read, edit, tests, `git diff`, a final message."""
    steps = [
        {"step_id": 1, "source": "system", "message": "You are a coding agent."},
        {"step_id": 2, "source": "user", "message": "add() subtracts: fix calc.py"},
        agent(3, "Find it.", call("c1", "Grep", pattern="def add", path="."), results=[("c1", "calc.py:1")]),
        agent(
            4,
            "Read both.",
            call("c2", "Read", file_path="calc.py"),
            call("c3", "Read", file_path="test_calc.py"),
            results=[("c3", "def test_add(): assert add(1, 2) == 3"), ("c2", "def add(a, b):\n    return a - b")],
            reasoning_content="The test file shows what add should return.",
        ),
        agent(
            5,
            "",
            call("c4", "Edit", file_path="calc.py", old_string="a - b", new_string="a + b"),
            results=[("c4", "The file calc.py has been updated.")],
        ),
        agent(6, "", call("c5", "Bash", command="python -m pytest -q"), results=[("c5", "1 passed in 0.01s")]),
        agent(7, "", call("c6", "Bash", command="git diff"), results=[("c6", DIFF)]),
        agent(8, "Fixed: add() now adds; the test passes."),
    ]
    return {
        "schema_version": "ATIF-v1.4",
        "session_id": "sess-1",
        "agent": {"name": "claude-code", "version": "2.0.1", "model_name": "claude-sonnet-4-5"},
        "steps": steps,
        "final_metrics": {"total_prompt_tokens": 5200, "total_completion_tokens": 410, "total_cost_usd": 0.021},
        **root,
    }


def test_tool_calls_become_classified_steps_paired_with_their_results() -> None:
    (traj,) = AtifReader().parse(claude_code_run(extra={"instance_id": "owner__repo-7"}), ORIGIN)
    kinds = [step.action.type for step in traj.steps]
    assert kinds == [
        ActionType.SEARCH,
        ActionType.READ,
        ActionType.READ,
        ActionType.EDIT,
        ActionType.RUN_TESTS,
        ActionType.READ,  # `git diff` looks, it changes nothing
    ]
    read_calc, read_test = traj.steps[1], traj.steps[2]
    assert read_calc.action.target == "calc.py" and "a - b" in read_calc.observation.text  # out-of-order results
    assert read_test.observation.text.startswith("def test_add")
    assert read_calc.thought.startswith("The test file shows") and read_calc.thought.endswith("Read both.")
    assert traj.steps[3].action.target == "calc.py"
    assert traj.source.format == "atif" and traj.source.scaffold == "claude-code"
    assert traj.source.model == "claude-sonnet-4-5"
    assert traj.id == "sess-1" and traj.task.task_id == "owner__repo-7"
    assert traj.task.instruction == "add() subtracts: fix calc.py"
    assert traj.metadata["system_prompt"] == "You are a coding agent."
    assert traj.metadata["final_answer"].startswith("Fixed: add() now adds")
    assert traj.usage.input_tokens == 5200 and traj.usage.output_tokens == 410 and traj.usage.cost == 0.021


def test_patch_comes_from_extra_else_from_the_diff_the_run_saw() -> None:
    (observed,) = AtifReader().parse(claude_code_run(), ORIGIN)
    assert observed.final.patch_source == PATCH_OBSERVED_DIFF and "+    return a + b" in observed.final.patch
    assert observed.task.task_id == "owner__repo-7"  # from the trial folder's name
    recorded = claude_code_run(extra={"model_patch": DIFF, "resolved": True, "exit_status": "submitted"})
    (traj,) = AtifReader().parse(recorded, ORIGIN)
    assert traj.final.patch_source == PATCH_RECORDED and traj.final.patch == DIFF
    assert traj.outcome.resolved is True and traj.final.exit_status == "submitted"
    run = claude_code_run()
    run["steps"] = run["steps"][:6]  # edited, never diffed: the log cannot tell the patch
    (unknown,) = AtifReader().parse(run, ORIGIN)
    assert unknown.final.patch_source == PATCH_UNKNOWN and unknown.final.patch == ""


def test_mini_swe_agent_style_steps_act_through_a_fenced_bash_block() -> None:
    steps = [
        {"step_id": 1, "source": "user", "message": "Fix the bug."},
        {
            "step_id": 2,
            "source": "agent",
            "message": "THOUGHT: run the tests first.\n\n```bash\npytest -q tests/test_calc.py\n```",
            "observation": {"results": [{"content": "<returncode>1</returncode>\n1 failed"}]},
            "metrics": {
                "prompt_tokens": 100,
                "completion_tokens": 20,
                "cost_usd": 0.001,
                "completion_token_ids": [17, 4],
                "logprobs": [-0.25, -0.5],
            },
            "timestamp": "2026-01-05T10:00:02Z",
        },
        {
            "step_id": 3,
            "source": "agent",
            "message": "The failure is in add.",
            "observation": {"results": [{"content": "Please always act with one bash block."}]},
            "metrics": {"prompt_tokens": 150, "completion_tokens": 10},
        },
        {"step_id": 4, "source": "agent", "message": "Done.", "timestamp": "2026-01-05T10:03:00Z"},
    ]
    (traj,) = AtifReader().parse(
        {"schema_version": "ATIF-v1.2", "agent": {"name": "mini-swe-agent"}, "steps": steps}, ORIGIN
    )
    first, second = traj.steps
    assert first.action.type is ActionType.RUN_TESTS and first.action.command == "pytest -q tests/test_calc.py"
    assert "1 failed" in first.observation.text
    assert second.action.type is ActionType.THINK and second.observation.text.startswith("Please always act")
    assert traj.usage.input_tokens == 250 and traj.usage.output_tokens == 30 and traj.usage.cost == 0.001
    assert traj.metadata["final_answer"] == "Done."
    assert (traj.usage.started_at, traj.usage.finished_at, traj.usage.api_calls) == (
        "2026-01-05T10:00:02Z",
        "2026-01-05T10:03:00Z",
        3,
    )
    rl_step = traj.metadata["atif_steps"][0]  # per-step token ids and logprobs stay with the record
    assert rl_step["step_id"] == 2 and rl_step["metrics"]["logprobs"] == [-0.25, -0.5]
    assert [d["step_id"] for d in traj.metadata["atif_steps"]] == [2, 3, 4]


def test_sniffs_atif_and_nothing_else() -> None:
    reader = AtifReader()
    assert reader.sniff(claude_code_run())
    versionless = {"agent": {"name": "x"}, "steps": [{"step_id": 1, "source": "user", "message": "hi"}]}
    assert reader.sniff(versionless)
    assert not reader.sniff({"messages": [{"role": "user", "content": "hi"}]})
    assert not reader.sniff({"schema_version": "1", "id": "t1", "steps": []})  # trajsift's own record
    assert not NativeReader().sniff(claude_code_run(id="run-1"))  # an ATIF root with an `id` stays ATIF's


@pytest.mark.parametrize(
    ("steps", "reason"),
    [
        ("not a list", "wrong_schema"),
        ([], "empty_input"),
        ([{"step_id": 1, "source": "robot", "message": "?"}], "wrong_schema"),
        ([agent(1, "x", results=[("c1", "y")]) | {"observation": ["not", "an", "object"]}], "wrong_schema"),
        ([{"step_id": 1, "source": "agent", "message": "", "tool_calls": "ls"}], "wrong_schema"),
    ],
)
def test_malformed_runs_raise_with_a_reason(steps: object, reason: str) -> None:
    with pytest.raises(FormatError) as caught:
        AtifReader().parse({"schema_version": "ATIF-v1.4", "agent": {"name": "x"}, "steps": steps}, ORIGIN)
    assert caught.value.reason == reason


def test_a_harbor_job_folder_reads_each_trial_and_quarantines_the_broken_one(tmp_path: Path) -> None:
    for trial, extra in (("owner__repo-1__a", {}), ("owner__repo-2__b", {"resolved": False})):
        folder = tmp_path / "job" / trial / "agent"
        folder.mkdir(parents=True)
        (folder / "trajectory.json").write_bytes(orjson.dumps(claude_code_run(session_id=trial, extra=extra)))
    broken = tmp_path / "job" / "owner__repo-3__c" / "agent"
    broken.mkdir(parents=True)
    (broken / "trajectory.json").write_text(json.dumps({"schema_version": "ATIF-v1.4", "steps": {"no": 1}}))
    items = list(read_trajectories([str(tmp_path / "job")]))
    read = sorted((i for i in items if isinstance(i, Trajectory)), key=lambda t: t.id)
    assert [(t.id, t.task.task_id, t.source.format) for t in read] == [
        ("owner__repo-1__a", "owner__repo-1", "atif"),
        ("owner__repo-2__b", "owner__repo-2", "atif"),
    ]
    assert read[1].outcome.resolved is False and read[0].outcome.resolved is None
    (bad,) = [i for i in items if isinstance(i, Quarantined)]
    assert bad.reason == "wrong_schema" and "owner__repo-3__c" in bad.origin


def test_a_harbor_jobs_verifier_rewards_label_its_trials(tmp_path: Path) -> None:
    from trajsift.errors import InputError
    from trajsift.readers.labels import load_labels

    job = tmp_path / "jobs" / "2026-01-05__run"
    for trial, reward in (("owner__repo-1__a", "1"), ("owner__repo-2__b", "0.0"), ("owner__repo-3__c", None)):
        (job / trial / "agent").mkdir(parents=True)
        run = claude_code_run(session_id=f"s-{trial}")
        (job / trial / "agent" / "trajectory.json").write_bytes(orjson.dumps(run))
        if reward is not None:
            (job / trial / "verifier").mkdir()
            (job / trial / "verifier" / "reward.txt").write_text(f"{reward}\n")
    (job / "owner__repo-4__d" / "verifier").mkdir(parents=True)  # a trial whose agent wrote nothing
    (job / "owner__repo-4__d" / "verifier" / "reward.json").write_text('{"reward": 1.0}')
    labels = load_labels(str(tmp_path / "jobs"))
    assert len(labels) == 3
    read = [labels.apply(t) for t in read_trajectories([str(job)]) if isinstance(t, Trajectory)]
    outcomes = {t.task.task_id: (t.outcome.resolved, t.outcome.label_source) for t in read}
    assert outcomes == {
        "owner__repo-1": (True, "reward.txt:path"),
        "owner__repo-2": (False, "reward.txt:path"),
        "owner__repo-3": (None, ""),  # no verifier output: unlabelled
    }
    (job / "owner__repo-1__a" / "verifier" / "reward.txt").write_text("passed")
    with pytest.raises(InputError, match="is not a number"):
        load_labels(str(job))
