"""Agreement between reviewers (Cohen's kappa) and between reviewers and the pipeline.

For inter-rater agreement each double-reviewed item contributes one pair: its first two
reviewers' whole-trajectory decisions (ordered by time of their label). Reviewer-versus-pipeline
compares each label with what the pipeline would have done (keep / drop; undecided rows are
counted apart).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select

from trajsift.review.store import Store
from trajsift.reviewdb import DECISIONS, ReviewItem, Sessions
from trajsift.rundir import Decision

PIPELINE_DECISIONS = tuple(d.value for d in Decision)


def cohen_kappa(pairs: list[tuple[str, str]], categories: tuple[str, ...] = DECISIONS) -> float | None:
    """kappa = (p_o - p_e) / (1 - p_e); None without pairs, 1.0 when both raters always agree on one class."""
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(1 for a, b in pairs if a == b) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in set(categories) | set(first) | set(second)) / (n * n)
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - expected) / (1 - expected)


def reviewer_pairs(labels: list[tuple[int, int, str, float]]) -> list[tuple[str, str]]:
    by_item: dict[int, list[tuple[float, int, str]]] = defaultdict(list)
    for item_id, reviewer_id, decision, updated_at in labels:
        by_item[item_id].append((updated_at, reviewer_id, decision))
    pairs = []
    for entries in by_item.values():
        entries.sort()
        reviewers = {}
        for _at, reviewer_id, decision in entries:
            reviewers.setdefault(reviewer_id, decision)
        if len(reviewers) >= 2:
            first, second = list(reviewers.values())[:2]
            pairs.append((first, second))
    return pairs


def confusion(labels: list[tuple[int, int, str, float]], pipeline: dict[int, str]) -> dict[str, dict[str, int]]:
    """reviewer decision -> pipeline decision -> count."""
    matrix = {d: dict.fromkeys(PIPELINE_DECISIONS, 0) for d in DECISIONS}
    for item_id, _reviewer, decision, _at in labels:
        auto = pipeline.get(item_id)
        if auto in PIPELINE_DECISIONS and decision in matrix:
            matrix[decision][auto] += 1
    return matrix


def pipeline_agreement(matrix: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Accept~keep and reject~drop; flags are left out. Also the shares that suggest a threshold shift."""
    agree = matrix["accept"]["keep"] + matrix["reject"]["drop"]
    decided = sum(matrix[d][p] for d in ("accept", "reject") for p in ("keep", "drop"))
    kept = matrix["accept"]["keep"] + matrix["reject"]["keep"]
    dropped = matrix["accept"]["drop"] + matrix["reject"]["drop"]
    return {
        "agreement": agree / decided if decided else None,
        "decided": decided,
        "kept_but_rejected": matrix["reject"]["keep"] / kept if kept else None,
        "dropped_but_accepted": matrix["accept"]["drop"] / dropped if dropped else None,
        "kappa": cohen_kappa(_as_pairs(matrix), ("accept", "reject")),
    }


def _as_pairs(matrix: dict[str, dict[str, int]]) -> list[tuple[str, str]]:
    mapping = {"keep": "accept", "drop": "reject"}
    return [
        (decision, mapping[auto])
        for decision in ("accept", "reject")
        for auto in ("keep", "drop")
        for _ in range(matrix[decision][auto])
    ]


def threshold_hint(summary: dict[str, Any]) -> str:
    kept_bad, dropped_good = summary["kept_but_rejected"], summary["dropped_but_accepted"]
    if summary["decided"] < 20:
        return "Too few reviewed items with a keep/drop decision to judge the threshold (need 20)."
    if kept_bad is not None and kept_bad > 0.2:
        return f"Reviewers reject {kept_bad:.0%} of what the pipeline keeps: the thresholds look too lenient."
    if dropped_good is not None and dropped_good > 0.2:
        return f"Reviewers accept {dropped_good:.0%} of what the pipeline drops: the thresholds look too strict."
    return "Reviewers and the pipeline mostly agree: the thresholds look right."


def per_reviewer(
    labels: list[tuple[int, int, str, float]], pipeline: dict[int, str], names: dict[int, str]
) -> list[dict[str, Any]]:
    """Per reviewer: labels, agreement with the other reviewers of the same items, and with the pipeline."""
    by_item: dict[int, dict[int, str]] = defaultdict(dict)
    for item_id, reviewer_id, decision, _at in labels:
        by_item[item_id][reviewer_id] = decision
    rows = []
    for reviewer_id in sorted({r for _i, r, _d, _a in labels}):
        mine = {item: votes[reviewer_id] for item, votes in by_item.items() if reviewer_id in votes}
        peers = [(d, other) for item, d in mine.items() for r, other in by_item[item].items() if r != reviewer_id]
        auto = [(d, AUTO.get(pipeline.get(item, ""))) for item, d in mine.items() if d in AUTO.values()]
        auto = [(d, p) for d, p in auto if p is not None]
        rows.append(
            {
                "reviewer": names.get(reviewer_id, "?"),
                "labels": len(mine),
                "decisions": dict(Counter(mine.values())),
                "peer_pairs": len(peers),
                "peer_agreement": _share(peers),
                "pipeline_decided": len(auto),
                "pipeline_agreement": _share(auto),
            }
        )
    return rows


def per_check(labels: list[tuple[int, int, str, float]], reasons: dict[int, list[str]]) -> list[dict[str, Any]]:
    """Per reason the pipeline gave (the check that dropped or flagged a row): how often reviewers confirm
    it (reject) or overrule it (accept); rows without a reason count under `(none: kept)`."""
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for item_id, _reviewer, decision, _at in labels:
        for reason in reasons.get(item_id) or ["(none: kept)"]:
            tally[reason][decision] += 1
    rows = []
    for reason, counts in sorted(tally.items(), key=lambda kv: -sum(kv[1].values())):
        decided = counts["accept"] + counts["reject"]
        confirm = counts["accept"] if reason == "(none: kept)" else counts["reject"]
        rows.append(
            {"check": reason, **{d: counts[d] for d in DECISIONS}, "agreement": confirm / decided if decided else None}
        )
    return rows


AUTO = {"keep": "accept", "drop": "reject"}


def _share(pairs: list[tuple[str, str]]) -> float | None:
    return sum(a == b for a, b in pairs) / len(pairs) if pairs else None


def agreement_report(sessions: Sessions, store: Store) -> dict[str, Any]:
    labels = store.trajectory_labels()
    with sessions() as db:
        items = db.execute(select(ReviewItem.id, ReviewItem.pipeline_decision, ReviewItem.reasons)).all()
    pipeline = {item_id: decision for item_id, decision, _r in items}
    reasons = {item_id: _reason_list(text) for item_id, _d, text in items}
    pairs = reviewer_pairs(labels)
    matrix = confusion(labels, pipeline)
    summary = pipeline_agreement(matrix)
    return {
        "reviewers": {
            "pairs": len(pairs),
            "kappa": cohen_kappa(pairs),
            "observed_agreement": sum(a == b for a, b in pairs) / len(pairs) if pairs else None,
            "pair_counts": {f"{a}/{b}": n for (a, b), n in sorted(Counter(pairs).items())},
        },
        "pipeline": {**summary, "matrix": matrix, "hint": threshold_hint(summary)},
        "per_reviewer": per_reviewer(labels, pipeline, store.user_names()),
        "per_check": per_check(labels, reasons),
        "labels": len(labels),
    }


def _reason_list(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []
