"""Outcome labels: every supported file shape, the matching rule, and wiring into the reader."""

from __future__ import annotations

import gzip
import json

import pytest

from trajsift.errors import InputError
from trajsift.readers.labels import Labels, load_labels, parse_resolved
from trajsift.readers.read import ReadOptions, read_trajectories
from trajsift.schema import Outcome, Source, TaskRef, Trajectory


def traj(task: str = "", *, id: str = "t", path: str = "", run: str = "", model: str = "") -> Trajectory:
    return Trajectory(id=id, task=TaskRef(task_id=task), source=Source(path=path, run=run, model=model))


def outcome(labels: Labels, trajectory: Trajectory) -> Outcome:
    return labels.apply(trajectory).outcome


def write(tmp_path, name: str, content) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_results_json_id_lists(tmp_path):
    results = {
        "no_generation": ["a__a-4"],
        "generated": ["a__a-1", "a__a-2", "a__a-3"],
        "applied": ["a__a-1", "a__a-2"],
        "install_fail": ["a__a-3"],
        "resolved": ["a__a-1"],
    }
    labels = load_labels(write(tmp_path, "results.json", results))
    assert outcome(labels, traj("a__a-1")) == Outcome(resolved=True, label_source="results.json:task")
    assert outcome(labels, traj("a__a-2")).resolved is False
    assert outcome(labels, traj("a__a-3")).resolved is None  # infrastructure failure: not judged
    assert outcome(labels, traj("a__a-4")).resolved is False
    assert outcome(labels, traj("a__a-9")).resolved is None


def test_run_report_with_id_lists(tmp_path):
    report = {
        "total_instances": 4,
        "resolved_instances": 1,
        "submitted_ids": ["x__y-1", "x__y-2", "x__y-3", "x__y-4", "x__y-5"],
        "completed_ids": ["x__y-1", "x__y-2"],
        "resolved_ids": ["x__y-1"],
        "unresolved_ids": ["x__y-2"],
        "empty_patch_ids": ["x__y-3"],
        "error_ids": ["x__y-4"],
    }
    labels = load_labels(write(tmp_path, "final_report.json", report))
    got = [outcome(labels, traj(f"x__y-{n}")).resolved for n in range(1, 6)]
    assert got == [True, False, False, None, None]  # x__y-5 was submitted, never completed: unknown


def test_per_instance_reports_in_a_folder(tmp_path):
    for task, resolved in (("p__q-1", True), ("p__q-2", False)):
        folder = tmp_path / "logs" / "run_evaluation" / "r1" / "model" / task
        folder.mkdir(parents=True)
        report = {task: {"patch_is_None": False, "patch_exists": True, "resolved": resolved, "tests_status": {}}}
        (folder / "report.json").write_text(json.dumps(report))
        (folder / "run_instance.log").write_text("not a label")
    labels = load_labels(tmp_path / "logs")
    assert [outcome(labels, traj(f"p__q-{n}")).resolved for n in (1, 2)] == [True, False]
    assert len(labels) == 2


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("true", True),
        ("False", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("NO", False),
        ("", None),
        ("?", None),
    ],
)
def test_parse_resolved_words(word, value):
    assert parse_resolved(word) is value


def test_csv_by_instance_id(tmp_path):
    labels = load_labels(write(tmp_path, "l.csv", "instance_id,resolved\nm__n-1,yes\nm__n-2,0\nm__n-3,maybe\n"))
    assert [outcome(labels, traj(f"m__n-{n}")).resolved for n in (1, 2, 3)] == [True, False, None]
    assert outcome(labels, traj("m__n-1")).label_source == "l.csv:task"


def test_csv_id_column_matches_trajectory_id_first(tmp_path):
    labels = load_labels(write(tmp_path, "l.csv", "id,resolved\nm__n-1/abc,true\nm__n-2,false\n"))
    assert outcome(labels, traj("m__n-1", id="m__n-1/abc")) == Outcome(resolved=True, label_source="l.csv:trajectory")
    assert outcome(labels, traj("m__n-1", id="m__n-1/other")).resolved is None
    assert outcome(labels, traj("m__n-2", id="m__n-2/any")).resolved is False


def test_jsonl_rows_and_gzip(tmp_path):
    rows = b'{"instance_id": "j__k-1", "resolved": true}\n\n{"instance_id": "j__k-2", "resolved": 0}\n'
    (tmp_path / "l.jsonl.gz").write_bytes(gzip.compress(rows))
    labels = load_labels([tmp_path / "l.jsonl.gz"])
    assert [outcome(labels, traj(f"j__k-{n}")).resolved for n in (1, 2)] == [True, False]


def test_run_and_model_columns_scope_the_label(tmp_path):
    csv_text = "instance_id,run,model,resolved\nr__s-1,1,gpt,true\nr__s-1,2,gpt,false\nr__s-1,1,claude,false\n"
    labels = load_labels(write(tmp_path, "l.csv", csv_text))
    assert outcome(labels, traj("r__s-1", run="1", model="gpt")).resolved is None  # run 1: gpt and claude differ
    assert outcome(labels, traj("r__s-1", run="2")).resolved is False
    assert outcome(labels, traj("r__s-1", model="claude")) == Outcome(resolved=False, label_source="l.csv:task_model")
    assert outcome(labels, traj("r__s-1", model="gpt")).resolved is None  # gpt: runs differ
    assert outcome(labels, traj("r__s-1")).resolved is None  # labels scoped to runs never apply task-wide


