"""Per-run label files kept apart: binding (RUN=FILE, keyed by run, run folders), conflicts, closed reports,
and the labelled / unlabelled counts of a run."""

from __future__ import annotations

import json

import orjson
import pytest
from tests.test_labels import outcome, traj, write

from trajsift.config import load_recipe
from trajsift.errors import InputError
from trajsift.readers.labels import Labels, load_labels, split_binding
from trajsift.report import write_report
from trajsift.run import run_pipeline
from trajsift.schema import Outcome, Source, TaskRef, Trajectory


def test_run_files_that_cannot_be_told_apart_are_refused(tmp_path):
    a = write(tmp_path, "a.json", {"resolved": ["c__d-1"]})
    b = write(tmp_path, "b.json", {"resolved": [], "applied": ["c__d-1"]})
    with pytest.raises(InputError, match="cannot be told apart.*--labels RUN=FILE"):
        load_labels([a, b])
    labels = load_labels([f"r1={a}", f"r2={b}"])  # bound: kept apart
    assert outcome(labels, traj("c__d-1", run="r1")) == Outcome(resolved=True, label_source="r1=a.json:task_run")
    assert outcome(labels, traj("c__d-1", run="r2")).resolved is False
    assert outcome(labels, traj("c__d-1", run="r3")).resolved is None
    assert outcome(labels, traj("c__d-1")).resolved is None


def swe_agent_report(resolved: list[str]) -> dict:
    by_project: dict[str, list[str]] = {}
    for task in resolved:
        by_project.setdefault(task.split("__")[0], []).append(task)
    stats = {"generated": 3, "with_logs": 3, "applied": 3, "resolved": len(resolved)}
    return {"stats": stats, "resolved": resolved, "resolved_per_project": by_project}


def test_per_run_final_reports_in_run_folders_are_kept_apart(tmp_path):
    runs = {"cost_2_1": ["p__q-1", "p__q-2"], "cost_2_2": ["p__q-1"], "cost_2_3": []}
    paths = []
    for run, resolved in runs.items():
        (tmp_path / run).mkdir()
        paths.append(write(tmp_path / run, "final_report.json", swe_agent_report(resolved)))
    for labels in (load_labels(paths), load_labels(tmp_path)):  # the files, or the folder holding the runs
        check_three_runs(labels, runs)


def check_three_runs(labels: Labels, runs: dict) -> None:
    table = {
        (run, n): outcome(labels, traj(f"p__q-{n}", run=run, path=f"/d/{run}/p__q-{n}.traj.gz")).resolved
        for run in runs
        for n in (1, 2, 3)
    }
    assert [table[(run, n)] for run in runs for n in (1, 2, 3)] == [
        *(True, True, False),
        *(True, False, False),
        *(False, False, False),
    ]
    unlisted = outcome(labels, traj("p__q-3", run="cost_2_1"))
    assert unlisted == Outcome(resolved=False, label_source="cost_2_1=final_report.json:unlisted")
    assert outcome(labels, traj("p__q-1", run="other-run")).resolved is None  # no report for that run


def test_a_run_report_labels_the_trajectories_read_from_its_folder(tmp_path):
    coder, agent = tmp_path / "coder-lite", tmp_path / "agent-lite"
    for folder in (coder, agent):
        (folder / "trajs").mkdir(parents=True)
    write(coder, "results.json", {"generated": ["v__w-1", "v__w-2"], "resolved": ["v__w-2"]})
    write(agent, "results.json", {"generated": ["v__w-1", "v__w-2"], "resolved": ["v__w-1"]})
    labels = load_labels([coder / "results.json", agent / "results.json"])
    in_coder = traj("v__w-2", path=f"{coder}/trajs/v__w-2.traj.gz")  # its reader names no run
    assert outcome(labels, in_coder) == Outcome(resolved=True, label_source="coder-lite=results.json:task_folder")
    assert outcome(labels, traj("v__w-2", path=f"{agent}/trajs/v__w-2.traj.gz")).resolved is False
    assert outcome(labels, traj("v__w-2", path="/elsewhere/v__w-2.traj.gz")).resolved is None
    named = traj("v__w-2", run="coder-lite", path=f"{agent}/trajs/v__w-2.traj.gz")
    assert outcome(labels, named).resolved is True  # a run the labels name wins over the folder


