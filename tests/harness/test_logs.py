"""Log parsers on hand-written logs in the shapes pytest, unittest, Django's runner and sympy's bin/test print."""

from __future__ import annotations

import pytest

from trajsift.harness.grading.junit import junit_key, junit_node_id
from trajsift.harness.grading.logs import (
    ERROR,
    FAILED,
    PASSED,
    SKIPPED,
    combine,
    parse_junit,
    parse_log,
    parser_for_repo,
    pytest_args_for_report,
)

PYTEST_RA = """\
============================= test session starts ==============================
platform linux -- Python 3.9.18, pytest-7.4.0, pluggy-1.3.0
rootdir: /work/repo
collected 7 items

tests/test_calc.py ..F.sx.                                               [100%]

=================================== FAILURES ===================================
____________________________ test_divide_by_zero _____________________________
    def test_divide_by_zero():
>       assert divide(1, 0) is None
E       ZeroDivisionError: division by zero
==================================== PASSES ====================================
=========================== short test summary info ============================
PASSED tests/test_calc.py::test_add
PASSED tests/test_calc.py::test_sub[a - b]
PASSED tests/test_calc.py::test_mul[2 x 3]
FAILED tests/test_calc.py::test_divide_by_zero - ZeroDivisionError: division by zero
SKIPPED [1] tests/test_calc.py:40: needs numpy
XFAIL tests/test_calc.py::test_pow - not implemented yet
FAILED tests/test_calc.py::test_cmp[x - y] - assert [1] == [2]
ERROR tests/test_broken.py - ModuleNotFoundError: No module named 'nothere'
============== 2 failed, 3 passed, 1 skipped, 1 xfailed, 1 error in 0.12s ==============
"""


def test_pytest_short_summary_lines():
    status = parse_log(PYTEST_RA, "pytest")
    assert status["tests/test_calc.py::test_add"] == PASSED
    assert status["tests/test_calc.py::test_sub[a - b]"] == PASSED
    assert status["tests/test_calc.py::test_mul[2 x 3]"] == PASSED
    assert status["tests/test_calc.py::test_divide_by_zero"] == FAILED
    assert status["tests/test_calc.py::test_pow"] == SKIPPED
    assert status["tests/test_calc.py::test_cmp[x - y]"] == FAILED
    assert status["tests/test_broken.py"] == ERROR
    assert not any(name.startswith("[1]") for name in status)


def test_pytest_ids_with_spaces_also_get_swebench_first_word_spelling():
    status = parse_log(PYTEST_RA, "pytest")
    assert status["tests/test_calc.py::test_mul[2"] == PASSED
    assert status["tests/test_calc.py::test_cmp[x"] == FAILED


def test_pytest_verbose_lines():
    log = """\
tests/test_calc.py::test_add PASSED                                      [ 20%]
tests/test_calc.py::test_sub[a - b] PASSED                               [ 40%]
tests/test_calc.py::TestDiv::test_zero FAILED                            [ 60%]
tests/test_calc.py::test_skip SKIPPED (needs numpy)                      [ 80%]
tests/test_calc.py::test_old XFAIL                                       [100%]
"""
    assert parse_log(log, "pytest") == {
        "tests/test_calc.py::test_add": PASSED,
        "tests/test_calc.py::test_sub[a - b]": PASSED,
        "tests/test_calc.py::test_sub[a": PASSED,
        "tests/test_calc.py::TestDiv::test_zero": FAILED,
        "tests/test_calc.py::test_skip": SKIPPED,
        "tests/test_calc.py::test_old": SKIPPED,
    }


def test_pytest_xdist_status_first_lines():
    log = "[gw0] [ 50%] PASSED tests/test_a.py::test_one\n[gw1] [100%] FAILED tests/test_a.py::test_two\n"
    assert parse_log(log, "pytest") == {"tests/test_a.py::test_one": PASSED, "tests/test_a.py::test_two": FAILED}


