"""Test counts read from the observations of test runs: summary lines first, per-test statuses second.

Summaries: pytest (`=== 3 failed, 10 passed in 1.2s ===`, also bare `3 failed, 10 passed`), sympy's
`tests finished: 10 passed, 2 failed, in 1.2 seconds`, unittest / Django (`Ran 12 tests in 0.1s` then
`OK (skipped=1)` or `FAILED (failures=2, errors=1)`), then other languages' runners (`facts.testsummaries`:
cargo, Jest / Vitest, Mocha, TAP, RSpec / Minitest, PHPUnit, Surefire / Gradle, CTest, .NET, Go). Without a
summary, the per-test parsers of `trajsift.harness.grading.logs` count PASSED / FAILED / ERROR lines (pytest
`-rA` / `-v`, verbose unittest, sympy). Only the tail (`TAIL_CHARS`) of an observation is searched for a summary
and a bounded head+tail for per-test lines. Skipped tests count neither way; errors count as failures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trajsift.facts.testsummaries import runner_counts
from trajsift.harness.grading.logs import PARSERS, parse_pytest, parse_unittest, parser_for_repo
from trajsift.harness.grading.statuses import ERROR, FAILED, PASSED

OUTCOMES = (PASSED, FAILED, ERROR)
TAIL_CHARS = 6_000
HEAD_CHARS = 4_000
_COUNT_WORDS = r"passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?|rerun|subtests passed"
_COUNTS_LINE = re.compile(
    rf"^[=\s]*(?P<counts>\d+ (?:{_COUNT_WORDS})(?:\s*,\s*\d+ (?:{_COUNT_WORDS}))*)\s*,?\s*"
    r"(?:in [\d.]+\s?s(?:econds)?\b.*)?[=\s]*$"
)
_SYMPY_FINISHED = re.compile(r"^tests finished: (?P<counts>.*?),?\s*in [\d.]+ seconds", re.M)
_ONE_COUNT = re.compile(rf"(\d+) ({_COUNT_WORDS})")
_TEST_WORDS = ("PASS", "FAIL", "ERROR", "passed", "failed", "error", " ok", "Ran ", "tests finished")
_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in [\d.]+s\s*$", re.M)
_UNITTEST_RESULT = re.compile(r"^(OK|FAILED)\b(?: \((?P<detail>[^)]*)\))?", re.M)
_DETAIL = re.compile(r"(failures|errors|skipped|expected failures|unexpected successes)=(\d+)")


@dataclass(frozen=True)
class TestCounts:
    __test__ = False  # not a pytest test class

    passed: int
    failed: int

    @property
    def total(self) -> int:
        return self.passed + self.failed

    @property
    def pass_fraction(self) -> float | None:
        return self.passed / self.total if self.total else None


def _may_show_tests(text: str) -> bool:
    """A cheap screen: outputs without any test-result word are not parsed."""
    head, tail = text[:HEAD_CHARS], text[-TAIL_CHARS:]
    return any(word in head or word in tail for word in _TEST_WORDS)


def parse_test_counts(text: str, repo: str = "") -> TestCounts | None:
    """Passed / failed counts of the test run an observation shows; None when it shows none."""
    tail = text[-TAIL_CHARS:]
    if not _may_show_tests(text):
        return _runner_counts(tail)  # e.g. Mocha's `5 passing`, PHPUnit's `OK (5 tests, ...)`
    counts = _summary_counts(tail) or _unittest_counts(tail) or _runner_counts(tail)
    if counts is not None:
        return counts
    return _status_counts(text, repo)


def _summary_counts(tail: str) -> TestCounts | None:
    sympy = list(_SYMPY_FINISHED.finditer(tail))
    if sympy:
        return _from_words(sympy[-1]["counts"])
    for line in reversed(tail.splitlines()):
        match = _COUNTS_LINE.match(line.strip())
        if match and ("passed" in line or "failed" in line or "error" in line):
            return _from_words(match["counts"])
    return None


def _from_words(counts_text: str) -> TestCounts | None:
    counts = {word: int(number) for number, word in _ONE_COUNT.findall(counts_text)}
    passed = counts.get("passed", 0) + counts.get("xpassed", 0)
    failed = counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0)
    return TestCounts(passed, failed) if passed + failed else None


def _runner_counts(tail: str) -> TestCounts | None:
    counts = runner_counts(tail)
    return TestCounts(*counts) if counts else None


def _unittest_counts(tail: str) -> TestCounts | None:
    ran = list(_UNITTEST_RAN.finditer(tail))
    if not ran:
        return None
    last = ran[-1]
    result = _UNITTEST_RESULT.search(tail, last.end())
    if result is None:
        return None
    detail = {key: int(value) for key, value in _DETAIL.findall(result["detail"] or "")}
    failed = detail.get("failures", 0) + detail.get("errors", 0) + detail.get("unexpected successes", 0)
    neutral = detail.get("skipped", 0) + detail.get("expected failures", 0)
    passed = max(0, int(last.group(1)) - failed - neutral)
    return TestCounts(passed, failed) if passed + failed else None


def _bounded(text: str) -> str:
    return text if len(text) <= HEAD_CHARS + TAIL_CHARS else text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]


def test_statuses(text: str, repo: str = "") -> dict[str, bool]:
    """Test name -> passed, for the tests an output lists one by one (pytest `-rA` / `-v`, verbose unittest,
    sympy); skipped tests are left out. Only a bounded head and tail of the output are read."""
    if not _may_show_tests(text):
        return {}
    parser = parser_for_repo(repo)  # pytest when the repo is unknown: then verbose unittest is tried too
    parsers = (parse_pytest, parse_unittest) if parser == "pytest" else (PARSERS[parser],)
    bounded = _bounded(text)
    for parse in parsers:
        statuses = {name: status == PASSED for name, status in parse(bounded).items() if status in OUTCOMES}
        if statuses:
            return statuses
    return {}


def _status_counts(text: str, repo: str) -> TestCounts | None:
    statuses = test_statuses(text, repo)
    passed = sum(statuses.values())
    return TestCounts(passed, len(statuses) - passed) if statuses else None


class TestState:
    """What the agent has seen of the tests so far: each test's last status, each command's last summary."""

    __test__ = False  # not a pytest test class

    def __init__(self, repo: str) -> None:
        self.repo = repo
        self.passed: dict[str, bool] = {}
        self.summaries: dict[str, TestCounts] = {}

    def observe(self, command_key: str, text: str) -> tuple[TestCounts | None, float | None]:
        """(counts this output shows, change in pass fraction): per test against each test's last status
        when the output lists tests seen before, else against the last summary of the same command."""
        counts = parse_test_counts(text, self.repo)
        statuses = test_statuses(text, self.repo)
        seen = [name for name in statuses if name in self.passed]
        delta = None
        if seen:
            delta = sum(int(statuses[name]) - int(self.passed[name]) for name in seen) / len(statuses)
        elif counts is not None and command_key in self.summaries:
            before, now = self.summaries[command_key].pass_fraction, counts.pass_fraction
            delta = now - before if before is not None and now is not None else None
        self.passed.update(statuses)
        if counts is not None:
            self.summaries[command_key] = counts
        return counts, delta

    def share_passing(self, names: list[str]) -> float | None:
        """Share of `names` last seen passing, over those seen at all; None when none was seen."""
        seen = [name for name in names if name in self.passed]
        return sum(self.passed[name] for name in seen) / len(seen) if seen else None


def repo_of(task_id: str, repo: str) -> str:
    """The task's `owner/name`: its repo field, else read from a SWE-bench id (`django__django-11019`)."""
    if repo:
        return repo
    owner, sep, rest = task_id.partition("__")
    return f"{owner}/{rest.rsplit('-', 1)[0]}" if sep and rest else ""
