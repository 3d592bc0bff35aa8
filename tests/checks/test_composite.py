"""quality.score: the calibrated probability of correctness, verdicts and labels dominating; and the legacy
weighted mean."""

from __future__ import annotations

import json
import math
import random

import pyarrow as pa
import pytest

from trajsift.calibration import (
    BASE_FEATURES,
    REFERENCE_AVAILABLE,
    REFERENCE_FEATURES,
    TASK_COLUMNS,
    TASK_PRESENT,
    USAGE_COLUMNS,
    Feature,
    ModelSet,
    QualityModel,
    fit_model,
    load_model,
    model_variants,
)
from trajsift.checks import load_check_class
from trajsift.checks.base import CheckContext
from trajsift.checks.composite import QualityScore
from trajsift.schema import Outcome, Trajectory

C, H, E = "quality.completeness.score", "quality.coherence.score", "quality.efficiency.score"
TRAJ = Trajectory(id="t")
PASSED = "quality.evidence.last_check_passed"
RELATIVE_PASSED = "quality.relative.last_check_passed"
STEPS = "quality.cohort.steps_pct"


def score(row: dict, **params) -> float | None:
    out = QualityScore(params).check_one(TRAJ, CheckContext(), row)
    assert out.findings == []
    return out.scores["quality_score"]


def test_registered_and_columns():
    assert load_check_class("quality.score") is QualityScore
    assert QualityScore.column_types() == {
        "quality_score": pa.float64(),
        "quality.score.model_probability": pa.float64(),
        "quality.score.source": pa.string(),
    }


def test_legacy_weighted_mean_with_missing_components_ignored():
    weights = {C: 1.0, H: 1.0, E: 2.0}
    assert score({C: 1.0, H: 0.5, E: 0.25}, weights=weights) == pytest.approx((1.0 + 0.5 + 0.5) / 4)
    assert score({H: 0.2, E: 0.8}, weights=weights) == pytest.approx((0.2 + 1.6) / 3)
    assert score({C: float("nan"), E: 0.5}, weights=weights) == 0.5
    assert score({}, weights=weights) is None
    assert score({C: 1.5}, weights={C: 1.0}) == 1.0


def test_shipped_model_reads_the_documented_columns_with_provenance():
    models = load_model()
    ref, task, tokens = REFERENCE_AVAILABLE, TASK_PRESENT, USAGE_COLUMNS[0]
    assert [m.requires for m in models.models] == [
        *(f"{ref},{task},{tokens}", f"{ref},{task}", f"{ref},{tokens}", ref),
        *(f"{task},{tokens}", task, tokens, ""),
    ]
    expected = [*model_variants(REFERENCE_FEATURES, ref), *model_variants(BASE_FEATURES)]
    for model, (features, _) in zip(models.models, expected, strict=True):
        assert {f.column for f in model.features} == {f.column for f in features}
    assert not {f.column for f in models.models[-1].features} & {*USAGE_COLUMNS, *TASK_COLUMNS}
    assert models.provenance["procedure"].startswith("python bench/transfer.py")
    assert all(abs(f.weight) < 10 for m in models.models for f in m.features)


def test_the_shipped_score_is_a_probability_that_rises_with_passing_tests_after_the_fix():
    base = {STEPS: 0.5, "basic.content.patch_status": "present", "basic.status.exit_status": "submitted"}
    # a pipeline row carries the evidence and its deviation from the cohort's habit (`quality.relative`) together
    passed = score({**base, PASSED: True, RELATIVE_PASSED: 0.1})
    failed = score({**base, PASSED: False, RELATIVE_PASSED: -0.9})
    assert 0.0 < failed < passed < 1.0


def test_a_run_alone_on_its_task_is_scored_by_a_model_fitted_without_the_other_runs():
    models = load_model()
    row = {STEPS: 0.2, PASSED: True, "quality.cohort.tokens_pct": 0.3}
    alone = models.pick(row)
    assert not {f.column for f in alone.features} & set(TASK_COLUMNS)
    assert "quality.cohort.tokens_pct" in {f.column for f in alone.features}
    with_peers = models.pick({**row, TASK_PRESENT: 0.4, "quality.cohort.agreement": 0.9})
    assert set(TASK_COLUMNS) <= {f.column for f in with_peers.features}
    agreeing = models.probability({**row, TASK_PRESENT: 0.4, "quality.cohort.agreement": 0.9})
    assert agreeing != models.probability(row)


