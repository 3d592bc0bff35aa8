"""Quality alerts: threshold and drift rules from the recipe's `alerts:` list, evaluated after a run.

`evaluate` is a pure function of `stats.json` and ordered per-row metric series (`trajsift.series`);
`check_run` wires it to a run directory: it writes `alerts.json` and POSTs fired alerts to webhooks.
A metric is either a `stats.json` path (`decisions.keep_rate`: `<key>_rate` divides a count by its
`total`) or a per-row column: `quality_score` (mean) or `correctness.tests.verdict == correct` (rate).
`UNTESTED` is built in: listed in every run where it fires.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from trajsift.alerts.webhook import Delivery, post_webhook, slack_payload
from trajsift.config import AlertSpec
from trajsift.files import read_json, write_json
from trajsift.rundir import RunDir
from trajsift.series import load_series, row_metric_column

FIRED, OK, NO_DATA = "fired", "ok", "no_data"


@dataclass
class AlertResult:
    name: str
    metric: str
    kind: str
    severity: str
    status: str
    """`fired`, `ok` or `no_data` (metric missing, or too few rows for a drift)."""
    message: str
    value: float | None = None
    baseline: float | None = None
    rows: int = 0
    webhook: dict[str, Any] | None = None
    fired_live: dict[str, Any] | None = None
    """Where the run was when the rule first fired while it ran (see `trajsift.alerts.live`)."""

    @property
    def fired(self) -> bool:
        return self.status == FIRED


@dataclass
class AlertReport:
    results: list[AlertResult] = field(default_factory=list)

    @property
    def fired(self) -> list[AlertResult]:
        return [r for r in self.results if r.fired]

    def to_json(self) -> dict[str, Any]:
        return {
            "evaluated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "fired": len(self.fired),
            "alerts": [asdict(r) for r in self.results],
        }


def stats_metric(stats: Mapping[str, Any], path: str) -> float | None:
    """Resolve a dotted `stats.json` path; keys may contain dots, list items match by `name`."""
    node: Any = stats
    parts = path.split(".")
    i = 0
    while i < len(parts):
        width = _key_width(node, parts, i)
        if width == 0:
            return _derived_rate(node, parts[i:], stats)
        node = _child(node, ".".join(parts[i : i + width]))
        i += width
    return float(node) if _is_number(node) else None


def _key_width(node: Any, parts: list[str], i: int) -> int:
    for width in range(len(parts) - i, 0, -1):
        if _child(node, ".".join(parts[i : i + width])) is not None:
            return width
    return 0


def _child(node: Any, key: str) -> Any:
    if isinstance(node, Mapping):
        return node.get(key)
    if isinstance(node, list):
        return next((item for item in node if isinstance(item, Mapping) and item.get("name") == key), None)
    return None


def _derived_rate(node: Any, rest: list[str], stats: Mapping[str, Any]) -> float | None:
    """`<key>_rate` under a mapping of counts: the count over the mapping's `total` (or the run's)."""
    if len(rest) != 1 or not rest[0].endswith("_rate") or not isinstance(node, Mapping):
        return None
    count = node.get(rest[0][: -len("_rate")])
    total = node.get("total", stats.get("total"))
    if _is_number(count) and _is_number(total) and total > 0:
        return float(count) / float(total)
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _mean(values: Sequence[float | None]) -> tuple[float | None, int]:
    present = [v for v in values if v is not None and math.isfinite(v)]
    return (sum(present) / len(present), len(present)) if present else (None, 0)


def evaluate(
    specs: Sequence[AlertSpec], stats: Mapping[str, Any], series: Mapping[str, Sequence[float | None]]
) -> list[AlertResult]:
    """Pure: every alert's status from the run's stats and its row series in generation order."""
    return [_evaluate_one(spec, stats, series) for spec in specs]


def _evaluate_one(spec: AlertSpec, stats: Mapping[str, Any], series: Mapping[str, Sequence[float | None]]):
    result = AlertResult(spec.name, spec.metric, spec.kind, spec.severity, NO_DATA, "")
    values = series.get(spec.metric)
    if spec.kind == "drift":
        return _drift(spec, result, values)
    value = stats_metric(stats, spec.metric)
    result.rows = int(stats.get("total") or 0)
    if value is None and values is not None:
        value, result.rows = _mean(values)
    if value is None:
        result.message = f"{spec.name}: metric {spec.metric} has no value in this run"
        return result
    result.value = value
    low = spec.min is not None and value < spec.min
    high = spec.max is not None and value > spec.max
    result.status = FIRED if low or high else OK
    bound = f"below min {spec.min:g}" if low else f"above max {spec.max:g}" if high else "within bounds"
    result.message = f"{spec.name}: {spec.metric} = {value:.4g} {bound}"
    return result


def _drift(spec: AlertSpec, result: AlertResult, values: Sequence[float | None] | None) -> AlertResult:
    if values is None:
        result.message = f"{spec.name}: {spec.metric} is not a per-row column of this run"
        return result
    recent_values = values[-spec.window :]
    earlier = values[: max(len(values) - spec.window, 0)]
    base_values = earlier[-spec.baseline :] if spec.baseline else earlier
    recent, recent_n = _mean(recent_values)
    base, base_n = _mean(base_values)
    result.value, result.baseline, result.rows = recent, base, recent_n
    if recent is None or base is None or min(recent_n, base_n) < spec.min_rows:
        result.message = (
            f"{spec.name}: not enough rows for a drift check ({recent_n} recent, {base_n} baseline, "
            f"need {spec.min_rows})"
        )
        return result
    delta = recent - base
    fell = spec.drop is not None and delta <= -spec.drop
    rose = spec.rise is not None and delta >= spec.rise
    result.status = FIRED if fell or rose else OK
    verb = "fell" if delta < 0 else "rose"
    result.message = (
        f"{spec.name}: {spec.metric} {verb} from {base:.4g} to {recent:.4g} ({delta:+.4g}) "
        f"over the last {len(recent_values)} trajectories"
    )
    return result


def webhook_url(spec: AlertSpec) -> str | None:
    if spec.webhook_env:
        return os.environ.get(spec.webhook_env) or spec.webhook
    return spec.webhook


UNTESTED = AlertSpec(
    name="correctness could not test",
    metric="verification.unknown_infrastructure_rate",
    max=0.2,
    severity="critical",
)
"""Built in: over a fifth of the verified rows are `unknown` because this host could not run their tests (no
sandbox, environment or network). A run that could not test must never look like one that passed."""


def builtin_alerts(run: Path, specs: Sequence[AlertSpec]) -> list[AlertSpec]:
    """The built-in alerts that fire on this run (a quiet one is not listed), unless its recipe has a rule on
    the same metric."""
    if any(spec.metric == UNTESTED.metric for spec in specs):
        return []
    try:
        stats = read_json(RunDir(run).stats)
    except (OSError, ValueError):
        return []
    return [UNTESTED] if isinstance(stats, dict) and _evaluate_one(UNTESTED, stats, {}).fired else []


def check_run(run_dir: str | Path, specs: Sequence[AlertSpec], send: bool = True, timeout: float = 5.0) -> AlertReport:
    """Evaluate `specs` on a finished run, write `alerts.json`, POST fired alerts to their webhooks."""
    run = Path(run_dir)
    alerts_file = RunDir(run).alerts
    report = AlertReport()
    specs = [*specs, *builtin_alerts(run, specs)]
    if not specs:
        write_json(alerts_file, report.to_json())  # replaces a stale file from an earlier recipe
        return report
    stats = read_json(RunDir(run).stats)
    row_metrics = [s.metric for s in specs if s.kind == "drift" or stats_metric(stats, s.metric) is None]
    series = load_series(run, {metric: row_metric_column(metric) for metric in row_metrics})
    report.results = evaluate(specs, stats, series)
    _carry_live(run, report)
    if send:
        _send(run, specs, report, timeout)
    write_json(alerts_file, report.to_json())
    return report


def _carry_live(run: Path, report: AlertReport) -> None:
    """Keep what the live rules recorded during the run: where each first fired, and its delivery."""
    previous = load_alerts(run) or {}
    if not previous.get("live"):
        return
    live = {a.get("name"): a for a in previous.get("alerts", []) if isinstance(a, dict) and a.get("fired_live")}
    for result in report.results:
        entry = live.get(result.name)
        if entry is not None:
            result.fired_live = entry["fired_live"]
            result.webhook = entry.get("webhook") or result.webhook


def _send(run: Path, specs: Sequence[AlertSpec], report: AlertReport, timeout: float) -> None:
    """One message per webhook URL with every fired alert routed to it (unless already delivered live)."""
    targets: dict[str, list[AlertResult]] = {}
    for spec, result in zip(specs, report.results, strict=True):
        url = webhook_url(spec)
        if result.webhook and result.webhook.get("delivered"):
            continue
        if result.fired and url:
            targets.setdefault(url, []).append(result)
    for url, results in targets.items():
        delivery: Delivery = post_webhook(url, slack_payload(run.name, [asdict(r) for r in results]), timeout)
        for result in results:
            result.webhook = {"delivered": delivery.ok, "attempts": delivery.attempts, "error": delivery.error}


def load_alerts(run_dir: str | Path) -> dict[str, Any] | None:
    """`alerts.json` of a run, or None when there is none (or it cannot be read)."""
    path = RunDir(run_dir).alerts
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
