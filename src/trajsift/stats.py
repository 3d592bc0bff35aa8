"""The quality metrics of a run (`stats.json`), accumulated shard by shard from annotations.

Read by the terminal summary, the report, the dashboard and the planner.
"""

from __future__ import annotations

import math
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
    TESTS,
    TOOL_NOVELTY,
)
from trajsift.dedup.clustering import CoverageTally
from trajsift.reasons import INTEGRITY_REASONS, UNKNOWN_INFRASTRUCTURE
from trajsift.rundir import Decision

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
VERIFIER = TESTS


class StatsBuilder:
    def __init__(
        self,
        stage_names: list[str],
        score_types: dict[str, Any],
        labels_given: bool = False,
        stage_checks: dict[str, list[str]] | None = None,
    ) -> None:
        self.stage_names = stage_names
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
                summary = self.values.get(name)
                if summary is None:  # one summary (and one seeded sampler) per column, not per value
                    summary = self.values[name] = ScoreSummary(name)
                summary.add(float(value))
        label = row.meta.get("resolved_label")
        if label is not None:
            self.resolved[(str(bool(label)), row.decision)] += 1
        else:
            self.unlabelled[row.decision] += 1

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
            "distributions": {g: _distribution(c) for g, c in self.groups.items()},
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
            "resolved_rate_input": _ratio(sum(resolved.values()), labelled),
            "resolved_rate_kept": _ratio(resolved[Decision.KEEP], kept),
            "resolved_rejected_share": _ratio(resolved[Decision.DROP], sum(resolved.values())),
        }

    def _generation_rate(self) -> float | None:
        if self.first_started is None or self.last_finished is None:
            return None
        hours = (self.last_finished - self.first_started).total_seconds() / 3600
        return round(self.total / hours, 3) if hours > 0 else None


class IntegrityTally:
    """Integrity findings (reward hacking) over every row, whatever its final decision: a run dropped for
    another reason can still be a hack a user must hear about."""

    def __init__(self) -> None:
        self.rows = 0
        self.codes: Counter[str] = Counter()
        self.decisions: Counter[str] = Counter()
        self.resolved = 0

    def add(self, row: ann.Annotation) -> None:
        codes = {finding.rsplit(":", 1)[-1] for finding in row.findings} & INTEGRITY_REASONS
        if not codes:
            return
        self.rows += 1
        self.codes.update(codes)
        self.decisions[row.decision] += 1
        self.resolved += row.meta.get("resolved_label") is True

    def summary(self) -> dict[str, Any]:
        return {
            "rows_flagged": self.rows,
            "findings": dict(sorted(self.codes.items(), key=lambda item: (-item[1], item[0]))),
            "decisions": {d.value: self.decisions.get(d, 0) for d in Decision},
            "labelled_resolved": self.resolved,
        }


class VerificationTally:
    """Verdicts of the correctness check; `unknown` counted apart, and those this host caused (no sandbox,
    no environment, no network) apart again: a run that could not test must not look like one that passed."""

    def __init__(self) -> None:
        self.verdicts: Counter[str] = Counter()
        self.unknown_reasons: Counter[str] = Counter()

    def add(self, row: ann.Annotation) -> None:
        verdict = row.scores.get(f"{VERIFIER}.verdict")
        if verdict is None:
            return
        self.verdicts[str(verdict)] += 1
        if verdict == "unknown":
            self.unknown_reasons[str(row.scores.get(f"{VERIFIER}.reason") or "unknown")] += 1

    def funnel_line(self) -> dict[str, Any]:
        infrastructure = sum(n for reason, n in self.unknown_reasons.items() if reason in UNKNOWN_INFRASTRUCTURE)
        return {
            "count": self.verdicts["unknown"],
            "infrastructure": infrastructure,
            "reasons": dict(self.unknown_reasons.most_common()),
        }

    def summary(self) -> dict[str, Any]:
        line = self.funnel_line()
        return {
            "total": sum(self.verdicts.values()),
            "verdicts": dict(self.verdicts.most_common()),
            "unknown": line["count"],
            "unknown_infrastructure": line["infrastructure"],
            "unknown_reasons": line["reasons"],
        }


class ScoreSummary:
    """Count, mean, min, max, median and a histogram of one score column in bounded memory.

    Count, mean, min and max are exact. The median and the histogram come from every value up to
    `SAMPLE_CAP` values, then from a uniform reservoir sample of that size, seeded by the column name
    so a rerun over the same rows gives the same figures."""

    def __init__(self, name: str) -> None:
        self.count = 0
        self.total = 0.0
        self.lo = math.inf
        self.hi = -math.inf
        self.sample = array("d")
        self.rng = random.Random(name)

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.lo, self.hi = min(self.lo, value), max(self.hi, value)
        if len(self.sample) < SAMPLE_CAP:
            self.sample.append(value)
        elif (slot := self.rng.randrange(self.count)) < SAMPLE_CAP:
            self.sample[slot] = value

    def mean(self) -> float:
        return round(self.total / self.count, 6)

    def to_json(self) -> dict[str, Any]:
        values = sorted(self.sample)
        width = (self.hi - self.lo) / HISTOGRAM_BINS or 1.0
        hist = [0] * HISTOGRAM_BINS
        for v in values:
            hist[min(int((v - self.lo) / width), HISTOGRAM_BINS - 1)] += 1
        return {
            "count": self.count,
            "mean": self.mean(),
            "min": self.lo,
            "p50": values[len(values) // 2],
            "max": self.hi,
            "histogram": {"lo": self.lo, "hi": self.hi, "counts": hist}
            | ({"sampled": len(values)} if self.count > SAMPLE_CAP else {}),
        }


def _is_numeric(dtype: Any) -> bool:
    text = str(dtype)
    return text.startswith(("double", "float", "int", "uint"))


def _distribution(counter: dict[str, Counter[str]]) -> dict[str, dict[str, Any]]:
    result = {}
    for key, counts in sorted(counter.items()):
        total = sum(counts.values())
        result[key] = {"total": total, **{d.value: counts.get(d, 0) for d in Decision}}
        result[key]["keep_rate"] = _ratio(counts.get(Decision.KEEP, 0), total)
    return result


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _parse_time(text: str) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
