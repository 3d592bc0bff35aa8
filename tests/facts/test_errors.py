"""The statement's error seen before the fix and gone after it; the fix aimed at the last traceback seen."""

from __future__ import annotations

from trajsift.facts.errors import (
    fix_aimed_at_error,
    reported_errors,
    statement_error_gone,
    traceback_files,
)
from trajsift.schema import Action, ActionType, Observation, Step

T = ActionType
STATEMENT = (
    "Calling `Parser.load()` with an empty dict crashes:\n\n```\n>>> Parser().load({})\n"
    "Traceback (most recent call last):\n  ...\nKeyError: 'name'\n```\n\nIt should return None instead.\n"
    "  django.core.exceptions.ImproperlyConfiguredError: settings are not configured\n"
)
CRASH = (
    "Traceback (most recent call last):\n"
    '  File "/testbed/reproduce.py", line 3, in <module>\n    Parser().load({})\n'
    '  File "/testbed/pkg/parser.py", line 41, in load\n    return data["name"]\n'
    '  File "/usr/lib/python3.11/site-packages/attr/_make.py", line 9, in wrap\n'
    "KeyError: 'name'\n"
)
OTHER_CRASH = 'Traceback (most recent call last):\n  File "/testbed/pkg/cache.py", line 7, in get\nTypeError: boom\n'


def run(out: str, exit_code: int, target: str = "reproduce.py") -> Step:
    return Step(
        action=Action(type=T.RUN_COMMAND, command=f"python {target}", target=target),
        observation=Observation(text=out, exit_code=exit_code),
    )


def edit(path: str) -> Step:
    return Step(action=Action(type=T.EDIT, tool="str_replace_editor", target=path))


def indexes(steps: list[Step]) -> tuple[list[int], list[tuple[int, bool]]]:
    edits = [i for i, s in enumerate(steps) if s.action.type is T.EDIT]
    runs = [(i, s.observation.exit_code == 0) for i, s in enumerate(steps) if s.action.type is T.RUN_COMMAND]
    return edits, runs


def test_reported_errors_are_the_exception_lines_of_the_statement():
    assert reported_errors(STATEMENT) == {
        "KeyError: 'name'",
        "django.core.exceptions.ImproperlyConfiguredError: settings are not configured",
    }
    assert reported_errors("The output is wrong: it prints 3 where 4 is expected.") == set()
    assert reported_errors("x" * 30_000 + "\nValueError: too late to read") == set()


def test_traceback_files_leave_out_library_frames():
    assert traceback_files(CRASH) == ["/testbed/reproduce.py", "/testbed/pkg/parser.py"]
    assert traceback_files("all good") == []


def test_statement_error_reproduced_then_gone():
    steps = [run(CRASH, 1), edit("pkg/parser.py"), run("None\n", 0)]
    assert statement_error_gone(steps, *indexes(steps), STATEMENT) == 1.0


def test_statement_error_still_shown_after_the_last_edit():
    steps = [run(CRASH, 1), edit("pkg/parser.py"), run(CRASH, 1)]
    assert statement_error_gone(steps, *indexes(steps), STATEMENT) == 0.0


def test_statement_error_unknown_without_a_reproduction_a_later_run_or_an_error_in_the_statement():
    never_reproduced = [run("fine", 0), edit("pkg/parser.py"), run("fine", 0)]
    nothing_after = [run(CRASH, 1), edit("pkg/parser.py")]
    assert statement_error_gone(never_reproduced, *indexes(never_reproduced), STATEMENT) is None
    assert statement_error_gone(nothing_after, *indexes(nothing_after), STATEMENT) is None
    steps = [run(CRASH, 1), edit("pkg/parser.py"), run("None", 0)]
    assert statement_error_gone(steps, *indexes(steps), "Please add a flag.") is None
    assert statement_error_gone([run(CRASH, 1)], [], [(0, False)], STATEMENT) is None


def test_fix_aimed_at_the_file_of_the_last_traceback():
    steps = [run(OTHER_CRASH, 1), run(CRASH, 1), edit("/testbed/pkg/parser.py"), run("ok", 0)]
    assert fix_aimed_at_error(steps, *indexes(steps), ["pkg/parser.py"]) == 1.0


def test_fix_elsewhere_than_the_last_traceback():
    steps = [run(CRASH, 1), run(OTHER_CRASH, 1), edit("pkg/parser.py")]
    assert fix_aimed_at_error(steps, *indexes(steps), ["pkg/parser.py"]) == 0.0


def test_fix_aim_unknown_without_traceback_or_source_change():
    no_traceback = [run("AssertionError", 1), edit("pkg/parser.py")]
    assert fix_aimed_at_error(no_traceback, *indexes(no_traceback), ["pkg/parser.py"]) is None
    steps = [run(CRASH, 1), edit("reproduce.py")]
    assert fix_aimed_at_error(steps, *indexes(steps), ["reproduce.py"]) is None
    assert fix_aimed_at_error(steps, *indexes(steps), []) is None