def test_model_variants_fitted_on_every_row():
    rng = random.Random(3)
    rows, labels = [], []
    for i in range(400):
        good = rng.random() < 0.5
        peers = i % 3 != 0  # a third of the runs are alone on their task
        rows.append(
            {
                "x": rng.gauss(1.0 if good else 0.0, 1.0),
                TASK_PRESENT: rng.random() if peers else None,
                "quality.cohort.agreement": rng.gauss(0.7 if good else 0.3, 0.2) if peers else None,
                USAGE_COLUMNS[0]: rng.random() if i % 2 else None,
            }
        )
        labels.append(good)
    specs = [Feature("x"), Feature(TASK_PRESENT), Feature("quality.cohort.agreement"), Feature(USAGE_COLUMNS[0])]
    models = ModelSet(tuple(fit_model(kept, rows, labels, 1.0, needs) for kept, needs in model_variants(specs)))
    assert [len(m.features) for m in models.models] == [4, 3, 2, 1]
    assert all(m.provenance["rows"] == len(rows) for m in models.models)
    agreement = next(f for f in models.models[1].features if f.column == "quality.cohort.agreement")
    assert agreement.weight > 0.5  # fitted where known; the model without it scores the rows alone on their task
    assert models.pick(rows[0]).features == models.models[3].features  # alone, no usage


def test_verdicts_then_labels_dominate_the_model():
    row = {STEPS: 0.1, PASSED: True}
    model_only = score(row)
    out = QualityScore().check_one(TRAJ, CheckContext(), {**row, "correctness.tests.verdict": "incorrect"})
    assert out.scores["quality_score"] < 0.1 and out.scores["quality.score.source"] == "tests"
    assert out.scores["quality.score.model_probability"] == pytest.approx(model_only)
    assert score({**row, "correctness.tests.verdict": "correct"}) >= 0.9
    labelled = Trajectory(id="t", outcome=Outcome(resolved=False))
    out = QualityScore().check_one(labelled, CheckContext(), row)
    assert out.scores["quality.score.source"] == "label" and out.scores["quality_score"] <= 0.05
    off = QualityScore({"labels_dominate": False}).check_one(labelled, CheckContext(), row)
    assert off.scores["quality_score"] == pytest.approx(model_only)


def test_fit_recovers_direction_and_learns_a_missing_term():
    rng = random.Random(7)
    rows, labels = [], []
    for _ in range(600):
        good = rng.random() < 0.4
        passed = None if rng.random() < 0.3 else (rng.random() < (0.8 if good else 0.3))
        rows.append({"x": rng.gauss(1.0 if good else 0.0, 1.0), "p": passed})
        labels.append(good)
    model = fit_model([Feature("x"), Feature("p")], rows, labels, strength=1.0)
    x, p = model.features
    assert x.weight > 0.5 and p.weight > 0.2 and p.missing_weight != 0.0 and x.missing_weight == 0.0
    assert model.probability({"x": 2.0, "p": True}) > model.probability({"x": -1.0, "p": False})
    logit = model.intercept + p.missing_weight + x.weight * (0.0 - x.mean) / x.scale
    assert model.probability({"x": 0.0, "p": None}) == pytest.approx(1 / (1 + math.exp(-logit)))
    again = fit_model([Feature("x"), Feature("p")], rows, labels, strength=1.0)
    assert again == model  # deterministic


def test_model_set_picks_the_first_applicable_model_and_round_trips(tmp_path):
    ref = QualityModel((Feature("a", weight=1.0),), 0.0, {}, "has_ref")
    base = QualityModel((Feature("b", weight=-1.0),), 0.5)
    models = ModelSet((ref, base), {"fitted": "today"})
    assert models.pick({"has_ref": True}) is ref and models.pick({"has_ref": False}) is base
    both = QualityModel((), 0.0, {}, "has_ref,usage")
    assert both.scope == "when has_ref and usage" and base.scope == "otherwise"
    assert both.applies({"has_ref": True, "usage": 0.0}) and not both.applies({"has_ref": True, "usage": None})
    path = tmp_path / "m.json"
    path.write_text(models.to_json())
    assert load_model(str(path)) == models
    assert json.loads(path.read_text())["provenance"] == {"fitted": "today"}
    out = QualityScore({"model": str(path)}).check_one(TRAJ, CheckContext(), {"b": 0.0})
    assert out.scores["quality_score"] == pytest.approx(1 / (1 + math.exp(-0.5)))


@pytest.mark.parametrize(
    ("transform", "raw", "value"),
    [("log1p", 0, 0.0), ("bool", True, 1.0), ("positive", 3, 1.0), ("nonempty", "", 0.0), ("equals:x", "x", 1.0)],
)
def test_feature_transforms(transform, raw, value):
    assert Feature("c", transform).value({"c": raw}) == value
    assert Feature("c", transform).value({}) is None


def test_an_unknown_value_is_missing_not_unequal():
    """A log that cannot tell whether the run left a patch is no evidence that it left none."""
    present = Feature("basic.content.patch_status", "equals:present", weight=2.0, mean=0.5, scale=0.5)
    assert present.value({"basic.content.patch_status": "absent"}) == 0.0
    assert present.value({"basic.content.patch_status": "unknown"}) is None
    assert present.term({"basic.content.patch_status": "unknown"}) == 0.0  # the missing weight, here 0
    assert present.term({"basic.content.patch_status": "absent"}) == -2.0


def test_unknown_params_are_rejected():
    with pytest.raises(ValueError):
        QualityScore({"weight": 1})
