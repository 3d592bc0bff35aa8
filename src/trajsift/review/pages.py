"""Server-rendered pages: queue, trajectory viewer, balance and agreement."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from trajsift.review.agreement import agreement_report
from trajsift.review.claims import claim_item, claim_next
from trajsift.review.compare import same_task_items
from trajsift.review.queue import balance
from trajsift.review.queue_view import PAGE_SIZE, STATUSES, QueueQuery, filter_choices, queue_rows
from trajsift.review.search import full_text_ids
from trajsift.review.viewer import trajectory_view
from trajsift.reviewdb import TRAJECTORY_LEVEL, ReviewItem
from trajsift.web.accounts import CurrentUser
from trajsift.web.auth import require_csrf, require_user

router = APIRouter()


MAX_ID = 2**31 - 1
ItemId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="review item id")]
"""Item ids in paths: bounded, so a 20-digit id is a 422, never a database overflow."""


def get_item(request: Request, item_id: int) -> ReviewItem:
    if not 1 <= item_id <= MAX_ID:
        raise HTTPException(status_code=404, detail="no such review item")
    with request.app.state.sessions() as db:
        item = db.get(ReviewItem, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="no such review item")
    return item


@router.get("/")
def home(_user: CurrentUser = Depends(require_user)) -> Response:
    return RedirectResponse("/queue", status_code=303)


@router.get("/queue")
def queue_page(request: Request, empty: int = 0, user: CurrentUser = Depends(require_user)) -> Response:
    query = QueueQuery.from_params(dict(request.query_params))
    runs = request.app.state.runs
    text_ids = full_text_ids(runs, query.text) if query.text else None
    with request.app.state.sessions() as db:
        rows, total = queue_rows(db, query, user.id, text_ids)
        choices = filter_choices(db)
    return request.app.state.render(
        request,
        "queue.html",
        rows=rows,
        total=total,
        query=query,
        choices=choices,
        statuses=STATUSES,
        pages=(total + PAGE_SIZE - 1) // PAGE_SIZE,
        empty=bool(empty),
        runs=list(runs),
    )


@router.post("/queue/next")
async def next_item(request: Request, user: CurrentUser = Depends(require_csrf)) -> Response:
    form = await request.form()
    skip = _int_or_none(form.get("skip"))
    settings = request.app.state.settings
    item_id = await run_in_threadpool(
        claim_next, request.app.state.sessions, user.id, settings.queue.claim_ttl_s, None, skip
    )
    if item_id is None:
        return RedirectResponse("/queue?empty=1", status_code=303)
    return RedirectResponse(f"/item/{item_id}", status_code=303)


def _int_or_none(value: object) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 10 else None


@router.get("/item/{item_id}")
def item_page(request: Request, item_id: ItemId, user: CurrentUser = Depends(require_user)) -> Response:
    item = get_item(request, item_id)
    run = request.app.state.runs.get(item.run_key)
    traj = run.trajectory(item.trajectory_id) if run else None
    if traj is None:
        raise HTTPException(
            status_code=404,
            detail=f"trajectory {item.trajectory_id} is no longer in the data of run {item.run_key}; "
            "its labels are kept (queue filter: status left)",
        )
    settings = request.app.state.settings
    claim = claim_item(request.app.state.sessions, item_id, user.id, settings.queue.claim_ttl_s)
    view = trajectory_view(
        traj, run.annotation(item.trajectory_id) or {}, settings.observation_chunk, settings.text_limit
    )
    labels = {
        label["step"]: label
        for label in request.app.state.store.labels_of_item(item_id)
        if label["reviewer_id"] == user.id
    }
    return request.app.state.render(
        request,
        "item.html",
        item=item,
        claim=claim,
        part=run.part_of(item.trajectory_id),
        view=view,
        labels=labels,
        trajectory_label=labels.get(TRAJECTORY_LEVEL),
        reason_tags=settings.reason_tags,
        siblings=same_task_items(item, request.app.state.runs),
    )


@router.get("/trajectory")
def find_trajectory(
    request: Request, run: str = "", id: str = "", _user: CurrentUser = Depends(require_user)
) -> Response:
    """Look a trajectory up by run key and id in the queue (never as a path)."""
    with request.app.state.sessions() as db:
        query = select(ReviewItem.id).where(ReviewItem.trajectory_id == id[:1000])
        if run:
            query = query.where(ReviewItem.run_key == run[:200])
        item_id = db.scalars(query.order_by(ReviewItem.id)).first()
    if item_id is None:
        raise HTTPException(status_code=404, detail="trajectory is not in the review queue")
    return RedirectResponse(f"/item/{item_id}", status_code=303)


@router.get("/balance")
def balance_page(request: Request, _user: CurrentUser = Depends(require_user)) -> Response:
    data = balance(request.app.state.runs, request.app.state.sessions)
    return request.app.state.render(request, "balance.html", balance=_with_shares(data))


def _with_shares(data: dict[str, dict[str, dict[str, int]]]) -> dict[str, list[dict[str, Any]]]:
    result = {}
    for column, values in data.items():
        queue_total = sum(v["queue"] for v in values.values()) or 1
        kept_total = sum(v["kept"] for v in values.values()) or 1
        result[column] = [
            {
                "value": value or "(none)",
                **counts,
                "queue_share": counts["queue"] / queue_total,
                "kept_share": counts["kept"] / kept_total,
                "bar_queue": round(100 * counts["queue"] / queue_total),
                "bar_kept": round(100 * counts["kept"] / kept_total),
            }
            for value, counts in values.items()
        ]
    return result


@router.get("/agreement")
def agreement_page(request: Request, _user: CurrentUser = Depends(require_user)) -> Response:
    report = agreement_report(request.app.state.sessions, request.app.state.store)
    return request.app.state.render(request, "agreement.html", report=report)
