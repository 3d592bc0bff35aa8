"""The current dataset as the planner sees it: kept trajectories per cell, attempts and cost per task.

Read from a run's output files only (kept / review / rejected Parquet, flat annotation columns; the
`trajectory` column is never loaded)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from trajsift.errors import InputError
from trajsift.planner.spec import cell_key
from trajsift.rundir import Decision, RunDir

OUTCOMES = {Decision.KEEP: True, Decision.REVIEW: False, Decision.DROP: False}
"""Whether each decision's rows count as kept, in the order the output files are read."""
COLUMNS = ("task_id", "category", "difficulty", "model", "basic.limits.cost")


@dataclass
class TaskRecord:
    cell: str = ""
    attempts: int = 0
    kept: int = 0
    cost_sum: float = 0.0
    costed: int = 0
    models: set[str] = field(default_factory=set)

    @property
    def mean_cost(self) -> float | None:
        return self.cost_sum / self.costed if self.costed else None


@dataclass
class DatasetState:
    kept: Counter[str] = field(default_factory=Counter)
    """Kept trajectories per cell."""
    attempts: Counter[str] = field(default_factory=Counter)
    tasks: dict[str, TaskRecord] = field(default_factory=lambda: defaultdict(TaskRecord))

    def record(self, task_id: str, cell: str, kept: bool, model: str = "", cost: float | None = None) -> None:
        task = self.tasks[task_id]
        task.cell = cell
        task.attempts += 1
        task.kept += int(kept)
        task.models.add(model)
        if cost is not None:
            task.cost_sum += cost
            task.costed += 1
        self.attempts[cell] += 1
        self.kept[cell] += int(kept)

    def cell_success_rate(self, cell: str, default: float = 0.5) -> float:
        """Kept share of the cell's attempts, smoothed by one pseudo-attempt at `default`."""
        return (self.kept[cell] + default) / (self.attempts[cell] + 1)


def load_state(run_dir: str | Path) -> DatasetState:
    run = RunDir(run_dir)
    if not run.stats.is_file():
        raise InputError(f"{run.root} is not a trajsift run directory (no {run.stats.name})")
    state = DatasetState()
    for decision, kept in OUTCOMES.items():
        path = run.output(decision)
        if not path.is_file():
            continue
        present = [c for c in COLUMNS if c in pq.read_schema(path).names]
        table = pq.read_table(path, columns=present).to_pydict()
        n_rows = len(table.get("task_id", []))
        categories = table.get("category", [""] * n_rows)
        difficulties = table.get("difficulty", [""] * n_rows)
        costs = table.get("basic.limits.cost", [None] * n_rows)
        models = table.get("model", [""] * n_rows)
        for i in range(n_rows):
            cell = cell_key(categories[i], difficulties[i])
            state.record(table["task_id"][i] or "", cell, kept, models[i] or "", costs[i])
    return state
