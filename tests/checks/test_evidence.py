"""quality.evidence, quality.reference and quality.cohort: signals from the steps, the reference, the cohort."""

from __future__ import annotations

import pytest

from checks.helpers import run_global, step
from trajsift.checks import load_check_class
from trajsift.checks.base import CheckContext
from trajsift.checks.cohort import CohortCheck
from trajsift.checks.evidence import EvidenceCheck, run_passed
from trajsift.checks.reference import ReferenceCheck
from trajsift.facts.changes import changes
from trajsift.schema import Action, ActionType, FinalState, Observation, Source, Step, TaskRef, Trajectory
from trajsift.tasks import Task

T = ActionType
PATCH = (
    "diff --git a/pkg/core.py b/pkg/core.py\n--- a/pkg/core.py\n+++ b/pkg/core.py\n"
    "@@ -1,2 +1,2 @@ def load(x):\n-    return x\n+    return x or 0\n"
)
REFERENCE = (
    "diff --git a/pkg/core.py b/pkg/core.py\n--- a/pkg/core.py\n+++ b/pkg/core.py\n"
    "@@ -1,3 +1,3 @@ def load(x):\n-    return x\n+    return 0 if x is None else x\n"
    "diff --git a/pkg/other.py b/pkg/other.py\n--- a/pkg/other.py\n+++ b/pkg/other.py\n"
    "@@ -5,1 +5,1 @@ class Other:\n-    y = 1\n+    y = 2\n"
)


def evidence(steps: list[Step], instruction: str = "", patch: str = "") -> dict:
    traj = Trajectory(
        id="t", steps=steps, task=TaskRef(task_id="t", instruction=instruction), final=FinalState(patch=patch)
    )
    out = EvidenceCheck().check_one(traj, CheckContext(), {})
    return {key.split(".")[-1]: value for key, value in out.scores.items()}


def test_registered():
    assert load_check_class("quality.evidence") is EvidenceCheck
    assert load_check_class("quality.reference") is ReferenceCheck
    assert load_check_class("quality.cohort") is CohortCheck


def test_reproduce_then_fix_and_passing_tests_after_the_last_edit():
    cols = evidence(
        [
            step(T.READ, "cat pkg/core.py", "pkg/core.py"),
            step(T.RUN_COMMAND, "python repro.py", "repro.py", "Traceback (most recent call last):\nValueError", 1),
            step(T.EDIT, "edit pkg/core.py", "pkg/core.py"),
            step(T.RUN_COMMAND, "python repro.py", "repro.py", "ok", 0),
            step(T.RUN_TESTS, "pytest tests", "tests", "===== 12 passed in 0.3s =====", 0),
            step(T.SUBMIT, "submit", thought="The bug is fixed and all tests pass."),
        ]
    )
    assert cols["tests_after_edit"] is True and cols["last_check_passed"] is True
    assert cols["repro_fixed"] is True
    assert cols["read_before_edit"] == 1.0
    assert cols["final_confidence"] == 1.0
    assert cols["errors_after_last_pass"] == 0


def test_failing_run_after_the_edit_an_apology_and_late_errors():
    cols = evidence(
        [
            step(T.EDIT, "edit pkg/core.py", "pkg/core.py"),
            step(T.RUN_TESTS, "pytest", "", "==== 2 failed, 3 passed in 1s ====", 1),
            step(T.EDIT, "edit pkg/core.py", "pkg/core.py", "No replacement was performed", error=True),
            step(T.RUN_TESTS, "pytest", "", "FAILED test_x - AssertionError\n==== 1 failed, 4 passed in 1s ====", 1),
            step(T.SUBMIT, "submit", thought="Unfortunately I could not make the last test pass."),
        ]
    )
    assert cols["tests_after_edit"] is True and cols["last_check_passed"] is False
    assert cols["repro_fixed"] is False
    assert cols["read_before_edit"] == 0.0
    assert cols["final_confidence"] == -1.0
    assert cols["errors_after_last_pass"] == 3
    assert cols["failed_edit_share"] == 0.5


