"""Step labels from evidence: failed edits, regressions an edit caused, reverts, redundant reads, tests passing
after."""

from __future__ import annotations

from trajsift.actions.classify import classify_command, classify_tool_call
from trajsift.schema import Action, ActionType, Observation, Step, TaskRef, Trajectory
from trajsift.steplabels import MISTAKE, RECOVERY, UNNECESSARY, USEFUL, label_steps

T = ActionType
PYTEST = "pytest tests/test_calc.py"


def run(text: str, exit_code: int, command: str = PYTEST) -> Step:
    return Step(
        action=Action(type=T.RUN_TESTS, tool="pytest", command=command, target="tests/test_calc.py"),
        observation=Observation(text=text, exit_code=exit_code),
    )


def editor(command: str, path: str = "/repo/pkg/calc.py", text: str = "edited", error: bool = False, **args) -> Step:
    arguments = {"command": command, "path": path, **args}
    return Step(
        action=classify_tool_call("str_replace_editor", arguments), observation=Observation(text=text, is_error=error)
    )


def read(path: str, text: str) -> Step:
    return Step(
        action=Action(type=T.READ, tool="cat", command=f"cat {path}", target=path), observation=Observation(text=text)
    )


def shell(command: str, text: str = "", exit_code: int = 0, kind: ActionType = T.RUN_COMMAND) -> Step:
    action = Action(type=kind, tool=command.split()[0], command=command)
    return Step(action=action, observation=Observation(text=text, exit_code=exit_code))


def git(command: str) -> Step:
    return Step(action=classify_command(command), observation=Observation(text="", exit_code=0))


def trajectory(steps: list[Step]) -> Trajectory:
    for index, step in enumerate(steps):
        step.index = index
    return Trajectory(id="t", task=TaskRef(task_id="acme__calc-1"), steps=steps)


def labels_of(steps: list[Step]) -> list[tuple[str, str]]:
    return [(label.label, label.rule) for label in label_steps(trajectory(steps))]


def test_regression_blames_the_edit_and_the_fix_is_a_recovery():
    steps = [
        run("===== 4 passed in 0.1s =====", 0),
        editor("str_replace", old_str="return a + b", new_str="return a - b"),
        run("===== 1 failed, 3 passed in 0.1s =====", 1),
        editor("str_replace", old_str="return a - b", new_str="return a + b  # restored"),
        run("===== 4 passed in 0.1s =====", 0),
    ]
    labels = label_steps(trajectory(steps))
    assert [(label.label, label.rule) for label in labels] == [
        (USEFUL, "default"),
        (MISTAKE, "caused_regression"),
        (USEFUL, "default"),
        (RECOVERY, "fixed_failure"),
        (USEFUL, "default"),
    ]
    assert "failures 0 -> 1" in labels[1].evidence and "step 2" in labels[1].evidence


def test_clean_run_turning_into_a_failure_without_test_counts():
    steps = [
        shell("python reproduce_check.py", "ok", 0),
        editor("insert", insert_line=3, new_str="import missing_module"),
        shell("python reproduce_check.py", "ModuleNotFoundError: No module named 'missing_module'", 1),
    ]
    assert labels_of(steps)[1] == (MISTAKE, "caused_regression")


def test_failed_edit_is_a_mistake_and_a_later_edit_of_the_file_recovers():
    steps = [
        editor(
            "str_replace",
            error=True,
            text="No replacement was performed, old_str did not appear verbatim",
            old_str="x",
            new_str="y",
        ),
        editor("str_replace", old_str="return a + b", new_str="return a + b + 0"),
    ]
    assert labels_of(steps) == [(MISTAKE, "failed_edit"), (RECOVERY, "fixed_failure")]


