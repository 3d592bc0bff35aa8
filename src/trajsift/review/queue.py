"""The review queue: which rows are reviewed, by whom, and how the queue compares to the kept data.

Items are every row of review.parquet, every rejected row with an integrity finding (reward hacking),
plus (configurable) extra stratified samples of kept and rejected rows. Draws are deterministic: a
uniform value from a hash of (seed, run, id). A share of items is double-reviewed by a second,
different reviewer (claims: `trajsift.review.claims`).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from trajsift.columns import QUALITY_SCORE, TESTS_VERDICT
from trajsift.reasons import INTEGRITY_REASONS
from trajsift.reviewdb import ReviewItem, Sessions
from trajsift.rundata import RunData
from trajsift.rundir import Decision

BALANCE_COLUMNS = ("category", "difficulty", "model", "scaffold")
SCORE_COLUMN, VERDICT_COLUMN = QUALITY_SCORE, TESTS_VERDICT
FALLBACKS = {"category": ("repo",), "model": ("scaffold",), "difficulty": ()}
"""When a row has no category / model, the queue shows the closest thing it has (its repo, its scaffold)."""
SAMPLE_COLUMNS = ("trajectory_id", "task_id", "repo", "run", "format", "reasons", SCORE_COLUMN, VERDICT_COLUMN)
SAMPLE_COLUMNS = (*SAMPLE_COLUMNS, *BALANCE_COLUMNS)
REVIEW_COLUMNS = (*SAMPLE_COLUMNS, "decided_by")
UPDATED_FIELDS = ("origin", "pipeline_decision", "reasons", *BALANCE_COLUMNS, "fingerprint", "score", "verdict")


@dataclass(frozen=True)
class QueueConfig:
    kept_share: float = 0.0
    """Extra share of kept rows added to the queue, stratified by category/difficulty/model/scaffold."""
    rejected_share: float = 0.0
    """Extra share of rejected rows (lets the agreement page judge the pipeline's drops too)."""
    double_share: float = 0.1
    """Share of items reviewed by two different reviewers (chosen by id hash)."""
    claim_ttl_s: float = 1800.0
    seed: str = "trajsift-review"


def draw(seed: str, *parts: str) -> float:
    digest = hashlib.sha256("\x1f".join((seed, *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def stratified_sample(rows: list[dict[str, Any]], share: float, seed: str, run_key: str) -> list[dict[str, Any]]:
    """Per stratum, the ceil-free proportional count of rows with the smallest draws (>= 1 if share > 0)."""
    if share <= 0:
        return []
    strata: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        strata[tuple(str(row.get(c) or "") for c in BALANCE_COLUMNS)].append(row)
    chosen = []
    for members in strata.values():
        count = max(1, round(share * len(members)))
        members.sort(key=lambda r: draw(seed, run_key, str(r["trajectory_id"])))
        chosen.extend(members[:count])
    return chosen


def queue_items(runs: dict[str, RunData], config: QueueConfig) -> list[dict[str, Any]]:
    items = []
    for key, run in runs.items():
        for row in run.rows(Decision.REVIEW.part, REVIEW_COLUMNS):
            items.append(_item(run, row, "review", _pipeline_decision(row), config))
        hacks = integrity_rows(run)  # an integrity finding is reviewed even when a later stage dropped the row
        items.extend(_item(run, row, "integrity", Decision.DROP.value, config) for row in hacks)
        seen = {str(row["trajectory_id"]) for row in hacks}
        for decision, share in ((Decision.KEEP, config.kept_share), (Decision.DROP, config.rejected_share)):
            rows = [row for row in run.rows(decision.part, SAMPLE_COLUMNS) if str(row["trajectory_id"]) not in seen]
            for row in stratified_sample(rows, share, config.seed, key):
                items.append(_item(run, row, f"{decision.part}_sample", decision.value, config))
    return items


def integrity_rows(run: RunData) -> list[dict[str, Any]]:
    """Rejected rows carrying an integrity (reward hacking) finding."""
    rows = run.rows(Decision.DROP.part, (*SAMPLE_COLUMNS, "findings"))
    return [row for row in rows if any(f.rsplit(":", 1)[-1] in INTEGRITY_REASONS for f in row.get("findings") or [])]


def _pipeline_decision(row: dict[str, Any]) -> str:
    """Stage-5 review rows survived every earlier stage: the pipeline would have kept them."""
    return Decision.KEEP.value if row.get("decided_by") == "review" else Decision.REVIEW.value


def _item(run: RunData, row: dict[str, Any], origin: str, decision: str, config: QueueConfig) -> dict[str, Any]:
    trajectory_id = str(row["trajectory_id"])
    score = row.get(SCORE_COLUMN)
    return {
        "run_key": run.key,
        "trajectory_id": trajectory_id,
        "task_id": str(row.get("task_id") or "")[:300],
        "origin": origin,
        "pipeline_decision": decision,
        "reasons": json.dumps(list(row.get("reasons") or [])),
        **{c: _filled(row, c) for c in BALANCE_COLUMNS},
        "double_review": draw(config.seed, "double", run.key, trajectory_id) < config.double_share,
        "fingerprint": run.fingerprint,
        "score": float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
        "verdict": str(row.get(VERDICT_COLUMN) or "")[:40],
    }


def _filled(row: dict[str, Any], column: str) -> str:
    """The column's value, else a fallback marked as such (`django/django (repo)`), else ""."""
    if row.get(column):
        return str(row[column])[:300]
    for name in FALLBACKS.get(column, ()):
        if row.get(name):
            return f"{str(row[name])[:280]} ({name})"
    return ""


def sync_items(sessions: Sessions, items: list[dict[str, Any]], reconcile: Iterable[str] = ()) -> int:
    """Insert the items the database does not have yet; returns how many were added. For the run keys in
    `reconcile` (runs whose files were rewritten) known items are updated from `items`, and items no longer
    among them are marked as out of the queue (their labels stay, on the same trajectory)."""
    reconcile = set(reconcile)
    with sessions() as db:
        rows = db.execute(select(ReviewItem.run_key, ReviewItem.trajectory_id, ReviewItem.id)).all()
    known = {(run_key, trajectory_id): item_id for run_key, trajectory_id, item_id in rows}
    fresh = [i for i in items if (i["run_key"], i["trajectory_id"]) not in known]
    try:
        with sessions.begin() as db:
            db.add_all(ReviewItem(**item) for item in fresh)
            if reconcile:
                _reconcile(db, items, known, reconcile)
    except IntegrityError:  # another server instance synced the same items concurrently
        return 0
    return len(fresh)


def _reconcile(db, items: list[dict[str, Any]], known: dict[tuple[str, str], int], runs: set[str]) -> None:
    present = set()
    for item in items:
        item_id = known.get((item["run_key"], item["trajectory_id"]))
        if item_id is not None and item["run_key"] in runs:
            present.add(item_id)
            values = {name: item[name] for name in UPDATED_FIELDS}
            db.execute(update(ReviewItem).where(ReviewItem.id == item_id).values(in_queue=True, **values))
    gone = [i for (run_key, _t), i in known.items() if run_key in runs and i not in present]
    for start in range(0, len(gone), 500):
        db.execute(update(ReviewItem).where(ReviewItem.id.in_(gone[start : start + 500])).values(in_queue=False))


def balance(runs: dict[str, RunData], sessions: Sessions) -> dict[str, dict[str, dict[str, int]]]:
    """Per balance column: value -> {queue, kept} counts, to see whether the queue mirrors the data."""
    with sessions() as db:
        queued = db.execute(select(*(getattr(ReviewItem, c) for c in BALANCE_COLUMNS))).all()
    result: dict[str, dict[str, dict[str, int]]] = {}
    for i, column in enumerate(BALANCE_COLUMNS):
        in_queue = Counter(values[i] for values in queued)
        in_kept = Counter(str(v or "") for run in list(runs.values()) for v in run.column("kept", column))
        result[column] = {
            value: {"queue": in_queue.get(value, 0), "kept": in_kept.get(value, 0)}
            for value in sorted(set(in_queue) | set(in_kept))
        }
    return result
