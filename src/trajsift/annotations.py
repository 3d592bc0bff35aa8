"""The per-row annotation that travels through the stages, and its Arrow layout.

Stages only add to it; the writer splits rows into kept / rejected / review from `decision`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from trajsift.rundir import Decision
from trajsift.schema import Trajectory

META_COLUMNS: dict[str, pa.DataType] = {
    "trajectory_id": pa.string(),
    "task_id": pa.string(),
    "category": pa.string(),
    "difficulty": pa.string(),
    "repo": pa.string(),
    "scaffold": pa.string(),
    "model": pa.string(),
    "format": pa.string(),
    "run": pa.string(),
    "temperature": pa.float64(),
    "resolved_label": pa.bool_(),
}
DECISION_COLUMNS: dict[str, pa.DataType] = {
    "decision": pa.string(),
    "reasons": pa.list_(pa.string()),
    "decided_by": pa.string(),
    "findings": pa.list_(pa.string()),
    "errors": pa.list_(pa.string()),
}


@dataclass
class Annotation:
    meta: dict[str, Any]
    scores: dict[str, Any] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    decision: str = Decision.KEEP.value
    reasons: list[str] = field(default_factory=list)
    decided_by: str = ""

    @property
    def id(self) -> str:
        return self.meta["trajectory_id"]

    def columns(self) -> dict[str, Any]:
        """Metadata and scores in one mapping: what rules and `by` groupings look at."""
        return {**self.meta, **self.scores}


def meta_of(traj: Trajectory) -> dict[str, Any]:
    return {
        "trajectory_id": traj.id,
        "task_id": traj.task.task_id,
        "category": traj.task.category,
        "difficulty": traj.task.difficulty,
        "repo": traj.task.repo,
        "scaffold": traj.source.scaffold,
        "model": traj.source.model,
        "format": traj.source.format,
        "run": traj.source.run,
        "temperature": traj.source.temperature,
        "resolved_label": traj.outcome.resolved,
    }


def annotation_schema(score_types: dict[str, pa.DataType]) -> pa.Schema:
    fields = {**META_COLUMNS, **dict(sorted(score_types.items())), **DECISION_COLUMNS}
    return pa.schema([pa.field(name, dtype) for name, dtype in fields.items()])


def to_table(rows: list[Annotation], score_types: dict[str, pa.DataType]) -> pa.Table:
    schema = annotation_schema(score_types)
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    for row in rows:
        for name in META_COLUMNS:
            columns[name].append(row.meta.get(name))
        for name in score_types:
            columns[name].append(row.scores.get(name))
        columns["decision"].append(row.decision)
        columns["reasons"].append(row.reasons)
        columns["decided_by"].append(row.decided_by)
        columns["findings"].append(row.findings)
        columns["errors"].append(row.errors)
    return pa.table(columns, schema=schema)


def from_table(table: pa.Table, score_types: dict[str, pa.DataType]) -> list[Annotation]:
    data = table.to_pydict()
    rows = []
    for i in range(table.num_rows):
        rows.append(
            Annotation(
                meta={name: data[name][i] for name in META_COLUMNS},
                scores={name: data[name][i] for name in score_types if name in data},
                findings=list(data["findings"][i] or []),
                errors=list(data["errors"][i] or []),
                decision=data["decision"][i],
                reasons=list(data["reasons"][i] or []),
                decided_by=data["decided_by"][i] or "",
            )
        )
    return rows
