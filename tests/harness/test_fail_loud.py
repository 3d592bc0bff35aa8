"""A correctness stage that cannot test says so: a required one stops the run before it starts (exit 2), an
optional one runs on with `unknown(sandbox_unavailable)` verdicts counted in the funnel, the report and an alert.

The sandbox is made unavailable for real: a `bwrap` that refuses to start (as on a host without user namespaces)
comes first on PATH, so the sandbox's own probe fails."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trajsift import annotations as ann
from trajsift.cli.main import app
from trajsift.config import load_recipe
from trajsift.demo import write_demo
from trajsift.errors import UnavailableError
from trajsift.report import render_report
from trajsift.run import run_pipeline
from trajsift.rundata import load_run
from trajsift.stats import StatsBuilder

BROKEN_BWRAP = "#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return write_demo(tmp_path_factory.mktemp("loud") / "demo")


@pytest.fixture
def no_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text(BROKEN_BWRAP)
    (fake / "bwrap").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def test_required_correctness_stops_before_the_run(demo, no_sandbox):
    recipe = load_recipe(None, [f"tasks={demo.tasks}"])
    with pytest.raises(UnavailableError, match=r"stage correctness \(correctness.tests\): sandbox unavailable") as err:
        run_pipeline([str(demo.trajectories)], no_sandbox / "out", recipe)
    assert "Permission denied" in str(err.value) and "correctness=optional" in str(err.value)
    assert not (no_sandbox / "out" / "stats.json").exists()


def test_cli_exits_non_zero_without_a_sandbox(demo, no_sandbox):
    args = ["run", str(demo.trajectories), "--tasks", str(demo.tasks), "--out", str(no_sandbox / "out")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "sandbox unavailable" in result.output and "correctness=optional" in result.output
    result = CliRunner().invoke(app, ["tasks", "validate", str(demo.tasks), "-k", "1"])
    assert result.exit_code == 2 and "bubblewrap probe failed" in result.output


def test_optional_correctness_counts_unknown_and_fires_the_alert(demo, no_sandbox):
    out = no_sandbox / "out"
    args = ["run", str(demo.trajectories), "--tasks", str(demo.tasks), "--out", str(out), "correctness=optional"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    stats = json.loads((out / "stats.json").read_text())
    verification = stats["verification"]
    assert verification["total"] > 0 and verification["verdicts"].keys() == {"unknown"}
    assert verification["unknown_infrastructure"] == verification["unknown_reasons"]["sandbox_unavailable"] > 0
    line = next(s for s in stats["funnel"] if s["name"] == "correctness")["unknown"]
    assert line["count"] == verification["total"] and line["infrastructure"] == verification["unknown_infrastructure"]
    assert "verdicts unknown (sandbox_unavailable" in result.output
    assert "ALERT CRITICAL correctness could not test" in result.output
    alerts = json.loads((out / "alerts.json").read_text())
    assert alerts["fired"] == 1 and alerts["alerts"][0]["metric"] == "verification.unknown_infrastructure_rate"
    html = render_report(load_run(out))
    alert = re.search(r'<div class="alert"><strong>Stage correctness</strong>: ([^<]*)</div>', html)
    assert alert and f"sandbox_unavailable {verification['unknown_infrastructure']}" in alert.group(1)
    assert "could not run the tests" in alert.group(1)


def test_data_unknowns_are_counted_but_not_blamed_on_the_host():
    builder = StatsBuilder(["correctness"], {}, stage_checks={"correctness": ["correctness.tests"]})
    verdicts = [("correct", ""), ("unknown", "no_patch"), ("unknown", "sandbox_error"), (None, None)]
    rows = [
        ann.Annotation(meta={}, scores={"correctness.tests.verdict": v, "correctness.tests.reason": r})
        for v, r in verdicts
    ]
    builder.add(rows, [])
    stats = builder.build({}, [{"name": "correctness", "status": "ran", "skip_reason": ""}])
    assert stats["verification"] == {
        "total": 3,
        "verdicts": {"correct": 1, "unknown": 2},
        "unknown": 2,
        "unknown_infrastructure": 1,
        "unknown_reasons": {"no_patch": 1, "sandbox_error": 1},
    }
    assert stats["funnel"][0]["unknown"] == {
        "count": 2,
        "infrastructure": 1,
        "reasons": {"no_patch": 1, "sandbox_error": 1},
    }
