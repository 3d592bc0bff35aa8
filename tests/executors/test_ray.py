"""The Ray executor: the same files as the local executor (demo data, near duplicates), resume, no Ray import."""

import json
import os
import random
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trajsift.checks.exact_dedup import ExactDuplicates
from trajsift.checks.near_dedup import NearDuplicates
from trajsift.config import load_recipe
from trajsift.run import run_pipeline
from trajsift.schema import Action, ActionType, FinalState, Source, Step, TaskRef, Trajectory

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'trajsift[ray]')")
from trajsift.executors.ray_executor import DISTRIBUTED_REDUCES  # noqa: E402  (after the importorskip)

from .test_read_parts import make_many_units, read_dir, read_files  # noqa: E402

RECIPE = """
shard_size: 9
stages:
  - name: basic_filter
    checks: [{id: basic.status}, {id: basic.content}, {id: basic.limits}]
    keep: {no_findings: {}}
  - name: quality
    checks: [{id: quality.completeness}, {id: quality.coherence}, {id: quality.efficiency}, {id: quality.score}]
    keep:
      top_fraction: {column: quality_score, fraction: 0.9, by: [category]}
  - name: diversity
    checks: [{id: diversity.exact}, {id: diversity.near, params: {bucket_window: 2}}]
    keep: {no_findings: {}}
"""


@pytest.fixture(scope="module", autouse=True)
def ray_instance():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _patch(path: str, value: int) -> str:
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1,4 +1,4 @@\n def f(x):\n"
        f"-    return x\n+    return x + {value}\n \n # end\n"
    )


def _trajectory(i: int, base: int, noise: int) -> Trajectory:
    pick = random.Random(base)
    words = [f"w{pick.randrange(400)}" for _ in range(30)] + [f"n{noise}"]
    steps = []
    for k in range(8):
        command = f"sed -n {k},{k + 9}p src/mod{base}/f{base}_{k % 4}.py" if k % 3 else f"grep -rn sym{base} src"
        steps.append(
            Step(
                index=k,
                thought=" ".join(words[k : k + 12] + words[-1:] * (k == 0)),
                action=Action(type=ActionType.READ, command=command),
            )
        )
    steps.append(Step(index=8, thought="fix it", action=Action(type=ActionType.EDIT, command=f"edit mod{base}")))
    steps.append(Step(index=9, thought="done", action=Action(type=ActionType.SUBMIT, command="submit")))
    return Trajectory(
        id=f"traj-{i:03d}",
        source=Source(model=f"m{i % 3}", scaffold="demo", format="trajsift"),
        task=TaskRef(task_id=f"task-{base % 7}", category=["bug_fix", "feature"][base % 2]),
        steps=steps,
        final=FinalState(patch=_patch(f"src/mod{base}/f.py", base), submitted=True),
    )


def make_duplicates(path, n=60):
    """Every 5th trajectory is a near copy (other noise word) of an earlier one; every 11th an exact copy."""
    lines = []
    for i in range(n):
        base = i - 3 if i % 5 == 4 else i
        traj = _trajectory(i, base, noise=i)
        if i % 11 == 10:
            traj = _trajectory(i, i - 1, noise=i - 1)
        lines.append(traj.to_json())
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_demo_data_same_files(tmp_path, run_files):
    """The local run verifies the demo's patches into a fresh harness cache, Ray reads them back: the outputs do
    not depend on which run verified a patch (no cache-state or timing column differs)."""
    from trajsift.demo import write_demo

    demo = write_demo(tmp_path / "demo")
    recipe = load_recipe(None, [f"tasks={demo.tasks}"])
    tests = next(check for stage in recipe.stages for check in stage.checks if check.id == "correctness.tests")
    tests.params["cache_dir"] = str(tmp_path / "harness-cache")
    local = run_pipeline([str(demo.trajectories)], tmp_path / "local", recipe)
    on_ray = run_pipeline([str(demo.trajectories)], tmp_path / "ray", recipe, workers=2, executor="ray")
    assert run_files(tmp_path / "local") == run_files(tmp_path / "ray")
    assert local.counts == on_ray.counts and sum(local.counts.values()) > 0
    funnel = {s["name"]: s["status"] for s in on_ray.stats["funnel"]}
    assert funnel == {s["name"]: s["status"] for s in local.stats["funnel"]}


