"""Tasks that cannot be graded are rejected at load, naming the field; `tasks validate` says which."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from trajsift.harness.validate import INVALID
from trajsift.tasks import Task, load_tasks, task_problems

RECORD = {
    "instance_id": "owner__proj-1",
    "repo": "owner/proj",
    "base_commit": "0" * 40,
    "version": "1.0",
    "problem_statement": "add() subtracts",
    "patch": "diff --git a/calc.py b/calc.py\n",
    "test_patch": "diff --git a/tests/test_calc.py b/tests/test_calc.py\n",
    "FAIL_TO_PASS": json.dumps(["tests/test_calc.py::test_add"]),
    "PASS_TO_PASS": "[]",
}


def write_tasks(tmp_path, records):
    path = tmp_path / "tasks.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_complete_swebench_record_has_no_problem(tmp_path):
    tasks = load_tasks(str(write_tasks(tmp_path, [RECORD])))
    assert task_problems(tasks["owner__proj-1"]) == []


def test_null_empty_or_absent_test_patch_is_named(tmp_path):
    absent = {k: v for k, v in RECORD.items() if k != "test_patch"}
    records = [{**RECORD, "instance_id": "a", "test_patch": None}, {**RECORD, "instance_id": "b", "test_patch": ""}]
    tasks = load_tasks(str(write_tasks(tmp_path, [*records, {**absent, "instance_id": "c"}])))
    for task in tasks.values():
        assert task.test_patch == ""  # null never reaches the harness as None
        assert [p.split()[0] for p in task_problems(task)] == ["test_patch"]


def test_empty_fail_to_pass_is_named(tmp_path):
    tasks = load_tasks(str(write_tasks(tmp_path, [{**RECORD, "FAIL_TO_PASS": "[]"}])))
    assert [p.split()[0] for p in task_problems(tasks["owner__proj-1"])] == ["FAIL_TO_PASS"]


def test_own_task_without_test_patch_is_fine_when_its_tests_exist():
    task = Task(task_id="t", repo="repos/calc", fail_to_pass=["tests/test_calc.py::test_add"])
    assert task_problems(task) == []
    assert task_problems(Task(task_id="t", repo="repos/calc"))[0].startswith("FAIL_TO_PASS")


def test_tasks_validate_reports_the_field_without_running(tmp_path, monkeypatch):
    from trajsift.cli.main import app

    monkeypatch.setenv("COLUMNS", "200")
    path = write_tasks(tmp_path, [{**RECORD, "test_patch": None}])
    result = CliRunner().invoke(app, ["tasks", "validate", str(path), "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    assert f"owner__proj-1: {INVALID} test_patch is missing, null or empty" in result.output
    assert not (tmp_path / "cache" / "worktrees").exists()  # nothing was checked out or run
