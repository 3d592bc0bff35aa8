"""`correctness.tests` as a pipeline check: columns, joins by task, dedup of identical pairs, parameters."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pyarrow as pa
import pytest
from pydantic import ValidationError

from trajsift.checks import load_check_class
from trajsift.checks.base import CheckContext
from trajsift.checks.tests import TestsCheck
from trajsift.config import Recipe, StageSpec
from trajsift.harness.grading.verdict import correct, incorrect, partially_correct, unknown
from trajsift.pipeline import build_pipeline
from trajsift.schema import FinalState, TaskRef, Trajectory
from trajsift.tasks import Task

TASKS = {"t-1": Task(task_id="t-1"), "t-2": Task(task_id="t-2")}


def traj(name: str, task_id: str, patch: str) -> Trajectory:
    return Trajectory(id=name, task=TaskRef(task_id=task_id), final=FinalState(patch=patch, submitted=True))


class StubVerifier:
    """Answers by patch text; counts calls (from several threads)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def verify(self, task: Task, patch: str):
        with self.lock:
            self.calls.append((task.task_id, patch))
        return {
            "good": correct(0.95, f2p_passed=2, p2p_passed=3, duration_s=1.5, reference={"files_jaccard": 1.0}),
            "half": partially_correct(1, 1, 0.7, p2p_passed=3),
            "bad": incorrect("tests_fail", {"f2p_failed": ["t::a"]}, f2p_failed=2, static={"new_syntax_errors": 1}),
            "": unknown("no_patch"),
        }[patch]


@pytest.fixture
def check() -> tuple[TestsCheck, StubVerifier]:
    instance = TestsCheck()
    stub = StubVerifier()
    instance.verifier = lambda ctx: stub  # type: ignore[method-assign]
    return instance, stub


def test_registered_and_requires_tasks():
    assert load_check_class("correctness.tests") is TestsCheck and TestsCheck.requires == ("tasks",)
    recipe = Recipe(stages=[StageSpec(name="correctness", checks=[{"id": "correctness.tests"}])])
    assert "no tasks given" in build_pipeline(recipe, {}).stages[0].skipped
    assert not build_pipeline(recipe, TASKS).stages[0].skipped


def test_columns_for_each_verdict(check):
    instance, _ = check
    batch = [traj("a", "t-1", "good"), traj("b", "t-1", "half"), traj("c", "t-2", "bad"), traj("d", "t-2", "")]
    outputs = instance.run(batch, CheckContext(tasks=TASKS), [{}] * 4)
    cols = [{key.removeprefix("correctness.tests."): value for key, value in out.scores.items()} for out in outputs]
    assert [c["verdict"] for c in cols] == ["correct", "partially_correct", "incorrect", "unknown"]
    assert cols[0]["f2p_passed"] == 2 and cols[0]["ref_files_jaccard"] == 1.0 and cols[0]["duration_s"] == 1.5
    assert cols[1]["f2p_failed"] == 1 and cols[1]["confidence"] == 0.7
    assert cols[2]["reason"] == "tests_fail" and json.loads(cols[2]["evidence"]) == {"f2p_failed": ["t::a"]}
    assert cols[2]["new_syntax_errors"] == 1 and outputs[2].findings == ["tests_fail"]
    assert cols[3]["reason"] == "no_patch" and cols[3]["confidence"] is None and outputs[3].findings == []
    assert all(out.findings == [] for i, out in enumerate(outputs) if i != 2)
    for column in cols:
        assert set(column) == set(TestsCheck.columns)
    table_types = TestsCheck.column_types()
    for out in outputs:  # every value fits its declared Arrow type
        for name, value in out.scores.items():
            pa.array([value], type=table_types[name])


def test_identical_pairs_run_once_and_missing_tasks_are_unknown(check):
    instance, stub = check
    batch = [traj("a", "t-1", "good"), traj("b", "t-1", "good"), traj("c", "t-2", "good"), traj("d", "nope", "good")]
    outputs = instance.run(batch, CheckContext(tasks=TASKS), [{}] * 4)
    assert sorted(stub.calls) == [("t-1", "good"), ("t-2", "good")]
    assert outputs[3].scores["correctness.tests.verdict"] == "unknown"
    assert outputs[3].scores["correctness.tests.reason"] == "no_task"


def test_params_are_validated():
    with pytest.raises(ValidationError):
        TestsCheck({"timeout": 3})
    with pytest.raises(ValidationError):
        TestsCheck({"parallel": -1})
    params = TestsCheck({"repos": {"sympy/sympy": "/x"}, "timeout_s": 60}).params
    assert params.repos == {"sympy/sympy": "/x"} and params.timeout_s == 60


def test_verifier_options_from_context(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    instance = TestsCheck({"repos": {"o/n": str(tmp_path)}, "memory_mb": 512, "retry": False})
    verifier = instance.verifier(CheckContext(tasks=TASKS, task_dir=str(tmp_path)))
    assert verifier.options.cache_dir == tmp_path / "xdg" / "trajsift" / "harness"
    assert verifier.options.task_dir == tmp_path and verifier.options.local_repos == {"o/n": tmp_path}
    assert verifier.options.limits.memory_mb == 512 and verifier.options.retry is False
    assert instance.verifier(CheckContext(tasks=TASKS, task_dir=str(tmp_path))) is verifier
    explicit = TestsCheck({"cache_dir": str(tmp_path / "c")}).verifier(CheckContext(tasks=TASKS))
    assert explicit.options.cache_dir == tmp_path / "c" and explicit.options.task_dir is None


def test_a_suspect_correct_verdict_is_a_finding_the_default_recipe_sends_to_review():
    from trajsift.config import load_recipe
    from trajsift.rules.base import Row
    from trajsift.rules.tree import compile_rule

    suspect = correct(0.9, f2p_passed=2).with_(reason="resolved_but_suspect")
    output = TestsCheck().to_output(suspect)
    assert output.findings == ["resolved_but_suspect"]
    stage = next(s for s in load_recipe().stages if s.name == "correctness")
    review = compile_rule(stage.review)
    flagged = review.evaluate(Row(id="a", columns=output.scores, findings=output.findings), {})
    assert flagged.passed is False and flagged.reasons == ("resolved_but_suspect",)
    plain = TestsCheck().to_output(correct(0.9, f2p_passed=2))
    assert plain.findings == [] and review.evaluate(Row(id="b", columns=plain.scores, findings=[]), {}).passed is True
