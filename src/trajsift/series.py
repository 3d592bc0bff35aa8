"""Per-row metric series of a run in generation order, read from its outputs with only the needed columns.

Generation order: `trajectory.usage.started_at` (ISO strings compare in time order), ties and rows
without a timestamp by input order (the run's `order.parquet`: every row's decision in input order, which
interleaves the three outputs back), or, for a run without one, by output file order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trajsift.columns import QUALITY_SCORE, TESTS_VERDICT
from trajsift.rundir import Decision, RunDir

OUTPUT_ORDER = ("kept", "review", "rejected")
"""Output parts in the order their rows are concatenated (the order of rows without a position)."""
DECISIONS = {decision.part: decision.value for decision in Decision}
"""The decision of every row of each output."""
STARTED_AT = "trajectory.usage.started_at"
_EQUALS = re.compile(r"^\s*(?P<column>[^=!\s][^=]*?)\s*==\s*(?P<value>.*?)\s*$")


@dataclass(frozen=True)
class RowMetric:
    column: str
    equals: str | None = None
    """None: the column's mean; else the rate of rows whose value (as text) equals this."""


TREND_METRICS = {
    "keep_rate": RowMetric("decision", Decision.KEEP.value),
    QUALITY_SCORE: RowMetric(QUALITY_SCORE),
    "correct_rate": RowMetric(TESTS_VERDICT, "correct"),
    "resolved_rate": RowMetric("resolved_label", "true"),
}
"""The per-row metrics followed over a run (dashboard trend, live shard trend): name -> metric."""


def row_metric_column(metric: str) -> RowMetric:
    """`quality_score` -> mean of the column; `col == value` -> rate of rows equal to `value`."""
    match = _EQUALS.match(metric)
    if match:
        return RowMetric(match["column"], match["value"].strip("'\""))
    return RowMetric(metric.strip())


def ordered_table(run_dir: str | Path, columns: list[str]) -> pa.Table:
    """The three outputs' `columns` (those present) plus `trajectory_id` and `started_at`, in generation order."""
    run = RunDir(run_dir)
    parts = {}
    for name in OUTPUT_ORDER:
        path = run.output(name)
        if path.exists():
            parts[name] = _read_part(path, columns)
    if not parts:
        return pa.table({"trajectory_id": pa.array([], pa.string()), "started_at": pa.array([], pa.string())})
    table = pa.concat_tables(list(parts.values()), promote_options="permissive")
    position = _input_positions(run, [(name, part.num_rows) for name, part in parts.items()])
    table = table.append_column("_position", position)
    order = pc.sort_indices(table, sort_keys=[("started_at", "ascending"), ("_position", "ascending")])
    return table.take(order).drop_columns(["_position"])


def _read_part(path: Path, columns: list[str]) -> pa.Table:
    handle = pq.ParquetFile(path)
    names = set(handle.schema_arrow.names)
    wanted = ["trajectory_id", *(c for c in dict.fromkeys(columns) if c in names and c != "trajectory_id")]
    has_time = "trajectory" in names
    table = handle.read(columns=wanted + ([STARTED_AT] if has_time else []))
    started = _leaf(table.column(len(wanted))) if has_time else pa.nulls(table.num_rows, pa.string())
    result = table.select(list(range(len(wanted))))
    return result.append_column("started_at", started.cast(pa.string()))


def _leaf(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """`trajectory.usage.started_at` comes back as the pruned `trajectory` struct: dig to the string."""
    for name in STARTED_AT.split(".")[1:]:
        if pa.types.is_struct(column.type):
            column = pc.struct_field(column, name)
    return column


def _input_positions(run: RunDir, parts: list[tuple[str, int]]) -> pa.Array:
    """Each row's index in input order, the rows being the `parts` (output name, rows) concatenated;
    their index in that concatenation when the run has no (or an inconsistent) order file."""
    total = sum(rows for _, rows in parts)
    fallback = pa.array(np.arange(total, dtype=np.int64))
    try:
        order = pq.read_table(run.order, columns=["decision"])["decision"].cast(pa.string())
    except (OSError, pa.ArrowException, KeyError):
        return fallback
    decisions = np.asarray(order.to_numpy(zero_copy_only=False), dtype=object)
    positions = [np.flatnonzero(decisions == DECISIONS[name]) for name, _ in parts]
    if [p.size for p in positions] != [rows for _, rows in parts] or decisions.size != total:
        return fallback  # outputs rewritten since (or a partial run): file order is all that is left
    return pa.array(np.concatenate(positions) if positions else np.empty(0, np.int64), pa.int64())


def metric_array(table: pa.Table, metric: RowMetric) -> pa.ChunkedArray | None:
    """One float64 per row (null where the column is null), or None when the run has no such numeric column."""
    if metric.column not in table.column_names:
        return None
    column = table[metric.column]
    if metric.equals is not None:
        text = column.cast(pa.string()) if not pa.types.is_string(column.type) else column
        values = pc.if_else(pc.equal(text, metric.equals), 1.0, 0.0)
        return pc.if_else(pc.is_null(text), pa.scalar(None, pa.float64()), values)
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_boolean(column.type)):
        return None
    return column.cast(pa.float64())


def metric_values(table: pa.Table, metric: RowMetric) -> list[float | None] | None:
    """`metric_array` as a list (None where the column is null)."""
    values = metric_array(table, metric)
    return None if values is None else values.to_pylist()


def load_series(run_dir: str | Path, metrics: dict[str, RowMetric]) -> dict[str, list[float | None]]:
    """`metric name -> values in generation order` for every metric whose column the run has."""
    if not metrics:
        return {}
    table = ordered_table(run_dir, [m.column for m in metrics.values()])
    series = {}
    for name, metric in metrics.items():
        values = metric_values(table, metric)
        if values is not None:
            series[name] = values
    return series
