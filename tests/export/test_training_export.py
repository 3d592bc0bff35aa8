"""`trajsift export`: one schema for every source (loads in `datasets` from a mix), row sets, masks, human labels."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from trajsift.actions.classify import classify_command, classify_tool_call
from trajsift.arrow import to_table
from trajsift.cli.main import app
from trajsift.export.training import TRAINING_SCHEMA, to_sharegpt, training_record
from trajsift.readers.base import Origin
from trajsift.readers.chat import ShareGPTReader
from trajsift.schema import Action, ActionType, FinalState, Observation, Source, Step, TaskRef, Trajectory
from trajsift.steplabels import label_steps

datasets = pytest.importorskip("datasets")


def editor_run(tid: str) -> Trajectory:
    """OpenHands-like: structured editor calls (nested, typed arguments), a failed edit, tools declared."""
    steps = [
        Step(
            thought="Look at the file.",
            action=classify_tool_call(
                "str_replace_editor", {"command": "view", "path": "/r/pkg/a.py", "view_range": [1, 20]}
            ),
            observation=Observation(text="1 def f():\n2     return 1"),
        ),
        Step(
            action=classify_tool_call(
                "str_replace_editor", {"command": "str_replace", "path": "/r/pkg/a.py", "old_str": "zz", "new_str": "y"}
            ),
            observation=Observation(
                text="No replacement was performed, old_str `zz` did not appear verbatim", is_error=True
            ),
        ),
        Step(
            action=classify_tool_call(
                "str_replace_editor",
                {"command": "str_replace", "path": "/r/pkg/a.py", "old_str": "return 1", "new_str": "return 2"},
            ),
            observation=Observation(text="edited"),
        ),
        Step(action=classify_tool_call("finish", {"outputs": {"done": True, "files": 1}}), observation=Observation()),
    ]
    tools = [
        {
            "type": "function",
            "function": {
                "name": "str_replace_editor",
                "parameters": {
                    "type": "object",
                    "properties": {"view_range": {"type": "array", "items": {"type": "integer"}}},
                },
            },
        }
    ]
    return Trajectory(
        id=tid,
        source=Source(format="openhands-completions", model="m"),
        task=TaskRef(task_id="acme__pkg-1", instruction="Make f return 2."),
        steps=steps,
        final=FinalState(patch="diff --git a/pkg/a.py b/pkg/a.py\n", submitted=True),
        metadata={"system_prompt": "You are an agent.", "tools": tools},
    )


def shell_run(tid: str) -> Trajectory:
    """SWE-agent-like: raw commands only, no declared tools, a thought-only step."""
    steps = [
        Step(
            thought="Find it.",
            action=classify_command("grep -rn 'def f' ."),
            observation=Observation(text="./pkg/a.py:1"),
        ),
        Step(thought="Plan the change.", action=Action(type=ActionType.THINK)),
        Step(action=classify_command("python -m pytest -q"), observation=Observation(text="== 3 passed in 0.1s ==")),
    ]
    return Trajectory(id=tid, source=Source(format="swe-agent"), task=TaskRef(instruction="Fix f."), steps=steps)


def said(result) -> str:
    """The command's output with line wrapping undone (rich wraps at the terminal width)."""
    return " ".join(result.output.split())


def records_of(*trajectories: Trajectory) -> list[dict]:
    return [training_record(t, label_steps(t)) for t in trajectories]


def test_mixed_sources_load_from_jsonl_without_per_record_inference(tmp_path: Path):
    records = records_of(editor_run("e-1"), shell_run("s-1"), editor_run("e-2"))
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    loaded = datasets.load_dataset("json", data_files=str(path), split="train")
    assert loaded.num_rows == 3
    assert json.loads(loaded[0]["tools"])[0]["function"]["name"] == "str_replace_editor"
    call = loaded[0]["messages"][2]["tool_calls"][0]["function"]
    assert json.loads(call["arguments"]) == {"command": "view", "path": "/r/pkg/a.py", "view_range": [1, 20]}
    assert pa.Table.from_pylist(records, schema=TRAINING_SCHEMA).num_rows == 3  # every record fits the schema


