"""A real `trajsift serve` on 127.0.0.1: 8 concurrent reviewers x 500 label writes, then a SIGKILL mid-writes."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import pytest
from sqlalchemy import select

from trajsift.review.store import Store
from trajsift.reviewdb import Label, LabelEvent, ReviewItem, make_engine, make_sessionmaker

from .helpers import PASSWORD, login, server

REVIEWERS = 8
WRITES = 500
STALE_EVERY = 25


def prepare(hostile_run, tmp_path, names):
    from trajsift.review.queue import QueueConfig, queue_items, sync_items
    from trajsift.rundata import load_runs

    url = f"sqlite:///{tmp_path / 'review.db'}"
    sessions = make_sessionmaker(make_engine(url))
    sync_items(sessions, queue_items(load_runs([hostile_run]), QueueConfig()))
    store = Store(sessions)
    for name in names:
        store.add_user(name, PASSWORD)
    with sessions() as db:
        items = list(db.scalars(select(ReviewItem.id)).all())
    return url, sessions, items


def reviewer_loop(base, name, items, writes, acks, conflicts, stop=None):
    """Write `writes` labels over (item, step) keys; every STALE_EVERY-th write reuses an old version."""
    with httpx.Client(base_url=base, timeout=30) as client:
        client.headers["X-CSRF-Token"] = login(client, name)
        versions: dict[tuple[int, int], int] = {}
        for n in range(writes):
            if stop is not None and stop.is_set():
                return
            key = (items[n % len(items)], (n // len(items)) % 4 - 1)
            version = versions.get(key, 0)
            stale = n % STALE_EVERY == STALE_EVERY - 1 and version > 0
            body = {
                "step": key[1],
                "decision": "accept",
                "tags": [],
                "comment": f"{name}-{n}",
                "version": version - stale,
            }
            try:
                response = client.put(f"/api/items/{key[0]}/labels", json=body)
            except httpx.HTTPError:
                return
            if response.status_code == 200:
                versions[key] = response.json()["version"]
                acks.append((name, key, response.json()["version"], body["comment"]))
            elif response.status_code == 409:
                conflicts.append((name, key, stale))
            else:
                raise AssertionError(response.text)


def test_eight_reviewers_500_writes_each_zero_lost(hostile_run, tmp_path):
    names = [f"rev{i}" for i in range(REVIEWERS)]
    url, sessions, items = prepare(hostile_run, tmp_path, names)
    acks, conflicts = [], []
    with server(hostile_run, url) as (base, _process):
        started = time.monotonic()
        threads = [
            threading.Thread(target=reviewer_loop, args=(base, name, items, WRITES, acks, conflicts)) for name in names
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    print(f"{len(acks)} acknowledged writes, {len(conflicts)} conflicts in {elapsed:.1f}s")
    assert len(acks) + len(conflicts) == REVIEWERS * WRITES
    assert conflicts and all(stale for _name, _key, stale in conflicts)  # only deliberately stale writes conflict
    assert_all_acknowledged(sessions, acks)


def assert_all_acknowledged(sessions, acks):
    with sessions() as db:
        events = {(e.label_id, e.version): e.comment for e in db.scalars(select(LabelEvent)).all()}
        labels = {(lb.item_id, lb.step_index, lb.reviewer_id): lb for lb in db.scalars(select(Label)).all()}
        names = {name: uid for uid, name in Store(sessions).user_names().items()}
    assert acks
    latest: dict[tuple, tuple[int, str]] = {}
    for name, (item, step), version, comment in acks:
        label = labels[(item, step, names[name])]
        assert events[(label.id, version)] == comment
        if version >= latest.get((name, item, step), (0, ""))[0]:
            latest[(name, item, step)] = (version, comment)
    for (name, item, step), (version, comment) in latest.items():
        label = labels[(item, step, names[name])]
        assert label.version >= version
        if label.version == version:
            assert label.comment == comment


@pytest.mark.timeout(120)
def test_sigkill_mid_writes_keeps_every_acknowledged_label(hostile_run, tmp_path):
    names = [f"k{i}" for i in range(4)]
    url, sessions, items = prepare(hostile_run, tmp_path, names)
    acks, conflicts = [], []
    stop = threading.Event()
    with server(hostile_run, url) as (base, process):
        threads = [
            threading.Thread(target=reviewer_loop, args=(base, name, items, 10_000, acks, conflicts, stop))
            for name in names
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(acks) < 400 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        stop.set()
        for thread in threads:
            thread.join()
    assert len(acks) >= 400
    assert_all_acknowledged(make_sessionmaker(make_engine(url)), acks)
