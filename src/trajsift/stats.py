"""The quality metrics of a run (`stats.json`), accumulated shard by shard from annotations.

Read by the terminal summary, the report, the dashboard and the planner.
"""

from __future__ import annotations

import functools
import math
import operator
import random
from array import array
from collections import Counter, defaultdict
from datetime import datetime, timezone
from typing import Any

from trajsift import annotations as ann
from trajsift.columns import (
    APPROACH_NOVELTY,
    COHERENCE_SCORE,
    COMPLETENESS_SCORE,
    EFFICIENCY_SCORE,
    NEAR_ACTION_NOVELTY,
    QUALITY_SCORE,
    TOOL_NOVELTY,
)
from trajsift.dedup.clustering import CoverageTally
from trajsift.rundir import Decision
from trajsift.stats_tallies import VERIFIER, IntegrityTally, VerificationTally, distribution, merge_coverage, ratio

__all__ = ["VERIFIER", "IntegrityTally", "ScoreSummary", "StatsBuilder", "VerificationTally"]

GROUPINGS = ("category", "difficulty", "model", "scaffold", "format", "repo")
HISTOGRAM_BINS = 20
SAMPLE_CAP = 100_000
AVERAGED_FAMILIES = (
    QUALITY_SCORE,
    COHERENCE_SCORE,
    EFFICIENCY_SCORE,
    COMPLETENESS_SCORE,
    NEAR_ACTION_NOVELTY,
    APPROACH_NOVELTY,
    TOOL_NOVELTY,
)