def test_statement_error_gone_and_fix_aimed_at_the_last_traceback():
    crash = (
        'Traceback (most recent call last):\n  File "/testbed/repro.py", line 2, in <module>\n'
        '  File "/testbed/pkg/core.py", line 9, in load\nZeroDivisionError: division by zero\n'
    )
    cols = evidence(
        [
            step(T.RUN_COMMAND, "python repro.py", "repro.py", crash, 1),
            step(T.EDIT, "edit pkg/core.py", "pkg/core.py"),
            step(T.RUN_COMMAND, "python repro.py", "repro.py", "0", 0),
            step(T.SUBMIT, "submit"),
        ],
        instruction="load() crashes on empty input:\n    ZeroDivisionError: division by zero\n",
        patch=PATCH,
    )
    assert cols["statement_error_gone"] == 1.0
    assert cols["fix_aimed_at_error"] == 1.0


def test_no_edit_leaves_edit_dependent_columns_null():
    cols = evidence([step(T.READ, "cat a.py", "a.py"), step(T.SUBMIT, "submit")])
    assert cols["tests_after_edit"] is None and cols["last_check_passed"] is None
    assert cols["read_before_edit"] is None


@pytest.mark.parametrize(
    ("text", "exit_code", "passed"),
    [
        ("Ran 4 tests in 0.01s\n\nOK", None, True),
        ("Ran 4 tests in 0.01s\n\nFAILED (failures=1)", None, False),
        ("[INFO] Tests run: 8, Failures: 0, Errors: 0, Skipped: 1\n[INFO] BUILD SUCCESS", None, True),
        ("[ERROR] Tests run: 8, Failures: 2, Errors: 0\n[INFO] BUILD FAILURE", None, False),
        ("> Task :test FAILED\nBUILD FAILED in 3s", None, False),
        ("py39: commands succeeded\n  congratulations :)", None, True),
        ("--- FAIL: TestX (0.00s)\nFAIL\tgithub.com/x/y\t0.01s", None, False),
        ("all good", 0, True),
        ("whatever", 2, False),
        ("Traceback (most recent call last):\n  File x\nKeyError: 1", None, False),
    ],
)
def test_execution_outcomes_across_runners(text, exit_code, passed):
    run = Step(action=Action(type=T.RUN_TESTS, command="run"), observation=Observation(text=text, exit_code=exit_code))
    assert run_passed(run) is passed


def test_task_statement_mentions_touched_files_or_modules():
    steps = [step(T.EDIT, "edit pkg/core.py", "pkg/core.py")]
    assert evidence(steps, "Calling pkg.core.load(None) crashes", PATCH)["task_mentions_touched"] == 1.0
    assert evidence(steps, "The bug is in utils/strings.py", PATCH)["task_mentions_touched"] == 0.0
    assert evidence(steps, "It crashes sometimes", PATCH)["task_mentions_touched"] is None


def test_edit_revert_churn_from_editor_calls():
    forward = {"old_str": "a = 1", "new_str": "a = 2"}
    back = {"old_str": "a = 2", "new_str": "a = 1"}
    edits = [
        Step(action=Action(type=T.EDIT, tool="str_replace_editor", target="x.py", arguments=args))
        for args in (forward, back, forward)
    ]
    assert evidence(edits)["reverted_edits"] == 2


def reference_cols(traj: Trajectory, reference: str = REFERENCE) -> dict:
    ctx = CheckContext(tasks={"t": Task(task_id="t", reference_patch=reference)})
    out = ReferenceCheck().check_one(traj, ctx, {})
    return {key.split(".")[-1]: value for key, value in out.scores.items()}


