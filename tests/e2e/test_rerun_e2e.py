"""A real `trajsift serve` while `trajsift run` reruns into the served folder with another threshold:
every label stays on its trajectory, and the queue follows the new run."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import time

import httpx
from tests.review.helpers import PASSWORD, build_run, hostile_trajectory, login, server

from trajsift.review.store import Store
from trajsift.reviewdb import make_engine, make_sessionmaker


def _shown(client: httpx.Client, item_id: int) -> str:
    page = client.get(f"/item/{item_id}")
    assert page.status_code == 200, page.text[:200]
    return html.unescape(re.search(r'<h1 class="mono">([^<]*)</h1>', page.text).group(1))


def test_rerun_into_a_served_folder_keeps_labels_on_their_trajectory(tmp_path):
    run_dir = build_run(tmp_path, [hostile_trajectory(i, steps=3) for i in range(48)], fraction=0.5)
    db_url = f"sqlite:///{tmp_path / 'review.db'}"
    Store(make_sessionmaker(make_engine(db_url))).add_user("alice", PASSWORD)
    with server(run_dir, db_url) as (base, _process):
        client = httpx.Client(base_url=base)
        client.headers["X-CSRF-Token"] = login(client, "alice")
        items = sorted({int(n) for n in re.findall(r'href="/item/(\d+)"', client.get("/queue").text)})
        before = {item_id: _shown(client, item_id) for item_id in items}
        for item_id in items[:10]:
            body = {"step": -1, "decision": "reject", "tags": [], "comment": before[item_id], "version": 0}
            assert client.put(f"/api/items/{item_id}/labels", json=body).status_code == 200
        rerun = [sys.executable, "-m", "trajsift", "run", str(tmp_path / "in.jsonl"), "--out", str(run_dir)]
        rerun += ["--recipe", str(tmp_path / "recipe.yaml"), "stages.review.checks.0.params.fraction=0.2"]
        subprocess.run(rerun, check=True, capture_output=True, timeout=300)
        deadline = time.monotonic() + 30
        while "left the queue" not in client.get("/queue?status=left").text and time.monotonic() < deadline:
            time.sleep(0.5)
        for item_id in items:  # never another trajectory under a known item number, never a 500
            assert _shown(client, item_id) == before[item_id]
        for item_id in items[:10]:
            labels = client.get(f"/api/items/{item_id}/labels").json()
            assert [(label["decision"], label["comment"]) for label in labels] == [("reject", before[item_id])]
        left = re.findall(r'href="/item/(\d+)"', client.get("/queue?status=left").text)
        assert left and all(int(n) in before for n in left)
