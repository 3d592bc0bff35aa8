"""Partial metrics of a run in progress, built from the executor's shard reports (`ShardDone`).

For the stage the run is in, every decided shard adds its rows to a `StatsBuilder` (the same code that
writes `stats.json`), so the dashboard shows stats-shaped scores, distributions, reasons and funnel while
the run goes; a per-shard trend (input order) shows where quality moved. Shards are read from the file
the report names, never found by scanning `_work/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from trajsift import annotations as ann
from trajsift.files import read_table
from trajsift.progress import ShardDone
from trajsift.series import TREND_METRICS, metric_array
from trajsift.stats import StatsBuilder

_NOT_SCORES = set(ann.META_COLUMNS) | set(ann.DECISION_COLUMNS)


def score_types(table: pa.Table) -> dict[str, pa.DataType]:
    return {f.name: f.type for f in table.schema if f.name not in _NOT_SCORES}


def shard_trend(table: pa.Table) -> dict[str, Any]:
    """One trend point: rows and the mean of each trend metric the shard has."""
    point: dict[str, Any] = {"rows": table.num_rows}
    for name, metric in TREND_METRICS.items():
        values = metric_array(table, metric)
        present = [v for v in (values.to_pylist() if values is not None else []) if v is not None]
        point[name] = round(sum(present) / len(present), 4) if present else None
    return point


class LiveStats:
    """The current stage's partial stats and per-shard trend; `add` returns the shard's table."""

    def __init__(self) -> None:
        self.stage_index = -1
        self.stage = ""
        self.shards_total = 0
        self.stage_names: dict[int, str] = {}
        self.builder: StatsBuilder | None = None
        self.trend: dict[int, dict[str, Any]] = {}

    def add(self, report: ShardDone) -> pa.Table | None:
        try:
            table = read_table(Path(report.path))
        except (OSError, pa.ArrowException, ValueError):
            return None  # a missing shard file only leaves a gap in the live view
        if report.stage_index < self.stage_index:
            return table
        if report.stage_index > self.stage_index:
            self._start_stage(report, table)
        self.builder.add(ann.from_table(table, score_types(table)), [])
        self.trend[report.shard] = shard_trend(table)
        return table

    def _start_stage(self, report: ShardDone, table: pa.Table) -> None:
        self.stage_index, self.stage, self.shards_total = report.stage_index, report.stage, report.shards
        self.stage_names[report.stage_index] = report.stage
        names = [self.stage_names[i] for i in sorted(self.stage_names)]
        self.builder = StatsBuilder(names, score_types(table))
        self.trend = {}

    def started(self) -> bool:
        """Whether a stage's shards are being counted (`snapshot` is not None)."""
        return self.builder is not None

    def stage_done(self) -> bool:
        """Every shard of the current stage is in."""
        return len(self.trend) == self.shards_total

    def snapshot(self) -> dict[str, Any] | None:
        if self.builder is None:
            return None
        runs = [{"name": self.stage_names[i], "status": "ran", "skip_reason": ""} for i in sorted(self.stage_names)]
        stats = self.builder.build({}, runs)
        shards = sorted(self.trend)
        trend = {"labels": [f"shard {s + 1}" for s in shards], "unit": "shard (input order)"}
        for name in ("rows", *TREND_METRICS):
            trend[name] = [self.trend[s].get(name) for s in shards]
        return {
            "stage": self.stage,
            "stage_index": self.stage_index,
            "shards_done": len(shards),
            "shards_total": self.shards_total,
            "stats": stats,
            "trend": trend,
        }
