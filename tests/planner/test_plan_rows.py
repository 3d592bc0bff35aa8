import json
import random

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from trajsift.cli.main import app
from trajsift.planner import DatasetState, PlanSpec, load_state, make_plan
from trajsift.planner.retry import DISCARD, REGENERATE, retry_decisions
from trajsift.planner.spec import STYLES, RetryPolicy

from .test_planner_simulation import TARGET, pool, skewed_state


def test_rows_mix_models_temperatures_and_styles_without_llm():
    tasks = pool()
    plan = make_plan(skewed_state(tasks, random.Random(0)), tasks, PlanSpec(cells=TARGET, batch_tasks=20))
    new = [r for r in plan.rows if r["kind"] == "new"]
    models_per_task = {}
    for row in new:
        models_per_task.setdefault(row["task_id"], []).append(row["model"])
    assert all(len(set(models)) >= 3 for models in models_per_task.values())
    assert {r["temperature"] for r in new} == {0.0, 0.3, 0.7, 1.0}
    assert {r["prompt_style"] for r in new} == set(STYLES)
    assert all(not r["rephrased"] and r["prompt_note"] == "no LLM configured: original prompt kept" for r in new)
    assert all(r["prompt"] == tasks[r["task_id"]].instruction for r in new)
    assert not any(r["cell"] == "bugfix/easy" for r in new)  # the over-represented cell gets nothing
    assert plan.summary["rephrasing"] == "no LLM configured: original prompts kept"


def test_retry_decisions_by_success_rate_and_cost():
    state = DatasetState()
    for _ in range(9):
        state.record("easy-ok", "a/easy", True, cost=1.0)
    state.record("easy-fail", "a/easy", False, "m1", cost=1.0)  # one failure in a good cell: retry
    for _ in range(6):
        state.record("hopeless", "a/hard", False, cost=1.0)  # attempt budget spent
    for _ in range(2):
        state.record("pricey", "a/easy", False, cost=50.0)
    policy = RetryPolicy(max_attempts=6, max_cost_per_success=20.0)
    decisions = {d.task_id: d for d in retry_decisions(state, policy)}
    assert set(decisions) == {"easy-fail", "hopeless", "pricey"}
    assert decisions["easy-fail"].decision == REGENERATE
    assert decisions["hopeless"].decision == DISCARD and "failed attempts" in decisions["hopeless"].reason
    assert decisions["pricey"].decision == DISCARD and "cost per success" in decisions["pricey"].reason


def test_regenerated_tasks_get_models_that_have_not_tried_them():
    tasks = pool()
    state = DatasetState()
    state.record("bugfix-easy-3", "bugfix/easy", False, "model-a", cost=0.1)
    plan = make_plan(state, tasks, PlanSpec(batch_tasks=3, models_per_task=2))
    retry = [r for r in plan.rows if r["kind"] == "retry"]
    assert {r["model"] for r in retry} == {"model-b", "model-c"}
    assert retry[0]["retry"]["decision"] == REGENERATE


def write_run(run_dir, rows):
    run_dir.mkdir()
    (run_dir / "stats.json").write_text("{}")
    for name, part in rows.items():
        pq.write_table(pa.Table.from_pylist(part), run_dir / name)


def test_cli_plans_from_a_run_dir(tmp_path):
    row = {"task_id": "t1", "category": "bugfix", "difficulty": "easy", "model": "model-a", "basic.limits.cost": 0.2}
    write_run(tmp_path / "run", {"kept.parquet": [row] * 3, "rejected.parquet": [row | {"task_id": "t2"}]})
    state = load_state(tmp_path / "run")
    assert state.kept["bugfix/easy"] == 3 and state.tasks["t2"].attempts == 1
    tasks = tmp_path / "tasks.jsonl"
    pool_rows = [("t1", "bugfix", "easy"), ("t2", "bugfix", "easy"), ("t3", "feature", "hard")]
    tasks.write_text("\n".join(json.dumps({"task_id": t, "category": c, "difficulty": d}) for t, c, d in pool_rows))
    target = tmp_path / "target.yaml"
    target.write_text("cells: {bugfix/easy: 1, feature/hard: 1}\nbatch_tasks: 2\n")
    out = tmp_path / "plan.jsonl"
    result = CliRunner().invoke(
        app, ["plan", str(tmp_path / "run"), "--tasks", str(tasks), "--target", str(target), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["task_id"] for r in rows if r["kind"] == "new"} == {"t3"}
    assert [r["task_id"] for r in rows if r["kind"] == "retry"] == ["t2", "t2"]


def test_cli_rejects_a_folder_that_is_not_a_run(tmp_path):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"task_id": "t"}))
    result = CliRunner().invoke(app, ["plan", str(tmp_path), "--tasks", str(tasks)])
    assert result.exit_code != 0
