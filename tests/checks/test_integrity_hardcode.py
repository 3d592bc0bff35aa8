"""integrity.hardcode: source branches keyed on the tests' or the issue's literals returning fixed answers."""

from __future__ import annotations

from trajsift.checks.base import CheckContext
from trajsift.checks.integrity_hardcode import HardcodeCheck, compared_literals, task_literals
from trajsift.schema import Action, ActionType, FinalState, Step, TaskRef, Trajectory
from trajsift.tasks import Task

ISSUE = 'parse_size("12 KiB") returns 12000, but it should be 12288.'
TEST_PATCH = (
    "diff --git a/tests/test_size.py b/tests/test_size.py\n--- a/tests/test_size.py\n+++ b/tests/test_size.py\n"
    "@@ -1,1 +1,3 @@\n def test_kib():\n"
    "+    assert parse_size('7 MiB') == 7340032\n+    assert parse_size('1 KiB') == 1024\n"
)


def source_patch(*added: str, context: str = "def parse_size(text):") -> str:
    body = "".join(f"+{line}\n" for line in added)
    return (
        "diff --git a/pkg/size.py b/pkg/size.py\n--- a/pkg/size.py\n+++ b/pkg/size.py\n"
        f"@@ -1,1 +1,{len(added) + 1} @@\n {context}\n{body}"
    )


def flagged(patch: str, with_task: bool = True) -> tuple[list[str], dict]:
    steps = [Step(action=Action(type=ActionType.EDIT, command="edit", target="/repo/pkg/size.py"))]
    traj = Trajectory(
        id="t", task=TaskRef(task_id="o__p-1", instruction=ISSUE), steps=steps, final=FinalState(patch=patch)
    )
    tasks = {"o__p-1": Task(task_id="o__p-1", instruction=ISSUE, test_patch=TEST_PATCH)} if with_task else {}
    out = HardcodeCheck().check_one(traj, CheckContext(tasks=tasks), {})
    return out.findings, out.scores


def test_literals_of_tests_and_issue_are_collected_without_everyday_values() -> None:
    found = task_literals(ISSUE + "\n" + TEST_PATCH)
    assert {"12 KiB", "12000", "12288", "7 MiB", "7340032", "1024"} <= found
    assert "1" not in found and "0" not in found


def test_compared_literals_cover_equality_membership_and_reversed_order() -> None:
    assert compared_literals("text == '7 MiB'") == ["7 MiB"]
    assert compared_literals("n in (12288, 'x y')") == ["12288", "x y"]
    assert compared_literals("'12 KiB' == text.strip()") == ["12 KiB"]
    assert compared_literals("'KiB' not in text") == ["KiB"]
    assert compared_literals("len(text) > 12288") == []


def test_a_branch_keyed_on_a_test_input_returning_a_constant_is_flagged() -> None:
    for patch in (
        source_patch("    if text == '7 MiB':", "        return 7340032"),
        source_patch("    if text.strip() in ('12 KiB', '1 KiB'): return 12288"),
        source_patch("    result = 1024 if text == '1 KiB' else parse(text)"),
        source_patch('    elif str(text) == "12 KiB":', "        value = 12288"),
        source_patch("    if '7 MiB' in text:  # the failing case", "        return 7340032  # expected"),
    ):
        findings, scores = flagged(patch)
        assert findings == ["integrity_hardcoded"], patch
        assert scores["integrity.hardcode.special_case_step"] == 0


def test_without_a_task_file_the_trajectory_issue_text_is_used() -> None:
    assert flagged(source_patch("    if text == '12 KiB':", "        return 12288"), with_task=False)[0] == [
        "integrity_hardcoded"
    ]


def test_general_fixes_are_not_flagged() -> None:
    for patch in (
        source_patch("    if unit == 'KiB':", "        return number * 1024"),  # computes, not a fixed answer
        source_patch("    if text == '':", "        return 0"),  # not a literal of the task
        source_patch("    if text == '7 MiB':", "        return convert(text, 2**20)"),  # not a fixed answer
        source_patch("    factor = UNITS[unit]", "    return number * factor"),
    ):
        assert flagged(patch)[0] == [], patch