def test_reference_overlap_from_the_final_patch():
    cols = reference_cols(Trajectory(id="a", task=TaskRef(task_id="t"), final=FinalState(patch=PATCH)))
    assert cols["available"] is True
    assert cols["file_recall"] == 0.5 and cols["file_precision"] == 1.0
    assert cols["removed_recall"] == 0.5
    assert cols["added_recall"] == 0.0
    assert cols["function_recall"] == 0.5


def test_reference_overlap_from_editor_calls_when_the_log_has_no_patch():
    args = {"old_str": "    y = 1", "new_str": "    y = 2"}
    edit = Step(
        action=Action(type=T.EDIT, tool="str_replace_editor", target="/workspace/repo/pkg/other.py", arguments=args)
    )
    cols = reference_cols(Trajectory(id="a", task=TaskRef(task_id="t"), steps=[edit]))
    assert cols["file_recall"] == 0.5 and cols["file_precision"] == 1.0
    assert cols["removed_recall"] == 0.5 and cols["added_recall"] == 0.5


def test_reference_columns_null_without_a_reference():
    traj = Trajectory(id="a", task=TaskRef(task_id="t"), final=FinalState(patch=PATCH))
    assert reference_cols(traj, reference="") == {"available": False}
    assert ReferenceCheck().check_one(traj, CheckContext(), {}).scores == {"quality.reference.available": False}


def run_traj(i: int, cohort: str, steps: int, task: str, patch: str = "") -> Trajectory:
    return Trajectory(
        id=f"{cohort}-{i}",
        source=Source(scaffold=cohort, model="m"),
        task=TaskRef(task_id=task),
        steps=[step(T.READ, "cat a.py", "a.py") for _ in range(steps)],
        final=FinalState(patch=patch),
    )


def test_cohort_percentiles_are_relative_to_each_agent():
    short_agent = [run_traj(i, "short", n, f"t{i}") for i, n in enumerate((2, 4, 6, 8))]
    long_agent = [run_traj(i, "long", n, f"t{i}") for i, n in enumerate((20, 40, 60, 80))]
    trajs = short_agent + long_agent
    out = run_global(CohortCheck(), trajs, [{} for _ in trajs])
    pct = {tid: o.scores["quality.cohort.steps_pct"] for tid, o in out.items()}
    assert pct["short-0"] == pct["long-0"] == pytest.approx(0.125)
    assert pct["short-3"] == pct["long-3"] == pytest.approx(0.875)
    # the other agent's run of the same task: its percentile is the task's difficulty as seen by others
    assert out["short-3"].scores["quality.cohort.task_steps_pct"] == pytest.approx(0.875)
    assert out["short-0"].scores["quality.cohort.task_runs"] == 1


def test_chat_runs_naming_no_agent_stand_with_the_runs_read_from_the_same_place():
    def chat_run(i: int, steps: int, path: str) -> Trajectory:
        traj = run_traj(i, "", steps, f"t{i}")
        traj.id = f"{path}-{i}"
        traj.source = Source(format="openai", path=path)  # no scaffold, no model: an SFT export
        return traj

    short = [chat_run(i, n, f"exports/short.jsonl:{i + 1}") for i, n in enumerate((2, 4, 6, 8))]
    long = [chat_run(i, n, f"exports/long/run{i}.json") for i, n in enumerate((20, 40, 60, 80))]
    out = run_global(CohortCheck(), short + long, [{} for _ in range(8)])
    pct = {tid: o.scores["quality.cohort.steps_pct"] for tid, o in out.items()}
    assert pct["exports/short.jsonl:1-0"] == pct["exports/long/run0.json-0"] == pytest.approx(0.125)
    assert pct["exports/short.jsonl:4-3"] == pct["exports/long/run3.json-3"] == pytest.approx(0.875)


