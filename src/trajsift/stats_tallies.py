"""Tallies of `stats.json` besides the counts and score summaries: integrity findings, verification verdicts, and
the merge of diversity coverage; each mergeable, so shards' partial stats add up to the whole run's."""

from __future__ import annotations

from collections import Counter
from typing import Any

from trajsift import annotations as ann
from trajsift.columns import TESTS
from trajsift.dedup.clustering import CoverageTally
from trajsift.reasons import INTEGRITY_REASONS, UNKNOWN_INFRASTRUCTURE
from trajsift.rundir import Decision

VERIFIER = TESTS


def distribution(counter: dict[str, Counter[str]]) -> dict[str, dict[str, Any]]:
    result = {}
    for key, counts in sorted(counter.items()):
        total = sum(counts.values())
        result[key] = {"total": total, **{d.value: counts.get(d, 0) for d in Decision}}
        result[key]["keep_rate"] = ratio(counts.get(Decision.KEEP, 0), total)
    return result


def ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def merge_coverage(into: CoverageTally, other: CoverageTally) -> None:
    """`other`'s cells and approach clusters added to `into` (sets: the order rows came in does not matter)."""
    into.cells |= other.cells
    into.covered |= other.covered
    for task, clusters in other.clusters.items():
        into.clusters[task] |= clusters
    for task, clusters in other.kept_clusters.items():
        into.kept_clusters[task] |= clusters


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

    def merge(self, other: IntegrityTally) -> None:
        self.rows += other.rows
        self.codes.update(other.codes)
        self.decisions.update(other.decisions)
        self.resolved += other.resolved

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

    def merge(self, other: VerificationTally) -> None:
        self.verdicts.update(other.verdicts)
        self.unknown_reasons.update(other.unknown_reasons)

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
