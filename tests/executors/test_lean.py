"""The lean path of `trajsift dedup` (`executors.lean_driver`): the same output files as the general pipeline."""

from __future__ import annotations

import random

import pytest

from trajsift.cli.dedup_cmd import diversity_only
from trajsift.config import load_recipe
from trajsift.executors.lean_driver import lean_applies, row_record
from trajsift.pipeline import build_pipeline
from trajsift.run import run_pipeline
from trajsift.rundir import RunDir
from trajsift.schema import Action, ActionType, FinalState, Outcome, Source, Step, TaskRef, Trajectory, Usage

RECIPE = """
shard_size: 7
stages:
  - name: diversity
    checks: [{id: diversity.exact}, {id: diversity.near}, {id: diversity.novelty}]
    keep: {no_findings: {}}
  - name: sampling
    checks: [{id: diversity.sample, params: {per_task_cap: 3}}]
    keep: {no_findings: {}}
"""
WORDS = "parse value config default return error path file module test fix check raise empty input list".split()


def _trajectory(i: int, base: int, rng: random.Random) -> Trajectory:
    """Trajectory `i` made from `base`'s content (`base != i`: a near copy, two thought words changed)."""
    words = [random.Random(base * 7 + k).choice(WORDS) for k in range(60)]
    if base != i:
        words[rng.randrange(60)] = words[rng.randrange(60)] = "rewritten"
    steps = [
        Step(index=0, thought=" ".join(words[:30]), action=Action(type=ActionType.READ, target=f"src/m{base}.py")),
        Step(index=1, thought=" ".join(words[30:]), action=Action(type=ActionType.EDIT, target=f"src/m{base}.py")),
        Step(index=2, action=Action(type=ActionType.RUN_TESTS, command=f"pytest tests/test_m{base}.py")),
        Step(index=3, action=Action(type=ActionType.SUBMIT, command="submit")),
    ]
    patch = f"--- a/src/m{base}.py\n+++ b/src/m{base}.py\n@@ -1 +1 @@\n-    return None\n+    return {words[0]}()\n"
    return Trajectory(
        id=f"traj-{i:03d}",
        source=Source(model=f"m{i % 2}", scaffold="demo", run=f"r{i % 3}", temperature=0.5 if i % 4 else None),
        task=TaskRef(task_id=f"task-{base % 5}", category="bug_fix", repo="org/app"),
        steps=steps,
        final=FinalState(patch=patch, submitted=True),
        usage=Usage(started_at=f"2026-01-01T00:{i % 60:02d}:00Z" if i % 3 else ""),
        outcome=Outcome(resolved=bool(i % 2) if i % 5 else None),
    )


def write_inputs(folder, n=48):
    """Three JSONL files: every 6th row a near copy of the row 3 before it, every 8th an exact copy of the one
    before; a broken line and a repeated id (both quarantined)."""
    rng = random.Random(5)
    folder.mkdir()
    rows = []
    for i in range(n):
        traj = _trajectory(i, i - 3 if i % 6 == 5 else i, rng)
        if i % 8 == 7:
            traj = _trajectory(i, i - 1, random.Random(0))
            traj.steps, traj.final = rows[-1].steps, rows[-1].final
        rows.append(traj)
    lines = [t.to_json() for t in rows]
    lines.insert(20, b'{"truncated": ')
    lines.insert(30, rows[4].to_json())  # id traj-004 again
    for part in range(3):
        (folder / f"part-{part}.jsonl").write_bytes(b"\n".join(lines[part * 17 : (part + 1) * 17]) + b"\n")
    return folder


@pytest.fixture
def recipe(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text(RECIPE)
    return load_recipe(str(path))


@pytest.mark.parametrize("workers", [1, 2])
def test_lean_dedup_writes_the_general_pipelines_files(tmp_path, recipe, run_files, workers):
    inputs = [str(write_inputs(tmp_path / "in"))]
    general = run_pipeline(inputs, tmp_path / "general", recipe, workers=workers)
    lean = run_pipeline(inputs, tmp_path / "lean", recipe, workers=workers, lean=True)
    assert run_files(tmp_path / "general") == run_files(tmp_path / "lean")
    assert lean.counts == general.counts and lean.counts["rejected"] >= 6  # the planted copies, over quota rows
    assert lean.stats["findings"]["diversity:near_duplicate"] >= 4
    assert lean.stats["findings"]["diversity:exact_duplicate"] >= 3
    assert lean.stats["input"]["quarantine_reasons"] == {"duplicate_id": 1, "truncated_json": 1}
    assert [p.name[:5] for p in RunDir(tmp_path / "lean").work.iterdir() if p.name.startswith("lean-")] == ["lean-"]
    assert not any(p.name.startswith("lean-") for p in RunDir(tmp_path / "general").work.iterdir())


def test_lean_path_only_for_signing_then_row_only_stages(recipe):
    assert lean_applies(build_pipeline(recipe))
    assert lean_applies(build_pipeline(diversity_only(load_recipe())))
    assert not lean_applies(build_pipeline(load_recipe()))  # `trajsift run`: stages read the records


def test_row_record_holds_what_the_row_says():
    meta = {"trajectory_id": "t", "task_id": "x", "category": None, "repo": "r", "model": "m", "temperature": 0.2}
    record = row_record(meta)
    assert (record.id, record.task.task_id, record.task.category, record.task.repo) == ("t", "x", "", "r")
    assert (record.source.model, record.source.temperature, record.outcome.resolved) == ("m", 0.2, None)


def test_rows_of_a_traj_file_read_from_the_batches_that_hold_them(tmp_path):
    import pyarrow as pa

    from trajsift.executors.lean_read import _rows

    def write(path, sizes):
        schema = pa.schema([("trajectory", pa.int64())])
        values = iter(range(sum(sizes)))
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
            for size in sizes:
                writer.write_table(pa.table({"trajectory": [next(values) for _ in range(size)]}, schema=schema))

    path = tmp_path / "traj.arrow"
    write(path, [3, 3, 3, 2])  # as `sign_group` writes: full batches, a shorter last one
    with pa.OSFile(str(path), "rb") as source:
        reader = pa.ipc.open_file(source)
        for start in range(11):
            for stop in range(start + 1, 12):
                assert _rows(reader, start, stop, 3)["trajectory"].to_pylist() == list(range(start, stop))
