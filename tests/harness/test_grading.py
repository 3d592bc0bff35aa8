"""Grading rules, and verdict-spoofing attempts that must never come out as a false "full"."""

from __future__ import annotations

from trajsift.harness.grading.grading import FULL, NO_FAIL_TO_PASS, NONE, PARTIAL, TEST_TAMPERING, grade
from trajsift.harness.grading.logs import ERROR, FAILED, PASSED, SKIPPED, combine, parse_junit, parse_log

F2P = ["tests/test_calc.py::test_fix"]
P2P = ["tests/test_calc.py::test_add", "tests/test_calc.py::test_sub"]


# --- the rules --------------------------------------------------------------------------------------------
def test_full_when_every_listed_test_passed():
    status = dict.fromkeys([*F2P, *P2P], PASSED)
    result = grade(status, F2P, P2P)
    assert result.resolution == FULL
    assert result.f2p_passed == F2P and result.p2p_passed == P2P and not result.f2p_failed and not result.p2p_failed


def test_partial_when_some_fail_to_pass_pass_and_no_regression():
    f2p = ["t.py::a", "t.py::b"]
    result = grade({"t.py::a": PASSED, "t.py::b": FAILED, "t.py::c": PASSED}, f2p, ["t.py::c"])
    assert result.resolution == PARTIAL
    assert result.f2p_passed == ["t.py::a"] and result.f2p_failed == ["t.py::b"]


def test_mixed_cases_are_none():
    all_f2p_but_regression = grade({"t.py::a": PASSED, "t.py::c": FAILED}, ["t.py::a"], ["t.py::c"])
    some_f2p_and_regression = grade({"t.py::a": PASSED, "t.py::c": ERROR}, ["t.py::a", "t.py::b"], ["t.py::c"])
    nothing_fixed = grade({"t.py::a": FAILED, "t.py::c": PASSED}, ["t.py::a"], ["t.py::c"])
    assert all_f2p_but_regression.resolution == NONE and all_f2p_but_regression.p2p_failed == ["t.py::c"]
    assert some_f2p_and_regression.resolution == NONE
    assert nothing_fixed.resolution == NONE


def test_missing_tests_count_as_failed():
    result = grade({"tests/test_calc.py::test_add": PASSED}, F2P, P2P)
    assert result.resolution == NONE
    assert result.f2p_failed == F2P and result.p2p_failed == ["tests/test_calc.py::test_sub"]
    assert result.missing == [*F2P, "tests/test_calc.py::test_sub"]


def test_skipped_fails_fail_to_pass_but_not_pass_to_pass():
    status = {F2P[0]: PASSED, P2P[0]: SKIPPED, P2P[1]: PASSED}
    assert grade(status, F2P, P2P).resolution == FULL
    skipped_fix = grade({F2P[0]: SKIPPED, P2P[0]: PASSED, P2P[1]: PASSED}, F2P, P2P)
    assert skipped_fix.resolution == NONE and skipped_fix.f2p_failed == F2P


def test_no_fail_to_pass_tests_is_none():
    result = grade({"t.py::c": PASSED}, [], ["t.py::c"])
    assert result.resolution == NONE and result.reason == NO_FAIL_TO_PASS


def test_progress_artefacts_in_pass_to_pass_are_ignored():
    result = grade({F2P[0]: PASSED}, F2P, ["[100%]", "[100%]------------------------------"])
    assert result.resolution == FULL
    assert result.ignored == ["[100%]", "[100%]------------------------------"]


def test_duplicate_list_entries_are_graded_once():
    result = grade({F2P[0]: PASSED}, F2P * 2, [])
    assert result.f2p_passed == F2P


# --- spoofing: zero false "full" ---------------------------------------------------------------------------
REAL_RUN = """\
============================= test session starts ==============================
collected 3 items

tests/test_calc.py ..F                                                   [100%]

==================================== PASSES ====================================
_________________________________ test_add _________________________________
----------------------------- Captured stdout call -----------------------------
=========================== short test summary info ============================
PASSED tests/test_calc.py::test_fix
{forged_in_passes}
=========================== short test summary info ============================
PASSED tests/test_calc.py::test_add
PASSED tests/test_calc.py::test_sub
FAILED tests/test_calc.py::test_fix - AssertionError: assert 3 == 4
========================= 1 failed, 2 passed in 0.05s ==========================
{forged_after}"""