def test_agreement_between_runs_of_one_task():
    a = "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n"
    b = "diff --git a/y.py b/y.py\n--- a/y.py\n+++ b/y.py\n@@ -1 +1 @@\n-a\n+b\n"
    trajs = [run_traj(0, "k", 3, "t", a), run_traj(1, "k", 4, "t", a), run_traj(2, "k", 5, "t", b)]
    trajs.append(run_traj(3, "k", 5, "alone", a))
    out = run_global(CohortCheck(), trajs, [{} for _ in trajs])
    assert out["k-0"].scores["quality.cohort.agreement"] == 0.5
    assert out["k-0"].scores["quality.cohort.same_patch_share"] == 0.5
    assert out["k-2"].scores["quality.cohort.agreement"] == 0.0
    assert out["k-3"].scores["quality.cohort.agreement"] is None
    assert out["k-1"].scores["quality.cohort.steps_task_pct"] == pytest.approx(0.5)


ENV_PATCH = (
    "diff --git a/tox.ini b/tox.ini\n--- a/tox.ini\n+++ b/tox.ini\n@@ -1 +1 @@\n-commands = pytest\n"
    "+commands = pytest -rA\n" + PATCH
)


def test_change_leaves_out_patch_files_the_run_never_wrote_to():
    """`git add -A` diffs carry the environment's own edits (a harness's tox.ini): not the agent's change."""
    edit_run = [step(T.READ, "cat tox.ini", "tox.ini"), step(T.EDIT, "sed -i s/x/x or 0/ pkg/core.py", "pkg/core.py")]
    traj = Trajectory(id="a", steps=edit_run, final=FinalState(patch=ENV_PATCH))
    assert changes(traj).files == ["pkg/core.py"]
    assert changes(traj).added == ["    return x or 0"]
    # a run that names none of the patch's files: nothing to tell by, the whole patch counts
    silent = Trajectory(id="b", steps=[step(T.SUBMIT, "submit")], final=FinalState(patch=ENV_PATCH))
    assert changes(silent).files == ["tox.ini", "pkg/core.py"]
    # a run command that writes the file counts as naming it
    writer = [step(T.RUN_COMMAND, "python - <<EOF\nopen('tox.ini','w')\nEOF", ""), *edit_run[1:]]
    both = Trajectory(id="c", steps=writer, final=FinalState(patch=ENV_PATCH))
    assert changes(both).files == ["tox.ini", "pkg/core.py"]


def test_after_the_last_edit_of_the_fix():
    """The last change to a file of the final patch starts "after the edit"; removing a build folder does not,
    and a command that edits then runs counts as a run after that edit."""
    tidy_up = evidence(
        [
            step(T.EDIT, "sed -i 's/x/x or 0/' pkg/core.py", "pkg/core.py"),
            step(T.RUN_TESTS, "pytest tests", "tests", "===== 3 passed in 0.1s =====", 0),
            step(T.EDIT, "rm -rf build", "build"),
            step(T.SUBMIT, "submit"),
        ],
        patch=PATCH,
    )
    assert tidy_up["tests_after_edit"] is True and tidy_up["last_check_passed"] is True
    one_step = evidence(
        [
            step(T.EDIT, "sed -i 's/x/x or 0/' pkg/core.py && python -m pytest tests", "pkg/core.py", "1 failed", 1),
            step(T.SUBMIT, "submit"),
        ],
        patch=PATCH,
    )
    assert one_step["tests_after_edit"] is True and one_step["last_check_passed"] is False


