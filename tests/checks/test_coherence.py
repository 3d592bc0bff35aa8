"""quality.coherence on hand-built trajectories: each signal and finding, and a clean run that trips none."""

from __future__ import annotations

from trajsift import reasons
from trajsift.checks.base import CheckContext
from trajsift.checks.coherence import CoherenceCheck
from trajsift.facts.coherence import thought_growth
from trajsift.facts.steps import longest_cycle, oscillations
from trajsift.schema import ActionType, Step, TaskRef, Trajectory

from .helpers import step

T = ActionType


def good_steps() -> list[Step]:
    return [
        step(T.SEARCH, "grep -rn foo src", "foo", "src/pkg/mod.py:1:def foo(x):", 0, "Let me search for foo."),
        step(T.READ, "cat src/pkg/mod.py", "src/pkg/mod.py", "def foo(x):\n    return x", 0, "Let me open mod.py."),
        step(
            T.RUN_COMMAND,
            "python repro.py",
            "repro.py",
            "Traceback (most recent call last):\nValueError",
            1,
            "Now let's run the reproduction script.",
        ),
        step(
            T.EDIT,
            "str_replace src/pkg/mod.py",
            "src/pkg/mod.py",
            "The file has been edited.",
            None,
            "The error confirms the bug; let me fix foo in mod.py.",
        ),
        step(T.RUN_TESTS, "pytest tests", "tests", "5 passed in 0.2s", 0, "Now let's run the tests to verify."),
        step(T.SUBMIT, "submit", thought="All tests pass, so I will submit."),
    ]


def traj(steps: list[Step]) -> Trajectory:
    return Trajectory(id="t", task=TaskRef(task_id="x", instruction="foo() in mod.py is wrong"), steps=steps)


def run(steps: list[Step], **params):
    return CoherenceCheck(params).check_one(traj(steps), CheckContext(), {})


def col(out, metric: str):
    return out.scores[f"quality.coherence.{metric}"]


def test_good_run_is_clean():
    out = run(good_steps())
    assert out.findings == []
    assert col(out, "read_before_edit") == 1.0
    assert col(out, "plan_action_match") == 1.0
    assert col(out, "longest_loop") == 1
    assert col(out, "backtrack_ratio") == 0.0
    assert col(out, "score") > 0.9


def test_acting_on_a_file_reported_missing():
    steps = [
        step(T.READ, "cat src/pkg/utils.py", "src/pkg/utils.py", "cat: src/pkg/utils.py: No such file or directory", 1),
        step(T.EDIT, "sed -i s/a/b/ src/pkg/utils.py", "src/pkg/utils.py", "", 1, "Fix the helper in utils.py."),
        *good_steps(),
    ]
    out = run(steps)
    assert reasons.ACTED_ON_MISSING_FILE in out.findings
    assert col(out, "acted_on_missing_file") == 1


def test_creating_the_missing_file_first_is_fine():
    steps = [
        step(T.READ, "cat notes.txt", "notes.txt", "cat: notes.txt: No such file or directory", 1),
        step(T.CREATE, "create notes.txt", "notes.txt", "File created."),
        step(T.READ, "cat notes.txt", "notes.txt", "hello", 0),
        *good_steps(),
    ]
    assert reasons.ACTED_ON_MISSING_FILE not in run(steps).findings


def test_ignoring_an_error_and_moving_on():
    steps = good_steps()
    steps.insert(3, step(T.READ, "cat setup.cfg", "setup.cfg", "[metadata]", 0, "Let me look at the config."))
    out = run(steps)
    assert reasons.IGNORED_ERROR in out.findings
    assert col(out, "ignored_errors") == 1


def test_submitting_right_after_a_failure_ignores_it():
    steps = [*good_steps()[:4], step(T.RUN_TESTS, "pytest tests", "tests", "2 failed, 3 passed", 1), good_steps()[-1]]
    assert reasons.IGNORED_ERROR in run(steps).findings


def test_repeating_the_same_failing_command():
    failing = step(
        T.RUN_COMMAND,
        "python repro.py",
        "repro.py",
        "ModuleNotFoundError: No module named 'x'",
        1,
        "The error again; retry.",
    )
    steps = [*good_steps()[:3], failing, failing, *good_steps()[3:]]
    out = run(steps)
    assert reasons.REPEATED_FAILING_COMMAND in out.findings
    assert col(out, "repeated_failing_commands") == 2


def test_rerunning_after_a_fix_is_not_a_repeat():
    steps = good_steps()
    steps.insert(4, step(T.RUN_COMMAND, "python repro.py", "repro.py", "ok", 0, "Let's run it again."))
    out = run(steps)
    assert reasons.REPEATED_FAILING_COMMAND not in out.findings


