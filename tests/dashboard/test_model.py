from __future__ import annotations

import statistics

from trajsift.dashboard.model import DashboardData, generation_trend
from trajsift.rundata import load_runs


def test_trend_cuts_the_run_into_batches_and_shows_the_drift(drifting_run):
    trend = generation_trend(drifting_run)
    assert trend["timed"] is True
    assert trend["rows"] == [60] * 20
    assert trend["labels"][0] == "2026-01-01 00:00"
    assert set(trend["per_hour"]) == {61.02}  # 60 rows one minute apart: 59 minutes from first to last
    before, after = trend["correct_rate"][:15], trend["correct_rate"][15:]  # drift from row 900 = batch 15
    assert statistics.mean(before) > 0.8 and statistics.mean(after) < 0.4
    assert trend["resolved_rate"] == trend["correct_rate"]  # the synthetic label is the test verdict
    assert all(0 <= q <= 1 for q in trend["quality_score"]) and all(0 < k < 1 for k in trend["keep_rate"])


def test_review_app_and_dashboard_key_runs_alike(drifting_run, tmp_path):
    twin = tmp_path / drifting_run.name
    twin.mkdir()
    runs = load_runs([drifting_run, twin])
    assert list(runs) == [drifting_run.name, f"{drifting_run.name}-2"]
    assert DashboardData.from_dirs([drifting_run, twin]).paths == {key: run.path for key, run in runs.items()}
