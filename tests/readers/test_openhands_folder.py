"""OpenHands folders of per-call completion logs collapse to one trajectory; bare event lists read as one run."""

import json

from trajsift.readers.read import read_trajectories
from trajsift.schema import Quarantined, Trajectory


def completion_log(turns: int) -> dict:
    messages = [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": [{"type": "text", "text": "Fix the bug in calc.py"}]},
    ]
    for i in range(turns):
        call = {
            "id": f"c{i}",
            "type": "function",
            "function": {"name": "execute_bash", "arguments": json.dumps({"command": f"cat f{i}.py"})},
        }
        messages.append({"role": "assistant", "content": f"step {i}", "tool_calls": [call]})
        messages.append({"role": "tool", "tool_call_id": f"c{i}", "name": "execute_bash", "content": f"content {i}"})
    finish = {"id": "fin", "type": "function", "function": {"name": "finish", "arguments": "{}"}}
    response = {"choices": [{"message": {"role": "assistant", "content": "done", "tool_calls": [finish]}}]}
    return {"messages": messages, "response": response, "kwargs": {"tools": []}, "timestamp": 1733339000.0 + turns}


def write_run(folder, calls):
    folder.mkdir(parents=True)
    for turns in calls:
        (folder / f"claude-3-5-sonnet-{1733339000 + turns}.5.json").write_text(json.dumps(completion_log(turns)))


def test_folder_of_completion_logs_is_one_trajectory_from_the_latest_call(tmp_path):
    write_run(tmp_path / "llm_completions" / "astropy__astropy-12907", [1, 2, 3])
    items = list(read_trajectories([str(tmp_path)]))
    assert len(items) == 1 and isinstance(items[0], Trajectory)
    traj = items[0]
    assert traj.task.task_id == "astropy__astropy-12907"
    assert traj.metadata["completion_files"] == 3
    assert [s.action.command for s in traj.steps[:3]] == ["cat f0.py", "cat f1.py", "cat f2.py"]
    assert traj.steps[-1].action.type.value == "submit"


def test_the_file_count_is_the_call_count_behind_the_exit_status(tmp_path):
    folder = tmp_path / "llm_completions" / "astropy__astropy-12907"
    write_run(folder, range(20))
    condensed = completion_log(3)  # the latest call's conversation was condensed to 3 turns
    condensed["response"]["choices"][0]["message"]["tool_calls"][0]["function"]["name"] = "execute_bash"
    (folder / "claude-3-5-sonnet-1733339019.5.json").write_text(json.dumps(condensed))
    [traj] = list(read_trajectories([str(tmp_path)]))
    assert traj.usage.api_calls == 4 and traj.metadata["completion_files"] == 20
    assert traj.final.exit_status == "max_iterations_reached (inferred: 20 LLM calls without finish)"


def test_single_completion_log_is_read_as_a_record(tmp_path):
    write_run(tmp_path / "astropy__astropy-14182", [2])
    items = list(read_trajectories([str(tmp_path)]))
    assert len(items) == 1 and isinstance(items[0], Trajectory)
    assert "completion_files" not in items[0].metadata


def test_broken_latest_log_is_quarantined_not_skipped(tmp_path):
    folder = tmp_path / "astropy__astropy-1"
    write_run(folder, [1])
    (folder / "claude-3-5-sonnet-1733339999.5.json").write_text('{"messages": [')
    items = list(read_trajectories([str(tmp_path)]))
    assert len(items) == 1 and isinstance(items[0], Quarantined)
    assert items[0].reason == "truncated_json"


def test_bare_event_list_file_is_one_run(tmp_path):
    events = [
        {
            "id": 0,
            "timestamp": "2024-01-01T00:00:00",
            "source": "user",
            "action": "message",
            "args": {"content": "fix"},
        },
        {
            "id": 1,
            "timestamp": "2024-01-01T00:00:01",
            "source": "agent",
            "action": "run",
            "args": {"command": "pytest -q"},
        },
        {
            "id": 2,
            "source": "environment",
            "observation": "run",
            "content": "1 passed",
            "cause": 1,
            "extras": {"exit_code": 0},
        },
        {"id": 3, "timestamp": "2024-01-01T00:00:03", "source": "agent", "action": "finish", "args": {}},
    ]
    (tmp_path / "trajs").mkdir()
    (tmp_path / "trajs" / "django__django-11099.json").write_text(json.dumps(events))
    items = list(read_trajectories([str(tmp_path)]))
    assert len(items) == 1 and isinstance(items[0], Trajectory)
    assert items[0].task.task_id == "django__django-11099"
    assert [s.action.type.value for s in items[0].steps] == ["run_tests", "submit"]
    assert items[0].steps[0].observation.text == "1 passed"
