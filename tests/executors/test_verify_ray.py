"""`trajsift verify --executor ray`: one Ray task per (task, patch) pair, the same verdict rows as local."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import msgspec
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from harness.sandbox_helpers import needs_bwrap
from harness.verify_helpers import GOLD, SOURCE, diff, make_repo, make_task
from trajsift.cli.main import app
from trajsift.cli.verify_cmd import read_rows
from trajsift.demo.writers import TEST_COMMAND, TEST_ENV
from trajsift.rundir import Decision, RunDir
from trajsift.schema import Action, ActionType, FinalState, Step, TaskRef, Trajectory
from trajsift.tasks import Environment

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'trajsift[ray]')")
from trajsift.executors.ray_executor import fan_out  # noqa: E402  (after the importorskip)

WRONG = diff("calc.py", SOURCE, SOURCE.replace("a - b", "a * b"))


@pytest.fixture(scope="module", autouse=True)
def ray_instance(tmp_path_factory):
    """A local Ray whose workers share this module's harness cache (environments are built once)."""
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg"))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
    if saved is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = saved


def _pid_and_square(value: int) -> tuple[int, int]:
    return os.getpid(), value * value


def test_fan_out_runs_each_item_in_a_ray_worker_in_item_order():
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module
    results = fan_out(_pid_and_square, [3, 1, 2])
    assert [square for _, square in results] == [9, 1, 4]
    assert os.getpid() not in {pid for pid, _ in results}


def _trajectory(traj_id: str, task_id: str, patch: str) -> Trajectory:
    steps = [Step(index=0, thought="Fix add.", action=Action(type=ActionType.EDIT, command="edit calc.py"))]
    return Trajectory(id=traj_id, task=TaskRef(task_id=task_id), steps=steps, final=FinalState(patch=patch))


def _dataset(root: Path) -> tuple[Path, Path]:
    """A real task (a git repository, pytest in the sandbox) and four trajectories: correct, incorrect,
    without a patch, and for a task the file does not hold."""
    _, commit = make_repo(root)
    environment = Environment(python="3.11", packages=["pytest"], env=TEST_ENV)
    task = make_task(commit, environment=environment, test_command=TEST_COMMAND)
    tasks = root / "tasks.jsonl"
    tasks.write_bytes(msgspec.json.encode(task) + b"\n")
    trajs = [
        _trajectory("gold", "calc-1", GOLD),
        _trajectory("wrong", "calc-1", WRONG),
        _trajectory("empty", "calc-1", ""),
        _trajectory("orphan", "calc-9", GOLD),
    ]
    data = root / "trajs.jsonl"
    data.write_bytes(b"\n".join(t.to_json() for t in trajs) + b"\n")
    return data, tasks


def _verify(data: Path, tasks: Path, out: Path, *executor: str) -> list[dict]:
    args = ["verify", str(data), "--tasks", str(tasks), "--out", str(out), "--no-cache", *executor]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return [{k: v for k, v in row.items() if not k.endswith("duration_s")} for row in read_rows(out)]


def _ids_by_output(out: Path) -> dict[str, list[str]]:
    paths = {d.value: RunDir(out).output(d) for d in Decision}
    return {name: pq.read_table(p, columns=["trajectory_id"]).column(0).to_pylist() for name, p in paths.items()}


@needs_bwrap
def test_verify_on_ray_gives_the_local_verdicts(tmp_path: Path):
    data, tasks = _dataset(tmp_path)
    local = _verify(data, tasks, tmp_path / "local")
    on_ray = _verify(data, tasks, tmp_path / "ray", "--executor", "ray", "--workers", "2")
    verdicts = {row["trajectory_id"]: row["correctness.tests.verdict"] for row in local}
    assert verdicts == {"gold": "correct", "wrong": "incorrect", "empty": "unknown", "orphan": "unknown"}, local
    gold = next(row for row in local if row["trajectory_id"] == "gold")
    assert gold["correctness.tests.f2p_passed"] == 2 and gold["correctness.tests.p2p_passed"] == 1
    assert on_ray == local
    assert _ids_by_output(tmp_path / "ray") == _ids_by_output(tmp_path / "local")
