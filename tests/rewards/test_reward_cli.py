"""`trajsift reward` from raw inputs and from a run directory: output shape and joinability."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from typer.testing import CliRunner

from trajsift.arrow import to_table
from trajsift.cli.main import app
from trajsift.config import load_recipe
from trajsift.rewards.trajectory import COMPONENTS
from trajsift.run import run_pipeline

from .reward_shapes import swe_agent_run, traj

runner = CliRunner()


def write_inputs(tmp_path):
    first = swe_agent_run()
    second = traj(swe_agent_run().steps[:3], tid="t2", task_id="owner__repo-2")
    path = tmp_path / "trajs.parquet"
    pq.write_table(to_table([first, second]), path)
    return path


def test_reward_from_raw_inputs_writes_joinable_outputs(tmp_path):
    result = runner.invoke(app, ["reward", str(write_inputs(tmp_path)), "--out", str(tmp_path / "out"), "--jsonl"])
    assert result.exit_code == 0, result.output
    rewards = pq.read_table(tmp_path / "out" / "rewards.parquet").to_pylist()
    steps = pq.read_table(tmp_path / "out" / "step_rewards.parquet").to_pylist()
    assert [r["trajectory_id"] for r in rewards] == ["t1", "t2"]
    for name in ("rewards", "step_rewards"):  # rows are batched, not one row group per trajectory
        assert pq.ParquetFile(tmp_path / "out" / f"{name}.parquet").num_row_groups == 1
    for row in rewards:
        assert set(COMPONENTS) <= set(row) and {f"weight_{c}" for c in COMPONENTS} <= set(row)
        assert row["correctness"] is None and row["weight_correctness"] == 0.0
        assert abs(sum(row[f"weight_{c}"] for c in COMPONENTS) - 1.0) < 1e-9
    keys = [(s["trajectory_id"], s["step_index"]) for s in steps]
    assert keys == [("t1", i) for i in range(8)] + [("t2", i) for i in range(3)]
    assert len(set(keys)) == len(keys)
    assert {s["trajectory_id"] for s in steps} == {r["trajectory_id"] for r in rewards}
    # the refused edit of swe_agent_run is a step labelled `mistake`, with its rule and evidence
    assert (steps[2]["label"], steps[2]["label_rule"]) == ("mistake", "failed_edit")
    assert "syntax error" in steps[2]["label_evidence"] and steps[3]["label"] == "recovery"
    lines = (tmp_path / "out" / "step_rewards.jsonl").read_text().splitlines()
    assert [(json.loads(x)["trajectory_id"], json.loads(x)["step_index"]) for x in lines] == keys


def test_reward_from_run_dir_uses_its_columns_and_label_fallback_override(tmp_path):
    recipe = load_recipe(None)
    recipe = recipe.model_copy(update={"stages": [s for s in recipe.stages if s.name in ("basic_filter", "quality")]})
    run_dir = tmp_path / "run"
    run_pipeline([str(write_inputs(tmp_path))], run_dir, recipe)
    result = runner.invoke(app, ["reward", str(run_dir), "rewards.weights.code_quality=0"])
    assert result.exit_code == 0, result.output
    rewards = pq.read_table(run_dir / "rewards.parquet").to_pylist()
    assert sorted(r["trajectory_id"] for r in rewards) == ["t1", "t2"]
    assert all(r["decision"] in ("keep", "drop", "review") for r in rewards)
    assert all(r["weight_code_quality"] == 0.0 for r in rewards)
    assert pq.read_table(run_dir / "step_rewards.parquet").num_rows == 11


def test_reward_needs_an_input(tmp_path):
    result = runner.invoke(app, ["reward", "rewards.use_outcome_label=true"])
    assert result.exit_code == 2