def test_train_flags_follow_the_step_labels():
    record = records_of(editor_run("e-1"))[0]
    assistant = [(m["step_index"], m["label"], m["train"]) for m in record["messages"] if m["role"] == "assistant"]
    assert assistant == [(0, "useful", True), (1, "mistake", False), (2, "recovery", True), (3, "useful", True)]
    assert all(not m["train"] for m in record["messages"] if m["role"] != "assistant")
    loose = training_record(editor_run("e-1"), label_steps(editor_run("e-1")), masked=frozenset())
    assert all(m["train"] for m in loose["messages"] if m["role"] == "assistant")


def test_sharegpt_record_reads_back_with_the_sharegpt_reader():
    record = to_sharegpt(records_of(editor_run("e-1"))[0])
    assert [turn["from"] for turn in record["conversations"]][:4] == ["system", "human", "gpt", "function_call"]
    [back] = ShareGPTReader().parse(record, Origin(path="x.jsonl", locator="x.jsonl:1"))
    original = editor_run("e-1")
    assert [s.action.arguments for s in back.steps] == [s.action.arguments for s in original.steps]
    assert [s.observation.text for s in back.steps] == [s.observation.text for s in original.steps]


def write_run(root: Path) -> Path:
    root.mkdir()
    kept = [editor_run("kept-1"), shell_run("kept-2")]
    pq.write_table(
        to_table(kept, {"trajectory_id": [t.id for t in kept], "decision": ["keep"] * 2}), root / "kept.parquet"
    )
    rejected = [editor_run("failed-1"), shell_run("dup-1"), shell_run("infra-1")]
    extra = {
        "trajectory_id": [t.id for t in rejected],
        "decision": ["drop"] * 3,
        "reasons": [["tests_fail"], ["exact_duplicate"], ["infra_failure", "no_patch"]],
    }
    pq.write_table(to_table(rejected, extra), root / "rejected.parquet")
    return root


@pytest.mark.parametrize("target", ["hf", "openai", "sharegpt", "parquet"])
def test_cli_exports_load_in_datasets(tmp_path: Path, target: str):
    run_dir = write_run(tmp_path / "run")
    out = tmp_path / {"hf": "ds", "openai": "o.jsonl", "sharegpt": "s.jsonl", "parquet": "p.parquet"}[target]
    result = CliRunner().invoke(app, ["export", str(run_dir), str(out), "--to", target, "--rows", "failed-masked"])
    assert result.exit_code == 0, result.output
    if target == "hf":
        loaded = datasets.load_from_disk(str(out))
        assert loaded.features == datasets.Features.from_arrow_schema(TRAINING_SCHEMA)
    else:
        kind = "parquet" if target == "parquet" else "json"
        loaded = datasets.load_dataset(kind, data_files=str(out), split="train")
    assert loaded["id"] == ["kept-1", "kept-2", "failed-1"]
    assert loaded["subset"] == ["kept", "kept", "failed"]
    assert "exact_duplicate 1" in said(result) and "infra_failure 1" in said(result)


def test_row_sets_and_errors(tmp_path: Path):
    run_dir = write_run(tmp_path / "run")
    runner = CliRunner()
    out = tmp_path / "kept.jsonl"
    assert runner.invoke(app, ["export", str(run_dir), str(out), "--to", "openai"]).exit_code == 0
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["kept-1", "kept-2"]
    result = runner.invoke(app, ["export", str(run_dir), str(out), "--to", "openai", "--rows", "kept+approved"])
    assert result.exit_code == 2 and "trajsift finalize" in said(result)
    result = runner.invoke(app, ["export", str(run_dir), str(out), "--to", "openai", "--mask", "mistake,typo"])
    assert result.exit_code == 2 and "unknown label" in said(result)
    result = runner.invoke(app, ["export", str(run_dir), str(tmp_path / "x.parquet"), "--to", "openai"])
    assert result.exit_code == 2 and ".jsonl" in said(result)
    result = runner.invoke(app, ["export", str(run_dir), str(out), "--to", "hf"])  # a file is in the way
    assert result.exit_code == 2 and "not a datasets folder" in said(result)
    result = runner.invoke(app, ["export", str(tmp_path / "nowhere"), str(tmp_path / "ds"), "--to", "hf"])
    assert result.exit_code == 2 and "no kept.parquet" in said(result)


