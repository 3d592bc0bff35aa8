"""`quality.wording` (hesitation, statement names in the change) and `quality.relative` (evidence against the
run's own cohort)."""

from __future__ import annotations

import pytest

from checks.helpers import run_global, step
from trajsift.calibration import BASE_FEATURES, RELATIVE, RELATIVE_INPUTS
from trajsift.checks import load_check_class
from trajsift.checks.base import CheckContext
from trajsift.checks.relative import RelativeCheck
from trajsift.checks.wording import WordingCheck
from trajsift.schema import ActionType, FinalState, Source, TaskRef, Trajectory
from trajsift.tasks import Task

T = ActionType
PATCH = (
    "diff --git a/pkg/dates.py b/pkg/dates.py\n--- a/pkg/dates.py\n+++ b/pkg/dates.py\n"
    "@@ -10,2 +10,2 @@ def parse_duration(value):\n-    match = standard_re.match(value)\n"
    "+    match = standard_re.match(value) or iso_re.match(value)\n"
)


def wording(traj: Trajectory, ctx: CheckContext | None = None) -> dict:
    out = WordingCheck().check_one(traj, ctx or CheckContext(), {})
    return {key.split(".")[-1]: value for key, value in out.scores.items()}


def test_registered_and_read_by_the_shipped_features():
    assert load_check_class("quality.wording") is WordingCheck
    assert load_check_class("quality.relative") is RelativeCheck
    assert {f"{RELATIVE}{name}" for name in RELATIVE_INPUTS} <= {f.column for f in BASE_FEATURES}


def test_wording_reads_hesitation_and_the_statement_names_the_patch_touches():
    steps = [
        step(T.READ, "cat pkg/dates.py", "pkg/dates.py", thought="Let me read parse_duration."),
        step(T.EDIT, "edit pkg/dates.py", "pkg/dates.py", thought="Wait, actually the regex is still wrong."),
    ]
    task = TaskRef(task_id="t", instruction="parse_duration() rejects negative durations")
    cols = wording(Trajectory(id="a", steps=steps, task=task, final=FinalState(patch=PATCH)))
    assert cols["hesitation"] == pytest.approx(100 * 3 / 11)
    assert cols["statement_overlap"] == 1.0
    other = TaskRef(task_id="u", instruction="`QuerySet.bulk_update` ignores db_column")
    assert wording(Trajectory(id="b", steps=steps, task=other, final=FinalState(patch=PATCH)))["statement_overlap"] == 0


def test_wording_prefers_the_tasks_file_statement_and_is_null_without_words():
    traj = Trajectory(id="c", task=TaskRef(task_id="t"), steps=[step(T.READ, "ls")], final=FinalState(patch=PATCH))
    assert wording(traj) == {"hesitation": None, "statement_overlap": None, "claim_backed": None}
    ctx = CheckContext(tasks={"t": Task(task_id="t", instruction="standard_re misses negative hours")})
    assert wording(traj, ctx)["statement_overlap"] == 1.0


def run(i: int, scaffold: str, model: str = "m") -> Trajectory:
    return Trajectory(id=f"{scaffold}{model}-{i}", source=Source(scaffold=scaffold, model=model))


def test_relative_columns_are_deviations_from_the_cohorts_own_mean():
    # agent "a" tests after its edit in 1 of 4 runs, agent "b" in 3 of 4: the rare tester's one tested run
    # stands out as much as the frequent tester's one untested run, in the other direction
    tested = {"a": [True, False, False, False], "b": [True, True, True, False]}
    trajs = [run(i, name) for name in tested for i in range(4)]
    scores = [{"quality.evidence.tests_after_edit": flag} for name in tested for flag in tested[name]]
    for row, status in zip(scores[:4], ["exit_cost", "submitted", "exit_cost", "exit_cost"], strict=True):
        row["basic.status.exit_status"] = status
    scores[2]["quality.evidence.tests_after_edit"] = None
    out = run_global(RelativeCheck(), trajs, scores)
    column = RELATIVE + "tests_after_edit"
    assert out["am-0"].scores[column] == pytest.approx(1 - 1 / 3)  # the null run is left out of the mean
    assert out["am-2"].scores[column] is None
    assert out["bm-3"].scores[column] == pytest.approx(-0.75)
    assert out["bm-0"].scores[column] == pytest.approx(0.25)
    # `exit_status == submitted` as 0/1 (a string column), averaged over the cohort's known values
    assert out["am-1"].scores[RELATIVE + "exit_submitted"] == pytest.approx(0.75)
    assert out["am-0"].scores[RELATIVE + "exit_submitted"] == pytest.approx(-0.25)
    assert out["am-0"].scores[RELATIVE + "hesitation"] is None


def test_a_leading_at_sign_on_the_model_name_is_the_same_cohort():
    trajs = [run(0, "s", "google/g3"), run(1, "s", "@google/g3")]
    scores = [{"quality.wording.hesitation": 2.0}, {"quality.wording.hesitation": 4.0}]
    out = run_global(RelativeCheck(), trajs, scores)
    assert out["sgoogle/g3-0"].scores[RELATIVE + "hesitation"] == pytest.approx(-1.0)
    assert out["s@google/g3-1"].scores[RELATIVE + "hesitation"] == pytest.approx(1.0)