def test_duplicates_same_files_and_resume(tmp_path, monkeypatch, run_files):
    data = make_duplicates(tmp_path / "input.jsonl")
    (tmp_path / "recipe.yaml").write_text(RECIPE)
    recipe = load_recipe(str(tmp_path / "recipe.yaml"))
    run_pipeline([str(data)], tmp_path / "local", recipe, workers=2)
    rows = pq.read_table(tmp_path / "local" / "rejected.parquet").to_pylist()
    assert sum(bool(r["diversity.near.is_duplicate"]) for r in rows) >= 5
    assert any("exact_duplicate" in r["reasons"] for r in rows)

    monkeypatch.setenv("TRAJSIFT_RAY_FAIL_AT", "diversity:2")
    with pytest.raises(Exception, match="injected failure"):
        run_pipeline([str(data)], tmp_path / "ray", recipe, workers=2, executor="ray")
    work = tmp_path / "ray" / "_work"
    quality_files = sorted(work.glob("stage1-quality-*/final-*.parquet"))
    assert len(quality_files) == 7 and not (tmp_path / "ray" / "kept.parquet").exists()
    stamps = [f.stat().st_mtime_ns for f in quality_files]

    monkeypatch.delenv("TRAJSIFT_RAY_FAIL_AT")
    run_pipeline([str(data)], tmp_path / "ray", recipe, workers=2, executor="ray")
    assert [f.stat().st_mtime_ns for f in quality_files] == stamps  # finished stages are not redone
    assert run_files(tmp_path / "local") == run_files(tmp_path / "ray")


def test_ray_workers_read_the_inputs(tmp_path, recipe_file, run_files):
    """The driver lists and assembles; Ray Data tasks in other processes read the unit groups."""
    many = make_many_units(tmp_path / "many")
    recipe = load_recipe(str(recipe_file))
    run_pipeline([str(many)], tmp_path / "local", recipe, workers=1)
    run_pipeline([str(many)], tmp_path / "ray", recipe, workers=2, executor="ray")
    assert run_files(tmp_path / "local") == run_files(tmp_path / "ray")
    assert read_files(tmp_path / "local") == read_files(tmp_path / "ray")
    readers = json.loads((read_dir(tmp_path / "ray") / "readers.json").read_text())
    assert readers and all(int(reader.rpartition(":")[2]) != os.getpid() for reader in readers)
    local = json.loads((read_dir(tmp_path / "local") / "readers.json").read_text())
    assert [int(reader.rpartition(":")[2]) for reader in local] == [os.getpid()]  # one worker: read in process


