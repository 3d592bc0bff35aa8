"""`trajsift tasks prepare`: environments built once per fingerprint, a per-repository summary of what runs."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from trajsift.harness.environments import MARKER, EnvSpec
from trajsift.harness.prepare import (
    FAILED,
    READY,
    REJECTED,
    EnvPlan,
    build_plan,
    plan_environments,
    prepare_environments,
    summarize,
)
from trajsift.tasks import Environment, Task

PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
F2P = ["tests/test_calc.py::test_add"]


def own_task(task_id: str, python: str = PYTHON, repo: str = "repos/calc") -> Task:
    return Task(task_id=task_id, repo=repo, environment=Environment(python=python), fail_to_pass=F2P)


def test_tasks_sharing_an_environment_build_it_once(tmp_path):
    tasks = [own_task("a"), own_task("b"), own_task("c", python="3.99"), Task(task_id="d", repo="repos/calc")]
    plans = plan_environments(tasks)
    assert sorted(len(p.task_ids) for p in plans) == [1, 1, 2]
    seen = []
    results = prepare_environments(plans, tmp_path, workers=2, timeout_s=300, on_result=seen.append)
    assert sorted(r.status for r in results) == sorted([READY, FAILED, REJECTED]) and len(seen) == 3
    ready = next(r for r in results if r.status == READY)
    assert ready.python.startswith(PYTHON) and (tmp_path / "envs" / ready.plan.spec.fingerprint() / MARKER).is_file()
    [summary] = summarize(results)
    assert (summary.repo, summary.tasks, summary.runnable, summary.ready, summary.environments) == (
        "repos/calc",
        4,
        2,
        1,
        2,
    )
    assert any("3.99" in reason for reason in summary.problems)
    assert any(reason.startswith("FAIL_TO_PASS") for reason in summary.problems)


def test_host_steps_the_spec_asks_for_are_said_not_run(tmp_path):
    spec = EnvSpec(python=PYTHON, skipped=["apt-get install -y locales", "locale-gen en_US.UTF-8"])
    result = build_plan(EnvPlan("repos/calc", "1.0", spec), tmp_path, 300)
    assert result.status == READY
    assert result.detail == "host steps not run: apt-get install -y locales; locale-gen en_US.UTF-8"


def test_prepare_command_prints_the_per_repository_summary(tmp_path, monkeypatch):
    from trajsift.cli.main import app

    monkeypatch.setenv("COLUMNS", "200")
    rows = [own_task("a"), own_task("b", repo="repos/other", python="3.99")]
    path = tmp_path / "tasks.jsonl"
    path.write_text("".join(json.dumps(_as_dict(t)) + "\n" for t in rows))
    args = ["tasks", "prepare", str(path), "--cache-dir", str(tmp_path / "cache"), "--workers", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "runnable: 1/2 tasks" in result.output
    assert "repos/calc" in result.output and "repos/other" in result.output and "3.99" in result.output


def _as_dict(task: Task) -> dict:
    import msgspec

    return msgspec.to_builtins(task)


def test_a_build_needing_a_missing_system_package_says_which_before_building(tmp_path, monkeypatch):
    from trajsift.harness import system_deps
    from trajsift.harness.environments import EnvironmentUnavailable

    include = tmp_path / "include"
    (include / "freetype2").mkdir(parents=True)
    (include / "freetype2" / "ft2build.h").write_text("/* header */\n")
    monkeypatch.setattr(system_deps, "INCLUDE_DIRS", (str(include),))
    task = Task(task_id="matplotlib__matplotlib-1", repo="matplotlib/matplotlib", version="3.6", fail_to_pass=F2P)
    assert system_deps.missing_packages(task.repo) == ["libqhull-dev"]
    [plan] = plan_environments([task])
    result = build_plan(plan, tmp_path / "cache", 300)
    assert result.status == REJECTED and "apt-get install libqhull-dev" in result.detail
    assert not (tmp_path / "cache").exists()  # nothing was built
    (include / "libqhull_r").mkdir()
    (include / "libqhull_r" / "qhull_ra.h").write_text("/* header */\n")
    system_deps.require_system_packages(task)  # both found: no error
    own = Task(task_id="m2", repo="matplotlib/matplotlib", environment=Environment(python=PYTHON), fail_to_pass=F2P)
    (include / "libqhull_r" / "qhull_ra.h").unlink()
    system_deps.require_system_packages(own)  # a task's own recipe is its own business
    with pytest.raises(EnvironmentUnavailable, match="libqhull-dev"):
        system_deps.require_system_packages(task)
