"""The FastAPI base every trajsift web feature plugs into (the review app, the dashboard; `serve` combines them).

    app = create_web_app(settings, Accounts(sessions), [Feature("review", routers=[...], templates=..., ...)])

The base brings what the features share: security headers, the Host / same-origin guard, login throttling,
login / logout with server-side sessions and CSRF (`web.auth`), readable error pages (`web.error_pages`), the
page layout `base.html` with the top bar, and `/static/web/`. A `Feature` adds its routers, a template folder,
a static folder (served at `/static/<name>/`), top-bar links and a hook run before each request. Every route
of a feature depends on `web.auth.require_user` (pages, GET APIs) or `require_csrf` (state-changing requests).

`app.state` holds `settings`, `store` (an `Accounts`), `login_throttle`, `nav` and
`render(request, template, status_code=200, **context)`: a Jinja2 page (autoescape on) that may extend
"base.html" (blocks `title`, `head`, `content`, `scripts`; `static_url(path)`, `csrf_token`, `user` given).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from trajsift.web import auth, error_pages
from trajsift.web.accounts import Accounts
from trajsift.web.guard import LoginThrottle, RequestGuard

WEB_DIR = Path(__file__).parent


@dataclass
class WebSettings:
    title: str = "trajsift"
    instance: str = ""
    """Id of this server instance (cookie names, session binding)."""
    session_max_age_s: float = 12 * 3600
    cookie_secure: bool = False
    """Set when served over HTTPS (behind a proxy)."""
    allowed_hosts: tuple[str, ...] = ()
    """Host header values answered (`name` or `name:port`); empty = any (tests, embedding behind a proxy)."""


@dataclass
class Feature:
    """One part of the web app, registered on the base by `create_web_app`."""

    name: str
    routers: Sequence[APIRouter] = ()
    templates: Path | None = None
    static: Path | None = None
    """Served at `/static/<name>/`."""
    nav: Sequence[tuple[str, str]] = ()
    """(path, label) links in the top bar."""
    stylesheets: Sequence[str] = ()
    scripts: Sequence[str] = ()
    """Paths under /static/ loaded on every page (after the base's `web/web.css`)."""
    on_request: Callable[[Request], None] | None = None
    """Run before every request (e.g. pick up new runs)."""


def create_web_app(settings: WebSettings, store: Accounts, features: Iterable[Feature] = ()) -> FastAPI:
    features = list(features)
    hooks = [feature.on_request for feature in features if feature.on_request is not None]

    def before_request(request: Request) -> None:
        for hook in hooks:
            hook(request)

    app = FastAPI(
        title=settings.title, docs_url=None, redoc_url=None, openapi_url=None, dependencies=[Depends(before_request)]
    )
    app.state.settings = settings
    app.state.store = store
    app.state.login_throttle = LoginThrottle()
    app.state.nav = [link for feature in features for link in feature.nav]
    app.state.render = _renderer(settings, features)
    app.add_middleware(RequestGuard, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(auth.SecurityHeaders)  # outermost: the guard's refusals carry the headers too
    error_pages.install(app)
    app.add_exception_handler(auth.LoginRequired, auth.login_required_handler)
    app.mount("/static/web", StaticFiles(directory=WEB_DIR / "static"), name="web-static")
    app.include_router(auth.router)
    for feature in features:
        if feature.static is not None:
            app.mount(f"/static/{feature.name}", StaticFiles(directory=feature.static), name=f"{feature.name}-static")
        for router in feature.routers:
            app.include_router(router)
    return app


def blank_none(value: Any) -> Any:
    """Templates print a missing field as nothing, never as `None`."""
    return "" if value is None else value


def _renderer(settings: WebSettings, features: list[Feature]):
    """Features' template folders first, then the base's (`base.html`, `login.html`, `error.html`)."""
    folders = [feature.templates for feature in features if feature.templates is not None]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*folders, WEB_DIR / "templates"]), autoescape=True, finalize=blank_none
    )
    env.globals["static_url"] = lambda path: f"/static/{path}"
    env.globals["app_title"] = settings.title
    env.globals["nav"] = [link for feature in features for link in feature.nav]
    env.globals["stylesheets"] = [sheet for feature in features for sheet in feature.stylesheets]
    env.globals["scripts"] = [script for feature in features for script in feature.scripts]

    def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        user = auth.current_user(request)
        page = env.get_template(template).render(
            request_path=request.url.path, user=user, csrf_token=user.csrf_token if user else "", **context
        )
        return HTMLResponse(page, status_code=status_code)

    return render
