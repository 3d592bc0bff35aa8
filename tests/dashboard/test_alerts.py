from __future__ import annotations

import pytest

from trajsift.alerts.evaluate import FIRED, NO_DATA, OK, check_run, evaluate, load_alerts, stats_metric
from trajsift.config import AlertSpec, Recipe, load_recipe
from trajsift.errors import ConfigError
from trajsift.files import write_json
from trajsift.series import load_series, ordered_table, row_metric_column

STATS = {
    "total": 200,
    "decisions": {"keep": 120, "drop": 70, "review": 10},
    "averages": {"quality_score": 0.61, "quality.coherence.score": 0.9},
    "labels": {"resolved_rate_kept": 0.42},
    "funnel": [{"name": "basic_filter", "pass_rate": 0.8}, {"name": "quality.v2", "pass_rate": 0.5}],
    "distributions": {"model": {"gpt-4o": {"total": 50, "keep": 10, "drop": 40}}},
}


def spec(**fields) -> AlertSpec:
    return AlertSpec(name=fields.pop("name", "a"), **fields)


def test_stats_paths_resolve_dotted_keys_list_items_and_derived_rates():
    assert stats_metric(STATS, "decisions.keep_rate") == pytest.approx(0.6)
    assert stats_metric(STATS, "averages.quality.coherence.score") == 0.9
    assert stats_metric(STATS, "labels.resolved_rate_kept") == 0.42
    assert stats_metric(STATS, "funnel.quality.v2.pass_rate") == 0.5
    assert stats_metric(STATS, "distributions.model.gpt-4o.drop_rate") == pytest.approx(0.8)
    assert stats_metric(STATS, "decisions.nothing_rate") is None
    assert stats_metric(STATS, "quality_score") is None


def test_threshold_fires_below_min_and_above_max_and_not_inside():
    results = evaluate(
        [
            spec(name="low keep", metric="decisions.keep_rate", min=0.7),
            spec(name="ok keep", metric="decisions.keep_rate", min=0.5, max=0.9),
            spec(name="too many drops", metric="decisions.drop_rate", max=0.3),
        ],
        STATS,
        {},
    )
    assert [r.status for r in results] == [FIRED, OK, FIRED]
    assert "below min 0.7" in results[0].message and results[0].value == pytest.approx(0.6)


def test_threshold_on_a_row_column_uses_its_mean_and_missing_metrics_are_reported():
    series = {"quality_score": [0.2, None, 0.4], "tests == correct": [1.0, 0.0, 0.0, 0.0]}
    results = evaluate(
        [
            spec(metric="quality_score", min=0.5),
            spec(metric="tests == correct", min=0.5),
            spec(metric="no.such.metric", min=0.5),
        ],
        STATS,
        series,
    )
    assert [r.status for r in results] == [FIRED, FIRED, NO_DATA]
    assert results[0].value == pytest.approx(0.3) and results[0].rows == 2
    assert results[1].value == pytest.approx(0.25)


def test_drift_compares_recent_window_with_the_baseline_before_it():
    values = [1.0] * 90 + [0.0] * 10 + [1.0, 0.0] * 50  # baseline 0.9, recent 0.5
    drift = spec(metric="m", kind="drift", window=100, drop=0.10)
    small = spec(metric="m", kind="drift", window=100, drop=0.5)  # fell by 0.4 only
    rise = spec(metric="m", kind="drift", window=100, rise=0.01)
    last_20 = spec(metric="m", kind="drift", window=100, baseline=20, drop=0.4)  # baseline 0.5 too
    results = evaluate([drift, small, rise, last_20], {}, {"m": values})
    assert [r.status for r in results] == [FIRED, OK, OK, OK]
    assert results[0].baseline == pytest.approx(0.9) and results[0].value == pytest.approx(0.5)
    assert "fell from 0.9 to 0.5" in results[0].message


def test_drift_needs_enough_rows_and_a_row_metric():
    few = evaluate([spec(metric="m", kind="drift", window=5, drop=0.1, min_rows=20)], {}, {"m": [1.0] * 30})
    assert few[0].status == NO_DATA and "not enough rows" in few[0].message
    stats_only = evaluate([spec(metric="decisions.keep_rate", kind="drift", drop=0.1)], STATS, {})
    assert stats_only[0].status == NO_DATA


def test_row_metric_syntax():
    assert row_metric_column("quality_score").equals is None
    parsed = row_metric_column("correctness.tests.verdict == 'correct'")
    assert (parsed.column, parsed.equals) == ("correctness.tests.verdict", "correct")


def test_series_follow_generation_order_across_the_three_outputs(drifting_run):
    table = ordered_table(drifting_run, ["decision"])
    stamps = table["started_at"].to_pylist()
    assert table.num_rows == 1200 and stamps == sorted(stamps)
    series = load_series(drifting_run, {"v": row_metric_column("correctness.tests.verdict == correct")})
    early, late = series["v"][:900], series["v"][900:]
    assert sum(early) / len(early) > 0.8 > 0.5 > sum(late) / len(late)


def test_check_run_detects_the_planted_drift_and_writes_alerts_json(drifting_run):
    specs = [
        AlertSpec(
            name="correctness drop",
            metric="correctness.tests.verdict == correct",
            kind="drift",
            window=300,
            drop=0.10,
            severity="critical",
        ),
        AlertSpec(name="quality stable", metric="quality_score", kind="drift", window=300, drop=0.2),
        AlertSpec(name="keep floor", metric="decisions.keep_rate", min=0.1),
    ]
    report = check_run(drifting_run, specs, send=False)
    assert [r.status for r in report.results] == [FIRED, OK, OK]
    saved = load_alerts(drifting_run)
    assert saved["fired"] == 1 and saved["alerts"][0]["name"] == "correctness drop"
    assert saved["alerts"][0]["value"] < 0.45 < 0.85 < saved["alerts"][0]["baseline"]


def test_no_alert_rules_replace_a_stale_alerts_file(tmp_path):
    write_json(tmp_path / "alerts.json", {"fired": 3, "alerts": [{"name": "old"}]})
    check_run(tmp_path, [])
    assert load_alerts(tmp_path)["alerts"] == []


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "x", "metric": "m"},  # threshold without bounds
        {"name": "x", "metric": "m", "kind": "drift"},  # drift without drop/rise
        {"name": "x", "metric": "m", "min": 1, "webhook": "ftp://127.0.0.1/x"},
        {"name": "x", "metric": "m", "min": 1, "webhook": "file:///etc/passwd"},
        {"name": "x", "metric": "m", "min": 1, "colour": "red"},  # unknown key
        {"name": "x", "metric": "m", "kind": "trend", "min": 1},
        {"name": "x", "metric": "m", "kind": "drift", "drop": -0.1},
        {"name": "x", "metric": "m", "min": 1, "severity": "panic"},
        {"name": "x", "metric": "m", "min": 1, "webhook_env": "NOT A NAME"},
    ],
)
def test_invalid_alert_specs_are_rejected(bad):
    with pytest.raises(ConfigError):
        load_recipe(None, [f"alerts=[{_yaml(bad)}]"])


def _yaml(data: dict) -> str:
    import orjson

    return orjson.dumps(data).decode()


def test_recipe_accepts_alerts_and_they_change_the_fingerprint():
    plain = load_recipe()
    alerted = load_recipe(None, ['alerts=[{"name": "k", "metric": "decisions.keep_rate", "min": 0.5}]'])
    assert plain.alerts == [] and alerted.alerts[0].min == 0.5
    assert plain.fingerprint() != alerted.fingerprint()
    assert Recipe.model_validate(alerted.model_dump(mode="json")) == alerted