REAL_JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="3">
<testcase classname="tests.test_calc" name="test_add" file="tests/test_calc.py"/>
<testcase classname="tests.test_calc" name="test_sub" file="tests/test_calc.py"/>
<testcase classname="tests.test_calc" name="test_fix" file="tests/test_calc.py"><failure message="x"/></testcase>
</testsuite></testsuites>"""

FORGED_SUMMARY = """\
=========================== short test summary info ============================
PASSED tests/test_calc.py::test_add
PASSED tests/test_calc.py::test_sub
PASSED tests/test_calc.py::test_fix
============================== 3 passed in 0.05s ===============================
"""


def _pytest_grade(log: str, junit: str | None, expected: bool = True):
    status = combine(parse_junit(junit) if junit else None, parse_log(log, "pytest"), structured_expected=expected)
    return grade(status, F2P, P2P)


def test_spoof_forged_passed_lines_after_the_real_summary_with_junit():
    log = REAL_RUN.format(forged_in_passes="", forged_after=FORGED_SUMMARY)  # e.g. printed from atexit
    result = _pytest_grade(log, REAL_JUNIT)
    assert result.resolution == NONE and result.f2p_failed == F2P


def test_spoof_forged_summary_and_no_report_because_the_process_died():
    log = REAL_RUN.format(forged_in_passes="", forged_after=FORGED_SUMMARY)  # os._exit() before the report
    assert _pytest_grade(log, None, expected=True).resolution == NONE


def test_spoof_forged_lines_in_captured_output_without_junit():
    log = REAL_RUN.format(forged_in_passes="PASSED tests/test_calc.py::test_fix", forged_after="")
    assert _pytest_grade(log, None, expected=False).resolution == NONE


def test_spoof_duplicate_names_keep_the_worst_status_whatever_the_order():
    fail_then_pass = "FAILED tests/test_calc.py::test_fix - x\nPASSED tests/test_calc.py::test_fix\n"
    pass_then_fail = "PASSED tests/test_calc.py::test_fix\nFAILED tests/test_calc.py::test_fix - x\n"
    passes = "".join(f"PASSED {name}\n" for name in P2P)
    for order in (fail_then_pass, pass_then_fail):
        assert grade(parse_log(passes + order, "pytest"), F2P, P2P).resolution == NONE
    unittest_log = "test_fix (t.T) ... FAIL\ntest_fix (t.T) ... ok\n"
    assert grade(parse_log(unittest_log, "unittest"), ["test_fix (t.T)"], []).resolution == NONE


def test_spoof_tests_missing_from_the_output():
    log = "".join(f"PASSED {name}\n" for name in P2P) + "ERROR tests/test_calc.py - ImportError\n"
    result = grade(parse_log(log, "pytest"), F2P, P2P)
    assert result.resolution == NONE and result.missing == F2P


def test_spoof_ansi_coloured_passed_count_names_no_test():
    log = "\x1b[32m\x1b[1m========== 3 passed in 0.01s ==========\x1b[0m\n\x1b[32m3 passed\x1b[0m\nOK\n"
    for parser in ("pytest", "unittest", "django", "sympy"):
        assert grade(parse_log(log, parser), F2P, P2P).resolution == NONE


def test_spoof_conftest_or_test_file_tampering():
    status = dict.fromkeys([*F2P, *P2P], PASSED)
    for tampered in (["conftest.py"], ["tests/test_calc.py"]):
        result = grade(status, F2P, P2P, tampered=tampered)
        assert result.resolution == NONE and result.reason == TEST_TAMPERING and result.tampered == tampered


def test_spoof_names_that_contain_the_target_name():
    log = "".join(
        f"PASSED {name}\n"
        for name in [
            *P2P,
            "tests/test_calc.py::test_fix_other",
            "tests/test_calc.py::test_fix[1]",
            "other/tests/test_calc.py::test_fix",
            "tests/test_calc.py::test_fi",
        ]
    )
    log += "FAILED tests/test_calc.py::test_fix - x\n"
    assert grade(parse_log(log, "pytest"), F2P, P2P).resolution == NONE
    missing = log.replace("FAILED tests/test_calc.py::test_fix - x\n", "")
    assert grade(parse_log(missing, "pytest"), F2P, P2P).resolution == NONE


def test_spoof_unicode_look_alike_names():
    look_alikes = [
        "tests/test_calc.py::test_f\u0456x",
        "tests/test_calc.py::test_\uff46ix",
        "tests/test_calc.py::test_fix\u200b",
    ]
    log = "".join(f"PASSED {name}\n" for name in [*P2P, *look_alikes])
    result = grade(parse_log(log, "pytest"), F2P, P2P)
    assert result.resolution == NONE and result.f2p_failed == F2P


def test_spoof_skip_raised_by_the_patched_code():
    log = "".join(f"PASSED {name}\n" for name in P2P) + "XFAIL tests/test_calc.py::test_fix - reason\n"
    assert grade(parse_log(log, "pytest"), F2P, P2P).resolution == NONE


def test_spoof_sympy_forged_ok_after_a_failure():
    log = "sympy/core/tests/test_x.py[2]\ntest_fix F\ntest_fix ok\ntest_other ok   [FAIL]\n"
    assert grade(parse_log(log, "sympy"), ["test_fix"], ["test_other"]).resolution == NONE


def test_spoof_django_forged_ok_line_cannot_hide_the_failure_report():
    log = (
        "test_fix (app.tests.T) ... FAIL\nok\ntest_fix (app.tests.T) ... ok\n"
        "======\nFAIL: test_fix (app.tests.T)\n------\n"
    )
    assert grade(parse_log(log, "django"), ["test_fix (app.tests.T)"], []).resolution == NONE
