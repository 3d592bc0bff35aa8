"""quality.completeness on hand-built trajectories: every finding fires when it should, and not on a good run."""

from __future__ import annotations

import pytest

from trajsift import reasons
from trajsift.checks.base import CheckContext
from trajsift.checks.completeness import CompletenessCheck
from trajsift.schema import ActionType, FinalState, Step, TaskRef, Trajectory

from .helpers import step

T = ActionType
PATCH = """diff --git a/src/pkg/mod.py b/src/pkg/mod.py
--- a/src/pkg/mod.py
+++ b/src/pkg/mod.py
@@ -1,2 +1,2 @@
 def foo(x):
-    return x
+    return abs(x)
"""


def good_steps() -> list[Step]:
    return [
        step(T.READ, "open src/pkg/mod.py", "src/pkg/mod.py", "def foo(x):\n    return x", thought="Open the module."),
        step(T.CREATE, "create reproduce.py", "reproduce.py", "File created."),
        step(T.RUN_COMMAND, "python reproduce.py", "reproduce.py", "Traceback (most recent call last):\nValueError", 1),
        step(T.EDIT, "edit 2:2", "/repo/src/pkg/mod.py", "File updated.", thought="Fix the bug in foo."),
        step(T.RUN_TESTS, "pytest tests/test_mod.py", "tests/test_mod.py", "3 passed in 0.12s", 0),
        step(T.SUBMIT, "submit", thought="Tests pass; submit."),
    ]


def traj(steps: list[Step], patch: str = PATCH, submitted: bool = True, **task: str) -> Trajectory:
    return Trajectory(
        id="t1",
        task=TaskRef(task_id="pkg-1", instruction="foo in mod.py returns negatives", **task),
        steps=steps,
        final=FinalState(patch=patch, submitted=submitted, exit_status="submitted" if submitted else ""),
    )


def run(trajectory: Trajectory, **params):
    return CompletenessCheck(params).check_one(trajectory, CheckContext(), {})


def test_good_run_has_no_findings_and_full_score():
    out = run(traj(good_steps(), category="bug_fix", difficulty="medium"))
    assert out.findings == []
    assert out.scores["quality.completeness.score"] == 1.0
    assert out.scores["quality.completeness.submitted"] is True
    assert out.scores["quality.completeness.edits_missing_from_patch"] == 0


def test_below_min_steps_depends_on_difficulty():
    assert reasons.BELOW_MIN_STEPS in run(traj(good_steps(), difficulty="hard")).findings
    assert reasons.BELOW_MIN_STEPS not in run(traj(good_steps(), difficulty="easy")).findings


def test_missing_required_action_for_bug_fix_without_any_run():
    steps = [s for s in good_steps() if s.action.type not in (T.RUN_COMMAND, T.RUN_TESTS)]
    out = run(traj(steps, category="bug_fix"))
    assert reasons.MISSING_REQUIRED_ACTION in out.findings
    assert out.scores["quality.completeness.missing_required_actions"] == 1
    assert reasons.MISSING_REQUIRED_ACTION not in run(traj(steps, category="feature")).findings


def test_creating_a_file_in_the_patch_counts_as_an_edit():
    patch = "diff --git a/src/new.py b/src/new.py\n--- /dev/null\n+++ b/src/new.py\n@@ -0,0 +1 @@\n+X = 1\n"
    steps = [step(T.READ, "ls", out="src"), step(T.CREATE, "create src/new.py", "src/new.py"), step(T.SUBMIT, "submit")]
    assert reasons.MISSING_REQUIRED_ACTION not in run(traj(steps, patch=patch, category="feature")).findings


def test_gave_up_by_explicit_action():
    steps = [*good_steps()[:4], step(T.GIVE_UP, "exit_forfeit")]
    out = run(traj(steps, submitted=False))
    assert reasons.GAVE_UP in out.findings
    assert out.scores["quality.completeness.score"] == 0.0


def test_sub_agent_failure_followed_by_a_submit_is_not_giving_up():
    steps = [*good_steps()[:4], step(T.GIVE_UP, "fail"), *good_steps()[4:]]
    assert reasons.GAVE_UP not in run(traj(steps)).findings


@pytest.mark.parametrize(
    "message",
    ["I tried several approaches but I'm unable to reproduce the issue.", "Sorry, I cannot fix this in the time left."],
)
def test_gave_up_by_final_message(message):
    steps = [*good_steps()[:-1], step(T.SUBMIT, "submit", thought=message)]
    assert reasons.GAVE_UP in run(traj(steps)).findings


