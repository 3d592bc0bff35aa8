"""AutoCodeRover folder reader: on disk, inside a tar.gz, and with optional files missing."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import orjson

from trajsift.readers.autocoderover import AutoCodeRoverReader
from trajsift.readers.read import read_trajectories
from trajsift.readers.registry import FOLDER_READERS
from trajsift.schema import ActionType, Quarantined, Trajectory

TASK = "owner__repo-42"
RUN_DIR = f"acr-run-1/applicable_patch/{TASK}_2024-04-06_13-51-50"
SYSTEM = {"role": "system", "content": "You are a software developer maintaining a large project."}
ISSUE = {"role": "user", "content": "<issue>Widget crashes on empty input</issue>"}
API_PROMPT = {"role": "user", "content": "Based on the files, classes, methods ... you can use below search APIs"}
SEARCH_THOUGHT = {"role": "assistant", "content": "I will search for Widget and render."}
RESULTS = {
    "role": "user",
    "content": 'Result of search_class("Widget"):\nFound 1 classes with name Widget in the codebase.\n'
    "Search result 1: <file>pkg/widget.py</file> <class>Widget</class>\n\n\n\n"
    'Result of search_method_in_file("render", "pkg/widget.py"):\nCould not find method render in file pkg/widget.py.',
}
ANALYSE = {"role": "user", "content": "Let's analyze collected context first"}
ANALYSIS = {"role": "assistant", "content": "Widget.render is missing an empty check."}
QUESTIONS = {"role": "user", "content": "Based on your analysis, answer below questions: ..."}
LOCATIONS_ANSWER = {"role": "assistant", "content": "- where are bug locations: pkg/widget.py, Widget.draw"}
INVALID = {"role": "user", "content": "The search API calls seem not valid. Please check the arguments you give."}
LOCATIONS = {
    "role": "user",
    "content": "Here are the code in buggy locations:\n<file>pkg/widget.py</file> <code>def draw",
}
WRITE = {"role": "user", "content": "Write a patch for the issue, based on the retrieved context."}
ATTEMPT_1 = {"role": "assistant", "content": "# modification 1\n<file>pkg/widget.py</file>\n<original>x</original>"}
REJECTED = {"role": "user", "content": "Your edit could not be applied to the program. No edits can be parsed."}
ATTEMPT_2 = {"role": "assistant", "content": "# modification 1\n```python\n<file>pkg/widget.py</file>\n<original>"}
ACCEPTED = {"role": "user", "content": "Extracted a patch. Since validation is disabled, you should validate it later."}
SEARCH_PHASE = [SYSTEM, ISSUE, API_PROMPT, SEARCH_THOUGHT, RESULTS, ANALYSE, ANALYSIS, QUESTIONS, LOCATIONS_ANSWER]
FULL_CHAT = [*SEARCH_PHASE, INVALID, LOCATIONS_ANSWER, LOCATIONS, WRITE, ATTEMPT_1, REJECTED, ATTEMPT_2, ACCEPTED]
SEQUENCE = [
    {"func_name": "search_class", "arguments": {"class_name": "Widget"}, "call_ok": True},
    {
        "func_name": "search_method_in_file",
        "arguments": {"method_name": "render", "file_name": "pkg/widget.py"},
        "call_ok": False,
    },
    {
        "func_name": "search_method_in_class",
        "arguments": {"method_name": "draw", "class_name": "Widget"},
        "call_ok": True,
    },
    {"func_name": "write_patch", "arguments": {}, "call_ok": True},
]
PATCH = "diff --git a/pkg/widget.py b/pkg/widget.py\n--- a/pkg/widget.py\n+++ b/pkg/widget.py\n@@ -1 +1 @@\n-x\n+y\n"
COST = {
    "model": "gpt-4-0125-preview",
    "total_input_tokens": 1000,
    "total_output_tokens": 200,
    "total_cost": 0.016,
    "start_epoch": 1712382710.5,
    "end_epoch": 1712382822.5,
    "elapsed_seconds": 112.0,
}


def acr_files(optional: bool = True) -> dict[str, bytes]:
    """The files of one run folder; `.json` files gzip-compressed as in the published results."""
    meta = {
        "task_id": TASK,
        "task_info": {"instance_id": TASK, "repo": "owner/repo", "base_commit": "abc123", "patch": "GOLD"},
    }
    files = {
        "meta.json.gz": gzip.compress(orjson.dumps(meta)),
        "tool_call_sequence.json.gz": gzip.compress(orjson.dumps(SEQUENCE)),
        "conversation_round_0.json.gz": gzip.compress(orjson.dumps([SYSTEM, ISSUE, API_PROMPT])),
        "conversation_round_1.json.gz": gzip.compress(orjson.dumps(SEARCH_PHASE)),
    }
    if optional:
        files |= {
            "debug_agent_write_patch_1.json.gz": gzip.compress(orjson.dumps(FULL_CHAT[:-2])),
            "debug_agent_write_patch_2.json.gz": gzip.compress(orjson.dumps(FULL_CHAT)),
            "extract_status.json.gz": gzip.compress(
                orjson.dumps({"extract_status": ["RAW_PATCH_BUT_UNPARSED", "APPLICABLE_PATCH"]})
            ),
            "extracted_patch_2.diff": PATCH.encode(),
            "developer_patch.diff": b"GOLD PATCH - never read",
            "problem_statement.txt": b"Widget crashes on empty input\n",
            "cost.json.gz": gzip.compress(orjson.dumps(COST)),
            "tool_call_layers.json.gz": gzip.compress(orjson.dumps([SEQUENCE[:2], SEQUENCE[2:3], SEQUENCE[3:]])),
        }
    return files


def write_folder(root: Path, files: dict[str, bytes]) -> Path:
    folder = root / RUN_DIR
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def read_all(path: Path) -> tuple[list[Trajectory], list[Quarantined]]:
    items = list(read_trajectories([str(path)]))
    return [i for i in items if isinstance(i, Trajectory)], [i for i in items if isinstance(i, Quarantined)]


def check_full(t: Trajectory) -> None:
    assert t.task.task_id == TASK and t.task.repo == "owner/repo" and t.task.base_commit == "abc123"
    assert t.task.instruction == "Widget crashes on empty input"
    assert t.source.format == "autocoderover" and t.source.model == "gpt-4-0125-preview" and t.source.run == "acr-run-1"
    kinds = [(s.action.type, s.action.tool) for s in t.steps]
    assert kinds == [
        (ActionType.SEARCH, "search_class"),
        (ActionType.SEARCH, "search_method_in_file"),
        (ActionType.SEARCH, "search_api"),
        (ActionType.READ, "bug_locations"),
        (ActionType.EDIT, "write_patch"),
        (ActionType.EDIT, "write_patch"),
        (ActionType.SUBMIT, "submit"),
    ]
    search, failed, invalid, locations, attempt_1, attempt_2, _ = t.steps
    assert search.thought == "I will search for Widget and render."
    assert search.action.arguments == {"class_name": "Widget"} and search.action.command == 'search_class("Widget")'
    assert search.observation.text.startswith("Found 1 classes") and not search.observation.is_error
    assert failed.observation.is_error and failed.action.target == "pkg/widget.py"
    assert "Widget.render is missing" in invalid.thought and invalid.observation.is_error
    assert locations.action.target == "pkg/widget.py" and not locations.observation.is_error
    assert attempt_1.observation.is_error and not attempt_2.observation.is_error
    assert attempt_1.action.target == "pkg/widget.py"
    assert attempt_1.action.arguments == {
        "input": attempt_1.action.command
    }  # the call's body, as a chat export keeps it
    assert t.final.patch == PATCH and t.final.submitted and t.final.exit_status == "APPLICABLE_PATCH"
    assert t.final.patch_source == "recorded"
    assert (t.usage.input_tokens, t.usage.output_tokens, t.usage.cost, t.usage.duration_s) == (1000, 200, 0.016, 112.0)
    assert t.usage.started_at.startswith("2024-04-06T")
    assert t.metadata["category"] == "applicable_patch"
    assert "GOLD" not in t.to_json().decode()  # the reference patch never leaks into the record


def test_folder_on_disk(tmp_path: Path) -> None:
    write_folder(tmp_path, acr_files())
    trajectories, quarantined = read_all(tmp_path)
    assert quarantined == [] and len(trajectories) == 1
    check_full(trajectories[0])


def test_folder_inside_tar_gz(tmp_path: Path) -> None:
    archive = tmp_path / "acr.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in acr_files().items():
            info = tarfile.TarInfo(f"results/{RUN_DIR}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    trajectories, quarantined = read_all(archive)
    assert quarantined == [] and len(trajectories) == 1
    check_full(trajectories[0])
    assert trajectories[0].source.path.startswith(f"{archive}:results/acr-run-1/")


def test_missing_optional_files(tmp_path: Path) -> None:
    write_folder(tmp_path, acr_files(optional=False))
    trajectories, quarantined = read_all(tmp_path)
    assert quarantined == []
    [t] = trajectories
    assert t.task.instruction == "Widget crashes on empty input"  # from the chat's <issue>
    assert [s.action.type for s in t.steps] == [ActionType.SEARCH, ActionType.SEARCH, ActionType.THINK]
    assert t.steps[-1].thought.startswith("Widget.render")  # trailing analysis is kept as a think step
    assert t.final.patch == "" and not t.final.submitted and t.final.exit_status == ""
    assert t.final.patch_source == "none"  # the run folder is the scaffold's record: no patch extracted
    assert t.usage.cost is None and t.source.model == ""


def test_no_applicable_attempt_records_the_last_status_and_no_patch(tmp_path: Path) -> None:
    files = acr_files()
    statuses = {"extract_status": ["RAW_PATCH_BUT_UNPARSED", "RAW_PATCH_BUT_UNMATCHED"]}
    files["extract_status.json.gz"] = gzip.compress(orjson.dumps(statuses))
    write_folder(tmp_path, files)
    [t], _ = read_all(tmp_path)
    assert (t.final.patch, t.final.patch_source, t.final.submitted) == ("", "none", False)
    assert t.final.exit_status == "RAW_PATCH_BUT_UNMATCHED"


def test_no_chat_falls_back_to_tool_call_sequence(tmp_path: Path) -> None:
    files = acr_files(optional=False)
    del files["conversation_round_0.json.gz"], files["conversation_round_1.json.gz"]
    write_folder(tmp_path, files)
    [t], _ = read_all(tmp_path)
    assert [s.action.tool for s in t.steps] == ["search_class", "search_method_in_file", "search_method_in_class"]
    assert t.steps[1].observation.is_error


def test_broken_meta_is_quarantined(tmp_path: Path) -> None:
    files = acr_files()
    files["meta.json.gz"] = gzip.compress(b"{not json")
    write_folder(tmp_path, files)
    trajectories, quarantined = read_all(tmp_path)
    assert trajectories == [] and [q.reason for q in quarantined] == ["invalid_json"]


def test_claims_is_specific() -> None:
    reader = AutoCodeRoverReader()
    assert reader.claims({"meta.json", "tool_call_sequence.json", "cost.json"})
    assert reader.claims({"meta.json", "conversation_round_0.json"})
    assert not reader.claims({"meta.json", "config.json"})
    assert not reader.claims({"tool_call_sequence.json"})
    assert FOLDER_READERS["autocoderover"] is AutoCodeRoverReader
