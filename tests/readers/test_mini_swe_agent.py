"""mini-swe-agent reader: hand-written records in the real `*.traj.json` shape."""

from __future__ import annotations

import json

import pytest

from trajsift import reasons
from trajsift.errors import FormatError
from trajsift.readers.base import Origin
from trajsift.readers.mini_swe_agent import MiniSweAgentReader, parse_observation
from trajsift.readers.read import read_trajectories
from trajsift.schema import ActionType, Trajectory

READER = MiniSweAgentReader()
ORIGIN = Origin(path="runs/demo__demo-7/demo__demo-7.traj.json")
TASK = (
    "<pr_description>\nConsider the following PR description:\nFix the frobnicator.\n</pr_description>\n"
    "<instructions>..."
)


def say(text: str) -> dict:
    return {
        "role": "assistant",
        "content": text,
        "extra": {"response": {"model": "vendor/model-x", "usage": {"prompt_tokens": 100, "completion_tokens": 10}}},
    }


def obs(code: int, output: str) -> dict:
    return {"role": "user", "content": f"<returncode>{code}</returncode>\n<output>\n{output}</output>"}


def record(*turns: dict, info: dict | None = None, **extra) -> dict:
    base_info = {
        "exit_status": "Submitted",
        "submission": "diff --git a/f.py b/f.py\n",
        "model_stats": {"instance_cost": 0.5, "api_calls": 4},
        "mini_version": "1.15.0",
        "config": {"model": {"model_name": "vendor/model-x", "model_kwargs": {"temperature": 0.0}}},
    }
    messages = [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": TASK}, *turns]
    return {
        "trajectory_format": "mini-swe-agent-1",
        "info": info if info is not None else base_info,
        "messages": messages,
        **extra,
    }


def parse(rec: dict) -> Trajectory:
    [trajectory] = READER.parse(rec, ORIGIN)
    return trajectory


def test_full_run_maps_steps_final_state_and_usage():
    rec = record(
        say("THOUGHT: look\n\n```bash\ncat src/f.py\n```"),
        obs(0, "print(1)\n"),
        say("THOUGHT: fix\n\n```bash\nsed -i 's/1/2/' src/f.py\n```"),
        obs(0, ""),
        say("THOUGHT: test\n\n```bash\npython -m pytest tests/test_f.py\n```"),
        obs(1, "1 failed\n"),
        say("Done.\n\n```bash\necho COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git add -A && git diff --cached\n```"),
        {"role": "user", "content": "diff --git a/f.py b/f.py\n"},
        instance_id="demo__demo-7",
    )
    t = parse(rec)
    assert [s.action.type for s in t.steps] == [
        ActionType.READ,
        ActionType.EDIT,
        ActionType.RUN_TESTS,
        ActionType.SUBMIT,
    ]
    assert [s.index for s in t.steps] == [0, 1, 2, 3]
    assert t.steps[0].thought == "THOUGHT: look"
    assert t.steps[0].action.command == "cat src/f.py"
    assert t.steps[0].observation.text == "print(1)"
    assert t.steps[2].observation.exit_code == 1 and not t.steps[2].observation.is_error
    assert t.steps[3].observation.text.startswith("diff --git") and t.steps[3].observation.exit_code is None
    assert t.task.task_id == "demo__demo-7" and t.task.instruction == "Fix the frobnicator."
    assert t.final.submitted and t.final.exit_status == "Submitted" and t.final.patch.startswith("diff")
    assert t.usage.cost == 0.5 and t.usage.api_calls == 4
    assert t.usage.input_tokens == 400 and t.usage.output_tokens == 40
    assert t.source.model == "vendor/model-x" and t.source.temperature == 0.0 and t.source.format == "mini-swe-agent"
    assert t.metadata["mini_version"] == "1.15.0"
    assert t.id.startswith("demo__demo-7/")


def test_block_content_and_task_id_from_path():
    rec = record(
        {"role": "assistant", "content": [{"type": "text", "text": "THOUGHT: list\n\n```bash\nls -la\n```"}]},
        {"role": "user", "content": [{"type": "text", "text": "<returncode>0</returncode>\n<output>\na\n</output>"}]},
    )
    t = parse(rec)
    assert t.task.task_id == "demo__demo-7"
    assert t.steps[0].action.command == "ls -la" and t.steps[0].observation.text == "a"


def test_format_errors_are_error_steps_of_type_other():
    feedback = "Please always provide EXACTLY ONE action in triple backticks, found 2 actions."
    rec = record(
        say("two\n```bash\nls\n```\n```bash\npwd\n```"),
        {"role": "user", "content": feedback},
        say("none at all"),
        {"role": "user", "content": feedback.replace("found 2", "found 0")},
    )
    steps = parse(rec).steps
    assert [s.action.type for s in steps] == [ActionType.OTHER, ActionType.OTHER]
    assert steps[0].action.tool == "format_error" and steps[0].action.arguments == {"bash_blocks": ["ls", "pwd"]}
    assert steps[1].action.arguments == {"bash_blocks": []}
    assert all(s.observation.is_error and "EXACTLY ONE" in s.observation.text for s in steps)


def test_truncated_output_keeps_head_and_tail():
    text = (
        "<returncode>0</returncode>\n<warning>\nThe output of your last command was too long.\n</warning>"
        "<output_head>\nHEAD\n</output_head>\n<elided_chars>\n5000 characters elided\n</elided_chars>\n"
        "<output_tail>\nTAIL\n</output_tail>"
    )
    observation = parse_observation(text)
    assert observation.truncated and observation.exit_code == 0 and not observation.is_error
    assert observation.text == "HEAD\n5000 characters elided\nTAIL"


def test_timeout_is_an_error_without_exit_code():
    text = (
        "The last command <command>sleep 999</command> timed out and has been killed.\n"
        "The output of the command was:\n <output>\npartial\n</output>\nPlease try another command."
    )
    observation = parse_observation(text)
    assert observation.is_error and observation.exit_code is None and observation.text == "partial"


def test_last_action_without_observation_and_limits_exit():
    info = {"exit_status": "LimitsExceeded", "submission": "", "model_stats": {"instance_cost": 3.0, "api_calls": 1}}
    t = parse(record(say("```bash\nls\n```"), info=info))
    assert len(t.steps) == 1 and t.steps[0].observation.text == ""
    assert not t.final.submitted and t.final.exit_status == "LimitsExceeded"


def test_tool_call_variant_pairs_results_by_id():
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "bash", "arguments": json.dumps({"command": "grep -rn foo src"})},
    }
    rec = record(
        {"role": "assistant", "content": "searching", "tool_calls": [call]},
        {
            "role": "tool",
            "tool_call_id": "c1",
            "content": "<returncode>0</returncode>\n<output>\nsrc/a.py:1:foo\n</output>",
        },
    )
    [step] = parse(rec).steps
    assert step.action.type == ActionType.SEARCH and step.action.tool == "bash"
    assert step.thought == "searching" and step.observation.text == "src/a.py:1:foo" and step.observation.exit_code == 0


def test_empty_messages_is_a_format_error():
    with pytest.raises(FormatError) as info:
        READER.parse({"trajectory_format": "mini-swe-agent-1", "info": {}, "messages": []}, ORIGIN)
    assert info.value.reason == reasons.EMPTY_INPUT


def test_sniff_accepts_old_shape_and_rejects_others():
    assert READER.sniff(record())
    old = record()
    del old["trajectory_format"]
    assert READER.sniff(old)
    assert not READER.sniff({"messages": [], "info": {"exit_status": "x"}})
    assert not READER.sniff({"messages": [], "response": {"choices": []}, "kwargs": {}})
    assert not READER.sniff({"history": [{"action": "run"}], "instance_id": "x"})
    assert not READER.sniff({"trajectory_format": "other-tool", "messages": []})


def test_read_pipeline_picks_this_reader(tmp_path):
    folder = tmp_path / "demo__demo-7"
    folder.mkdir()
    (folder / "demo__demo-7.traj.json").write_text(json.dumps(record(say("```bash\nls\n```"), obs(0, "x"))))
    [item] = list(read_trajectories([str(tmp_path)]))
    assert isinstance(item, Trajectory) and item.source.format == "mini-swe-agent"