def test_dedup_command_on_ray_same_files(tmp_path, run_files):
    from typer.testing import CliRunner

    from trajsift.cli.main import app

    data = make_duplicates(tmp_path / "input.jsonl")
    for name in ("local", "ray"):
        args = ["dedup", str(data), "--out", str(tmp_path / name), "--executor", name, "--workers", "2"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
    assert run_files(tmp_path / "local") == run_files(tmp_path / "ray")
    stats = json.loads((tmp_path / "ray" / "stats.json").read_text())
    assert [stage["name"] for stage in stats["funnel"]] == ["diversity", "sampling"]
    assert stats["decisions"]["drop"] >= 5  # the planted copies


def _signatures(check: NearDuplicates, n: int = 300) -> pa.Table:
    rng = np.random.default_rng(0)
    width = sum(check.perms.values())  # views may have their own num_perm (default: thoughts 256)
    sigs = rng.integers(0, 6, size=(n, width), dtype=np.uint16)  # few values: large LSH buckets
    for i in range(0, n, 7):
        j = (i * 13 + 5) % n
        sigs[j] = np.where(rng.random(width) < 0.2, rng.integers(0, 6, width), sigs[i])
    vocab = rng.integers(0, 2**32, 20, dtype=np.uint64).astype(np.uint32)
    actions = [vocab[rng.integers(0, 20, int(rng.integers(0, 20)))] for _ in range(n)]
    for i in range(5, n, 5):
        actions[i] = np.concatenate([actions[i - 3][:12], actions[i][:2]])
    minhash: list = [s.tobytes() for s in sigs]
    minhash[3], minhash[4] = None, b"short"
    quality = rng.random(n).round(1).tolist()
    quality[7] = None
    col = check.sig_col
    return pa.table(
        {
            "trajectory_id": [f"t{i:04d}" for i in range(n)],
            col("minhash"): pa.array(minhash, pa.large_binary()),
            col("present"): pa.array([None if i == 6 else 1 if i == 5 else 3 for i in range(n)], pa.int64()),
            col("actions"): pa.array([a.tobytes() for a in actions], pa.large_binary()),
            col("quality"): pa.array(quality, pa.float64()),
        }
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"action_rule": True, "bucket_window": 2, "action_min_steps": 3},
        {"verify": False, "bands": 16, "rows": 2},
        # one value per band: buckets of ~50 rows, ordered by the tiebreak view; two clauses
        {"bands": 8, "rows": 1, "bucket_window": 3, "match": [["actions", "thoughts"], ["thoughts"]]},
    ],
)
def test_distributed_near_reduce_equals_local(tmp_path, params):
    check = NearDuplicates(params)
    table = _signatures(check)
    sources = []
    for k, start in enumerate(range(0, table.num_rows, 70)):
        pq.write_table(table.slice(start, 70), tmp_path / f"sig-{k}.parquet")
        sources.append((str(tmp_path / f"sig-{k}.parquet"), start))
    local = json.loads(json.dumps(check.reduce(table)))
    assert local["clusters"] and local["runs"]
    for parts in (2, 5):
        assert json.loads(json.dumps(DISTRIBUTED_REDUCES["diversity.near"](check, sources, parts))) == local


def test_distributed_exact_reduce_equals_local(tmp_path):
    check = ExactDuplicates()
    rng = random.Random(5)
    n = 230
    contents = [f"{rng.randrange(60):032x}" if i % 4 else f"{i:032x}" for i in range(n)]  # a quarter unique
    contents[9] = None
    patches = ["" if i % 7 == 0 else f"{rng.randrange(40):032x}" for i in range(n)]
    quality = [None if i % 11 == 0 else rng.choice([0.2, 0.5, 0.9]) for i in range(n)]  # ties: the id decides
    table = pa.table(
        {
            "trajectory_id": [f"t{i:04d}" for i in reversed(range(n))],  # ids not in row order
            check.sig_col("content"): pa.array(contents, pa.string()),
            check.sig_col("patch"): pa.array(patches, pa.string()),
            check.sig_col("quality"): pa.array(quality, pa.float64()),
        }
    )
    sources = []
    for k, start in enumerate(range(0, n, 60)):
        pq.write_table(table.slice(start, 60), tmp_path / f"sig-{k}.parquet")
        sources.append((str(tmp_path / f"sig-{k}.parquet"), start))
    local = check.reduce(table)
    assert len(local["best"]) > 20 and len(local["patches"]) > 20
    assert any(size > 2 for _, size in local["best"].values())
    for parts in (2, 5):
        assert DISTRIBUTED_REDUCES["diversity.exact"](check, sources, parts) == local
    assert DISTRIBUTED_REDUCES["diversity.exact"](check, [], 3) == {"best": {}, "patches": {}}


def test_import_never_loads_ray():
    code = (
        "import sys, trajsift, trajsift.run, trajsift.cli.main, trajsift.checks.near_dedup, trajsift.executors.local;"
        "assert 'ray' not in sys.modules, 'ray imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
