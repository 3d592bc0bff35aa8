"""Per-step rewards: task progress (reference patch, FAIL_TO_PASS seen passing), test-pass changes, syntax turning
good or bad, error penalties; never progress toward the run's own final patch."""

from __future__ import annotations

import pytest

from trajsift.rewards.steps import step_rewards
from trajsift.tasks import Task

from .reward_shapes import PATCH, T, first_hunk_edit, step, swe_agent_run, traj

WEIGHTS = {"progress": 1.0, "tests": 0.5, "syntax": 0.25, "errors": 0.25}


def test_swe_agent_run_step_parts_against_the_reference_patch():
    rewards = step_rewards(swe_agent_run(), WEIGHTS, Task(task_id="owner__repo-1", reference_patch=PATCH))
    assert [r.step_index for r in rewards] == list(range(8))
    assert [r.progress_delta for r in rewards] == [0.0, 0.0, 0.0, 0.5, 0.0, 0.5, 0.0, 0.0]
    assert [r.reference_files for r in rewards] == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert [r.syntax for r in rewards] == [0, 0, -1, 1, 0, 0, 0, 0]
    assert (rewards[4].tests_passed, rewards[4].tests_failed, rewards[4].tests_delta) == (3, 2, 0.0)
    assert (rewards[6].tests_passed, rewards[6].tests_failed) == (5, 0)
    assert rewards[6].tests_delta == pytest.approx(0.4)
    assert rewards[2].reward == pytest.approx(-0.25)
    assert rewards[3].reward == pytest.approx(0.5 + 0.25)
    assert rewards[6].reward == pytest.approx(0.2)
    assert sum(r.progress_delta for r in rewards) == pytest.approx(1.0)


def test_no_progress_credit_from_the_runs_own_final_patch():
    """Without a task reference the final patch (which the run wrote itself) earns no progress at all."""
    rewards = step_rewards(swe_agent_run(), WEIGHTS)
    assert all(r.progress is None and r.progress_delta is None for r in rewards)
    assert rewards[3].reward == pytest.approx(0.25)  # the syntax fix only
    wrong = Task(task_id="owner__repo-1", reference_patch=PATCH.replace("qdp.py", "other.py"))
    assert all(r.progress == 0.0 for r in step_rewards(swe_agent_run(), WEIGHTS, wrong))


def test_fail_to_pass_tests_seen_passing_are_task_progress():
    run = "pytest -rA tests/test_x.py\n"
    before = "PASSED tests/test_x.py::test_old\nFAILED tests/test_x.py::test_new - assert 1 == 2\n"
    after = "PASSED tests/test_x.py::test_old\nPASSED tests/test_x.py::test_new\n"
    steps = [
        step(T.RUN_TESTS, run, "tests/test_x.py", before, tool="pytest", exit_code=1),
        first_hunk_edit(),
        step(T.RUN_TESTS, run, "tests/test_x.py", after, tool="pytest", exit_code=0),
    ]
    task = Task(task_id="owner__repo-1", fail_to_pass=["tests/test_x.py::test_new"])
    rewards = step_rewards(traj(steps), WEIGHTS, task)
    assert [r.task_tests for r in rewards] == [0.0, 0.0, 1.0]
    assert [r.progress_delta for r in rewards] == [0.0, 0.0, 1.0]
    assert rewards[2].tests_delta == pytest.approx(0.5)  # one of the two listed tests turned to passing
    assert rewards[2].reward == pytest.approx(1.0 + 0.5 * 0.5)


def test_regression_penalty_and_test_drop():
    run = "pytest tests/test_x.py\n"
    steps = [
        step(T.RUN_TESTS, run, "tests/test_x.py", "== 4 passed in 1s ==", tool="pytest", exit_code=0),
        step(T.RUN_TESTS, run, "tests/test_x.py", "== 1 failed, 3 passed in 1s ==", tool="pytest", exit_code=1),
    ]
    rewards = step_rewards(traj(steps, patch=""), WEIGHTS)
    assert rewards[1].errors == -1.0
    assert rewards[1].tests_delta == pytest.approx(-0.25)
    assert rewards[1].reward == pytest.approx(-0.25 * 0.5 - 0.25)
    assert rewards[0].progress is None and rewards[0].progress_delta is None


def test_rejected_change_and_run_syntax_error():
    edit = first_hunk_edit()
    crash = step(
        T.RUN_COMMAND,
        "python reproduce.py",
        "reproduce.py",
        'Traceback (most recent call last):\n  File "/repo/pkg/qdp.py", line 11\n    command = (\n'
        "            ^\nSyntaxError: '(' was never closed\n",
        tool="python",
        exit_code=1,
    )
    fix = step(T.EDIT, "edit 11:11\n    command = 1\nend_of_edit\n", "/repo/pkg/qdp.py", "[File]", tool="edit")
    bad_path = step(
        T.EDIT,
        "str_replace_editor str_replace",
        "/nope.py",
        "ERROR:\nInvalid `path` parameter: /nope.py. The path /nope.py does not exist.",
        tool="str_replace_editor",
        error=True,
        arguments={"command": "str_replace", "path": "/nope.py", "old_str": "a", "new_str": "b"},
    )
    rewards = step_rewards(traj([edit, crash, fix, bad_path]), WEIGHTS)
    assert [r.syntax for r in rewards] == [0.0, -1.0, 1.0, 0.0]
    assert rewards[3].errors == -0.5


def test_unittest_and_django_summaries_give_test_deltas():
    run = "python tests/runtests.py queries\n"
    failing = "Ran 10 tests in 0.2s\n\nFAILED (failures=4)\n"
    passing = "Ran 10 tests in 0.2s\n\nOK\n"
    steps = [
        step(T.RUN_TESTS, run, "", failing, tool="python", exit_code=1),
        step(T.RUN_TESTS, run, "", passing, tool="python", exit_code=0),
    ]
    rewards = step_rewards(traj(steps, task_id="django__django-1"), WEIGHTS)
    assert (rewards[1].tests_passed, rewards[1].tests_failed) == (10, 0)
    assert rewards[1].tests_delta == pytest.approx(0.4)
