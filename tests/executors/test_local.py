"""The local executor: identical outputs for any worker count, and resume after SIGKILL."""

import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from trajsift.config import load_recipe
from trajsift.run import run_pipeline

KILL_POINTS = Path(__file__).with_name("kill_points.py")


def cli_run(dataset, recipe_file, out, workers=1, kill_at=None, count_file=None):
    hook = [] if kill_at is None else ["--kill-at", str(kill_at)]
    hook += [] if count_file is None else ["--count-file", str(count_file)]
    cmd = [sys.executable, str(KILL_POINTS), *hook, "--", "run", str(dataset), "--out", str(out)]
    cmd += ["--recipe", str(recipe_file), "--workers", str(workers)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_decisions_and_reasons(dataset, recipe_file, tmp_path):
    result = run_pipeline([str(dataset)], tmp_path / "out", load_recipe(str(recipe_file)))
    rejected = pq.read_table(tmp_path / "out" / "rejected.parquet").to_pylist()
    reasons = {r for row in rejected for r in row["reasons"]}
    assert {"model_not_wanted", "temperature_below_top_fraction"} <= reasons
    assert all(row["decided_by"] in {"gate", "rank", "diversity"} for row in rejected)
    assert result.stats["input"]["quarantined"] == 2
    total = sum(result.counts.values())
    assert total == 60 == result.stats["total"]
    kept = pq.read_table(tmp_path / "out" / "kept.parquet")
    assert {
        "trajectory_id",
        "task_id",
        "model",
        "quality_score",
        "decision",
        "reasons",
        "decided_by",
        "trajectory",
    } <= set(kept.column_names)


@pytest.mark.parametrize("workers", [2, 4])
def test_same_bytes_for_any_worker_count(dataset, recipe_file, tmp_path, workers, run_files):
    one = cli_run(dataset, recipe_file, tmp_path / "one", workers=1)
    assert one.returncode == 0, one.stderr
    many = cli_run(dataset, recipe_file, tmp_path / "many", workers=workers)
    assert many.returncode == 0, many.stderr
    assert run_files(tmp_path / "one") == run_files(tmp_path / "many")


@pytest.mark.timeout(1800)  # ~35 CLI runs in a row: minutes on a loaded 2-core machine, never a hang
def test_resume_after_sigkill_at_many_points(dataset, recipe_file, tmp_path, run_files):
    """Kill points are checkpoint numbers: each atomic write of the run's state is two checkpoints (before and
    after its rename), counted per process and never on a timer, so a run over the same inputs passes the same
    sequence and the Nth checkpoint is the same moment in every run."""
    counter = tmp_path / "checkpoints"
    reference = cli_run(dataset, recipe_file, tmp_path / "ref", count_file=counter)
    assert reference.returncode == 0, reference.stderr
    expected = run_files(tmp_path / "ref")
    total = int(counter.read_text())  # every atomic write passes two checkpoints: before and after its rename
    again = cli_run(dataset, recipe_file, tmp_path / "again", count_file=counter)
    assert again.returncode == 0, again.stderr
    assert int(counter.read_text()) == total, "the checkpoint count depends on something besides the inputs"
    points = sorted({1 + (total - 1) * i // 13 for i in range(14)})
    assert len(points) >= 12
    for n, point in enumerate(points):
        out = tmp_path / f"kill{point}"
        first = cli_run(dataset, recipe_file, out, kill_at=point)
        assert first.returncode == -signal.SIGKILL, f"not killed at checkpoint {point} of {total}: {first.stderr}"
        if n % 3 == 0:  # some resumes are killed again before they finish
            second = cli_run(dataset, recipe_file, out, kill_at=2)
            assert second.returncode in (0, -signal.SIGKILL)
        assert cli_run(dataset, recipe_file, out).returncode == 0
        assert run_files(out) == expected, f"outputs differ after a kill at checkpoint {point}"
        kept = pq.read_table(out / "kept.parquet").column("trajectory_id").to_pylist()
        assert len(kept) == len(set(kept))
