"""`quality.wording.claim_backed`: the final claim that the fix was checked, held against the run's executions."""

from __future__ import annotations

from checks.helpers import step
from trajsift.checks.base import CheckContext
from trajsift.checks.wording import WordingCheck
from trajsift.schema import ActionType, TaskRef, Trajectory

T = ActionType
EDIT = step(T.EDIT, "str_replace pkg/dates.py", "pkg/dates.py", "The file pkg/dates.py has been edited.")
CLAIM = step(T.SUBMIT, "submit", thought="I fixed the parser and all tests pass.")
PLAIN = step(T.SUBMIT, "submit", thought="I changed the parser.")
PASSING = step(
    T.RUN_TESTS, "python -m pytest tests/test_dates.py", "tests/test_dates.py", "===== 12 passed in 0.31s =====", 0
)
FAILING = step(
    T.RUN_TESTS,
    "python -m pytest tests/test_dates.py",
    "tests/test_dates.py",
    "FAILED tests/test_dates.py::test_negative\n===== 1 failed, 11 passed in 0.40s =====",
    1,
)
REPRO = step(T.RUN_COMMAND, "python reproduce.py", "reproduce.py", "Traceback (most recent call last):\nValueError", 1)


def backed(*steps) -> float | None:
    traj = Trajectory(id="r", task=TaskRef(task_id="django__django-11099"), steps=list(steps))
    out = WordingCheck().check_one(traj, CheckContext(), {})
    return out.scores["quality.wording.claim_backed"]


def test_a_claim_is_backed_by_a_passing_run_after_the_last_edit():
    assert backed(REPRO, EDIT, PASSING, CLAIM) == 1.0


def test_a_claim_after_a_failing_last_run_or_with_nothing_run_since_the_edit_is_contradicted():
    assert backed(REPRO, EDIT, FAILING, CLAIM) == -1.0
    assert backed(EDIT, PASSING, EDIT, CLAIM) == -1.0  # the passing run came before the last edit
    assert backed(REPRO, EDIT, PASSING, FAILING, CLAIM) == -1.0


def test_no_claim_is_zero_whatever_ran():
    assert backed(REPRO, EDIT, PASSING, PLAIN) == 0.0
    assert backed(REPRO, EDIT, FAILING, PLAIN) == 0.0


def test_null_without_a_source_edit_or_without_any_execution():
    scratch = step(T.CREATE, "cat > reproduce.py", "reproduce.py")
    assert backed(scratch, REPRO, CLAIM) is None  # a reproduction script is not the fix
    assert backed(EDIT, CLAIM) is None  # a scaffold that never runs anything can neither back nor contradict it


def test_a_script_run_that_made_the_edit_does_not_back_the_claim_itself():
    """Running a script that rewrites the patched file is the last edit, not a check of it."""
    from trajsift.schema import FinalState

    script = "cat <<'EOF' > fix.py\nopen('pkg/dates.py', 'w').write(NEW)\nEOF"
    patch = "diff --git a/pkg/dates.py b/pkg/dates.py\n--- a/pkg/dates.py\n+++ b/pkg/dates.py\n@@ -1 +1 @@\n-a\n+b\n"
    writes = [step(T.CREATE, script, "fix.py"), step(T.RUN_COMMAND, "python fix.py", "", "done", 0)]

    def claim(*steps):
        traj = Trajectory(id="r", task=TaskRef(task_id="x"), steps=list(steps), final=FinalState(patch=patch))
        return WordingCheck().check_one(traj, CheckContext(), {}).scores["quality.wording.claim_backed"]

    assert claim(EDIT, PASSING, *writes, CLAIM) == -1.0  # nothing checked the script's change
    assert claim(EDIT, *writes, PASSING, CLAIM) == 1.0