def test_undo_and_inverse_replacement_mark_the_reverted_edit():
    undo = [editor("str_replace", old_str="a = 1", new_str="a = 2"), editor("undo_edit")]
    assert labels_of(undo) == [(MISTAKE, "reverted"), (RECOVERY, "revert")]
    inverse = [
        editor("str_replace", old_str="a = 1", new_str="a = 2"),
        editor("str_replace", old_str="a = 2", new_str="a = 1"),
    ]
    assert labels_of(inverse) == [(MISTAKE, "reverted"), (RECOVERY, "revert")]
    checkout = [editor("str_replace", old_str="a = 1", new_str="a = 2"), git("git checkout -- pkg/calc.py")]
    assert labels_of(checkout) == [(MISTAKE, "reverted"), (RECOVERY, "revert")]


def test_edits_before_more_passing_tests_are_useful_with_the_evidence():
    steps = [
        run("===== 2 failed, 2 passed in 0.1s =====", 1),
        editor("str_replace", old_str="return a + b", new_str="return b + a"),
        run("===== 4 passed in 0.1s =====", 0),
    ]
    labels = label_steps(trajectory(steps))
    assert (labels[1].label, labels[1].rule) == (USEFUL, "tests_improved_after")
    assert "passed 2 -> 4" in labels[1].evidence


def test_redundant_read_missing_read_and_repeated_failure_are_unnecessary():
    steps = [
        read("calc.py", "def add(a, b):\n    return a + b\n"),
        read("calc.py", "def add(a, b):\n    return a + b\n"),
        Step(
            action=Action(type=T.READ, tool="cat", command="cat nope.py", target="nope.py"),
            observation=Observation(text="cat: nope.py: No such file or directory", exit_code=1),
        ),
        run("===== 1 failed in 0.1s =====", 1),
        run("===== 1 failed in 0.1s =====", 1),
    ]
    assert labels_of(steps) == [
        (USEFUL, "default"),
        (UNNECESSARY, "redundant_read"),
        (UNNECESSARY, "read_missing"),
        (USEFUL, "default"),
        (UNNECESSARY, "repeated_failure"),
    ]


def test_syntax_error_reported_by_a_run_blames_the_last_edit_of_that_file():
    traceback = (
        'Traceback (most recent call last):\n  File "/repo/pkg/calc.py", line 3\n    return (\n'
        "           ^\nSyntaxError: never closed\n"
    )
    steps = [
        editor("str_replace", old_str="return a + b", new_str="return (a + b"),
        shell("python -c 'import calc'", traceback, 1),
    ]
    assert labels_of(steps)[0] == (MISTAKE, "caused_syntax_error")


def test_a_changed_reproduction_script_is_not_blamed_on_the_edit():
    steps = [
        shell("python reproduce.py", "ok", 0),
        editor("str_replace", old_str="return a + b", new_str="return a + b  # same"),
        editor("create", path="/repo/reproduce.py", file_text="raise SystemExit(1)"),
        shell("python reproduce.py", "", 1),
    ]
    assert labels_of(steps)[1] == (USEFUL, "default")


def test_one_label_per_step_with_nothing_to_judge():
    steps = [Step(action=Action(type=T.THINK), thought="plan"), shell("ls", "calc.py")]
    assert labels_of(steps) == [(USEFUL, "default"), (USEFUL, "default")]
    assert label_steps(trajectory([])) == []


def test_git_stash_to_compare_with_the_original_is_not_a_revert():
    steps = [
        editor("str_replace", old_str="a = 1", new_str="a = 2"),
        git("git stash"),
        shell("python reproduce.py", "bug shown"),
        git("git stash pop"),
    ]
    assert [label for label, _ in labels_of(steps)] == [USEFUL, USEFUL, USEFUL, USEFUL]


def test_reverted_debug_output_is_exploration_not_a_mistake():
    steps = [
        git("sed -i '12i\\    print(f\"DEBUG: {value}\")' pkg/calc.py"),
        shell("python reproduce.py", "DEBUG: 3"),
        git("git checkout pkg/calc.py"),
    ]
    assert labels_of(steps) == [(USEFUL, "instrumentation"), (USEFUL, "default"), (USEFUL, "cleanup")]
