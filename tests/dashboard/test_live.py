from __future__ import annotations

from pathlib import Path

import orjson
from tests.review.helpers import hostile_trajectory

from trajsift.alerts.evaluate import check_run
from trajsift.config import load_recipe
from trajsift.live.progress import DONE, FAILED, ComposedProgress, LiveProgress, read_live, read_progress
from trajsift.run import run_pipeline


class Recorder:
    def __init__(self):
        self.calls = []

    def phase(self, name, total, done=0):
        self.calls.append(("phase", name, total, done))

    def advance(self, n):
        self.calls.append(("advance", n))


def test_progress_file_tracks_phases_and_finishes(tmp_path):
    live = LiveProgress(tmp_path, min_interval=0.0)
    assert read_progress(tmp_path)["status"] == "running"
    live.phase("read", 0)
    live.advance(3)
    live.phase("basic_filter", 4, done=1)
    live.advance(2)
    state = read_progress(tmp_path)
    assert state["phase"] == "basic_filter"
    assert [(p["name"], p["done"], p["total"], p["finished"]) for p in state["phases"]] == [
        ("read", 3, 0, True),
        ("basic_filter", 3, 4, False),
    ]
    live.finish()
    state = read_progress(tmp_path)
    assert state["status"] == DONE and state["phase"] is None and state["phases"][-1]["finished"]
    assert state["started_at"] <= state["updated_at"]
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporaries


def test_advances_are_throttled_but_phase_changes_always_written(tmp_path):
    live = LiveProgress(tmp_path, min_interval=3600)
    live.phase("quality", 10)
    for _ in range(5):
        live.advance(1)
    assert read_progress(tmp_path)["phases"][0]["done"] == 0
    live.finish(FAILED)
    assert read_progress(tmp_path)["status"] == FAILED and read_progress(tmp_path)["phases"][0]["done"] == 5


def test_composed_progress_forwards_to_every_target():
    a, b = Recorder(), Recorder()
    both = ComposedProgress(a, b)
    both.phase("read", 0)
    both.advance(2)
    assert a.calls == b.calls == [("phase", "read", 0, 0), ("advance", 2)]


def _degrading_run(root: Path, webhook: str) -> tuple[Path, object]:
    """128 trajectories in 8 shards of 16; from trajectory 80 on (the 6th shard) they have no steps and no patch,
    and the basic filter drops them. A drift rule on the keep rate watches windows of one shard."""
    trajs = [hostile_trajectory(i, steps=4 if i < 80 else 0) for i in range(128)]
    for empty in trajs[80:]:
        empty.final.patch = ""
    (root / "in.jsonl").write_bytes(b"\n".join(t.to_json() for t in trajs) + b"\n")
    (root / "recipe.yaml").write_text(
        f"""
shard_size: 16
stages:
  - name: basic_filter
    checks: [{{id: basic.status}}, {{id: basic.content}}, {{id: basic.limits}}]
    keep: {{no_findings: {{}}}}
alerts:
  - {{name: keep rate drift, metric: "decision == keep", kind: drift, window: 16, drop: 0.3, min_rows: 10,
      severity: critical, webhook: "{webhook}"}}
"""
    )
    return root / "out", load_recipe(str(root / "recipe.yaml"))


def test_alert_fires_mid_run_within_one_shard_of_the_degradation(tmp_path, receiver):
    hook = receiver()
    seen_during_run = []
    out, recipe = _degrading_run(tmp_path, hook.url)
    original = hook.server.RequestHandlerClass.do_POST

    def record(handler):  # what the run had written when the webhook arrived
        seen_during_run.append((out / "stats.json").exists())
        original(handler)

    hook.server.RequestHandlerClass.do_POST = record
    live = LiveProgress(out, min_interval=0.0, alerts=recipe.alerts)
    run_pipeline([str(tmp_path / "in.jsonl")], out, recipe, progress=live)
    live.settle_alerts()
    assert len(hook.bodies) == 1 and seen_during_run == [False]  # delivered before the run wrote its outputs
    alert = orjson.loads((out / "alerts.json").read_bytes())["alerts"][0]
    assert alert["status"] == "fired" and alert["fired_live"]["stage"] == "basic_filter"
    assert alert["fired_live"]["shards_done"] == 6 and alert["fired_live"]["shards_total"] == 8
    assert alert["webhook"]["delivered"]
    final = check_run(out, recipe.alerts)  # the end-of-run check keeps the live record and does not resend
    assert final.fired[0].fired_live["shards_done"] == 6 and len(hook.bodies) == 1
    live.finish()
    snapshot = read_live(out)
    assert snapshot["trend"]["keep_rate"] == [1.0] * 5 + [0.0] * 3
    assert snapshot["stats"]["decisions"] == {"keep": 80, "drop": 48, "review": 0}


def test_dashboard_shows_live_stats_while_running(tmp_path, receiver, client_for):
    out, recipe = _degrading_run(tmp_path, receiver().url)
    live = LiveProgress(out, min_interval=0.0, alerts=recipe.alerts, send=False)
    run_pipeline([str(tmp_path / "in.jsonl")], out, recipe, progress=live)
    (out / "stats.json").unlink()  # as if the run were still writing its outputs
    client = client_for(out)
    body = client.get("/api/dashboard/live").json()
    assert body["status"] == "running"
    fragments = body["fragments"]
    assert "stage basic_filter: shards" in fragments["d-status"] and "8 / 8" in fragments["d-status"]
    assert "62.5%" in fragments["d-funnel"] and "shard 8" in fragments["d-trend"]
    assert "keep rate drift" in fragments["d-alerts"] and "fired during the run" in fragments["d-alerts"]
    assert "by category" in fragments["d-dist"] and "/queue?run_key=out" in fragments["d-dist"]
