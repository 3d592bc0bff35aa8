"""Trajectory reward components, weights and renormalisation."""

from __future__ import annotations

import pytest

from trajsift.checks.base import CheckContext
from trajsift.config import RewardSpec, load_recipe
from trajsift.errors import ConfigError
from trajsift.rewards import components as comp
from trajsift.rewards.trajectory import combine, trajectory_reward
from trajsift.schema import Outcome

from .reward_shapes import PATCH, T, step, swe_agent_run, traj

SPEC = RewardSpec()
TESTS = "correctness.tests."


def test_default_weights_in_recipe_and_unknown_keys_rejected():
    recipe = load_recipe(None, ["rewards.weights.reasoning=0.3"])
    assert recipe.rewards.weights["correctness"] == 0.5 and recipe.rewards.weights["reasoning"] == 0.3
    with pytest.raises(ConfigError):
        load_recipe(None, ["rewards.nonsense=1"])


def test_combine_renormalises_over_measured_components():
    reward, weights = combine({"correctness": None, "efficiency": 1.0, "code_quality": 0.5}, SPEC.weights)
    assert weights == pytest.approx({"efficiency": 2 / 3, "code_quality": 1 / 3})
    assert reward == pytest.approx(2 / 3 + 0.5 / 3)
    assert combine({"correctness": None}, SPEC.weights) == (None, {})


def test_correctness_from_test_fractions_is_partial():
    columns = {TESTS + "f2p_passed": 1, TESTS + "f2p_failed": 1, TESTS + "p2p_passed": 10, TESTS + "p2p_failed": 0}
    value, source = comp.correctness(traj([]), columns, SPEC)
    assert source == "tests" and value == pytest.approx(0.75 * 0.5 + 0.25 * 1.0)


def test_correctness_from_verdict_confidence_then_label_only_if_configured():
    value, source = comp.correctness(traj([]), {TESTS + "verdict": "incorrect", TESTS + "confidence": 0.8}, SPEC)
    assert source == "verdict" and value == pytest.approx(0.1)
    value, _ = comp.correctness(traj([]), {TESTS + "verdict": "correct", TESTS + "confidence": 0.9}, SPEC)
    assert value == pytest.approx(0.95)
    labelled = traj([])
    labelled.outcome = Outcome(resolved=True)
    assert comp.correctness(labelled, {TESTS + "verdict": "unknown"}, SPEC) == (None, "")
    assert comp.correctness(labelled, {}, RewardSpec(use_outcome_label=True)) == (1.0, "label")


def test_correctness_without_tests_is_the_calibrated_probability_and_says_so():
    columns = {TESTS + "verdict": "unknown", "quality.score.model_probability": 0.37}
    assert comp.correctness(traj([]), columns, SPEC) == (pytest.approx(0.37), "model")
    verdict = {**columns, TESTS + "verdict": "correct", TESTS + "confidence": 1.0}
    assert comp.correctness(traj([]), verdict, SPEC) == (1.0, "verdict")  # tests dominate
    assert comp.correctness(traj([]), columns, RewardSpec(use_model_probability=False)) == (None, "")
    result = trajectory_reward(swe_agent_run(), columns, SPEC)
    assert result.components["correctness"] == pytest.approx(0.37) and result.sources["correctness"] == "model"


def test_efficiency_step_ratio_formula():
    steps = [step(T.READ, "ls", "", "x") for _ in range(30)]
    assert comp.efficiency(traj(steps), {}, SPEC, CheckContext()) == pytest.approx(0.5)
    spec = RewardSpec(expected_steps={"": 10})
    assert comp.efficiency(traj(steps[:10]), {}, spec, CheckContext()) == 1.0
    assert comp.efficiency(traj(steps[:15]), {}, spec, CheckContext()) == pytest.approx(0.5)
    assert comp.efficiency(traj(steps), {}, spec, CheckContext()) == 0.0
    assert comp.efficiency(traj(steps), {"quality.efficiency.step_score": 0.7}, SPEC, CheckContext()) == 0.7


def test_code_quality_hygiene_and_static_columns():
    assert comp.code_quality(traj([], patch=""), {}) is None
    assert comp.code_quality(traj([]), {}) == 1.0
    debug = PATCH.replace(
        "+    pattern = re.compile(type_re, re.IGNORECASE)\n",
        "+    pattern = re.compile(type_re, re.IGNORECASE)\n+    breakpoint()\n",
    ).replace("@@ -30,4 +30,4 @@", "@@ -30,4 +30,5 @@")
    assert comp.code_quality(traj([], patch=debug), {}) == pytest.approx(0.9)
    static = {"correctness.tests.new_syntax_errors": 1, "correctness.tests.new_lint_errors": 2}
    assert comp.code_quality(traj([]), static) == pytest.approx(0.5 * 0.81)
    cosmetic = PATCH.replace('+    command = r"(?i)READ [TS]ERR"', '+    command = r"READ [TS]ERR"   ').replace(
        "+    pattern = re.compile(type_re, re.IGNORECASE)", "+    pattern = re.compile(type_re)"
    )
    assert comp.code_quality(traj([], patch=cosmetic), {}) == 0.0


def test_reasoning_and_tool_usage_on_a_disciplined_run():
    run = swe_agent_run()
    result = trajectory_reward(run, {}, SPEC)
    assert result.components["correctness"] is None and "correctness" not in result.weights
    assert result.components["reasoning"] == pytest.approx(1.0)
    assert result.sources["reasoning"] == "heuristic"
    # one of 7 actions flagged (the refused edit); looked before editing; ran tests after the last edit
    assert result.components["tool_usage"] == pytest.approx((1 - 1 / 8 + 1 + 1 + 1) / 4)
    assert sum(result.weights.values()) == pytest.approx(1.0)


def test_reasoning_none_without_thoughts_and_sloppy_tool_use_scores_lower():
    silent = traj(
        [
            step(T.EDIT, "edit 1:1\nx\nend_of_edit", "pkg/qdp.py", "[File]", tool="edit"),
            step(T.SUBMIT, "submit", "", ""),
        ]
    )
    result = trajectory_reward(silent, {}, SPEC)
    assert result.components["reasoning"] is None
    assert result.components["tool_usage"] == pytest.approx((1 + 0 + 0 + 1) / 4)


def test_judge_is_used_when_configured_and_failure_gives_no_judge_score(monkeypatch):
    import trajsift.llm.judge as judge

    spec = RewardSpec(judge_reasoning=True)
    monkeypatch.setattr(judge, "judge_reasoning", lambda t, c: judge.JudgeScore(score=0.2, rationale="r", cached=False))
    result = trajectory_reward(swe_agent_run(), {}, spec, judge_client=object())
    assert result.components["reasoning"] == 0.2 and result.sources["reasoning"] == "judge"
    monkeypatch.setattr(judge, "judge_reasoning", lambda t, c: None)
    result = trajectory_reward(swe_agent_run(), {}, spec, judge_client=object())
    assert result.sources["reasoning"] == "heuristic"
