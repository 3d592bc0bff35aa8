"""`trajsift checks list`: every check, then each shipped quality model with the rows it scores and its weights."""

from __future__ import annotations

from typer.testing import CliRunner

from trajsift.calibration import load_model
from trajsift.checks import CHECKS
from trajsift.cli.main import app

runner = CliRunner()


def test_lists_every_check_and_each_model_with_its_scope_weights_and_intercept():
    result = runner.invoke(app, ["checks", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    for check_id in ("basic.status", "quality.score", "diversity.near"):
        assert check_id in CHECKS and check_id in out
    models = load_model().models
    titles = [line for line in out.splitlines() if "quality.score model" in line]
    assert len(titles) == len(models)
    for number, (model, title) in enumerate(zip(models, titles, strict=True), 1):
        assert f"model {number} of {len(models)}: scores the rows {model.scope}" in title
        assert f"intercept {model.intercept:+.3f}" in out
    alone = next(m for m in models if not m.required)  # no task peers, no usage: the last resort
    strongest = max(alone.features, key=lambda f: abs(f.weight))
    assert strongest.column in out and f"{strongest.weight:+.3f}" in out
