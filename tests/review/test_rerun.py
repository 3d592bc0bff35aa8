"""A rerun into a served folder: labels stay on their trajectory, the queue follows the new run."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from trajsift.config import load_recipe
from trajsift.reviewdb import Label, ReviewItem
from trajsift.run import run_pipeline

from .helpers import build_run, hostile_trajectory, login, recipe_text


def _items(app) -> dict[int, ReviewItem]:
    with app.state.sessions() as db:
        return {item.id: item for item in db.scalars(select(ReviewItem)).all()}


def _shown_id(client, item_id: int) -> str:
    page = client.get(f"/item/{item_id}")
    assert page.status_code == 200, page.text[:300]
    return html.unescape(re.search(r'<h1 class="mono">([^<]*)</h1>', page.text).group(1))


def _rerun(root, run_dir, fraction: float) -> None:
    recipe = root / f"recipe-{fraction}.yaml"
    recipe.write_text(recipe_text(fraction))
    run_pipeline([str(root / "in.jsonl")], run_dir, load_recipe(str(recipe)))


def test_rerun_with_another_threshold_keeps_labels_on_their_trajectory(tmp_path, make_app):
    root = tmp_path / "served"
    root.mkdir()
    trajs = [hostile_trajectory(i, steps=3) for i in range(48)]
    run_dir = build_run(root, trajs, fraction=0.5)
    from trajsift.review.app import ReviewSettings, create_app

    app = create_app([run_dir], f"sqlite:///{tmp_path / 'r.db'}", ReviewSettings(watch_interval_s=0))
    app.state.store.add_user("alice", "correct horse battery")
    client = TestClient(app)
    client.headers["X-CSRF-Token"] = login(client, "alice")
    before = _items(app)
    labelled = sorted(before)[:12]
    for n, item_id in enumerate(labelled):
        body = {
            "step": -1,
            "decision": ("accept", "reject", "flag")[n % 3],
            "tags": [],
            "comment": f"c{n}",
            "version": 0,
        }
        assert client.put(f"/api/items/{item_id}/labels", json=body).status_code == 200
    fingerprint = before[labelled[0]].fingerprint
    assert fingerprint

    _rerun(root, run_dir, 0.2)  # fewer review rows: some labelled trajectories leave the queue
    client.get("/queue")  # any request refreshes the registry
    after = _items(app)
    assert app.state.registry.reloads >= 2
    left = [i for i in labelled if not after[i].in_queue]
    staying = [i for i in labelled if after[i].in_queue]
    assert left and staying
    for item_id in labelled:
        assert after[item_id].trajectory_id == before[item_id].trajectory_id
        assert (after[item_id].fingerprint != fingerprint) == (item_id in staying)  # left items keep their run
    for item_id in labelled:  # the page of every item still shows its own trajectory, never a neighbour
        assert _shown_id(client, item_id) == before[item_id].trajectory_id
    with app.state.sessions() as db:
        labels = {row.item_id: row.comment for row in db.scalars(select(Label)).all()}
    assert labels == {item_id: f"c{n}" for n, item_id in enumerate(labelled)}
    left_page = client.get("/queue?status=left").text
    assert all(f'href="/item/{i}"' in left_page for i in left) and "left the queue" in left_page
    assert "left the review queue" in client.get(f"/item/{left[0]}").text
    open_ids = {i for i, item in after.items() if item.in_queue}
    assert client.post("/api/queue/next").json()["item_id"] in open_ids - set(labelled)


def test_new_review_rows_and_runs_appear_while_serving(tmp_path):
    from trajsift.review.app import ReviewSettings, create_app

    parent = tmp_path / "runs"
    parent.mkdir()
    app = create_app([parent], f"sqlite:///{tmp_path / 'r.db'}", ReviewSettings(watch_interval_s=0))
    app.state.store.add_user("alice", "correct horse battery")
    client = TestClient(app)
    login(client, "alice")
    assert "The queue is empty" in client.get("/queue").text
    first = tmp_path / "a"
    first.mkdir()
    build_run(first, [hostile_trajectory(i) for i in range(10)])
    (first / "run").rename(parent / "first")
    page = client.get("/queue").text
    assert "first" in app.state.runs and 'href="/item/1"' in page
    second = tmp_path / "b"
    second.mkdir()
    build_run(second, [hostile_trajectory(i) for i in range(10, 30)])
    (second / "run").rename(parent / "second")
    client.get("/queue")
    with app.state.sessions() as db:
        runs = set(db.scalars(select(ReviewItem.run_key)).all())
    assert runs == {"first", "second"}
