"""The next generation plan: rows of (task, model, temperature, prompt) jobs, as JSONL.

New tasks go to under-represented (category, difficulty) cells; every task is solved by several
models; temperatures and prompt styles rotate over jobs; failed tasks get a regenerate-or-discard
decision (regenerated ones are scheduled with models that have not tried them yet).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from trajsift.files import write_bytes
from trajsift.llm.client import ChatClient
from trajsift.planner.allocate import allocate, distance, generations_needed, normalise, pick_tasks
from trajsift.planner.rephrase import rephrase
from trajsift.planner.retry import REGENERATE, RetryDecision, retry_decisions
from trajsift.planner.spec import PlanSpec, cell_key
from trajsift.planner.state import DatasetState
from trajsift.tasks import Task


@dataclass
class Plan:
    rows: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def target_of(spec: PlanSpec, pool: Mapping[str, Task]) -> dict[str, float]:
    pool_cells = {cell_key(t.category, t.difficulty) for t in pool.values()}
    return normalise(spec.cells) if spec.cells else normalise(dict.fromkeys(pool_cells, 1.0))


class _Jobs:
    """Rotates models, temperatures and prompt styles over the jobs of a plan."""

    def __init__(self, spec: PlanSpec, client: ChatClient | None) -> None:
        self.spec, self.client = spec, client
        self.count = 0
        self.task_count = 0

    def for_task(self, task: Task, kind: str, exclude_models: set[str] = frozenset(), **extra: Any) -> list[dict]:
        spec = self.spec
        fresh = [m for m in spec.models if m not in exclude_models] or list(spec.models)
        start = self.task_count
        self.task_count += 1
        models = [fresh[(start + j) % len(fresh)] for j in range(min(spec.models_per_task, len(fresh)))]
        rows = []
        for model in models:
            temperature = spec.temperatures[self.count % len(spec.temperatures)]
            style = spec.styles[(self.count + self.count // len(spec.temperatures)) % len(spec.styles)]
            self.count += 1
            prompt = rephrase(task.instruction, style, self.client)
            rows.append(
                {
                    "kind": kind,
                    "task_id": task.task_id,
                    "category": task.category,
                    "difficulty": task.difficulty,
                    "model": model,
                    "temperature": temperature,
                    "prompt_style": style,
                    "prompt": prompt.prompt,
                    "rephrased": prompt.rephrased,
                    "prompt_note": prompt.note,
                    **extra,
                }
            )
        return rows


def make_plan(state: DatasetState, pool: Mapping[str, Task], spec: PlanSpec, client: ChatClient | None = None) -> Plan:
    target = target_of(spec, pool)
    decisions = retry_decisions(state, spec.retry, set(pool))
    discarded = {d.task_id for d in decisions if d.decision != REGENERATE}
    jobs = _Jobs(spec, client)
    rows = _retry_rows(decisions, pool, state, jobs)
    expected = sum(
        state.cell_success_rate(cell) * spec.models_per_task * n
        for cell, n in allocate(target, spec.batch_tasks, target).items()
    )
    units = allocate(generations_needed(state, target, expected), spec.batch_tasks, target)
    by_cell: dict[str, list[str]] = {}
    for task_id, task in sorted(pool.items()):
        if task_id not in discarded:
            by_cell.setdefault(cell_key(task.category, task.difficulty), []).append(task_id)
    for cell, n_tasks in sorted(units.items()):
        share = round(state.kept[cell] / max(1, sum(state.kept.values())), 4)
        for task_id in pick_tasks(by_cell.get(cell, []), n_tasks, state, spec.seed):
            rows += jobs.for_task(pool[task_id], "new", cell=cell, cell_share=share, cell_target=round(target[cell], 4))
    summary = {
        "target": target,
        "kept_per_cell": dict(state.kept),
        "distance_to_target": round(distance(state.kept, target), 4),
        "tasks_per_cell": units,
        "cells_without_tasks": sorted(c for c in units if not by_cell.get(c)),
        "jobs": sum(r["kind"] != "retry_discard" for r in rows),
        "retry": {"regenerate": len(decisions) - len(discarded), "discard": len(discarded)},
        "rephrasing": "llm" if client is not None else "no LLM configured: original prompts kept",
    }
    return Plan(rows, summary)


def _retry_rows(decisions: list[RetryDecision], pool: Mapping[str, Task], state: DatasetState, jobs: _Jobs) -> list:
    rows = []
    for decision in decisions:
        facts = {k: v for k, v in asdict(decision).items() if k != "task_id"}
        task = pool.get(decision.task_id)
        if decision.decision == REGENERATE and task is not None:
            tried = state.tasks[decision.task_id].models
            rows += jobs.for_task(task, "retry", exclude_models=tried, retry=facts)
        else:
            rows.append({"kind": "retry_discard", "task_id": decision.task_id, "retry": facts})
    return rows


def write_plan(plan: Plan, path: str | Path) -> None:
    write_bytes(Path(path), b"".join(orjson.dumps(row) + b"\n" for row in plan.rows))