def test_a_text_only_chat_editing_through_search_replace_blocks_has_its_evidence():
    """An agent that edits with Aider-style SEARCH/REPLACE blocks and tests after them, read from plain messages:
    the blocks are edits, so the test run counts as after the last edit."""
    from trajsift.readers.base import Origin
    from trajsift.readers.chat import OpenAIChatReader

    turn = "calc.py\n```python\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n```"
    messages = [
        {"role": "user", "content": "add() in calc.py subtracts"},
        {"role": "assistant", "content": "```bash\ncat calc.py\n```"},
        {"role": "user", "content": "def add(a, b):\n    return a - b"},
        {"role": "assistant", "content": turn},
        {"role": "user", "content": "Applied the edit to calc.py"},
        {"role": "assistant", "content": "```bash\npython -m pytest -q\n```"},
        {"role": "user", "content": "3 passed in 0.02s"},
        {"role": "assistant", "content": "Done."},
    ]
    (traj,) = OpenAIChatReader().parse({"messages": messages}, Origin(path="chat.jsonl"))
    scores = EvidenceCheck().run([traj], CheckContext(), [{}])[0].scores
    assert scores["quality.evidence.tests_after_edit"] is True
    assert scores["quality.evidence.last_check_passed"] is True
    assert scores["quality.evidence.read_before_edit"] == 1.0
    without_blocks = [{**m, "content": "I changed calc.py."} if m["content"] == turn else m for m in messages]
    (plain,) = OpenAIChatReader().parse({"messages": without_blocks}, Origin(path="chat.jsonl"))
    assert EvidenceCheck().run([plain], CheckContext(), [{}])[0].scores["quality.evidence.tests_after_edit"] is not True


SCRIPT = (
    "cat <<'EOF' > update_core.py\nsrc = open('pkg/core.py').read()\nsrc = src.replace('return x', 'return x or 0')\n"
    "with open('pkg/core.py', 'w') as f:\n    f.write(src)\nEOF"
)


def test_a_script_that_writes_the_patched_file_is_the_edit_when_it_runs():
    """Bash agents edit through code: the fix happens when the script runs, so a test before that run is not a
    test after the edit, and a test after it is."""
    read = step(T.READ, "cat pkg/core.py", "pkg/core.py", "def load(x):\n    return x", 0)
    create = step(T.CREATE, SCRIPT, "update_core.py", "", 0)
    run_script = step(T.RUN_COMMAND, "python update_core.py", "", "", 0)
    test = step(T.RUN_TESTS, "python -m pytest -q", "", "3 passed in 0.01s", 0)
    tested_before_running_it = evidence([read, create, test, run_script], patch=PATCH)
    assert tested_before_running_it["tests_after_edit"] is False
    assert tested_before_running_it["read_before_edit"] == 1.0  # pkg/core.py, read before the script changed it
    tested_after = evidence([read, create, run_script, test], patch=PATCH)
    assert tested_after["tests_after_edit"] is True and tested_after["last_check_passed"] is True
    written_and_run = step(T.CREATE, SCRIPT + " && python update_core.py", "update_core.py", "done", 0)
    assert evidence([read, written_and_run], patch=PATCH)["tests_after_edit"] is False  # its own run edits
    assert evidence([read, written_and_run, test], patch=PATCH)["last_check_passed"] is True
    inline = step(T.RUN_COMMAND, "python - <<'EOF'\np = 'pkg/core.py'\nopen(p, 'w').write('x')\nEOF", "", "", 0)
    assert evidence([read, inline, test], patch=PATCH)["tests_after_edit"] is True
    assert evidence([read, test, inline], patch=PATCH)["tests_after_edit"] is False


def test_without_a_patch_the_change_is_read_from_any_edit_form():
    """A run exported without its patch (many public chat sets): the change comes from its edits, whatever their
    form: an editor call, a SEARCH/REPLACE block, AutoCodeRover's write_patch, an inline `git apply`."""
    write_patch = step(T.EDIT, "write_patch", "pkg/core.py")
    write_patch.action.tool = "write_patch"
    write_patch.action.command = (
        "<file>pkg/core.py</file>\n<original>\n    return x\n</original>\n<patched>\n    return x or 0\n</patched>"
    )
    inline = step(T.EDIT, f"git apply <<'EOF'\n{PATCH}EOF", "pkg/core.py")
    for edit in (write_patch, inline):
        traj = Trajectory(id="t", steps=[edit], task=TaskRef(task_id="t"), final=FinalState())
        change = changes(traj)
        assert change.files == ["pkg/core.py"] and not change.from_patch
        assert change.removed == ["return x"] and change.added == ["return x or 0"]
