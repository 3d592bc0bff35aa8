"""The web base alone: any feature runs on it with the shared login, CSRF, headers, guard and error pages."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from trajsift.dashboard.routes import dashboard_feature  # noqa: E402
from trajsift.reviewdb import make_engine, make_sessionmaker  # noqa: E402
from trajsift.web.accounts import Accounts  # noqa: E402
from trajsift.web.app import WebSettings, create_web_app  # noqa: E402
from trajsift.web.auth import CSP, session_cookie  # noqa: E402


@pytest.fixture
def dashboard_only(tmp_path):
    accounts = Accounts(make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'web.db'}")))
    settings = WebSettings(title="solo", instance="solo-test", allowed_hosts=("testserver",))
    app = create_web_app(settings, accounts, [dashboard_feature([tmp_path / "run"])])
    return app, accounts


def test_dashboard_runs_on_the_base_without_the_review_desk(dashboard_only):
    app, accounts = dashboard_only
    client = TestClient(app)
    assert client.get("/dashboard", follow_redirects=False).headers["location"] == "/login?next=%2Fdashboard"
    assert client.get("/api/dashboard/runs").status_code == 401
    login = client.get("/login")
    assert login.status_code == 200 and login.headers["content-security-policy"] == CSP
    assert 'href="/static/web/web.css"' in login.text and "review.css" not in login.text

    client.cookies.set(*session_cookie(app, accounts.add_user("ann", "a long enough password")))
    page = client.get("/dashboard")
    assert page.status_code == 200 and "<title>Dashboard" in page.text
    assert '<a href="/dashboard" class="active">Dashboard</a>' in page.text  # the feature's top-bar link
    assert '<a href="/balance"' not in page.text  # no review desk registered
    assert client.get("/queue").status_code == 404
    assert client.get("/static/review/review.js").status_code == 404
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "Not found" in missing.text and "Traceback" not in missing.text


def test_base_guard_refuses_foreign_hosts_and_cross_origin_posts(dashboard_only):
    app, accounts = dashboard_only
    client = TestClient(app)
    assert client.get("/login", headers={"host": "evil.example"}).status_code == 400
    client.cookies.set(*session_cookie(app, accounts.add_user("bob", "a long enough password")))
    refused = client.post("/logout", headers={"origin": "http://127.0.0.1:9999"})
    assert refused.status_code == 403
    assert client.post("/logout", follow_redirects=False).status_code == 403  # no CSRF token
    assert client.get("/dashboard").status_code == 200  # still logged in
