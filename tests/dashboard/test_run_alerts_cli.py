"""`trajsift run` prints alerts after the summary, exits 3 with --fail-on-alert, and writes progress.json."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

from trajsift.cli.errors import ExitCode
from trajsift.cli.main import app
from trajsift.demo import write_demo

FIRING = '[{"name": "keep floor", "metric": "decisions.keep_rate", "min": 0.99, "severity": "critical"}]'
QUIET = '[{"name": "keep ceiling", "metric": "decisions.keep_rate", "max": 1.0}]'


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return write_demo(tmp_path_factory.mktemp("demo") / "data")


def _run(demo, out, alerts, *flags):
    args = ["run", str(demo.trajectories), "--tasks", str(demo.tasks), "--out", str(out), *flags]
    return CliRunner().invoke(app, [*args, "stages.correctness.enabled=false", f"alerts={alerts}"])


def test_fired_alert_exits_3_with_fail_on_alert(demo, tmp_path):
    result = _run(demo, tmp_path / "out", FIRING, "--fail-on-alert")
    assert result.exit_code == ExitCode.ALERT == 3, result.output
    assert "ALERT CRITICAL" in result.output and "keep floor" in result.output
    assert result.output.index("Funnel") < result.output.index("ALERT CRITICAL")  # after the summary
    saved = orjson.loads((tmp_path / "out" / "alerts.json").read_bytes())
    assert saved["fired"] == 1 and saved["alerts"][0]["status"] == "fired"
    progress = orjson.loads((tmp_path / "out" / "progress.json").read_bytes())
    assert progress["status"] == "done" and progress["phases"][0]["name"] == "read"
    assert {"basic_filter", "quality"} <= {p["name"] for p in progress["phases"]}


def test_fired_alert_without_the_flag_still_succeeds(demo, tmp_path):
    result = _run(demo, tmp_path / "out", FIRING)
    assert result.exit_code == 0 and "ALERT CRITICAL" in result.output


def test_quiet_alerts_pass_with_the_flag(demo, tmp_path):
    result = _run(demo, tmp_path / "out", QUIET, "--fail-on-alert")
    assert result.exit_code == 0, result.output
    assert "none fired" in result.output
