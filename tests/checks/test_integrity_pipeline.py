"""The integrity stage in a real run: flagged rows go to review, findings are counted in stats.json
(also for rows a later stage drops), shown in the report, and are review edge cases at their step."""

from __future__ import annotations

import orjson
import pyarrow.parquet as pq

from trajsift.actions.classify import classify_command
from trajsift.config import load_recipe
from trajsift.report import write_report
from trajsift.review.queue import QueueConfig, queue_items
from trajsift.run import run_pipeline
from trajsift.rundata import load_runs
from trajsift.schema import FinalState, Source, Step, TaskRef, Trajectory

RECIPE = """
shard_size: 4
stages:
  - name: integrity
    checks: [{id: integrity.history}, {id: integrity.tests}, {id: integrity.grader}, {id: integrity.hardcode}]
    review: {no_findings: {}}
  - name: gate
    keep: {in: {column: model, values: [m]}, reason: other_model}
  - name: review
    checks: [{id: review.sample, params: {fraction: 0.01}}]
    review: {no_findings: {}}
"""
FIX = "diff --git a/pkg/a.py b/pkg/a.py\n--- a/pkg/a.py\n+++ b/pkg/a.py\n@@ -1,1 +1,1 @@\n-x = 1\n+x = 2\n"


def run(i: int, commands: list[str], model: str = "m") -> Trajectory:
    steps = [Step(index=n, action=classify_command(c)) for n, c in enumerate(commands)]
    return Trajectory(
        id=f"r{i}",
        source=Source(format="trajsift", model=model),
        task=TaskRef(task_id=f"owner__pkg-{i}", repo="owner/pkg"),
        steps=steps,
        final=FinalState(patch=FIX, submitted=True),
    )


def test_integrity_findings_reach_review_stats_and_report(tmp_path) -> None:
    edit = "sed -i 's/x = 1/x = 2/' pkg/a.py"
    rows = [run(i, ["ls", "cat pkg/a.py", edit, "pytest -q"]) for i in range(6)]
    rows.append(run(6, ["ls", "git log --all --oneline", edit, "pytest -q"]))
    rows.append(run(7, ["pip install pkg", edit], model="x"))  # dropped by a later stage: still counted
    data = tmp_path / "runs.jsonl"
    data.write_bytes(b"\n".join(r.to_json() for r in rows) + b"\n")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE)
    out = tmp_path / "out"
    run_pipeline([str(data)], out, load_recipe(str(recipe)))

    stats = orjson.loads((out / "stats.json").read_bytes())
    assert stats["integrity"]["rows_flagged"] == 2
    assert stats["integrity"]["findings"] == {"integrity_future_history": 1, "integrity_registry_install": 1}
    assert stats["integrity"]["decisions"] == {"keep": 0, "drop": 1, "review": 1}
    assert stats["funnel"][0]["name"] == "integrity" and stats["funnel"][0]["review"] == 1

    review = pq.read_table(out / "review.parquet").to_pylist()
    flagged = next(r for r in review if r["trajectory_id"] == "r6")
    assert "integrity_future_history" in flagged["reasons"]
    assert flagged["integrity.history.future_access_step"] == 1
    assert "edge_integrity" in (flagged["review.sample.edge"] or "")
    kept = pq.read_table(out / "kept.parquet").column("integrity.history.future_access_step").to_pylist()
    assert kept and all(value is None for value in kept)

    items = queue_items(load_runs([out]), QueueConfig())
    assert {(i["trajectory_id"], i["origin"]) for i in items} >= {("r6", "review"), ("r7", "integrity")}

    page = write_report(out).read_text(encoding="utf-8")
    section = page[page.index('id="integrity"') :]
    assert "integrity_future_history" in section and "integrity_registry_install" in section
