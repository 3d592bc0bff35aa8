"""Alert rules evaluated while a run goes, after every decided shard, so degradation is caught mid-run.

`LiveAlerts.update` takes the shard's annotation table and the stage's partial stats (`LiveStats`):
threshold rules read the partial stats (or a row metric's mean so far), drift rules the row series of the
current stage in shard order. The first time a rule fires it is POSTed to its webhook (in a background
thread: the run never waits on a slow receiver) and stamped with where the run was; `alerts.json` is
rewritten with `"live": true`. `trajsift.alerts.evaluate.check_run` re-evaluates at the end and does not send an
alert a second time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa

from trajsift.alerts.evaluate import AlertResult, evaluate, webhook_url
from trajsift.alerts.webhook import post_webhook, slack_payload
from trajsift.config import AlertSpec
from trajsift.files import write_json
from trajsift.rundir import RunDir
from trajsift.series import metric_values, row_metric_column


class LiveAlerts:
    def __init__(self, run_dir: str | Path, specs: Sequence[AlertSpec], send: bool = True, timeout: float = 5.0):
        self.run_dir = Path(run_dir)
        self.specs = list(specs)
        self.send, self.timeout = send, timeout
        self.stage_index = -1
        self.series: dict[int, dict[str, list[float | None]]] = {}
        """shard -> metric -> values of the current stage."""
        self.fired: dict[str, dict[str, Any]] = {}
        """alert name -> where and when it first fired, and its webhook delivery."""
        self.results: list[AlertResult] = []
        self._threads: list[threading.Thread] = []
        self.closed = False
        self._lock = threading.Lock()

    def update(self, stage_index: int, stage: str, shard: int, table: pa.Table, snapshot: dict[str, Any]) -> None:
        if not self.specs or stage_index < self.stage_index:
            return
        if stage_index > self.stage_index:
            self.stage_index, self.series = stage_index, {}
        self.series[shard] = {
            spec.metric: values
            for spec in self.specs
            if (values := metric_values(table, row_metric_column(spec.metric))) is not None
        }
        self.results = evaluate(self.specs, snapshot.get("stats") or {}, self._ordered_series())
        where = {"stage": stage, **{k: snapshot.get(k) for k in ("shards_done", "shards_total")}}
        for spec, result in zip(self.specs, self.results, strict=True):
            if result.fired and spec.name not in self.fired:
                self._first_fire(spec, result, where)
        self.write()

    def _ordered_series(self) -> dict[str, list[float | None]]:
        series: dict[str, list[float | None]] = {}
        for shard in sorted(self.series):
            for metric, values in self.series[shard].items():
                series.setdefault(metric, []).extend(values)
        return series

    def _first_fire(self, spec: AlertSpec, result: AlertResult, where: dict[str, Any]) -> None:
        stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        record: dict[str, Any] = {**where, "at": stamp, "message": result.message, "webhook": None}
        self.fired[spec.name] = record
        url = webhook_url(spec)
        if url and self.send:
            payload = slack_payload(self.run_dir.name, [asdict(result)])
            thread = threading.Thread(target=self._deliver, args=(url, payload, record), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _deliver(self, url: str, payload: dict[str, Any], record: dict[str, Any]) -> None:
        delivery = post_webhook(url, payload, self.timeout)
        with self._lock:
            record["webhook"] = {"delivered": delivery.ok, "attempts": delivery.attempts, "error": delivery.error}
        self.write()

    def write(self) -> None:
        with self._lock:
            if self.closed or not self.results:
                return
            alerts = []
            for result in self.results:
                entry = asdict(result)
                first = self.fired.get(result.name)
                if first is not None:
                    entry.update(status="fired", fired_live=dict(first), webhook=first.get("webhook"))
                alerts.append(entry)
            body = {
                "live": True,
                "evaluated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "fired": sum(a["status"] == "fired" for a in alerts),
                "alerts": alerts,
            }
            try:
                write_json(RunDir(self.run_dir).alerts, body, checkpointed=False)
            except OSError:
                return  # live alerts are advisory: the final check still runs

    def wait(self, timeout: float = 30.0) -> None:
        """Let pending webhook deliveries finish (called when the run ends); nothing is written after."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.closed = True
