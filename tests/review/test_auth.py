"""Authentication, sessions, CSRF and security headers of the review app."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from trajsift.web.auth import cookie_names

from .helpers import PASSWORD, login, login_token

PAGES = ["/", "/queue", "/balance", "/agreement", "/item/1", "/trajectory?id=x"]
APIS = ["/api/agreement", "/api/balance", "/api/items/1/labels", "/api/items/1/steps/0/observation"]


@pytest.fixture
def client(make_app):
    return TestClient(make_app())


def test_no_route_without_login(client):
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")
    for path in APIS:
        assert client.get(path).status_code == 401, path
    assert client.put("/api/items/1/labels", json={}).status_code == 401
    assert client.post("/api/queue/next").status_code == 401


def test_every_app_route_is_protected(make_app):
    """Walk the route table: anything but /login and /static answers 401/303 to an anonymous client."""
    app = make_app()
    client = TestClient(app)
    routes = list(walk_routes(app.routes))
    assert len(routes) >= 14
    for route in routes:
        path = route.path
        if path in ("/login",) or path.startswith("/static"):
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in getattr(route, "methods", {"GET"}) - {"HEAD"}:
            response = client.request(method, url, follow_redirects=False)
            assert response.status_code in (303, 401), (method, url, response.status_code)


def walk_routes(routes):
    """Routes, also inside included routers (newer FastAPI keeps them nested)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from walk_routes(route.original_router.routes)
        elif hasattr(route, "path"):
            yield route


def test_bad_password_and_unknown_user(client):
    page = client.get("/login")
    token = login_token(page.text)
    for user, password in (("alice", "wrong password"), ("mallory", PASSWORD), ("alice", "")):
        response = client.post(
            "/login", data={"username": user, "password": password, "csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?error=")
        assert cookie_names(client.app.state.settings)[0] not in response.cookies
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_login_requires_csrf(client):
    response = client.post("/login", data={"username": "alice", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403


def test_csrf_missing_or_wrong_is_403(client):
    csrf = login(client, "alice")
    body = {"step": -1, "decision": "accept", "tags": [], "comment": "", "version": 0}
    assert client.put("/api/items/1/labels", json=body).status_code == 403
    assert client.put("/api/items/1/labels", json=body, headers={"X-CSRF-Token": "nope"}).status_code == 403
    assert client.post("/api/queue/next").status_code == 403
    assert client.post("/queue/next", data={"csrf_token": "bad"}).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert client.put("/api/items/1/labels", json=body, headers={"X-CSRF-Token": csrf}).status_code == 200


def test_session_fixation_and_logout(make_app):
    app = make_app()
    name = cookie_names(app.state.settings)[0]
    client = TestClient(app)
    client.cookies.set(name, "attacker-chosen-token", domain="testserver.local")
    csrf = login(client, "alice")
    token = client.cookies.get(name)
    assert token and token != "attacker-chosen-token"
    other = TestClient(app)
    other.cookies.set(name, "attacker-chosen-token")
    assert other.get("/queue", follow_redirects=False).status_code == 303
    second = login(TestClient(app), "alice")
    assert second != csrf  # every login is a new session with its own CSRF token
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    stale = TestClient(app)
    stale.cookies.set(name, token)
    assert stale.get("/queue", follow_redirects=False).status_code == 303


def test_open_redirect_after_login_is_refused(client):
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        page = client.get("/login")
        token = login_token(page.text)
        response = client.post(
            "/login",
            data={"username": "alice", "password": PASSWORD, "csrf_token": token, "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"


def test_security_headers_and_cookie_flags(client):
    response = client.get("/login")
    csp = response.headers["content-security-policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    page = client.get("/login")
    token = login_token(page.text)
    response = client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/static/review/review.js").headers["content-security-policy"] == csp


def test_passwords_are_hashed_with_scrypt(make_app):
    from sqlalchemy import select

    from trajsift.reviewdb import User

    app = make_app()
    with app.state.sessions() as db:
        stored = db.scalars(select(User.password_hash)).all()
    assert all(value.startswith("scrypt$") and PASSWORD not in value for value in stored)
    with pytest.raises(ValueError):
        app.state.store.add_user("alice", "another password")
    with pytest.raises(ValueError):
        app.state.store.add_user("dave", "short")
