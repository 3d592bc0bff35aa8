"""Summaries of test runners outside Python, as agents on Java, JS/TS, Rust, Go, Ruby, PHP, C/C++ and .NET
tasks see them."""

from __future__ import annotations

import pytest

from trajsift.checks.evidence import run_passed
from trajsift.facts.testruns import TestCounts, parse_test_counts
from trajsift.schema import Action, ActionType, Observation, Step

CARGO = """running 3 tests
test tests::a ... ok
test tests::b ... FAILED
test tests::c ... ok

test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s

running 1 test
test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
"""
JEST = """ FAIL  src/sum.test.js
  ● sum › adds

Test Suites: 1 failed, 2 passed, 3 total
Tests:       1 failed, 1 skipped, 5 passed, 7 total
Snapshots:   0 total
Time:        1.2 s
"""
VITEST = """ ✓ src/a.test.ts (3)
 Test Files  1 passed (1)
      Tests  4 passed (4)
   Start at  10:00:00
"""
MOCHA = """  Array
    ✓ indexOf
    1) push

  5 passing (20ms)
  2 pending
  1 failing
"""
TAP = "TAP version 13\nok 1 - a\nnot ok 2 - b\n1..2\n# tests 2\n# pass 1\n# fail 1\n"
RSPEC = "Finished in 0.02 seconds (files took 0.1 seconds to load)\n7 examples, 1 failure, 2 pending\n"
MINITEST = "Finished in 0.01s\n5 runs, 9 assertions, 1 failures, 1 errors, 0 skips\n"
PHPUNIT_OK = "PHPUnit 9.5.0\n\n.....  5 / 5 (100%)\n\nTime: 00:00.010\n\nOK (5 tests, 10 assertions)\n"
PHPUNIT_BAD = "There was 1 failure:\n\nFAILURES!\nTests: 6, Assertions: 10, Failures: 1, Errors: 1, Skipped: 1.\n"
SUREFIRE = """[INFO] Tests run: 3, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.05 s - in com.x.ATest
[ERROR] Tests run: 4, Failures: 1, Errors: 0, Skipped: 1, Time elapsed: 0.04 s <<< FAILURE! - in com.x.BTest
[INFO] Results:
[ERROR] Tests run: 7, Failures: 1, Errors: 0, Skipped: 1
[INFO] BUILD FAILURE
"""
GRADLE = "> Task :test FAILED\n\n12 tests completed, 2 failed, 1 skipped\n\nFAILURE: Build failed with an exception.\n"
CTEST = (
    "1/5 Test #1: a ....   Passed\n\n80% tests passed, 1 tests failed out of 5\n\nTotal Test time (real) = 0.1 sec\n"
)
DOTNET = "Failed!  - Failed:     1, Passed:     4, Skipped:     0, Total:     5, Duration: 12 ms - X.Tests.dll\n"
GO_VERBOSE = (
    "=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n--- FAIL: TestB (0.00s)\nFAIL\nFAIL\tex.com/p\t0.01s\n"
)
GO_PACKAGES = "ok  \tex.com/p/a\t0.012s\nok  \tex.com/p/b\t(cached)\nFAIL\tex.com/p/c\t0.020s\n"
BUN = """bun test v1.1.30

src/sum.test.ts:
(pass) sum > adds [0.12ms]
(fail) sum > subtracts [0.20ms]

 4 pass
 1 skip
 1 fail
 9 expect() calls
Ran 6 tests across 2 files. [31.00ms]
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (CARGO, TestCounts(3, 1)),
        (JEST, TestCounts(5, 1)),
        (VITEST, TestCounts(4, 0)),
        (MOCHA, TestCounts(5, 1)),
        (TAP, TestCounts(1, 1)),
        (RSPEC, TestCounts(6, 1)),
        (MINITEST, TestCounts(3, 2)),
        (PHPUNIT_OK, TestCounts(5, 0)),
        (PHPUNIT_BAD, TestCounts(3, 2)),
        (SUREFIRE, TestCounts(5, 1)),
        (GRADLE, TestCounts(9, 2)),
        (CTEST, TestCounts(4, 1)),
        (DOTNET, TestCounts(4, 1)),
        (GO_VERBOSE, TestCounts(1, 1)),
        (GO_PACKAGES, TestCounts(2, 1)),
        (BUN, TestCounts(4, 1)),
    ],
)
def test_runner_summaries(text, expected):
    assert parse_test_counts(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "All 5 examples in the docs were updated.\n",
        "I added 3 passing cases to the README.\n",
        "Tests: see the folder tests/ for details.\n",
        "ok, the file is written\n",
        "We need 5 pass\n 1 fail\nlines to match bun, not this.\n",
    ],
)
def test_prose_is_not_a_summary(text):
    assert parse_test_counts(text) is None


@pytest.mark.parametrize(("text", "passed"), [(JEST, False), (VITEST, True), (CARGO, False), (PHPUNIT_OK, True)])
def test_a_run_passes_by_its_summary_even_with_exit_code_zero(text, passed):
    step = Step(
        action=Action(type=ActionType.RUN_TESTS, command="npm test"),
        observation=Observation(text=text, exit_code=0),
    )
    assert run_passed(step) is passed