def test_per_instance_reports_of_two_runs_in_one_folder_conflict(tmp_path):
    for run, resolved in (("r1", True), ("r2", False)):
        folder = tmp_path / "logs" / run / "model" / "g__h-1"
        folder.mkdir(parents=True)
        (folder / "report.json").write_text(json.dumps({"g__h-1": {"resolved": resolved}}))
    with pytest.raises(InputError, match=r"conflicting labels for task_id 'g__h-1': resolved in .*r1.*r2"):
        load_labels(tmp_path / "logs")
    labels = load_labels([f"r1={tmp_path / 'logs' / 'r1'}", f"r2={tmp_path / 'logs' / 'r2'}"])
    assert [outcome(labels, traj("g__h-1", run=run)).resolved for run in ("r1", "r2")] == [True, False]


def test_a_lone_resolved_only_report_labels_only_what_it_lists(tmp_path):
    labels = load_labels(write(tmp_path, "final_report.json", swe_agent_report(["p__q-1"])))
    assert outcome(labels, traj("p__q-1", run="any")).resolved is True
    assert outcome(labels, traj("p__q-2", run="any")).resolved is None  # which run it covers is unknown


def test_report_keyed_by_run(tmp_path):
    report = {
        "run-a": {"resolved_ids": ["k__l-1"], "unresolved_ids": ["k__l-2"], "completed_ids": ["k__l-1", "k__l-2"]},
        "run-b": {"resolved_ids": ["k__l-2"], "unresolved_ids": ["k__l-1"], "completed_ids": ["k__l-1", "k__l-2"]},
    }
    labels = load_labels(write(tmp_path, "runs.json", report))
    got = [outcome(labels, traj(f"k__l-{n}", run=run)).resolved for run in ("run-a", "run-b") for n in (1, 2, 3)]
    assert got == [True, False, None, False, True, None]  # k__l-3: not in a report that lists completed ids


def test_conflicting_labels_for_one_instance_and_run_are_an_error(tmp_path):
    rows = "instance_id,run,resolved\ns__t-1,r1,true\ns__t-1,r2,false\ns__t-1,r1,false\n"
    with pytest.raises(InputError, match="conflicting labels for task_id 's__t-1', run 'r1'"):
        load_labels(write(tmp_path, "l.csv", rows))
    other = write(tmp_path, "m.csv", "instance_id,run,resolved\ns__t-1,r2,true\n")
    with pytest.raises(InputError, match="bound to run 'r1' but has a row for run 'r2'"):
        load_labels(f"r1={other}")


def test_binding_syntax_and_literal_paths_with_equals(tmp_path):
    odd = write(tmp_path, "a=b.json", {"resolved": ["e__f-1"]})
    labels = load_labels(odd)  # an existing path is a path, even with "=" in it
    assert outcome(labels, traj("e__f-1")).resolved is True
    assert split_binding(f"run-1={odd}") == ("run-1", odd)
    assert split_binding("plain.json") == ("", "plain.json")
    with pytest.raises(InputError, match="not found"):
        load_labels(f"r={tmp_path / 'missing.json'}")


def test_run_stats_count_labelled_and_unlabelled_rows(tmp_path):
    runs = {"run-1": ["x__y-1"], "run-2": []}
    records = []
    for run in runs:
        (tmp_path / run).mkdir()
        write(tmp_path / run, "final_report.json", swe_agent_report(runs[run]))
        records += [
            Trajectory(id=f"{run}/{n}", task=TaskRef(task_id=f"x__y-{n}"), source=Source(run=run)) for n in (1, 2)
        ]
    records.append(Trajectory(id="other/1", task=TaskRef(task_id="x__y-1"), source=Source(run="other")))
    (tmp_path / "t.jsonl").write_bytes(b"\n".join(r.to_json() for r in records))
    recipe = load_recipe(None, [f"labels={[str(tmp_path / run / 'final_report.json') for run in runs]}"])
    result = run_pipeline([str(tmp_path / "t.jsonl")], tmp_path / "out", recipe)
    summary = result.stats["labels"]
    assert (summary["labelled"], summary["unlabelled"]) == (4, 1)
    assert sum(summary["resolved"].values()) == 1 and sum(summary["unresolved"].values()) == 3
    assert summary["resolved_rate_input"] == 0.25  # over the four labelled rows, not the five read
    assert orjson.loads((tmp_path / "out" / "stats.json").read_bytes())["labels"] == summary
    html = (write_report(tmp_path / "out")).read_text()
    assert "4 rows labelled, 1 unlabelled" in html
