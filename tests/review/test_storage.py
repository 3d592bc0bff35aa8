"""Storage and queue logic on SQLite and on a real PostgreSQL server: labels, versions, claims, double review."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from trajsift.review.claims import claim_next
from trajsift.review.queue import QueueConfig, draw, queue_items, sync_items
from trajsift.review.store import InvalidLabel, LabelConflict, Store
from trajsift.reviewdb import Assignment, LabelEvent, ReviewItem, make_engine, make_sessionmaker


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'review.db'}"
    return request.getfixturevalue("pg_database")()


def make_store(db_url, items=10, double_share=0.0):
    sessions = make_sessionmaker(make_engine(db_url))
    rows = [
        {
            "run_key": "run",
            "trajectory_id": f"t{i}",
            "origin": "review",
            "pipeline_decision": "keep",
            "reasons": "[]",
            "category": "c",
            "difficulty": "d",
            "model": "m",
            "scaffold": "s",
            "double_review": draw("seed", "double", "run", f"t{i}") < double_share,
        }
        for i in range(items)
    ]
    assert sync_items(sessions, rows) == items
    assert sync_items(sessions, rows) == 0  # idempotent
    store = Store(sessions)
    users = [store.add_user(name, "password-123") for name in ("alice", "bob", "carol")]
    return store, sessions, users


def test_users_and_sessions(db_url):
    store, _sessions, (alice, *_rest) = make_store(db_url)
    assert store.authenticate("alice", "password-123") == alice
    assert store.authenticate("alice", "wrong") is None
    token = store.open_session(alice, 60)
    user = store.session_user(token)
    assert user.name == "alice" and len(user.csrf_token) > 20
    store.close_session(token)
    assert store.session_user(token) is None
    assert store.session_user(store.open_session(alice, -1)) is None  # expired


def test_label_versions_and_conflicts(db_url):
    store, _sessions, (alice, bob, _carol) = make_store(db_url)
    first = store.save_label(1, alice, -1, "accept", ["other"], "looks fine", 0)
    assert first["version"] == 1
    second = store.save_label(1, alice, -1, "reject", ["wrong_fix"], "on reflection", 1)
    assert second["version"] == 2
    with pytest.raises(LabelConflict) as stale:
        store.save_label(1, alice, -1, "flag", [], "", 1)
    assert stale.value.current["decision"] == "reject" and stale.value.current["version"] == 2
    with pytest.raises(LabelConflict):
        store.save_label(1, alice, -1, "flag", [], "", 0)  # creating again is a conflict too
    assert store.save_label(1, bob, -1, "accept", [], "", 0)["version"] == 1  # bob's own label
    assert store.save_label(1, alice, 3, "flag", [], "step 3 loops", 0)["step"] == 3
    with pytest.raises(InvalidLabel):
        store.save_label(1, alice, -1, "maybe", [], "", 2)
    labels = store.labels_of_item(1)
    assert {(label["reviewer"], label["step"], label["decision"]) for label in labels} == {
        ("alice", -1, "reject"),
        ("bob", -1, "accept"),
        ("alice", 3, "flag"),
    }
    with store.sessions() as db:
        assert len(db.scalars(select(LabelEvent)).all()) == 4


def test_concurrent_writers_of_one_label_lose_nothing(db_url):
    """8 threads race on the same label with the version they last saw: every success is a distinct version."""
    store, _sessions, (alice, *_rest) = make_store(db_url)
    store.save_label(1, alice, -1, "accept", [], "", 0)
    wins, conflicts = [], []

    def writer(n: int) -> None:
        for k in range(25):
            current = store.label(1, alice, -1)["version"]
            try:
                wins.append(store.save_label(1, alice, -1, "flag", [], f"{n}-{k}", current)["version"])
            except LabelConflict:
                conflicts.append(n)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == len(set(wins))
    assert store.label(1, alice, -1)["version"] == 1 + len(wins)
    assert len(wins) + len(conflicts) == 200


def test_claims_never_collide(db_url):
    store, sessions, users = make_store(db_url, items=30)
    users += [store.add_user(name, "password-123") for name in ("dave", "erin", "frank")]
    claimed: dict[int, list[int]] = {}
    lock = threading.Lock()

    def reviewer(user_id: int) -> None:
        for _ in range(10):
            item = claim_next(sessions, user_id, ttl=600)
            if item is None:
                return
            with lock:
                claimed.setdefault(item, []).append(user_id)
            store.save_label(item, user_id, -1, "accept", [], "", 0)

    threads = [threading.Thread(target=reviewer, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == list(range(1, 31))
    assert all(len(who) == 1 for who in claimed.values())  # no double review configured: one reviewer each


def test_claim_is_kept_and_expires(db_url):
    _store, sessions, (alice, bob, _carol) = make_store(db_url, items=1)
    assert claim_next(sessions, alice, ttl=100, now=1000.0) == 1
    assert claim_next(sessions, alice, ttl=100, now=1050.0) == 1  # own live claim comes back
    assert claim_next(sessions, bob, ttl=100, now=1100.0) is None  # alice's claim was extended to 1150
    assert claim_next(sessions, bob, ttl=100, now=1200.0) == 1  # expired: bob takes it over
    with sessions() as db:
        assert db.scalars(select(Assignment.reviewer_id)).all() == [bob]


def test_double_review_goes_to_a_second_different_reviewer(db_url):
    store, sessions, (alice, bob, carol) = make_store(db_url, items=40, double_share=0.3)
    with sessions() as db:
        doubles = set(db.scalars(select(ReviewItem.id).where(ReviewItem.double_review)).all())
    assert 4 <= len(doubles) <= 20
    seen: dict[int, list[int]] = {}
    for user in (alice, bob, carol) * 40:
        item = claim_next(sessions, user, ttl=600)
        if item is not None:
            seen.setdefault(item, []).append(user)
            store.save_label(item, user, -1, "accept", [], "", 0)
    assert all(len(set(who)) == len(who) for who in seen.values())
    assert {i for i, who in seen.items() if len(who) == 2} == doubles
    assert all(len(who) == 1 for i, who in seen.items() if i not in doubles)


def test_double_share_is_deterministic_and_close_to_configured(hostile_run):
    from trajsift.rundata import load_runs

    runs = load_runs([hostile_run])
    items = queue_items(runs, QueueConfig(double_share=0.5, kept_share=1.0))
    again = queue_items(runs, QueueConfig(double_share=0.5, kept_share=1.0))
    assert [i["double_review"] for i in items] == [i["double_review"] for i in again]
    share = sum(i["double_review"] for i in items) / len(items)
    assert 0.3 < share < 0.7
    origins = {i["origin"] for i in items}
    assert origins == {"review", "kept_sample"}
