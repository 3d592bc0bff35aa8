"""Test counts parsed from the observations of test runs."""

from __future__ import annotations

import pytest

from trajsift.facts.testruns import TestCounts, parse_test_counts, repo_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("collected 13 items\n...\n========= 3 failed, 10 passed in 1.20s =========\n", TestCounts(10, 3)),
        ("3 failed, 10 passed, 1 error\n", TestCounts(10, 4)),
        ("==== 7 passed, 2 skipped, 1 warning in 0.3s ====", TestCounts(7, 0)),
        ("== 1 passed, 1 xfailed, 2 deselected in 0.02s ==", TestCounts(1, 0)),
        ("....F.\n------\nRan 6 tests in 0.012s\n\nFAILED (failures=1)\n", TestCounts(5, 1)),
        ("Ran 4 tests in 0.001s\n\nOK (skipped=1)\n", TestCounts(3, 0)),
        ("Ran 12 tests in 0.5s\n\nFAILED (failures=2, errors=1, skipped=3)\n", TestCounts(6, 3)),
        ("tests finished: 10 passed, 2 failed, 1 skipped, in 1.23 seconds\nDO *NOT* COMMIT!\n", TestCounts(10, 2)),
    ],
)
def test_summaries(text, expected):
    assert parse_test_counts(text) == expected


def test_per_test_lines_without_summary_use_the_harness_parsers():
    pytest_rA = "PASSED tests/test_a.py::test_one\nFAILED tests/test_a.py::test_two - AssertionError\n"
    assert parse_test_counts(pytest_rA) == TestCounts(1, 1)
    unittest_verbose = "test_a (mod.Tests) ... ok\ntest_b (mod.Tests) ... FAIL\ntest_c (mod.Tests) ... ok\n"
    assert parse_test_counts(unittest_verbose, "django/django") == TestCounts(2, 1)


def test_not_a_test_run():
    assert parse_test_counts("Script completed successfully, no errors.\n") is None
    assert parse_test_counts("no tests ran in 0.01s") is None
    assert parse_test_counts("") is None


def test_last_summary_wins_and_pass_fraction():
    text = "== 2 failed, 1 passed in 1s ==\nre-running\n== 3 passed in 1s ==\n"
    counts = parse_test_counts(text)
    assert counts == TestCounts(3, 0) and counts.pass_fraction == 1.0


def test_repo_of_swebench_id():
    assert repo_of("django__django-11019", "") == "django/django"
    assert repo_of("scikit-learn__scikit-learn-13142", "") == "scikit-learn/scikit-learn"
    assert repo_of("x", "own/repo") == "own/repo"