def test_kept_plus_approved_reads_finalize_output(tmp_path: Path):
    run_dir = write_run(tmp_path / "run")
    final = [editor_run("kept-1"), shell_run("approved-1")]
    extra = {
        "trajectory_id": ["kept-1", "approved-1"],
        "decision": ["keep", "review"],
        "review_decision": ["", "accept"],
    }
    pq.write_table(to_table(final, extra), run_dir / "final.parquet")
    out = tmp_path / "final.parquet"
    result = CliRunner().invoke(app, ["export", str(run_dir), str(out), "--to", "parquet", "--rows", "kept+approved"])
    assert result.exit_code == 0, result.output
    assert pq.read_table(out, columns=["id", "subset"]).to_pylist() == [
        {"id": "kept-1", "subset": "kept"},
        {"id": "approved-1", "subset": "approved"},
    ]


def test_reviewers_step_labels_override_the_rules(tmp_path: Path):
    pytest.importorskip("sqlalchemy")
    from trajsift.review.store import Store
    from trajsift.reviewdb import ReviewItem, default_db_url, make_engine, make_sessionmaker

    run_dir = write_run(tmp_path / "run")
    sessions = make_sessionmaker(make_engine(default_db_url(run_dir)))
    with sessions.begin() as db:
        db.add(ReviewItem(run_key="run", trajectory_id="kept-1", origin="kept_sample", pipeline_decision="keep"))
    store = Store(sessions)
    reviewer = store.add_user("carol", "a-long-password")
    store.save_label(1, reviewer, 0, "reject", [], "wrong file", 0)  # rules said useful
    store.save_label(1, reviewer, 1, "accept", [], "fine retry", 0)  # rules said mistake
    sessions.engine.dispose()
    out = tmp_path / "o.jsonl"
    assert CliRunner().invoke(app, ["export", str(run_dir), str(out), "--to", "openai"]).exit_code == 0
    messages = json.loads(out.read_text().splitlines()[0])["messages"]
    by_step = {m["step_index"]: (m["label"], m["rule"], m["train"]) for m in messages if m["role"] == "assistant"}
    assert by_step[0] == ("mistake", "human_review", False)
    assert by_step[1] == ("useful", "human_review", True)


def test_convert_openai_shape_loads_across_json_chunks(tmp_path: Path):
    """`convert --to openai`: records whose fields differ (no task id, no outcome label, no declared tools) still
    load when `datasets` reads them in separate chunks: same keys everywhere and no null-typed column."""
    from trajsift.export.openai import to_openai, to_openai_stable
    from trajsift.readers.chat import OpenAIChatReader

    unlabelled = shell_run("s-1")
    labelled = editor_run("e-1")
    labelled.outcome.resolved = False
    path = tmp_path / "convert.jsonl"
    path.write_bytes(b"".join(orjson.dumps(to_openai_stable(t)) + b"\n" for t in (unlabelled, labelled)))
    loaded = datasets.load_dataset("json", data_files=str(path), split="train", chunksize=64)
    assert loaded["id"] == ["s-1", "e-1"] and loaded["task_id"] == ["", "acme__pkg-1"]
    assert loaded["resolved"] == ["", "false"]
    [back] = OpenAIChatReader().parse(orjson.loads(path.read_bytes().splitlines()[1]), Origin(path="c", locator="c:2"))
    assert back.outcome.resolved is False
    assert [s.action.arguments for s in back.steps] == [s.action.arguments for s in editor_run("e-1").steps]

    plain = tmp_path / "plain.jsonl"  # the record shape as the OpenAI API has it: fails across chunks
    plain.write_bytes(b"".join(orjson.dumps(to_openai(t)) + b"\n" for t in (unlabelled, labelled)))
    with pytest.raises(datasets.exceptions.DatasetGenerationError):
        datasets.load_dataset("json", data_files=str(plain), split="train", chunksize=64)
