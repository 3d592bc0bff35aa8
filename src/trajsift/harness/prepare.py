"""`trajsift tasks prepare`: build and cache every environment a task file needs, before any verification.

Tasks are grouped by environment fingerprint (one per repo/version in SWE-bench), each environment is built
once (`environments.build_environment`, in parallel threads: the work is pip in subprocesses), and the outcome is
summarised per repository: how many tasks are runnable, which environments failed and why, and which Python
each one got. Tasks rejected at load (`tasks.task_problems`) and tasks without an environment are counted with
their reason, never silently dropped.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from trajsift.harness.environments import EnvironmentUnavailable, EnvSpec, build_environment
from trajsift.harness.system_deps import require_system_packages
from trajsift.harness.task_env import spec_for_task, with_build_tools
from trajsift.tasks import Task, task_problems

READY, FAILED, REJECTED = "ready", "failed", "rejected"


@dataclass
class EnvPlan:
    """One environment to build and the tasks that need it (or, without a spec, why there is none)."""

    repo: str
    version: str
    spec: EnvSpec | None
    task_ids: list[str] = field(default_factory=list)
    problem: str = ""
    versions: list[str] = field(default_factory=list)
    """Every task version that shares this environment."""


@dataclass
class EnvResult:
    plan: EnvPlan
    status: str
    detail: str = ""
    python: str = ""
    seconds: float = 0.0


@dataclass
class RepoSummary:
    repo: str
    tasks: int = 0
    runnable: int = 0
    environments: int = 0
    ready: int = 0
    pythons: set[str] = field(default_factory=set)
    problems: Counter = field(default_factory=Counter)


def plan_environments(tasks: Iterable[Task]) -> list[EnvPlan]:
    """One plan per distinct environment; rejected tasks and tasks without a spec get a plan with a problem."""
    plans: dict[str, EnvPlan] = {}
    for task in tasks:
        key, plan = _plan_for(task)
        plan = plans.setdefault(key, plan)
        plan.task_ids.append(task.task_id)
        if task.version not in plan.versions:
            plan.versions.append(task.version)
    return list(plans.values())


def _plan_for(task: Task) -> tuple[str, EnvPlan]:
    problems = task_problems(task)
    if problems:
        return f"rejected:{task.repo}:{problems[0]}", EnvPlan(task.repo, task.version, None, problem=problems[0])
    try:
        require_system_packages(task)
        spec = spec_for_task(task)
    except EnvironmentUnavailable as exc:
        return f"unavailable:{task.repo}:{exc.reason}", EnvPlan(task.repo, task.version, None, problem=exc.reason)
    if spec is None:
        reason = "the task declares no environment"
        return f"unavailable:{task.repo}:{reason}", EnvPlan(task.repo, task.version, None, problem=reason)
    spec = with_build_tools(spec)
    return spec.fingerprint(), EnvPlan(task.repo, task.version, spec)


def build_plan(plan: EnvPlan, cache_dir: Path, timeout_s: float) -> EnvResult:
    if plan.spec is None:
        return EnvResult(plan, REJECTED, plan.problem)
    started = time.monotonic()
    try:
        environment = build_environment(plan.spec, cache_dir, timeout_s)
    except EnvironmentUnavailable as exc:
        return EnvResult(plan, FAILED, exc.reason[-600:], seconds=time.monotonic() - started)
    python = environment.python_version + (f" ({environment.python_note})" if environment.python_note else "")
    skipped = f"host steps not run: {'; '.join(plan.spec.skipped)}" if plan.spec.skipped else ""
    return EnvResult(plan, READY, skipped, python=python, seconds=time.monotonic() - started)


def prepare_environments(
    plans: list[EnvPlan],
    cache_dir: Path,
    workers: int = 2,
    timeout_s: float = 1800,
    on_result: Callable[[EnvResult], None] | None = None,
) -> list[EnvResult]:
    """Build every plan's environment, `workers` at a time; `on_result` is called as each one finishes."""

    def run(plan: EnvPlan) -> EnvResult:
        result = build_plan(plan, cache_dir, timeout_s)
        if on_result:
            on_result(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(run, plans))


def summarize(results: list[EnvResult]) -> list[RepoSummary]:
    """Per repository: tasks, runnable tasks (their environment is ready), environments ready, problems."""
    summaries: dict[str, RepoSummary] = defaultdict(lambda: RepoSummary(""))
    for result in results:
        summary = summaries[result.plan.repo]
        summary.repo = result.plan.repo
        count = len(result.plan.task_ids)
        summary.tasks += count
        if result.status == REJECTED:
            summary.problems[result.detail] += count
            continue
        summary.environments += 1
        if result.status == READY:
            summary.ready += 1
            summary.runnable += count
            summary.pythons.add(result.python)
        else:
            summary.problems[f"{result.plan.version}: {result.detail.splitlines()[0] if result.detail else ''}"] += (
                count
            )
    return sorted(summaries.values(), key=lambda s: s.repo)
