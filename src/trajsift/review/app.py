"""The FastAPI application factory shared by the review app and the dashboard.

    app = create_app([run_dir], db_url=None, settings=ReviewSettings(), extra_routers=[dashboard_router])

Every route of an extra router must depend on `trajsift.review.auth.require_user` (pages and GET
APIs) or `require_csrf` (state-changing requests). `app.state` holds `runs` (run key -> RunData),
`registry` (the watched run folders; `runs` is its live dict), `store` (users, sessions, labels),
`sessions` (`db.Sessions`: `sessions()` reads, `sessions.begin()` writes), `settings`, and
`render(request, template, **context)` which renders a Jinja2 template (autoescape on) from the
review templates; templates may extend "base.html" (blocks `title`, `content`; `static_url(path)` and
`csrf_token` are available). Static files are served from /static/review/.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from trajsift.review import auth, error_pages
from trajsift.review.db import default_db_url, make_engine, make_sessionmaker
from trajsift.review.guard import LoginThrottle, RequestGuard
from trajsift.review.queue import QueueConfig
from trajsift.review.registry import RunRegistry
from trajsift.review.store import Store

PACKAGE_DIR = Path(__file__).parent
REASON_TAGS = (
    "wrong_fix",
    "incomplete",
    "test_tampering",
    "hacky_workaround",
    "bad_reasoning",
    "looping",
    "unsafe_command",
    "formatting",
    "hallucinated_file",
    "other",
)


@dataclass
class ReviewSettings:
    queue: QueueConfig = field(default_factory=QueueConfig)
    reason_tags: tuple[str, ...] = REASON_TAGS
    session_max_age_s: float = 12 * 3600
    cookie_secure: bool = False
    """Set when served over HTTPS (behind a proxy)."""
    observation_chunk: int = 4000
    """Characters of each observation sent with the page; the rest is fetched page by page."""
    text_limit: int = 20000
    """Characters of a thought / command / instruction shown before it is cut."""
    title: str = "trajsift"
    instance: str = ""
    """Id of this server instance (cookie names, session binding); default: a hash of the database URL."""
    allowed_hosts: tuple[str, ...] = ()
    """Host header values answered (`name` or `name:port`); empty = any (tests, embedding behind a proxy)."""
    watch_interval_s: float = 1.0
    """How often the run folders are checked for new runs and rewritten outputs."""


def create_app(
    run_dirs: Iterable[str | Path],
    db_url: str | None = None,
    settings: ReviewSettings | None = None,
    extra_routers: Iterable[APIRouter] = (),
) -> FastAPI:
    settings = settings or ReviewSettings()
    run_dirs = [Path(p) for p in run_dirs]
    if not run_dirs:
        raise ValueError("create_app needs at least one run directory (or a folder of runs)")
    db_url = db_url or default_db_url(run_dirs[0])
    if not settings.instance:
        settings = replace(settings, instance=hashlib.sha256(db_url.encode()).hexdigest()[:16])
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    registry = RunRegistry(run_dirs, sessions, settings.queue, settings.watch_interval_s)
    registry.refresh(force=True)

    app = FastAPI(
        title="trajsift review", docs_url=None, redoc_url=None, openapi_url=None, dependencies=[Depends(_refresh)]
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.store = Store(sessions)
    app.state.registry = registry
    app.state.runs = registry.runs
    app.state.login_throttle = LoginThrottle()
    app.state.render = _renderer(settings)
    app.add_middleware(RequestGuard, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(auth.SecurityHeaders)  # outermost: the guard's refusals carry the headers too
    error_pages.install(app)
    app.add_exception_handler(auth.LoginRequired, auth.login_required_handler)
    app.mount("/static/review", StaticFiles(directory=PACKAGE_DIR / "static"), name="review-static")

    from trajsift.review import api, compare, pages

    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(compare.router)
    app.include_router(api.router)
    for router in extra_routers:
        app.include_router(router)
    return app


def _refresh(request: Request) -> None:
    """Before every request (at most once per `watch_interval_s`): new runs, rewritten runs, new review rows."""
    request.app.state.registry.refresh()


def dashboard_extension() -> list[APIRouter]:
    """The dashboard's router (module `trajsift.dashboard.routes`, attribute `router`; it serves its own
    templates and static files), or nothing when the dashboard is not installed."""
    try:
        from trajsift.dashboard.routes import router
    except ImportError:
        return []
    return [router]


def blank_none(value: Any) -> Any:
    """Templates print a missing field as nothing, never as `None`."""
    return "" if value is None else value


def _renderer(settings: ReviewSettings):
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"), autoescape=True, finalize=blank_none
    )
    env.globals["static_url"] = lambda path: f"/static/{path}"
    env.globals["app_title"] = settings.title

    def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        user = auth.current_user(request)
        page = env.get_template(template).render(
            request_path=request.url.path, user=user, csrf_token=user.csrf_token if user else "", **context
        )
        return HTMLResponse(page, status_code=status_code)

    return render