def test_no_submission_when_the_run_ended_without_submitting():
    out = run(traj(good_steps()[:-1], submitted=False))
    assert reasons.NO_SUBMISSION in out.findings
    assert out.scores["quality.completeness.submitted"] is False


def test_a_log_that_cannot_tell_leaves_submitted_null():
    trajectory = traj(good_steps()[:-1], submitted=False)
    trajectory.final.exit_status = "unknown"  # a reader's word for "the log does not say" (Gemini CLI)
    out = run(trajectory)
    assert out.scores["quality.completeness.submitted"] is None
    assert reasons.NO_SUBMISSION not in out.findings


def test_a_submission_forced_by_the_cost_limit_is_not_a_submission():
    trajectory = traj(good_steps()[:-1])
    trajectory.final.exit_status = "submitted (exit_cost)"
    assert reasons.NO_SUBMISSION in run(trajectory).findings


def test_premature_submission_before_any_edit():
    steps = [good_steps()[0], step(T.SUBMIT, "submit")]
    out = run(traj(steps, patch=""))
    assert reasons.PREMATURE_SUBMISSION in out.findings
    assert out.scores["quality.completeness.premature_submission"] is True


def test_premature_submission_right_after_a_failing_run():
    steps = [
        *good_steps()[:4],
        step(T.RUN_COMMAND, "python reproduce.py", "reproduce.py", "Traceback ...\nKeyError", 1),
    ]
    out = run(traj([*steps, step(T.SUBMIT, "submit")]))
    assert reasons.PREMATURE_SUBMISSION in out.findings


def test_failing_run_then_passing_run_is_not_premature():
    failing = step(T.RUN_TESTS, "pytest", out="1 failed, 2 passed", exit_code=1)
    steps = [*good_steps()[:4], failing, *good_steps()[4:]]
    assert reasons.PREMATURE_SUBMISSION not in run(traj(steps)).findings


def test_edits_missing_from_patch():
    steps = [*good_steps()[:4], step(T.EDIT, "edit 1:1", "/repo/src/pkg/other.py", "File updated."), good_steps()[-1]]
    out = run(traj(steps))
    assert reasons.EDITS_MISSING_FROM_PATCH in out.findings
    assert out.scores["quality.completeness.edits_missing_from_patch"] == 1


def test_edits_of_scratch_files_are_not_expected_in_the_patch():
    steps = [*good_steps()[:4], step(T.EDIT, "edit 1:1", "/repo/reproduce.py", "File updated."), good_steps()[-1]]
    assert reasons.EDITS_MISSING_FROM_PATCH not in run(traj(steps)).findings


@pytest.mark.parametrize("name", ["reproduce.py", "src/pkg/mod.py.orig", "src/pkg/mod.py.rej", "bug_repro.py"])
def test_stray_files_in_patch(name):
    stray = f"diff --git a/{name} b/{name}\n--- /dev/null\n+++ b/{name}\n@@ -0,0 +1 @@\n+x = 1\n"
    out = run(traj(good_steps(), patch=PATCH + stray))
    assert reasons.STRAY_FILES_IN_PATCH in out.findings
    assert out.scores["quality.completeness.stray_files"] == 1


def with_added_line(line: str) -> str:
    return PATCH.replace("@@ -1,2 +1,2 @@", "@@ -1,2 +1,3 @@") + f"+{line}\n"


@pytest.mark.parametrize("line", ['    print("DEBUG x", x)', "    breakpoint()", "    import pdb; pdb.set_trace()"])
def test_debug_code_in_patch(line):
    out = run(traj(good_steps(), patch=with_added_line(line)))
    assert reasons.DEBUG_CODE_IN_PATCH in out.findings
    assert out.scores["quality.completeness.debug_lines"] == 1
    assert out.scores["quality.completeness.score"] < 1.0


def test_ordinary_prints_are_not_debug_code():
    assert (
        reasons.DEBUG_CODE_IN_PATCH not in run(traj(good_steps(), patch=with_added_line('    print("done")'))).findings
    )


def test_penalties_are_configurable():
    out = run(traj(good_steps()[:-1], submitted=False), penalties={"no_submission": 0.25})
    assert out.scores["quality.completeness.score"] == pytest.approx(0.75)


def test_empty_trajectory_does_not_crash():
    out = run(Trajectory(id="empty"))
    assert {reasons.NO_SUBMISSION, reasons.BELOW_MIN_STEPS} <= set(out.findings)
    assert 0.0 <= out.scores["quality.completeness.score"] <= 1.0
