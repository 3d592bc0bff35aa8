"""The queue desk over HTTP: filters, sort, search (columns and full text), claims on open, skip, release."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from trajsift.reviewdb import Assignment, ReviewItem

from .helpers import login


@pytest.fixture
def app(make_app):
    return make_app()


def _client(app, name: str) -> TestClient:
    client = TestClient(app)
    client.headers["X-CSRF-Token"] = login(client, name)
    return client


def _listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td><a href="/item/(\d+)">', page)]


def _items(app) -> list[ReviewItem]:
    with app.state.sessions() as db:
        return list(db.scalars(select(ReviewItem).order_by(ReviewItem.id)).all())


def test_filters_sort_and_search(app):
    client = _client(app, "alice")
    items = _items(app)
    hard = [i.id for i in items if i.difficulty == "hard"]
    assert hard and _listed(client.get("/queue?difficulty=hard").text) == hard
    descending = _listed(client.get("/queue?sort=id&dir=desc").text)
    assert descending == sorted(descending, reverse=True) and len(descending) == len(items)
    target = items[3]
    assert _listed(client.get("/queue", params={"q": target.trajectory_id[:4]}).text) == [target.id]
    body = {"step": -1, "decision": "reject", "tags": [], "comment": "", "version": 0}
    assert client.put(f"/api/items/{items[0].id}/labels", json=body).status_code == 200
    assert _listed(client.get("/queue?label=reject").text) == [items[0].id]
    assert items[0].id not in _listed(client.get("/queue?status=open").text)
    assert "No item matches" in client.get("/queue?model=nobody").text


def test_full_text_search_reads_the_steps(make_app):
    app = make_app(kept_share=1.0)  # every trajectory is in the queue
    client = _client(app, "alice")
    long_one = [i.id for i in _items(app) if i.trajectory_id.startswith("t040-")]
    assert len(long_one) == 1
    assert _listed(client.get("/queue", params={"text": "CAT 'F149"}).text) == long_one  # step 149 only there
    assert _listed(client.get("/queue", params={"text": "no trajectory says this"}).text) == []


def test_opening_claims_next_skips_and_release_frees(app):
    alice, bob = _client(app, "alice"), _client(app, "bob")
    single = next(i for i in _items(app) if not i.double_review)
    assert 'id="claim-notice"' in alice.get(f"/item/{single.id}").text
    assert "claimed by another reviewer" in bob.get(f"/item/{single.id}").text
    first = alice.post("/api/queue/next").json()["item_id"]
    assert first == single.id  # alice's live claim comes first
    skipped = alice.post(f"/api/queue/next?skip={first}").json()["item_id"]
    assert skipped not in (None, first)  # "next" passes on the current item
    alice.post(f"/api/items/{skipped}/release")
    with app.state.sessions() as db:
        live = db.scalars(select(Assignment).where(Assignment.item_id == skipped, Assignment.expires_at > 0)).all()
    assert live == []
    assert bob.get(f"/item/{single.id}").status_code == 200


def test_empty_queue_message(make_app):
    app = make_app(double_share=0.0)
    client = _client(app, "carol")
    for item in _items(app):
        body = {"step": -1, "decision": "accept", "tags": [], "comment": "", "version": 0}
        assert client.put(f"/api/items/{item.id}/labels", json=body).status_code == 200
    assert client.post("/api/queue/next").json()["item_id"] is None
    page = client.post("/queue/next", data={"csrf_token": client.headers["X-CSRF-Token"]})
    assert "The queue is empty" in page.text
