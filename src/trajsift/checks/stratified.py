"""`diversity.sample`: select a subset toward a target distribution, with per-task caps.

Rows not selected get the finding `over_quota`. With the defaults (no budget, no cap, no target)
every row is selected, so the check is safe in a default recipe; set what you need:

- `per_task_cap`: at most k rows per task. Within a task, rows are taken in preference order:
  distinct approaches first (the best row of each `approach_cluster`, from `diversity.novelty`, then
  the second best of each, ...), then higher `quality_score`, then smaller id.
- `size` or `fraction`: the budget, an upper bound. Quotas per cell (the combination of the
  targeted dimensions' values) come from iterative proportional fitting toward the target shares x
  budget, bounded by what each cell holds, rounded by largest remainder (so marginals can be off by
  one per cell); each cell fills in the same preference order. A value whose rows run out keeps its
  shortfall rather than handing it to the others: balancing 80 easy and 20 hard rows with a budget
  of 60 selects 30 easy and 20 hard.
- `target` (explicit shares per value of a dimension, e.g. `{difficulty: {easy: 0.2, hard: 0.8}}`)
  and `balance` (dimensions made uniform over the values present). Values absent from an explicit
  target get no quota.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, ClassVar

import orjson
import pyarrow as pa
from pydantic import Field, model_validator

from trajsift import reasons
from trajsift.checks.base import CheckContext, CheckOutput, Params, Scores
from trajsift.checks.global_check import GlobalCheck
from trajsift.columns import APPROACH_CLUSTER, QUALITY_SCORE
from trajsift.dedup.clustering import best_first
from trajsift.schema import Trajectory

DIMENSIONS = ("category", "difficulty", "model", "scaffold", "repo")
FIT_ROUNDS = 50


class StratifiedSampleParams(Params):
    size: int | None = Field(default=None, ge=0)
    """Rows to select in all (after caps); none = no budget."""
    fraction: float | None = Field(default=None, gt=0, le=1)
    """Budget as a share of the rows left after caps (ignored when `size` is set)."""
    per_task_cap: int | None = Field(default=None, ge=1)
    """At most this many rows per task (distinct approaches, then quality, first); none = no cap."""
    target: dict[str, dict[str, float]] = Field(default_factory=dict)
    """Target shares per value for some of: category, difficulty, model, scaffold, repo."""
    balance: list[str] = Field(default_factory=list)
    """Dimensions to make uniform over their observed values (unless given in `target`)."""

    @model_validator(mode="after")
    def _known_dimensions(self) -> StratifiedSampleParams:
        unknown = (set(self.target) | set(self.balance)) - set(DIMENSIONS)
        if unknown:
            raise ValueError(f"unknown dimensions {sorted(unknown)}; known: {', '.join(DIMENSIONS)}")
        return self


class StratifiedSample(GlobalCheck[StratifiedSampleParams]):
    id: ClassVar[str] = "diversity.sample"
    description: ClassVar[str] = "subset toward a target distribution with per-task caps"
    columns: ClassVar[dict[str, pa.DataType]] = {"selected": pa.bool_()}
    signature_columns: ClassVar[dict[str, pa.DataType]] = {
        "values": pa.string(),
        "task": pa.string(),
        "quality": pa.float64(),
        "cluster": pa.int64(),
    }

    @property
    def dimensions(self) -> list[str]:
        return [d for d in DIMENSIONS if d in self.params.target or d in self.params.balance]

    def signature(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> dict[str, Any]:
        values = [str(scores.get(d) or "unknown") for d in self.dimensions]
        return {
            "values": orjson.dumps(values).decode(),
            "task": traj.task.task_id,
            "quality": scores.get(QUALITY_SCORE),
            "cluster": scores.get(APPROACH_CLUSTER),
        }

    def reduce(self, signatures: pa.Table) -> dict[str, Any]:
        data = signatures.to_pydict()
        ids = data["trajectory_id"]
        order = self._preference(data)
        candidates = self._capped(order, data[self.sig_col("task")])
        budget = self._budget(len(candidates))
        if budget is not None and budget < len(candidates):
            candidates = self._fill_quotas(candidates, [tuple(orjson.loads(v)) for v in data[self.sig_col("values")]])
        chosen = set(candidates)
        return {"rejected": {ids[i]: True for i in range(len(ids)) if i not in chosen}}

    def _preference(self, data: dict[str, list]) -> list[int]:
        """Row indices, most preferred first: distinct approaches within a task, then quality, then id."""
        ids, tasks = data["trajectory_id"], data[self.sig_col("task")]
        quality, clusters = data[self.sig_col("quality")], data[self.sig_col("cluster")]
        by_quality = sorted(range(len(ids)), key=lambda i: best_first(quality[i], ids[i]))
        seen: dict[tuple[str, Any], int] = defaultdict(int)
        depth = {}
        for i in by_quality:
            key = (tasks[i], clusters[i] if clusters[i] is not None else f"row{i}")
            depth[i] = seen[key]
            seen[key] += 1
        position = {i: p for p, i in enumerate(by_quality)}
        return sorted(by_quality, key=lambda i: (depth[i], position[i]))

    def _capped(self, order: list[int], tasks: list[str]) -> list[int]:
        cap = self.params.per_task_cap
        if cap is None:
            return order
        taken: dict[str, int] = defaultdict(int)
        kept = []
        for i in order:
            if taken[tasks[i]] < cap:
                taken[tasks[i]] += 1
                kept.append(i)
        return kept

    def _budget(self, available: int) -> int | None:
        if self.params.size is not None:
            return self.params.size
        if self.params.fraction is not None:
            return round(self.params.fraction * available)
        return None

    def _fill_quotas(self, candidates: list[int], values: list[tuple[str, ...]]) -> list[int]:
        cells: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i in candidates:
            cells[values[i]].append(i)
        sizes = {cell: len(rows) for cell, rows in cells.items()}
        quotas = integer_quotas(fit_cells(sizes, self._targets(sizes), self._budget(len(candidates)) or 0), sizes)
        return [i for cell, rows in cells.items() for i in rows[: quotas[cell]]]

    def _targets(self, sizes: dict[tuple[str, ...], int]) -> list[dict[str, float]]:
        targets = []
        for position, dim in enumerate(self.dimensions):
            shares = dict(self.params.target.get(dim, {}))
            if not shares:
                shares = {cell[position]: 1.0 for cell in sizes}
            total = sum(v for v in shares.values() if v > 0)
            targets.append({k: v / total for k, v in shares.items() if v > 0} if total else {})
        return targets

    def assign(self, traj_id: str, signature: dict[str, Any], scores: Scores, state: Any) -> CheckOutput:
        rejected = traj_id in state["rejected"]
        return self.output(findings=[reasons.OVER_QUOTA] if rejected else [], selected=not rejected)


def fit_cells(sizes: dict[tuple[str, ...], int], targets: list[dict[str, float]], budget: int) -> dict[tuple, float]:
    """Iterative proportional fitting: real-valued cell allocations whose marginals approach
    `targets` x `budget`, never above a cell's size (a value whose cells run out keeps its shortfall)."""
    total = sum(sizes.values())
    alloc = {cell: n * budget / total if total else 0.0 for cell, n in sizes.items()}
    for _ in range(FIT_ROUNDS):
        for position, shares in enumerate(targets):
            current: dict[str, float] = defaultdict(float)
            for cell, amount in alloc.items():
                current[cell[position]] += amount
            for cell in alloc:
                want = shares.get(cell[position], 0.0) * budget
                have = current[cell[position]]
                alloc[cell] = min(sizes[cell], alloc[cell] * want / have) if have > 0 else 0.0
    return alloc


def integer_quotas(alloc: dict[tuple, float], sizes: dict[tuple, int]) -> dict[tuple, int]:
    """Round allocations down, then hand the remainder out by largest fraction (then cell key)."""
    quotas = {cell: min(sizes[cell], math.floor(amount + 1e-9)) for cell, amount in alloc.items()}
    missing = round(sum(alloc.values())) - sum(quotas.values())
    for cell in sorted(alloc, key=lambda c: (-(alloc[c] - quotas[c]), c)):
        if missing <= 0:
            break
        if quotas[cell] < sizes[cell] and alloc[cell] > quotas[cell]:
            quotas[cell] += 1
            missing -= 1
    return quotas
