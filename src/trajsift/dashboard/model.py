"""What the dashboard shows for each run directory, read from its files and cached until they change.

A finished run contributes `stats.json`, `alerts.json` and a generation-order trend from its outputs;
a run in progress contributes `progress.json`, the partial stats and per-shard trend of `live.json`
(written from the executor's shard reports) and the `alerts.json` its live rules keep up to date. Run keys follow the
review app (folder name, `-2`, `-3` when names repeat); runs are looked up by key, never by path.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from trajsift.alerts.evaluate import load_alerts
from trajsift.files import files_signature, read_json_dict
from trajsift.live.progress import DONE, RUNNING, read_live, read_progress
from trajsift.rundata import run_keys
from trajsift.rundir import PARTS, RunDir
from trajsift.series import TREND_METRICS, metric_array, ordered_table

TREND_BATCHES = 20


@dataclass
class RunView:
    key: str
    path: Path
    status: str
    """`running`, `done`, `failed` or `empty` (nothing written yet)."""
    version: str
    stats: dict[str, Any] | None = None
    progress: dict[str, Any] | None = None
    partial: list[dict[str, Any]] = field(default_factory=list)
    live: dict[str, Any] | None = None
    """While running: `live.json` (stage, shards done / total); `stats` then holds its partial stats."""
    alerts: dict[str, Any] | None = None
    trend: dict[str, Any] | None = None


def watched(path: Path) -> list[Path]:
    """The files whose change rebuilds a run's view."""
    run = RunDir(path)
    return [run.stats, run.progress, run.live, run.alerts, *(run.output(part) for part in PARTS)]


def _signature(path: Path) -> str:
    return files_signature(watched(path))


class DashboardData:
    """Thread-safe cache of one `RunView` per run, rebuilt when a watched file of the run changes."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self.paths = dict(paths)
        self._cache: dict[str, RunView] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_dirs(cls, run_dirs: list[str | Path]) -> DashboardData:
        return cls(run_keys(run_dirs))

    def view(self, key: str) -> RunView | None:
        path = self.paths.get(key)
        if path is None:
            return None
        version = _signature(path)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached.version == version:
                return cached
        view = build_view(key, path, version)
        with self._lock:
            self._cache[key] = view
        return view

    def warm_in_background(self) -> threading.Thread:
        """Build every run's view once in a daemon thread, so the first page view finds a warm cache."""
        thread = threading.Thread(target=self.views, name="dashboard-warm", daemon=True)
        thread.start()
        return thread

    def views(self) -> list[RunView]:
        return [v for v in (self.view(k) for k in self.paths) if v is not None]


def build_view(key: str, path: Path, version: str) -> RunView:
    progress = read_progress(path)
    stats = read_json_dict(RunDir(path).stats)
    status = str(progress.get("status")) if progress else (DONE if stats else "empty")
    view = RunView(key, path, status, version, stats=stats, progress=progress, alerts=load_alerts(path))
    if status == RUNNING or stats is None:
        live = read_live(path)
        if live is not None:
            view.live = {k: v for k, v in live.items() if k not in ("stats", "trend")}
            view.stats = live.get("stats") if isinstance(live.get("stats"), dict) else None
            view.partial = [s for s in (view.stats or {}).get("funnel", []) if isinstance(s, dict)]
            view.trend = live.get("trend") if isinstance(live.get("trend"), dict) else None
    elif stats is not None:
        view.trend = generation_trend(path)
    return view


def generation_trend(path: Path, batches: int = TREND_BATCHES) -> dict[str, Any] | None:
    """Rows in generation order cut into equal batches: size, span, rate per hour and quality per batch."""
    try:
        table = ordered_table(path, [m.column for m in TREND_METRICS.values()])
    except (OSError, pa.ArrowException, ValueError):
        return None
    if table.num_rows == 0:
        return None
    metrics = _row_metrics(table)
    chunks = np.array_split(np.arange(table.num_rows), min(batches, table.num_rows))
    edges = [int(i) for chunk in chunks for i in (chunk[0], chunk[-1])]
    stamps = table["started_at"].take(edges).to_pylist()  # only each batch's first and last timestamp
    timed = all(_parse(stamp) is not None for stamp in stamps)  # one unit on the axis: times, else rows
    result: dict[str, Any] = {"labels": [], "rows": [], "per_hour": [], **{name: [] for name in metrics}}
    result["unit"] = "generation time (started_at)" if timed else "rows in input order"
    for n, chunk in enumerate(chunks):
        first, last = stamps[2 * n], stamps[2 * n + 1]
        result["labels"].append(_short_time(first) if timed else f"rows {chunk[0] + 1}-{chunk[-1] + 1}")
        result["rows"].append(len(chunk))
        result["per_hour"].append(_per_hour(first, last, len(chunk)))
        for name, values in metrics.items():
            part = values[chunk]
            present = part[~np.isnan(part)]
            result[name].append(round(float(present.mean()), 4) if present.size else None)
    result["timed"] = timed
    return result


def _row_metrics(table: pa.Table) -> dict[str, np.ndarray]:
    """Each trend metric the run has, one float per row (NaN where unknown)."""
    arrays = {name: metric_array(table, metric) for name, metric in TREND_METRICS.items()}
    return {name: values.to_numpy(zero_copy_only=False) for name, values in arrays.items() if values is not None}


def _parse(stamp: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")) if stamp else None
    except ValueError:
        return None


def _short_time(stamp: Any) -> str:
    parsed = _parse(stamp)
    return parsed.strftime("%Y-%m-%d %H:%M") if parsed else ""


def _per_hour(first: Any, last: Any, rows: int) -> float | None:
    start, end = _parse(first), _parse(last)
    if start is None or end is None or start.tzinfo is None != (end.tzinfo is None):
        return None
    hours = (end - start).total_seconds() / 3600
    return round(rows / hours, 2) if hours > 0 else None
