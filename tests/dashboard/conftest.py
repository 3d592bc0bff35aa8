from __future__ import annotations

import pytest

from .synthetic import make_run


@pytest.fixture(scope="session")
def drifting_run(tmp_path_factory):
    """1,200 rows one minute apart; from row 900 on, 70 % of the tests fail instead of 10 %."""
    return make_run(tmp_path_factory.mktemp("drift") / "drift-run", 1200, drift_after=900)


@pytest.fixture(scope="session")
def hostile_run(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("hostile") / "hostile-run", 300, hostile=True)


@pytest.fixture
def client_for(tmp_path):
    """A logged-in TestClient on the review app with the dashboard router over `run_dirs`."""
    from fastapi.testclient import TestClient

    from trajsift.dashboard.routes import dashboard_feature
    from trajsift.review.app import create_app
    from trajsift.web.auth import session_cookie

    def build(*run_dirs, login=True):
        app = create_app(list(run_dirs), f"sqlite:///{tmp_path / 'review.db'}", features=[dashboard_feature(run_dirs)])
        client = TestClient(app)
        if login:
            user = app.state.store.add_user("dana", "a long enough password")
            client.cookies.set(*session_cookie(app, user))
        return client

    return build


@pytest.fixture
def receiver():
    """Builds webhook receivers (a real HTTP server on 127.0.0.1 each), closed after the test."""
    from .test_webhook import Receiver

    made = []

    def build(plan=(), delay=0.0):
        made.append(Receiver(plan, delay))
        return made[-1]

    yield build
    for item in made:
        item.close()
