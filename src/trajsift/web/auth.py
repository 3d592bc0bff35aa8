"""Login, server-side sessions, CSRF and security headers.

Sessions and the login form's CSRF token live in the database; cookies only carry random tokens whose
names are per server instance (`cookie_names`), and a session works only on the instance that opened it.
Failed logins are throttled (`guard.LoginThrottle`); cross-origin unsafe requests are refused by
`guard.RequestGuard` before they reach a route.

Public API for the routers of every feature (`web.app.Feature`; `app.state.store` is an `Accounts`):
  - `require_user` (dependency): the logged-in `CurrentUser`; pages without a login redirect to
    /login, /api/ routes answer 401.
  - `require_csrf` (dependency, for every POST/PUT/PATCH/DELETE): the user, after checking the
    session's CSRF token from the `X-CSRF-Token` header or the `csrf_token` form field (403 if not).
  - `csrf_token(request)`: the token to put in forms / the `csrf-token` meta tag.
"""

from __future__ import annotations

import hmac
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from trajsift.errors import TrajsiftError
from trajsift.web.accounts import CurrentUser

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
_SECURITY_HEADER_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)


class LoginRequired(TrajsiftError):
    pass


class SecurityHeaders:
    """Pure ASGI middleware adding the CSP and other security headers to every response."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() not in _SECURITY_HEADER_NAMES]
                headers.extend(SECURITY_HEADERS)
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cookie_names(settings) -> tuple[str, str]:
    """(session cookie, pre-login cookie) names of this server instance. Browsers send cookies to every
    port of a host, so names carry the instance id; over TLS they take the `__Host-` prefix (no Domain,
    Path=/, Secure)."""
    prefix = "__Host-" if settings.cookie_secure else ""
    tag = f"ts{settings.instance[:12]}"
    return f"{prefix}{tag}_session", f"{prefix}{tag}_login"


def current_user(request: Request) -> CurrentUser | None:
    cached = getattr(request.state, "user", None)
    if cached is not None:
        return cached
    settings = request.app.state.settings
    token = request.cookies.get(cookie_names(settings)[0], "")
    user = request.app.state.store.session_user(token, settings.instance) if token else None
    request.state.user = user
    return user


def require_user(request: Request) -> CurrentUser:
    user = current_user(request)
    if user is None:
        raise LoginRequired()
    return user


async def require_csrf(request: Request, user: CurrentUser = Depends(require_user)) -> CurrentUser:
    sent = request.headers.get("x-csrf-token", "")
    if not sent and "form" in request.headers.get("content-type", ""):
        sent = str((await request.form()).get("csrf_token", ""))
    if not sent or not hmac.compare_digest(sent.encode(), user.csrf_token.encode()):
        raise HTTPException(status_code=403, detail="missing or invalid CSRF token")
    return user


def csrf_token(request: Request) -> str:
    user = current_user(request)
    return user.csrf_token if user else ""


def login_required_handler(request: Request, _exc: LoginRequired) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "login required"}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def safe_next(target: str) -> str:
    """Only same-site absolute paths (no `//host`, no scheme, no backslashes) are followed after login."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target


router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", error: str = "") -> Response:
    settings = request.app.state.settings
    cookie, token = request.app.state.store.open_login_form(settings.instance)
    page = request.app.state.render(
        request, "login.html", next=safe_next(next), login_csrf=token, error=error[:200], no_users=False
    )
    _set_cookie(page, cookie_names(settings)[1], cookie, settings, max_age=3600)
    return page


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    settings, store = request.app.state.settings, request.app.state.store
    session_name, login_name = cookie_names(settings)
    if not store.login_form_valid(
        request.cookies.get(login_name, ""), str(form.get("csrf_token", "")), settings.instance
    ):
        raise HTTPException(status_code=403, detail="the login form expired or was not sent by this server: reload it")
    name = str(form.get("username", ""))[:100]
    target = safe_next(str(form.get("next", "/")))
    keys = (f"user:{name}", f"addr:{request.client.host if request.client else ''}")
    throttle = request.app.state.login_throttle
    wait = throttle.wait_s(*keys)
    if wait > 0:
        return request.app.state.render(
            request,
            "error.html",
            status_code=429,
            status=429,
            title="Too many failed logins",
            message=f"Too many failed logins: try again in {int(wait) + 1} seconds.",
        )
    user_id = await run_in_threadpool(store.authenticate, name, str(form.get("password", ""))[:1000])
    if user_id is None:
        throttle.failed(*keys)
        return RedirectResponse(f"/login?error=bad+credentials&next={quote(target, safe='')}", status_code=303)
    throttle.succeeded(*keys)
    store.close_login_form(request.cookies.get(login_name, ""))
    old = request.cookies.get(session_name)
    if old:
        store.close_session(old)
    response = RedirectResponse(target, status_code=303)
    token = store.open_session(user_id, settings.session_max_age_s, settings.instance)
    _set_cookie(response, session_name, token, settings, max_age=int(settings.session_max_age_s))
    response.delete_cookie(login_name, httponly=True, samesite="strict", secure=settings.cookie_secure)
    return response


def _set_cookie(response: Response, name: str, value: str, settings, max_age: int) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="strict", secure=settings.cookie_secure, max_age=max_age, path="/"
    )


@router.post("/logout")
def logout(request: Request, _user: CurrentUser = Depends(require_csrf)) -> Response:
    session_name = cookie_names(request.app.state.settings)[0]
    request.app.state.store.close_session(request.cookies.get(session_name, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(session_name, path="/")
    return response


def session_cookie(app, user_id: int) -> tuple[str, str]:
    """(cookie name, value) of a new session of `user_id` on `app`: scripts and tests log in with it."""
    settings = app.state.settings
    token = app.state.store.open_session(user_id, settings.session_max_age_s, settings.instance)
    return cookie_names(settings)[0], token