def test_pytest_lines_before_the_last_summary_are_ignored():
    log = "PASSED tests/test_a.py::test_forged\n" + PYTEST_RA
    assert "tests/test_a.py::test_forged" not in parse_log(log, "pytest")


def test_pytest_ansi_colours_are_stripped():
    log = "\x1b[32mPASSED\x1b[0m tests/test_a.py::test_one\n\x1b[31mFAILED\x1b[0m tests/test_a.py::test_two - x\n"
    assert parse_log(log, "pytest") == {"tests/test_a.py::test_one": PASSED, "tests/test_a.py::test_two": FAILED}


UNITTEST_LOG = """\
test_add (tests.test_calc.CalcTests) ... ok
test_div (tests.test_calc.CalcTests)
Dividing by zero returns None. ... FAIL
test_mul (tests.test_calc.CalcTests) ... skipped 'not today'
test_old (tests.test_calc.CalcTests) ... expected failure
test_pow (tests.test_calc.CalcTests) ... ERROR
test_new (tests.test_calc.CalcTests.test_new) ... ok
test_chatty (tests.test_calc.CalcTests) ... printing things
ok

======================================================================
FAIL: test_div (tests.test_calc.CalcTests)
Dividing by zero returns None.
----------------------------------------------------------------------
Traceback (most recent call last):
AssertionError: 1 != None

======================================================================
ERROR: test_pow (tests.test_calc.CalcTests)
----------------------------------------------------------------------
Traceback (most recent call last):
TypeError: bad

----------------------------------------------------------------------
Ran 8 tests in 0.003s

FAILED (failures=1, errors=1, skipped=1, expected failures=1)
"""


def test_unittest_verbose_output():
    status = parse_log(UNITTEST_LOG, "unittest")
    assert status["test_add (tests.test_calc.CalcTests)"] == PASSED
    assert status["Dividing by zero returns None."] == FAILED
    assert status["test_div (tests.test_calc.CalcTests)"] == FAILED
    assert status["test_mul (tests.test_calc.CalcTests)"] == SKIPPED
    assert status["test_old (tests.test_calc.CalcTests)"] == SKIPPED
    assert status["test_pow (tests.test_calc.CalcTests)"] == ERROR
    assert status["test_new (tests.test_calc.CalcTests.test_new)"] == PASSED
    assert status["test_chatty (tests.test_calc.CalcTests)"] == PASSED


def test_unittest_subtest_failure_marks_the_test():
    log = "test_many (m.T) ... \n======\nFAIL: test_many (m.T) (i=3)\n------\nTraceback\n"
    status = parse_log(log, "unittest")
    assert status["test_many (m.T)"] == FAILED
    assert status["test_many (m.T) (i=3)"] == FAILED


DJANGO_LOG = """\
Testing against Django installed in '/work/django/django' with up to 2 processes
Creating test database for alias 'default'...
test_basic (admin_views.tests.AdminViewTests) ... ok
test_upper (admin_views.tests.AdminViewTests) ...  OK
  Applying sites.0002_alter_domain_unique...test_no_migrations (migrations.test_commands.MakeMigrationsTests) ... ok
test_check (check_framework.tests.CheckTests) ... System check identified no issues (0 silenced).
ok
test_version (admin_scripts.tests.CommandTypes)
--version is equivalent to version ... ok
test_broken (admin_views.tests.AdminViewTests) ... FAIL
test_later (admin_views.tests.AdminViewTests) ... skipped 'No browser'

======================================================================
FAIL: test_broken (admin_views.tests.AdminViewTests)
----------------------------------------------------------------------
"""


