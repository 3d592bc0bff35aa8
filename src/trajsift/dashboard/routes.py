"""The dashboard feature: pages under /dashboard, JSON under /api/dashboard/, every route behind a login.

A `Feature` of the web base (`trajsift.web.app`). `trajsift serve` adds `dashboard_feature()` to the review
app: it shows the runs of `app.state.runs` (same keys as the review desk). Or for fixed run directories:

    app = create_app(run_dirs, db_url, settings, features=[dashboard_feature(run_dirs)])

The page embeds server-rendered SVG fragments; /dashboard/static/dashboard.js polls
/api/dashboard/live every ~2 s and swaps in the fragments that changed (no inline script, CSP-safe).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from markupsafe import Markup

from trajsift.dashboard import render
from trajsift.dashboard.model import DashboardData, RunView
from trajsift.web.app import Feature
from trajsift.web.auth import require_user

HERE = Path(__file__).parent
STATIC = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
SECTIONS = {
    "d-status": render.status_fragment,
    "d-alerts": render.alerts_fragment,
    "d-funnel": render.funnel_fragment,
    "d-trend": render.trend_fragment,
    "d-dist": render.distributions_fragment,
    "d-scores": render.scores_fragment,
    "d-reasons": render.reasons_fragment,
}


def fragments(data: DashboardData, view: RunView) -> dict[str, str]:
    result = {section: build(view) for section, build in SECTIONS.items()}
    result["d-tabs"] = render.tabs_fragment(list(data.paths), view.key)
    result["d-runs"] = render.runs_fragment(data.views()) if len(data.paths) > 1 else ""
    return result


def live_version(data: DashboardData, view: RunView) -> str:
    """The selected run's version, the list of runs (a new run shows up), and every run's version when the
    page compares several."""
    joined = "|".join(v.version for v in data.views()) if len(data.paths) > 1 else ""
    keys = "|".join(data.paths)
    return hashlib.sha256(f"{view.version}|{keys}|{joined}".encode()).hexdigest()[:16]


def _app_data(request: Request) -> DashboardData:
    """The runs of the review app (`app.state.runs`: key -> RunData with `.path`, kept up to date by its
    watcher), one cache per app; runs that appear later are added."""
    state = request.app.state
    paths = {key: Path(run.path) for key, run in list(getattr(state, "runs", {}).items())}
    data = getattr(state, "dashboard_data", None)
    if data is None:
        data = DashboardData(paths)
        state.dashboard_data = data
    elif data.paths != paths:
        data.paths = paths
    return data


def _selected(data: DashboardData, run: str) -> RunView:
    if not data.paths and not run:
        return RunView(key="", path=Path(), status="empty", version="no-runs")  # waiting for a first run
    view = data.view(run or next(iter(data.paths), ""))
    if view is None:
        raise HTTPException(status_code=404, detail="unknown run")
    return view


def create_router(run_dirs: list[str | Path] | None = None, warm: bool = True) -> APIRouter:
    """Routes over `run_dirs`, or (None) over the runs of the app the router is included in (built at
    its first request). `warm`: read the runs in the background right away."""
    fixed = DashboardData.from_dirs(list(run_dirs)) if run_dirs is not None else None
    if fixed is not None and warm:
        fixed.warm_in_background()
    router = APIRouter(dependencies=[Depends(require_user)])

    def data_of(request: Request) -> DashboardData:
        return fixed if fixed is not None else _app_data(request)

    @router.get("/dashboard", response_class=HTMLResponse)
    def dashboard_page(request: Request, run: str = "") -> HTMLResponse:
        data = data_of(request)
        view = _selected(data, run)
        return request.app.state.render(
            request,
            "dashboard.html",
            view=view,
            version=live_version(data, view),
            runs=list(data.paths),
            sections={k: Markup(v) for k, v in fragments(data, view).items()},  # built escaped by render
        )

    @router.get("/api/dashboard/live")
    def live(request: Request, run: str = "", v: str = "") -> JSONResponse:
        data = data_of(request)
        view = _selected(data, run)
        version = live_version(data, view)
        body: dict[str, Any] = {"version": version, "status": view.status, "changed": version != v}
        if body["changed"]:
            body["fragments"] = fragments(data, view)
        return JSONResponse(body)

    @router.get("/api/dashboard/runs")
    def runs(request: Request) -> JSONResponse:
        return JSONResponse({"runs": [_summary(v) for v in data_of(request).views()]})

    @router.get("/api/dashboard/runs/{key}")
    def run_detail(request: Request, key: str) -> JSONResponse:
        view = _selected(data_of(request), key)
        detail = {**_summary(view), "stats": view.stats, "progress": view.progress, "partial_funnel": view.partial}
        return JSONResponse({**detail, "alerts": view.alerts, "trend": view.trend})

    @router.get("/dashboard/static/{name}")
    def static(name: str) -> FileResponse:
        if name not in STATIC:  # a fixed list: no path is ever built from the request
            raise HTTPException(status_code=404)
        return FileResponse(HERE / "static" / name, media_type=STATIC[name])

    return router


def _summary(view: RunView) -> dict[str, Any]:
    stats = view.stats or {}
    return {
        "key": view.key,
        "status": view.status,
        "version": view.version,
        "total": stats.get("total"),
        "decisions": stats.get("decisions"),
        "alerts_fired": (view.alerts or {}).get("fired", 0),
    }


def dashboard_feature(run_dirs: list[str | Path] | None = None) -> Feature:
    """The dashboard for the web base: over `run_dirs`, or (None) over the app's own runs (`app.state.runs`)."""
    return Feature(
        name="dashboard",
        routers=[create_router(run_dirs)],
        templates=HERE / "templates",
        nav=[("/dashboard", "Dashboard")],
    )
