"""The review app: the review desk as a `Feature` of the web base (`trajsift.web.app`).

    app = create_app([run_dir], db_url=None, settings=ReviewSettings(), features=[dashboard_feature()])

`create_app` opens the review database, watches the run folders (`RunRegistry`) and builds the web app
with the review feature (queue, item, compare, balance, agreement pages and their /api/ routes) followed
by `features` (`trajsift serve` adds the dashboard). Besides the web base's state, `app.state` holds `runs`
(run key -> RunData, the registry's live dict: other features read the served runs there), `registry`,
`engine`, `sessions` (`reviewdb.Sessions`: `sessions()` reads, `sessions.begin()` writes) and `store`
(a `review.store.Store`: accounts plus labels).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from fastapi import FastAPI, Request

from trajsift.review import api, compare, pages
from trajsift.review.queue import QueueConfig
from trajsift.review.registry import RunRegistry
from trajsift.review.store import Store
from trajsift.reviewdb import default_db_url, make_engine, make_sessionmaker
from trajsift.web.app import Feature, WebSettings, create_web_app

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
class ReviewSettings(WebSettings):
    """The web base's settings (title, instance, cookies, allowed hosts) plus the review desk's.

    `instance` defaults to a hash of the database URL."""

    queue: QueueConfig = field(default_factory=QueueConfig)
    reason_tags: tuple[str, ...] = REASON_TAGS
    observation_chunk: int = 4000
    """Characters of each observation sent with the page; the rest is fetched page by page."""
    text_limit: int = 20000
    """Characters of a thought / command / instruction shown before it is cut."""
    watch_interval_s: float = 1.0
    """How often the run folders are checked for new runs and rewritten outputs."""


def create_app(
    run_dirs: Iterable[str | Path],
    db_url: str | None = None,
    settings: ReviewSettings | None = None,
    features: Iterable[Feature] = (),
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

    app = create_web_app(settings, Store(sessions), [review_feature(), *features])
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.registry = registry
    app.state.runs = registry.runs
    return app


def review_feature() -> Feature:
    return Feature(
        name="review",
        routers=[pages.router, compare.router, api.router],
        templates=PACKAGE_DIR / "templates",
        static=PACKAGE_DIR / "static",
        nav=[("/queue", "Queue"), ("/balance", "Balance"), ("/agreement", "Agreement")],
        stylesheets=["review/review.css"],
        scripts=["review/review.js"],
        on_request=_refresh,
    )


def _refresh(request: Request) -> None:
    """Before every request (at most once per `watch_interval_s`): new runs, rewritten runs, new review rows."""
    request.app.state.registry.refresh()