def test_django_runner_quirks():
    status = parse_log(DJANGO_LOG, "django")
    assert status["test_basic (admin_views.tests.AdminViewTests)"] == PASSED
    assert status["test_upper (admin_views.tests.AdminViewTests)"] == PASSED
    assert status["test_no_migrations (migrations.test_commands.MakeMigrationsTests)"] == PASSED
    assert status["test_check (check_framework.tests.CheckTests)"] == PASSED
    assert status["--version is equivalent to version"] == PASSED
    assert status["test_version (admin_scripts.tests.CommandTypes)"] == PASSED
    assert status["test_broken (admin_views.tests.AdminViewTests)"] == FAILED
    assert status["test_later (admin_views.tests.AdminViewTests)"] == SKIPPED


DJANGO_311_LOG = """\
Testing against Django installed in '/tmp/w/django' with up to 1 processes
Importing application model_fields
Found 4 test(s).
Operations to perform:
  Apply all migrations: admin, sites
Running migrations:
  Applying admin.0001_initial... OK
System check identified no issues (3 silenced).
test_plain (model_fields.test_jsonfield.TestQuerying.test_plain) ... ok
test_documented (model_fields.test_jsonfield.TestQuerying.test_documented)
A docstring's first line. ... ERROR
test_slow (model_fields.test_jsonfield.TestQuerying.test_slow) ... skipped "Database doesn't support feature(s)"
test_sub (model_fields.test_jsonfield.TestQuerying.test_sub) ...
  test_sub (model_fields.test_jsonfield.TestQuerying.test_sub) (value=2) ... FAIL

======================================================================
ERROR: test_documented (model_fields.test_jsonfield.TestQuerying.test_documented)
A docstring's first line.
----------------------------------------------------------------------
Traceback (most recent call last):
ValueError

======================================================================
FAIL: test_sub (model_fields.test_jsonfield.TestQuerying.test_sub) (value=2)
----------------------------------------------------------------------
Traceback (most recent call last):
AssertionError

----------------------------------------------------------------------
Ran 4 tests in 0.012s

FAILED (failures=1, errors=1, skipped=1)
Destroying test database for alias 'default'...
"""


def test_django_on_python_311_ids_docstrings_and_subtests():
    """Django >= 4.2 on Python 3.11 prints `test_x (module.Class.test_x)`; the harness's lists use that form."""
    status = parse_log(DJANGO_311_LOG, "django")
    prefix = "model_fields.test_jsonfield.TestQuerying"
    assert status[f"test_plain ({prefix}.test_plain)"] == PASSED
    assert status[f"test_documented ({prefix}.test_documented)"] == ERROR
    assert status["A docstring's first line."] == ERROR
    assert status[f"test_slow ({prefix}.test_slow)"] == SKIPPED
    assert status[f"test_sub ({prefix}.test_sub)"] == FAILED
    assert not any(name.startswith(("Applying", "Ran ", "System check")) for name in status)


SYMPY_LOG = """\
============================= test process starts ==============================
executable:         /venv/bin/python  (3.9.18-final-0) [CPython]
architecture:       64-bit
cache:              no
ground types:       python
random seed:        12345678
hash randomization: on (PYTHONHASHSEED=42)

sympy/core/tests/test_basic.py[3]
test_structure ok
test_equality ok
test_last_in_file ok                                                        [OK]
sympy/core/tests/test_expr.py[6]
test_failing F
test_erroring E
test_expected_failure f
test_unexpected_pass X
test_skipped_slow Slow w
test_last_failing F                                                       [FAIL]

________________________________________________________________________________
___________ sympy/core/tests/test_expr.py:test_failing ___________
Traceback (most recent call last):
AssertionError
=== tests finished: 3 passed, 3 failed, 1 skipped, 1 expected to fail, 1 exceptions, in 0.50 seconds ===
DO *NOT* COMMIT!
"""


def test_sympy_bin_test_lines_and_file_verdicts():
    status = parse_log(SYMPY_LOG, "sympy")
    assert status["test_structure"] == PASSED
    assert status["test_last_in_file"] == PASSED  # `[OK]` stripped: the test is not lost
    assert status["test_last_failing"] == FAILED  # `[FAIL]` stripped
    assert status["test_failing"] == FAILED
    assert status["sympy/core/tests/test_expr.py:test_failing"] == FAILED
    assert status["test_erroring"] == ERROR
    assert status["test_expected_failure"] == SKIPPED
    assert status["test_unexpected_pass"] == FAILED
    assert status["test_skipped_slow"] == SKIPPED


