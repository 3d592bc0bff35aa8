"""Live state of a run in progress: `progress.json` (phases) and `live.json` (partial metrics), plus
alert rules evaluated shard by shard.

`LiveProgress` is a `Progress` (see trajsift/progress.py) that the run command composes with its rich
bars. It receives the executor's shard reports (`ShardDone`): each decided shard updates the partial
stats of `LiveStats` and the live alert rules of `LiveAlerts`. Every write is atomic and throttled,
except that the end of a stage and a firing alert are written at once. Neither imports FastAPI: the run
command uses this module.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from trajsift.alerts.live import LiveAlerts
from trajsift.config import AlertSpec
from trajsift.files import read_json_dict, write_json
from trajsift.live.stats import LiveStats
from trajsift.progress import ShardDone, report_shard
from trajsift.rundir import RunDir

RUNNING, DONE, FAILED = "running", "done", "failed"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class LiveProgress:
    """Writes `<run_dir>/progress.json` (status, phases, rows) and `<run_dir>/live.json` (partial stats);
    evaluates `alerts` after every decided shard (webhooks sent when `send`)."""

    def __init__(
        self, run_dir: str | Path, min_interval: float = 0.5, alerts: Sequence[AlertSpec] = (), send: bool = True
    ) -> None:
        self.run_dir = Path(run_dir)
        self.files = RunDir(run_dir)
        self.path = self.files.progress
        self.min_interval = min_interval
        self.state: dict[str, Any] = {
            "status": RUNNING,
            "pid": os.getpid(),
            "started_at": _now(),
            "updated_at": _now(),
            "phase": None,
            "phases": [],
            "rows": None,
        }
        for stale in (self.files.live, self.files.alerts):  # a previous run's partial stats and alerts
            stale.unlink(missing_ok=True)
        self.stats = LiveStats()
        self.alerts = LiveAlerts(self.run_dir, alerts, send=send)
        self._last_write = self._last_live = 0.0
        self._write()

    def phase(self, name: str, total: int, done: int = 0) -> None:
        self._close_phase()
        entry = {"name": name, "total": total, "done": done, "started_at": _now(), "finished": False}
        self.state["phases"].append(entry)
        self.state["phase"] = name
        self._write()

    def advance(self, n: int) -> None:
        if self.state["phases"]:
            self.state["phases"][-1]["done"] += n
        if time.monotonic() - self._last_write >= self.min_interval:
            self._write()

    def shard_done(self, report: ShardDone) -> None:
        """A shard's decisions are written: update the partial stats and the live alert rules."""
        table = self.stats.add(report)
        if table is None or not self.stats.started():
            return
        stage_end = self.stats.stage_done()
        due = time.monotonic() - self._last_live >= self.min_interval
        if not (stage_end or due or self.alerts.specs):
            return  # the stats are built only when written or read by an alert rule: a build reads every column
        snapshot = self.stats.snapshot()
        assert snapshot is not None
        if self.state["rows"] is None and stage_end:
            self.state["rows"] = snapshot["stats"]["total"]  # every row passes through the first stage
        fired_before = len(self.alerts.fired)
        self.alerts.update(report.stage_index, report.stage, report.shard, table, snapshot)
        if stage_end or due or len(self.alerts.fired) > fired_before:
            self._write_live(snapshot)

    def settle_alerts(self) -> None:
        """Wait for webhooks sent during the run (before the final alert check reads `alerts.json`)."""
        self.alerts.wait()

    def finish(self, status: str = DONE) -> None:
        self._close_phase()
        self.state["status"] = status
        self.state["phase"] = None
        snapshot = self.stats.snapshot()
        if snapshot is not None:
            self._write_live(snapshot)
        self.alerts.wait()
        self._write()

    def _close_phase(self) -> None:
        if self.state["phases"]:
            self.state["phases"][-1]["finished"] = True

    def _write_live(self, snapshot: dict[str, Any]) -> None:
        try:
            write_json(self.files.live, {**snapshot, "updated_at": _now()}, checkpointed=False)
        except OSError:
            return
        self._last_live = time.monotonic()

    def _write(self) -> None:
        self.state["updated_at"] = _now()
        try:
            write_json(self.path, self.state, checkpointed=False)  # timed writes: no fault-injection point
        except OSError:
            return  # progress is a convenience: a full disk must not fail the run here
        self._last_write = time.monotonic()


class ComposedProgress:
    """Forwards every call to several `Progress` implementations (rich bars + the live files)."""

    def __init__(self, *targets: Any) -> None:
        self.targets = targets

    def phase(self, name: str, total: int, done: int = 0) -> None:
        for target in self.targets:
            target.phase(name, total, done)

    def advance(self, n: int) -> None:
        for target in self.targets:
            target.advance(n)

    def shard_done(self, report: ShardDone) -> None:
        for target in self.targets:
            report_shard(target, report)


def read_progress(run_dir: str | Path) -> dict[str, Any] | None:
    return read_json_dict(RunDir(run_dir).progress)


def read_live(run_dir: str | Path) -> dict[str, Any] | None:
    """`live.json` of a run: the partial stats written while it ran (None when there is none)."""
    return read_json_dict(RunDir(run_dir).live)