class StatsBuilder:
    """Counts and summaries of the rows `add`ed; `merge` adds another builder's (a shard's partial stats, built
    with `keep_every_value`, merged in shard order), giving exactly the figures `add` of the same rows would."""

    def __init__(
        self,
        stage_names: list[str],
        score_types: dict[str, Any],
        labels_given: bool = False,
        stage_checks: dict[str, list[str]] | None = None,
        keep_every_value: bool = False,
    ) -> None:
        self.stage_names = stage_names
        self.value_cap = math.inf if keep_every_value else None
        self.stage_checks = stage_checks or {}
        self.labels_given = labels_given
        self.numeric = [name for name, dtype in score_types.items() if _is_numeric(dtype)]
        self.total = 0
        self.decisions: Counter[str] = Counter()
        self.decided: Counter[tuple[str, str]] = Counter()
        self.reasons: Counter[str] = Counter()
        self.reasons_by_stage: dict[str, Counter[str]] = defaultdict(Counter)
        self.findings: Counter[str] = Counter()
        self.integrity = IntegrityTally()
        self.verification = VerificationTally()
        self.errors = 0
        self.groups: dict[str, dict[str, Counter[str]]] = {g: defaultdict(Counter) for g in GROUPINGS}
        self.values: dict[str, ScoreSummary] = {}
        self.resolved: Counter[tuple[str, str]] = Counter()
        self.unlabelled: Counter[str] = Counter()
        self.first_started: datetime | None = None
        self.last_finished: datetime | None = None
        self.coverage = CoverageTally()

    def add(self, rows: list[ann.Annotation], timestamps: list[tuple[str, str]]) -> None:
        for row in rows:
            self._add_row(row)
        for stamp in (_parse_time(t) for pair in timestamps for t in pair if t):
            if stamp is not None:
                self.first_started = min(self.first_started or stamp, stamp)
                self.last_finished = max(self.last_finished or stamp, stamp)

    def _add_row(self, row: ann.Annotation) -> None:
        self.total += 1
        self.decisions[row.decision] += 1
        self.decided[(row.decided_by, row.decision)] += 1
        if row.decision == Decision.DROP:
            self.reasons.update(row.reasons)
            self.reasons_by_stage[row.decided_by].update(row.reasons)
        self.findings.update(row.findings)
        self.integrity.add(row)
        self.verification.add(row)
        self.errors += bool(row.errors)
        self.coverage.add(row.columns(), row.decision)
        for group in GROUPINGS:
            self.groups[group][str(row.meta.get(group) or "unknown")][row.decision] += 1
        for name in self.numeric:
            value = row.scores.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                self._summary(name).add(float(value))
        label = row.meta.get("resolved_label")
        if label is not None:
            self.resolved[(str(bool(label)), row.decision)] += 1
        else:
            self.unlabelled[row.decision] += 1

    def _summary(self, name: str) -> ScoreSummary:
        summary = self.values.get(name)
        if summary is None:  # one summary (and one seeded sampler) per column, not per value
            summary = self.values[name] = ScoreSummary(name)
            if self.value_cap is not None:
                summary.cap = self.value_cap
        return summary

    def merge(self, other: StatsBuilder) -> None:
        """Add the rows `other` counted (it kept every value): Counters keep their first-seen order, so merging
        shards in input order orders ties as `add` would."""
        self.total += other.total
        self.errors += other.errors
        for mine, theirs in self._counters(other):
            mine.update(theirs)
        for stage, counts in other.reasons_by_stage.items():
            self.reasons_by_stage[stage].update(counts)
        for group, keys in other.groups.items():
            for key, counts in keys.items():
                self.groups[group][key].update(counts)
        self.integrity.merge(other.integrity)
        self.verification.merge(other.verification)
        merge_coverage(self.coverage, other.coverage)
        for name, summary in other.values.items():
            self._summary(name).extend(summary.every_value())
        if other.first_started is not None:
            self.first_started = min(self.first_started or other.first_started, other.first_started)
        if other.last_finished is not None:
            self.last_finished = max(self.last_finished or other.last_finished, other.last_finished)

    def _counters(self, other: StatsBuilder) -> list[tuple[Counter, Counter]]:
        names = ("decisions", "decided", "reasons", "findings", "resolved", "unlabelled")
        return [(getattr(self, name), getattr(other, name)) for name in names]

    def build(self, read: dict[str, Any], stage_runs: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "input": read,
            "total": self.total,
            "decisions": {d.value: self.decisions.get(d, 0) for d in Decision},
            "funnel": self._funnel(stage_runs),
            "reasons": dict(self.reasons.most_common()),
            "findings": dict(self.findings.most_common()),
            "integrity": self.integrity.summary(),
            "verification": self.verification.summary(),
            "rows_with_check_errors": self.errors,
            "distributions": {g: distribution(c) for g, c in self.groups.items()},
            "scores": {name: summary.to_json() for name, summary in sorted(self.values.items())},
            "averages": {name: self.values[name].mean() if name in self.values else None for name in AVERAGED_FAMILIES},
            "labels": self._labels(),
            "generation_rate_per_hour": self._generation_rate(),
            "diversity": self.coverage.summary(),
        }

    def _funnel(self, stage_runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        alive = self.total
        funnel = []
        for run in stage_runs:
            name = run["name"]
            dropped = self.decided[(name, Decision.DROP)]
            review = self.decided[(name, Decision.REVIEW)]
            entry = {**run, "in": alive, "dropped": dropped, "review": review, "passed": alive - dropped}
            entry["pass_rate"] = round((alive - dropped) / alive, 4) if alive else None
            entry["top_reasons"] = dict(self.reasons_by_stage[name].most_common(10))
            if VERIFIER in self.stage_checks.get(name, ()) and run.get("status") != "skipped":
                entry["unknown"] = self.verification.funnel_line()
            funnel.append(entry)
            alive -= dropped
        return funnel

    def _labels(self) -> dict[str, Any] | None:
        """Decisions against outcome labels; every rate is over labelled rows only."""
        if not self.resolved and not self.labels_given:
            return None
        resolved = {d.value: self.resolved[("True", d)] for d in Decision}
        unresolved = {d.value: self.resolved[("False", d)] for d in Decision}
        kept = resolved[Decision.KEEP] + unresolved[Decision.KEEP]
        labelled = sum(resolved.values()) + sum(unresolved.values())
        return {
            "labelled": labelled,
            "unlabelled": sum(self.unlabelled.values()),
            "resolved": resolved,
            "unresolved": unresolved,
            "unlabelled_by_decision": {d.value: self.unlabelled.get(d, 0) for d in Decision},
            "resolved_rate_input": ratio(sum(resolved.values()), labelled),
            "resolved_rate_kept": ratio(resolved[Decision.KEEP], kept),
            "resolved_rejected_share": ratio(resolved[Decision.DROP], sum(resolved.values())),
        }

    def _generation_rate(self) -> float | None:
        if self.first_started is None or self.last_finished is None:
            return None
        hours = (self.last_finished - self.first_started).total_seconds() / 3600
        return round(self.total / hours, 3) if hours > 0 else None


class ScoreSummary:
    """Count, mean, min, max, median and a histogram of one score column in bounded memory.

    Count, mean, min and max are exact. The median and the histogram come from every value up to
    `SAMPLE_CAP` values, then from a uniform reservoir sample of that size, seeded by the column name
    so a rerun over the same rows gives the same figures."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.total = 0.0
        self.lo = math.inf
        self.hi = -math.inf
        self.sample = array("d")
        self.cap: float = SAMPLE_CAP
        self.rng: random.Random | None = None  # made on the first value past the cap: the same draws

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.lo, self.hi = min(self.lo, value), max(self.hi, value)
        if len(self.sample) < self.cap:
            self.sample.append(value)
        elif (slot := self._draw()) < self.cap:
            self.sample[slot] = value

    def _draw(self) -> int:
        if self.rng is None:
            self.rng = random.Random(self.name)
        return self.rng.randrange(self.count)

    def every_value(self) -> array:
        """Every value added, in order (a summary whose `cap` was never reached)."""
        if len(self.sample) != self.count:
            raise ValueError(f"score summary {self.name!r} sampled its values: they cannot be merged")
        return self.sample

    def extend(self, values: array) -> None:
        """`add` of each value in turn, the same figures bit for bit, without a Python call per value below the cap."""
        if not values:
            return
        self.total = functools.reduce(operator.add, values, self.total)  # in order: the same rounding as `add`
        self.lo, self.hi = min(self.lo, min(values)), max(self.hi, max(values))
        room = min(len(values), max(0, self.cap - len(self.sample)))  # an int: `cap` may be inf
        self.sample.extend(values[:room])
        self.count += room
        for value in values[room:]:
            self.count += 1
            if (slot := self._draw()) < self.cap:
                self.sample[slot] = value

    def mean(self) -> float:
        return round(self.total / self.count, 6)

    def to_json(self) -> dict[str, Any]:
        width = (self.hi - self.lo) / HISTOGRAM_BINS or 1.0
        median, hist = self._median_and_histogram(width)
        return {
            "count": self.count,
            "mean": self.mean(),
            "min": self.lo,
            "p50": median,
            "max": self.hi,
            "histogram": {"lo": self.lo, "hi": self.hi, "counts": hist}
            | ({"sampled": len(self.sample)} if self.count > SAMPLE_CAP else {}),
        }

    def _median_and_histogram(self, width: float) -> tuple[float, list[int]]:
        """The upper median of the sample and its bin counts (values are finite: `StatsBuilder` adds no other)."""
        import numpy as np

        values = np.frombuffer(self.sample, dtype=np.float64)
        bins = np.minimum(((values - self.lo) / width).astype(np.int64), HISTOGRAM_BINS - 1)
        median = float(np.partition(values, len(values) // 2)[len(values) // 2])
        return median, np.bincount(bins, minlength=HISTOGRAM_BINS).tolist()


def _is_numeric(dtype: Any) -> bool:
    return str(dtype).startswith(("double", "float", "int", "uint"))


def _parse_time(text: str) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