def test_sympy_old_skip_format():
    assert parse_log("test_a s - needs numpy\n", "sympy") == {"test_a": SKIPPED}


def test_parser_for_repo_and_unknown_parser():
    assert parser_for_repo("django/django") == "django"
    assert parser_for_repo("sympy/sympy") == "sympy"
    assert parser_for_repo("pytest-dev/pytest") == "pytest"
    assert parser_for_repo("/some/local/path") == "pytest"
    with pytest.raises(ValueError):
        parse_log("", "nose")


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5">
<testcase classname="tests.test_calc" name="test_add" file="tests/test_calc.py" line="3" time="0.001"/>
<testcase classname="tests.test_calc.TestDiv" name="test_zero" file="tests/test_calc.py" line="9" time="0.001">
  <failure message="ZeroDivisionError">trace</failure></testcase>
<testcase classname="tests.test_calc" name="test_mul[2 x 3]" file="tests/test_calc.py" line="12" time="0"/>
<testcase classname="tests.test_calc" name="test_pow" file="tests/test_calc.py" line="20" time="0">
  <skipped type="pytest.xfail" message="not yet"/></testcase>
<testcase classname="" name="tests.test_broken" time="0"><error message="collection failure">x</error></testcase>
</testsuite></testsuites>
"""


def test_parse_junit_rebuilds_node_ids():
    assert parse_junit(JUNIT) == {
        "tests/test_calc.py::test_add": PASSED,
        "tests/test_calc.py::TestDiv::test_zero": FAILED,
        "tests/test_calc.py::test_mul[2 x 3]": PASSED,
        "tests/test_calc.py::test_pow": SKIPPED,
        "tests.test_broken": ERROR,
    }


def test_junit_node_id_without_file_attribute_and_key_round_trip():
    assert junit_node_id("pkg.tests.test_x.TestA", "test_b[1]") == "pkg/tests/test_x.py::TestA::test_b[1]"
    assert junit_key("pkg/tests/test_x.py::TestA::test_b[a::b/c]") == ("pkg.tests.test_x.TestA", "test_b[a::b/c]")
    assert junit_key("tests/test_broken.py") == ("", "tests.test_broken")


@pytest.mark.parametrize(
    "xml",
    [
        "",
        "<testsuite><testcase name='x'",
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><testsuite/>',
        "<!doctype x><testsuite/>",
    ],
)
def test_parse_junit_refuses_broken_or_entity_documents(xml):
    assert parse_junit(xml) is None


def test_pytest_args_for_report():
    args = pytest_args_for_report("/work/report.xml")
    assert "--junitxml=/work/report.xml" in args and "junit_family=xunit1" in args


def test_combine_prefers_the_report_and_keeps_text_spellings():
    text = parse_log(PYTEST_RA, "pytest")
    merged = combine(parse_junit(JUNIT), text)
    assert merged["tests/test_calc.py::test_add"] == PASSED
    assert merged["tests/test_calc.py::test_mul[2"] == PASSED
    assert merged["tests/test_calc.py::TestDiv::test_zero"] == FAILED
    assert merged["tests/test_broken.py"] == ERROR  # text spelling mapped onto the report's collection error
    assert "tests/test_calc.py::test_sub[a - b]" not in merged  # PASSED in text only: not trusted
    assert merged["tests/test_calc.py::test_cmp[x - y]"] == FAILED  # text-only failures are kept


def test_combine_without_report():
    text = {"t.py::a": PASSED, "t.py::b": FAILED}
    assert combine(None, text) == text
    assert combine(None, text, structured_expected=True) == {"t.py::b": FAILED}
