from __future__ import annotations

import re

import orjson

from trajsift.files import write_json
from trajsift.live.progress import LiveProgress

from .synthetic import XSS

RAW_PAYLOADS = ("<script>alert", "<img src=x", "<img ")  # escaped text may still read "onerror="


def _no_raw_payload(text: str) -> None:
    for raw in RAW_PAYLOADS:
        assert raw not in text, raw


def _hostile_alerts(run_dir) -> None:
    alert = {"name": XSS, "metric": XSS, "kind": "threshold", "severity": "critical", "status": "fired"}
    alert.update(
        message=f"{XSS} below min", value=0.1, baseline=None, rows=3, webhook={"delivered": False, "error": XSS}
    )
    write_json(run_dir / "alerts.json", {"fired": 1, "alerts": [alert]})


def test_every_route_needs_a_login(client_for, drifting_run):
    client = client_for(drifting_run, login=False)
    page = client.get("/dashboard", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    for path in ("/api/dashboard/live", "/api/dashboard/runs", f"/api/dashboard/runs/{drifting_run.name}"):
        assert client.get(path).status_code == 401
    assert client.get("/dashboard/static/dashboard.js", follow_redirects=False).status_code == 303


def test_page_renders_funnel_distributions_scores_and_trend(client_for, drifting_run):
    response = client_for(drifting_run).get("/dashboard")
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    html = response.text
    for section in ("d-status", "d-alerts", "d-funnel", "d-trend", "d-dist", "d-scores", "d-reasons"):
        assert f'id="{section}"' in html
    assert "basic_filter" in html and "by category" in html and "quality_score" in html
    assert "generation time (started_at)" in html and "1,200" in html
    assert "/queue?run_key=drift-run&amp;category=" in html  # charts click through to the rows
    assert re.search(r"<script>(?!</script>)", html) is None  # no inline scripts
    assert 'src="/dashboard/static/dashboard.js"' in html
    assert " style=" not in html  # no inline styles under the CSP


def test_hostile_strings_are_escaped_in_page_and_fragments(client_for, hostile_run):
    live = LiveProgress(hostile_run)  # a new run in the folder: earlier live files are removed
    live.phase(XSS, 3)
    live.finish()
    _hostile_alerts(hostile_run)
    client = client_for(hostile_run)
    html = client.get("/dashboard").text
    _no_raw_payload(html)
    assert "&lt;script&gt;alert(&#34;x&#34;)" in html or "&lt;script&gt;alert(&quot;x&quot;)" in html
    body = client.get("/api/dashboard/live", params={"run": hostile_run.name}).json()
    for fragment in body["fragments"].values():
        _no_raw_payload(fragment)
    assert "CRITICAL" in body["fragments"]["d-alerts"]
    detail = client.get(f"/api/dashboard/runs/{hostile_run.name}")
    assert detail.headers["content-type"] == "application/json"
    assert detail.json()["alerts"]["alerts"][0]["name"] == XSS  # JSON keeps data exact; only HTML escapes


def test_live_endpoint_reports_changes_only(client_for, tmp_path):
    run = tmp_path / "live-run"
    client = client_for(run)
    first = client.get("/api/dashboard/live").json()
    assert first["changed"] and first["status"] == "empty"
    same = client.get("/api/dashboard/live", params={"v": first["version"]}).json()
    assert same == {"version": first["version"], "status": "empty", "changed": False}
    live = LiveProgress(run)
    live.phase("basic_filter", 10)
    from trajsift import annotations as ann
    from trajsift.files import write_table
    from trajsift.progress import ShardDone

    rows = [ann.Annotation(meta={"trajectory_id": f"t{i}"}, decision="keep") for i in range(2)]
    rows[1].decision, rows[1].decided_by, rows[1].reasons = "drop", "basic_filter", ["empty"]
    write_table(run / "shard.parquet", ann.to_table(rows, {}))
    live.advance(1)
    live.shard_done(ShardDone(0, "basic_filter", 0, 10, run / "shard.parquet"))
    live.phase("quality", 10)
    now = client.get("/api/dashboard/live", params={"v": first["version"]}).json()
    assert now["changed"] and now["status"] == "running"
    assert "basic_filter (2)" in now["fragments"]["d-funnel"] and "50.0%" in now["fragments"]["d-funnel"]
    assert "quality" in now["fragments"]["d-status"]


def test_several_runs_compare_and_unknown_runs_are_404(client_for, drifting_run, hostile_run):
    client = client_for(drifting_run, hostile_run)
    html = client.get("/dashboard", params={"run": hostile_run.name}).text
    assert 'id="d-runs"' in html and "quality across runs" in html
    _no_raw_payload(html)
    runs = client.get("/api/dashboard/runs").json()["runs"]
    assert [r["key"] for r in runs] == [drifting_run.name, hostile_run.name]
    assert runs[0]["total"] == 1200
    assert client.get("/dashboard", params={"run": "../../etc"}).status_code == 404
    assert client.get("/api/dashboard/runs/..%2F..%2Fetc").status_code == 404


def test_static_files_are_a_fixed_list(client_for, drifting_run):
    client = client_for(drifting_run)
    js = client.get("/dashboard/static/dashboard.js")
    assert js.status_code == 200 and "fetch(" in js.text and js.headers["content-type"].startswith("text/javascript")
    assert client.get("/dashboard/static/dashboard.css").status_code == 200
    for name in ("routes.py", "..%2Froutes.py", "%2E%2E%2Flive.py", "dashboard.html"):
        assert client.get(f"/dashboard/static/{name}").status_code == 404


def test_module_router_shows_the_apps_own_runs(tmp_path, drifting_run):
    from fastapi.testclient import TestClient

    from trajsift.dashboard.routes import dashboard_feature
    from trajsift.review.app import create_app
    from trajsift.web.auth import session_cookie

    app = create_app([drifting_run], f"sqlite:///{tmp_path / 'r.db'}", features=[dashboard_feature()])
    client = TestClient(app)
    client.cookies.set(*session_cookie(app, app.state.store.add_user("eve", "pw " * 5)))
    assert orjson.loads(client.get("/api/dashboard/runs").content)["runs"][0]["total"] == 1200


def test_svg_rows_keep_the_requested_width_and_escape_labels():
    from trajsift.report.charts import svg_bars, svg_stacked_rows

    chart = svg_stacked_rows([("a", [(3, "keep"), (1, "drop")], "75%")], width=1100)
    assert chart.startswith('<svg viewBox="0 0 1100 26"')
    bars = svg_bars({XSS: 5, "ok": 2}, "drop", width=900)
    assert bars.startswith('<svg viewBox="0 0 900 ') and "<script" not in bars
