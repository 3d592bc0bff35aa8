"""Hardened login and inputs: cross-port CSRF and cookie replay on real servers, Host allow-list,
throttling, strict label validation, and every error a readable page or JSON below 500."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient

from .helpers import PASSWORD, login, login_token, server

BIG_ID = "9" * 20


@pytest.fixture
def client(make_app):
    client = TestClient(make_app())
    client.headers["X-CSRF-Token"] = login(client, "alice")
    return client


def _login_form(base: str) -> tuple[httpx.Cookies, str]:
    page = httpx.get(base + "/login")
    return page.cookies, login_token(page.text)


def _session_name(cookies: httpx.Cookies) -> str:
    return next(name for name in cookies if name.endswith("_login")).replace("_login", "_session")


def test_cookie_replay_and_cross_port_login_csrf_fail_on_real_servers(hostile_run, tmp_path):
    from trajsift.review.store import Store
    from trajsift.reviewdb import make_engine, make_sessionmaker

    db_url = f"sqlite:///{tmp_path / 'shared.db'}"
    store = Store(make_sessionmaker(make_engine(db_url)))
    store.add_user("alice", PASSWORD)
    store.add_user("mallory", PASSWORD + "!")
    with server(hostile_run, db_url) as (base_a, _a), server(hostile_run, db_url) as (base_b, _b):
        victim = httpx.Client(base_url=base_a)
        login(victim, "alice")
        name_a = next(name for name in victim.cookies if name.endswith("_session"))
        token = victim.cookies[name_a]
        assert victim.get("/queue").status_code == 200
        # the browser sends every 127.0.0.1 cookie to every port: replaying it on another instance fails
        form_cookies, _ = _login_form(base_b)
        for name in (name_a, _session_name(form_cookies)):
            replay = httpx.get(base_b + "/queue", cookies={name: token})
            assert replay.status_code == 303 and replay.headers["location"].startswith("/login")
        # login CSRF: a page on another port plants the attacker's login cookie and posts the attacker's form
        planted, attacker_token = _login_form(base_a)
        attack = httpx.post(
            base_a + "/login",
            data={"username": "mallory", "password": PASSWORD + "!", "csrf_token": attacker_token, "next": "/"},
            cookies=planted,
            headers={"Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"},
        )
        assert attack.status_code == 403 and not any(n.endswith("_session") for n in attack.cookies)
        spoofed_host = httpx.get(base_a + "/login", headers={"Host": "evil.example"})
        assert spoofed_host.status_code == 400


def test_login_form_token_is_bound_to_its_cookie(client):
    app = client.app
    other = TestClient(app)
    token = login_token(other.get("/login").text)  # a token issued to someone else's form
    fresh = TestClient(app)
    fresh.get("/login")
    response = fresh.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 403
    assert "login form" in response.text


def test_login_throttling_backs_off_even_for_the_right_password(make_app):
    client = TestClient(make_app())
    for _ in range(6):
        token = login_token(client.get("/login").text)
        client.post("/login", data={"username": "alice", "password": "wrong!", "csrf_token": token})
    token = login_token(client.get("/login").text)
    response = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429
    assert "Too many failed logins" in response.text and "<html" in response.text
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_throttle_delay_doubles_and_resets():
    from trajsift.web.guard import LoginThrottle

    throttle = LoginThrottle(free=2, base_delay=1.0)
    throttle.failed("k", now=0.0)
    assert throttle.wait_s("k", now=0.0) == 0
    throttle.failed("k", now=0.0)
    assert throttle.wait_s("k", now=0.0) == 1.0
    throttle.failed("k", now=0.0)
    assert throttle.wait_s("k", now=0.5) == 1.5
    throttle.succeeded("k")
    assert throttle.wait_s("k", now=0.5) == 0


def test_host_allow_list_and_same_origin_rule():
    from trajsift.web.guard import foreign_origin, host_allowed

    allowed = ("127.0.0.1:8765", "localhost:8765", "review.example.org")
    assert host_allowed("127.0.0.1:8765", allowed) and host_allowed("REVIEW.example.org:443", allowed)
    assert not host_allowed("127.0.0.1:9999", allowed) and not host_allowed("evil.example", allowed)
    assert not host_allowed("", allowed)

    def scope(**headers):
        return {"headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]}

    assert foreign_origin(scope(host="a:1", sec_fetch_site="same-origin", origin="null")) == ""
    assert foreign_origin(scope(host="a:1", sec_fetch_site="same-site"))
    assert foreign_origin(scope(host="a:1", origin="http://a:2"))
    assert foreign_origin(scope(host="a:1", origin="http://a:1")) == ""


def test_labels_are_validated_strictly(client):
    body = {"step": -1, "decision": "accept", "tags": ["not-a-configured-tag"], "comment": "", "version": 0}
    response = client.put("/api/items/1/labels", json=body)
    assert response.status_code == 422 and "tags must be" in response.json()["error"]
    body = {**body, "tags": ["looping"], "step": 999_999}
    response = client.put("/api/items/1/labels", json=body)
    assert response.status_code == 422 and "step must be" in response.json()["error"]
    assert client.put("/api/items/1/labels", json={**body, "step": 0}).status_code == 200


def test_errors_are_readable_and_below_500(client):
    form = client.put("/api/items/1/labels", data={"step": "-1", "decision": "accept"})
    assert form.status_code == 415 and "JSON" in form.json()["error"]
    for path in (f"/api/items/{BIG_ID}/labels", f"/api/items/{BIG_ID}/steps/0/observation", "/api/items/0/labels"):
        response = client.get(path)
        assert 400 <= response.status_code < 500 and "error" in response.json(), path
    big_put = client.put(f"/api/items/{BIG_ID}/labels", json={"step": -1, "decision": "accept"})
    assert big_put.status_code == 422
    page = client.get(f"/item/{BIG_ID}")
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert re.search(r"<h1>Request refused", page.text)
    missing = client.get("/item/999999")
    assert missing.status_code == 404 and "no such review item" in missing.text and "<html" in missing.text
    assert client.post(f"/api/queue/next?skip={BIG_ID}").status_code == 422
