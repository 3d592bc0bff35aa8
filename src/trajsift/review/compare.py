"""Side by side: two trajectories of the same task (from any served runs), step against step.

`/compare?ra=RUN&ta=ID&rb=RUN&tb=ID` looks both trajectories up by run key and id in the run data
(never as a path). Steps are paired by position; the shorter run's missing steps show as gaps.
`same_task_trajectories` lists the other trajectories of an item's task for the links on the item page.
"""

from __future__ import annotations

import threading
from itertools import zip_longest
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from trajsift.review.viewer import trajectory_view
from trajsift.reviewdb import ReviewItem
from trajsift.rundata import RunData
from trajsift.web.accounts import CurrentUser
from trajsift.web.auth import require_user

router = APIRouter()
MAX_SIBLINGS = 30
_task_index: dict[tuple[str, str], dict[str, list[str]]] = {}
_lock = threading.Lock()


def task_index(run: RunData) -> dict[str, list[str]]:
    """task id -> trajectory ids of one run version (built once per version)."""
    key = (run.key, run.signature)
    with _lock:
        if key in _task_index:
            return _task_index[key]
    index: dict[str, list[str]] = {}
    for part in run.tables:
        for row in run.rows(part, ("trajectory_id", "task_id")):
            if row.get("task_id"):
                index.setdefault(str(row["task_id"]), []).append(str(row["trajectory_id"]))
    with _lock:
        for stale in [k for k in _task_index if k[0] == run.key]:
            del _task_index[stale]
        _task_index[key] = index
    return index


def same_task_items(item: ReviewItem, runs: dict[str, RunData]) -> list[dict[str, str]]:
    """Other trajectories of the item's task in the served runs: [{run, id, part}] (at most MAX_SIBLINGS)."""
    if not item.task_id:
        return []
    found = []
    for key, run in list(runs.items()):
        for trajectory_id in task_index(run).get(item.task_id, []):
            if (key, trajectory_id) != (item.run_key, item.trajectory_id):
                found.append({"run": key, "id": trajectory_id, "part": run.part_of(trajectory_id) or ""})
    return found[:MAX_SIBLINGS]


def _side(request: Request, run_key: str, trajectory_id: str) -> dict[str, Any]:
    run = request.app.state.runs.get(run_key[:200])
    traj = run.trajectory(trajectory_id[:1000]) if run else None
    if traj is None:
        raise HTTPException(status_code=404, detail=f"no trajectory {trajectory_id!r} in run {run_key!r}")
    settings = request.app.state.settings
    view = trajectory_view(traj, run.annotation(trajectory_id) or {}, settings.observation_chunk, settings.text_limit)
    return {"run": run_key, "part": run.part_of(trajectory_id) or "", "view": view}


def paired_steps(left: dict[str, Any], right: dict[str, Any]) -> list[tuple[Any, Any]]:
    return list(zip_longest(left["view"]["steps"], right["view"]["steps"]))


@router.get("/compare")
def compare_page(
    request: Request, ra: str = "", ta: str = "", rb: str = "", tb: str = "", _user: CurrentUser = Depends(require_user)
) -> Response:
    left, right = _side(request, ra, ta), _side(request, rb, tb)
    return request.app.state.render(request, "compare.html", left=left, right=right, pairs=paired_steps(left, right))
