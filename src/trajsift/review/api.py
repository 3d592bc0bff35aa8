"""JSON API: labels (409 on a stale version), observation pages, queue claims, balance, agreement."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from trajsift.review.agreement import agreement_report
from trajsift.review.claims import claim_next, release
from trajsift.review.pages import MAX_ID, ItemId, get_item
from trajsift.review.queue import balance
from trajsift.review.store import InvalidLabel, LabelConflict, UnknownItem
from trajsift.review.viewer import observation_page
from trajsift.web.accounts import CurrentUser
from trajsift.web.auth import require_csrf, require_user

router = APIRouter(prefix="/api")


@router.put("/items/{item_id}/labels")
async def put_label(request: Request, item_id: ItemId, user: CurrentUser = Depends(require_csrf)) -> Response:
    """Body: {"step": -1 | step index, "decision": accept|reject|flag, "tags": [...], "comment": "", "version": N}
    where version is the label's current version (0 to create). Stale -> 409 with the current label.
    Tags must be among the configured reason tags; a step index must exist in the trajectory."""
    body = await _json_body(request)
    step, tags = _int(body.get("step", -1)), body.get("tags", [])
    await run_in_threadpool(_check_label_target, request, item_id, step, tags)
    try:
        label = await run_in_threadpool(
            request.app.state.store.save_label,
            item_id,
            user.id,
            step,
            str(body.get("decision", "")),
            tags,
            body.get("comment", ""),
            _int(body.get("version", 0)),
        )
    except UnknownItem as error:
        raise HTTPException(status_code=404, detail="no such review item") from error
    except InvalidLabel as error:
        raise HTTPException(status_code=422, detail=str(error)) from error
    except LabelConflict as conflict:
        return JSONResponse(
            {
                "error": "conflict",
                "message": "This label was changed elsewhere since you loaded it; nothing was overwritten.",
                "current": conflict.current,
            },
            status_code=409,
        )
    return JSONResponse(label)


def _check_label_target(request: Request, item_id: int, step: int, tags: object) -> None:
    allowed = request.app.state.settings.reason_tags
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag in allowed for tag in tags):
        raise HTTPException(status_code=422, detail=f"tags must be a list of: {', '.join(allowed)}")
    if step == -1:
        return
    item = get_item(request, item_id)
    run = request.app.state.runs.get(item.run_key)
    traj = run.trajectory(item.trajectory_id) if run else None
    steps = len((traj or {}).get("steps") or [])
    if not 0 <= step < steps:
        raise HTTPException(status_code=422, detail=f"step must be -1 (whole trajectory) or 0..{steps - 1}")


@router.get("/items/{item_id}/labels")
def get_labels(request: Request, item_id: ItemId, user: CurrentUser = Depends(require_user)) -> list[dict[str, Any]]:
    get_item(request, item_id)
    return [label for label in request.app.state.store.labels_of_item(item_id) if label["reviewer_id"] == user.id]


@router.get("/items/{item_id}/steps/{position}/observation")
def get_observation(
    request: Request,
    item_id: ItemId,
    position: Annotated[int, PathParam(ge=0, le=10**7)],
    offset: Annotated[int, Query(ge=0, le=2**40)] = 0,
    limit: Annotated[int, Query(ge=1, le=2**20)] = 16384,
    _u=Depends(require_user),
) -> dict[str, Any]:
    item = get_item(request, item_id)
    run = request.app.state.runs.get(item.run_key)
    traj = run.trajectory(item.trajectory_id) if run else None
    steps = (traj or {}).get("steps") or []
    if not 0 <= position < len(steps):
        raise HTTPException(status_code=404, detail="no such step")
    text = ((steps[position] or {}).get("observation") or {}).get("text") or ""
    return observation_page(text, offset, limit)


@router.post("/queue/next")
def api_next(
    request: Request, skip: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None, user=Depends(require_csrf)
) -> Response:
    """Claim the next item; `skip`: the item being passed on (released, offered again only when nothing
    else is left). The reviewer's live claim on another item is returned first."""
    settings = request.app.state.settings
    item_id = claim_next(request.app.state.sessions, user.id, settings.queue.claim_ttl_s, skip=skip)
    if item_id is None:
        return JSONResponse({"item_id": None, "url": "/queue?empty=1", "message": "The queue is empty."})
    return JSONResponse({"item_id": item_id, "url": f"/item/{item_id}"})


@router.post("/items/{item_id}/release")
def api_release(request: Request, item_id: ItemId, user: CurrentUser = Depends(require_csrf)) -> dict[str, bool]:
    release(request.app.state.sessions, item_id, user.id)
    return {"released": True}


@router.get("/balance")
def api_balance(request: Request, _user: CurrentUser = Depends(require_user)) -> dict[str, Any]:
    return balance(request.app.state.runs, request.app.state.sessions)


@router.get("/agreement")
def api_agreement(request: Request, _user: CurrentUser = Depends(require_user)) -> dict[str, Any]:
    return agreement_report(request.app.state.sessions, request.app.state.store)


async def _json_body(request: Request) -> dict[str, Any]:
    if "json" not in request.headers.get("content-type", "application/json"):
        raise HTTPException(status_code=415, detail="send the label as JSON (Content-Type: application/json)")
    try:
        body = await request.json()
    except ValueError as error:
        raise HTTPException(status_code=400, detail="body must be JSON") from error
    if not isinstance(body, dict):
        raise HTTPException(status_code=400, detail="body must be a JSON object")
    return body


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise HTTPException(status_code=422, detail="step and version must be integers")
    return value