def test_edit_without_context():
    steps = [
        *good_steps()[:4],
        step(T.EDIT, "str_replace lib/zeta.py", "lib/zeta.py", "edited", None, "Edit."),
        *good_steps()[4:],
    ]
    out = run(steps)
    assert reasons.EDIT_WITHOUT_CONTEXT in out.findings
    assert col(out, "read_before_edit") == 0.5
    assert col(out, "unexplained_switches") == 1


def test_oscillation_between_two_actions():
    a = step(T.EDIT, "edit 3:3\n    return -x", "src/pkg/mod.py", "edited v1")
    b = step(T.EDIT, "edit 3:3\n    return x", "src/pkg/mod.py", "edited v2")
    steps = [*good_steps()[:2], a, b, a, b, *good_steps()[4:]]
    out = run(steps)
    assert reasons.OSCILLATION in out.findings
    assert col(out, "oscillations") == 1
    assert col(out, "backtrack_ratio") > 0


def test_reverting_an_edit_counts_as_backtracking():
    revert = step(T.EDIT, "git checkout -- src/pkg/mod.py", "src/pkg/mod.py", "", 0, "Undo that change.")
    steps = [*good_steps()[:4], revert, *good_steps()[3:]]
    out = run(steps)
    assert col(out, "reverted_edits") == 1
    assert col(out, "backtrack_ratio") > 0


def test_stuck_loop_at_the_end():
    same = step(T.READ, "scroll_down", "", "[File: mod.py] (end of file)", None, "Scroll down.")
    out = run([*good_steps()[:4], same, same, same])
    assert reasons.STUCK_LOOP in out.findings
    assert col(out, "longest_loop") == 3
    assert col(out, "score") <= 0.5


def test_long_loop_the_agent_escaped_is_still_stuck():
    same = step(
        T.EDIT, "edit 3:3\n  bad", "src/pkg/mod.py", "Your edit introduced a syntax error", None, "Retry.", True
    )
    steps = [*good_steps()[:3], *[same] * 5, *good_steps()[3:]]
    assert reasons.STUCK_LOOP in run(steps).findings


def test_short_loop_in_the_middle_is_not_stuck():
    same = step(T.READ, "cat src/pkg/mod.py", "src/pkg/mod.py", "def foo(x):\n    return x", 0, "Open mod.py.")
    steps = [*good_steps()[:2], same, same, *good_steps()[2:]]
    assert reasons.STUCK_LOOP not in run(steps).findings


def test_scrolling_through_a_file_is_not_a_loop():
    pages = [step(T.READ, "scroll_down", "", f"[File: mod.py] lines {i}-{i + 100}", None, "Scroll.") for i in range(5)]
    out = run([*good_steps()[:2], *pages, *good_steps()[2:]])
    assert reasons.STUCK_LOOP not in out.findings
    assert col(out, "longest_loop") == 1


def test_plan_action_mismatch_lowers_the_match():
    steps = good_steps()
    steps[1] = step(T.RUN_COMMAND, "python -c 'import pkg'", "", "", 0, "Let me submit the change now.")
    assert col(run(steps), "plan_action_match") < 1.0


def test_thought_growth_is_scale_free():
    short = [step(T.READ, "ls", thought="x" * 20) for _ in range(3)]
    long = [step(T.READ, "ls", thought="x" * 200) for _ in range(3)]
    assert thought_growth([*short, *long]) > 1.0
    assert thought_growth([*long, *short]) < 1.0
    assert thought_growth([step(T.READ, "ls")] * 4) is None


def test_cycle_helpers():
    assert longest_cycle(list("aaab")) == (3, 1)
    assert longest_cycle(list("xababab")) == (3, 2)
    assert longest_cycle(list("aaab"), at_end=True) == (1, 1)
    assert oscillations(list("abab")) == 1 and oscillations(list("aaaa")) == 0


def test_empty_trajectory_does_not_crash():
    out = run([])
    assert out.findings == []
    assert col(out, "score") is None or 0.0 <= col(out, "score") <= 1.0


def test_edit_of_a_file_never_seen_is_flagged_even_as_the_only_edit():
    steps = [step(T.EDIT, "str_replace lib/zeta.py", "lib/zeta.py", "edited", None, "Edit."), good_steps()[-1]]
    out = run(steps)
    assert col(out, "read_before_edit") == 0.0
    assert reasons.EDIT_WITHOUT_CONTEXT in out.findings


def test_a_later_successful_action_on_the_file_clears_it():
    steps = [
        step(T.RUN_COMMAND, "python repro.py", "repro.py", "python: can't open file 'repro.py': No such file", 2),
        step(T.RUN_COMMAND, "cd repo && python repro.py", "repro.py", "ok", 0, "Wrong directory; run it from repo."),
        step(T.RUN_COMMAND, "cd repo && python repro.py", "repro.py", "Traceback (most recent call last):", 1),
        *good_steps(),
    ]
    assert reasons.ACTED_ON_MISSING_FILE not in run(steps).findings