def test_path_column_is_the_most_specific_key(tmp_path):
    csv_text = (
        "source,agent,model,bench,run,instance_id,resolved,n_steps,fmt,path\n"
        "sa,SWE-agent,gpt-4,lite,1,a__b-1,False,3,traj,agent-x/results/cost_2_1/a__b-1.traj.gz\n"
        "sa,SWE-agent,gpt-4,lite,2,a__b-1,True,5,traj,agent-x/results/cost_2_2/a__b-1.traj.gz\n"
        "acr,ACR,gpt-4,lite,1,a__b-1,True,7,dir,acr.tar.gz:acr/results/run-1/a__b-1_2024-04-06_13-51-50\n"
    )
    labels = load_labels(write(tmp_path, "labels.csv", csv_text))
    run1 = traj("a__b-1", path="/data/agent-x/results/cost_2_1/a__b-1.traj.gz", run="1")
    run2 = traj("a__b-1", path="/elsewhere/agent-x/results/cost_2_2/a__b-1.traj.gz")
    acr = traj("a__b-1", path="/data/acr.tar.gz:acr/results/run-1/a__b-1_2024-04-06_13-51-50")
    acr_file = traj("a__b-1", path="/d/acr.tar.gz:acr/results/run-1/a__b-1_2024-04-06_13-51-50/chat.json:3")
    assert outcome(labels, run1) == Outcome(resolved=False, label_source="labels.csv:path")
    assert outcome(labels, run2).resolved is True
    assert outcome(labels, acr).resolved is True
    assert outcome(labels, acr_file).resolved is True
    other_copy = traj("a__b-1", path="/data/other/cost_2_1/a__b-1.traj.gz", run="1")
    assert outcome(labels, other_copy).resolved is None  # (task, run 1) is ambiguous: SWE-agent False, ACR True


def test_path_suffix_needs_whole_components(tmp_path):
    labels = load_labels(write(tmp_path, "l.csv", "path,instance_id,resolved\nrun/x.traj,x__y-1,true\n"))
    assert outcome(labels, traj(path="/a/run/x.traj")).resolved is True
    assert outcome(labels, traj(path="/a/myrun/x.traj")).resolved is None
    assert outcome(labels, traj(path="run/x.traj#4")).resolved is True


def test_apply_keeps_unlabelled_trajectory_unchanged():
    labels = Labels()
    original = traj("e__f-1")
    original.outcome.resolved = True
    assert labels.apply(original) is original


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.json", "{not json", "cannot read label file"),
        ("shape.json", json.dumps({"resolved": 3}), "not a label file"),
        ("cols.csv", "instance_id,score\na,1\n", "without a 'resolved' column"),
        ("empty.csv", "instance_id,resolved\n", "no usable label row"),
        ("lines.jsonl", '{"instance_id": "a", "resolved": true}\n[1]\n', "not a JSON object"),
        ("bytes.csv", b"instance_id,resolved\n\xff\xfe,true\n", "cannot read label file"),
    ],
)
def test_unreadable_label_files_raise_input_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError, match=message):
        load_labels(path)


def test_missing_label_path_raises(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_labels(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="no label file"):
        load_labels(tmp_path)


def test_reader_applies_labels(tmp_path):
    records = [Trajectory(id=f"t{n}", task=TaskRef(task_id=f"g__h-{n}")) for n in range(3)]
    (tmp_path / "t.jsonl").write_bytes(b"\n".join(r.to_json() for r in records))
    labels = load_labels(write(tmp_path, "results.json", {"resolved": ["g__h-0"], "applied": ["g__h-0", "g__h-1"]}))
    items = list(read_trajectories([str(tmp_path / "t.jsonl")], ReadOptions(labels=labels)))
    assert [i.outcome.resolved for i in items] == [True, False, None]


def test_results_json_with_trailing_commas(tmp_path):
    text = '{\n  "applied": [\n    "u__v-1",\n    "u__v-2",\n  ],\n  "resolved": ["u__v-2",],\n}\n'
    labels = load_labels(write(tmp_path, "results.json", text))
    assert [outcome(labels, traj(f"u__v-{n}")).resolved for n in (1, 2)] == [False, True]


def test_report_listing_only_resolved_ids_labels_nothing_else(tmp_path):
    report = {"stats": {"generated": 3}, "resolved": ["w__x-1"], "resolved_per_project": {"w/x": ["w__x-1"]}}
    labels = load_labels(write(tmp_path, "final_report.json", report))
    assert outcome(labels, traj("w__x-1")).resolved is True
    assert outcome(labels, traj("w__x-2")).resolved is None  # not listed: unknown, not "unresolved"
