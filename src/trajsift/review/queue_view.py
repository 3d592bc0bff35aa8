"""The queue page's rows: filters, sort and search over every column, and full-text search of trajectories.

Filters are exact matches on item columns (run, origin, pipeline decision, verdict, category, difficulty,
model, scaffold), the reviewers' label, and a status (open / mine / done / left / all). `q` searches the
id, task and reasons; `text` searches the trajectories' full text (see `trajsift.review.search`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select

from trajsift.reviewdb import TRAJECTORY_LEVEL, Assignment, Label, ReviewItem

PAGE_SIZE = 200
FILTER_COLUMNS = ("run_key", "origin", "pipeline_decision", "verdict", "category", "difficulty", "model", "scaffold")
SORTS = {
    "id": ReviewItem.id,
    "run": ReviewItem.run_key,
    "trajectory": ReviewItem.trajectory_id,
    "score": ReviewItem.score,
    "verdict": ReviewItem.verdict,
    "pipeline": ReviewItem.pipeline_decision,
    "category": ReviewItem.category,
    "difficulty": ReviewItem.difficulty,
    "model": ReviewItem.model,
}
STATUSES = ("open", "mine", "done", "left", "all")


@dataclass
class QueueQuery:
    filters: dict[str, str] = field(default_factory=dict)
    label: str = ""
    status: str = "all"
    q: str = ""
    text: str = ""
    sort: str = "id"
    desc: bool = False
    page: int = 0

    @classmethod
    def from_params(cls, params: dict[str, str]) -> QueueQuery:
        filters = {c: params[c][:300] for c in FILTER_COLUMNS if params.get(c)}
        sort = params.get("sort", "id")
        status = params.get("status", "all")
        return cls(
            filters=filters,
            label=params.get("label", "")[:20],
            status=status if status in STATUSES else "all",
            q=params.get("q", "")[:200],
            text=params.get("text", "")[:200],
            sort=sort if sort in SORTS else "id",
            desc=params.get("dir") == "desc",
            page=max(0, min(_int(params.get("page")), 10**6)),
        )

    def link(self, **changes: Any) -> str:
        """Query string of this query with `changes` (used by sort headers and the pager)."""
        from urllib.parse import urlencode

        values = {**self.filters, "label": self.label, "status": self.status, "q": self.q, "text": self.text}
        values.update(sort=self.sort, dir="desc" if self.desc else "asc", page=self.page)
        values.update(changes)
        return "?" + urlencode({k: v for k, v in values.items() if v not in ("", None, "all", 0) or k == "page"})


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def filtered(query: QueueQuery, user_id: int, text_ids: set[tuple[str, str]] | None) -> Select:
    statement = select(ReviewItem)
    for column, value in query.filters.items():
        statement = statement.where(getattr(ReviewItem, column) == value)
    if query.q:
        needle = f"%{query.q.lower()}%"
        fields = (ReviewItem.trajectory_id, ReviewItem.task_id, ReviewItem.reasons, ReviewItem.category)
        statement = statement.where(
            func.lower(fields[0] + " " + fields[1] + " " + fields[2] + " " + fields[3]).like(needle)
        )
    if query.label:
        labelled = select(Label.item_id).where(Label.step_index == TRAJECTORY_LEVEL, Label.decision == query.label)
        statement = statement.where(ReviewItem.id.in_(labelled))
    statement = _status(statement, query.status, user_id)
    if text_ids is not None:
        ids = [trajectory_id for _run, trajectory_id in text_ids][:5000]
        statement = statement.where(ReviewItem.trajectory_id.in_(ids))
    return statement


def _status(statement: Select, status: str, user_id: int) -> Select:
    decided = select(Label.item_id).where(Label.step_index == TRAJECTORY_LEVEL)
    if status == "left":
        return statement.where(~ReviewItem.in_queue)
    if status == "open":
        return statement.where(ReviewItem.in_queue, ReviewItem.id.not_in(decided))
    if status == "done":
        return statement.where(ReviewItem.id.in_(decided))
    if status == "mine":
        return statement.where(ReviewItem.id.in_(select(Assignment.item_id).where(Assignment.reviewer_id == user_id)))
    return statement


def queue_rows(db, query: QueueQuery, user_id: int, text_ids=None) -> tuple[list[dict[str, Any]], int]:
    """(rows of the requested page, total matching)."""
    statement = filtered(query, user_id, text_ids)
    total = db.scalar(select(func.count()).select_from(statement.subquery()))
    column = SORTS[query.sort]
    order = [column.desc().nulls_last() if query.desc else column.asc().nulls_last(), ReviewItem.id]
    items = db.scalars(statement.order_by(*order).offset(query.page * PAGE_SIZE).limit(PAGE_SIZE)).all()
    ids = [item.id for item in items]
    labels: dict[int, list[str]] = {}
    for item_id, decision in db.execute(
        select(Label.item_id, Label.decision).where(Label.step_index == TRAJECTORY_LEVEL, Label.item_id.in_(ids))
    ):
        labels.setdefault(item_id, []).append(decision)
    mine = set(
        db.scalars(select(Assignment.item_id).where(Assignment.reviewer_id == user_id, Assignment.item_id.in_(ids)))
    )
    rows = [
        {
            "item": item,
            "reasons": json.loads(item.reasons or "[]"),
            "labels": sorted(labels.get(item.id, [])),
            "needed": 2 if item.double_review else 1,
            "mine": item.id in mine,
        }
        for item in items
    ]
    return rows, total or 0


def filter_choices(db) -> dict[str, list[str]]:
    """Distinct values of each filter column (for the filter menus), at most 200 each."""
    return {
        column: [v for v in db.scalars(select(getattr(ReviewItem, column)).distinct().limit(200)) if v]
        for column in FILTER_COLUMNS
    }
