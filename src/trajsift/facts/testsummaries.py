"""Summary lines of test runners outside Python, read from the tail of an observation.

Each runner prints its own totals; the last summary in the tail wins, except where a run prints one summary per
test binary or package (cargo, go), which are summed. Skipped / pending / ignored tests count neither way.

- cargo / libtest: `test result: FAILED. 3 passed; 1 failed; 0 ignored; ...`
- Jest: `Tests:       1 failed, 1 skipped, 5 passed, 7 total`; Vitest: `Tests  1 failed | 5 passed (6)`
- Mocha: `5 passing (20ms)` / `1 failing`; TAP (node --test, prove): `# pass 5` / `# fail 1`; bun test: ` 5 pass` /
  ` 1 fail` above `Ran 6 tests across 1 file.`
- RSpec: `7 examples, 1 failure, 2 pending`; Minitest: `5 runs, 9 assertions, 1 failures, 0 errors, 0 skips`
- PHPUnit: `OK (5 tests, 10 assertions)` / `Tests: 5, Assertions: 10, Failures: 1, Errors: 1.`
- Maven Surefire / JUnit: `Tests run: 5, Failures: 1, Errors: 0, Skipped: 0`; Gradle: `5 tests completed, 1 failed`
- CTest: `80% tests passed, 1 tests failed out of 5`
- .NET: `Failed!  - Failed:     1, Passed:     4, Skipped: 0, Total: 5`, or `Total tests: 5 ... Passed: 4 ... Failed: 1`
- Go: `--- PASS: TestX` / `--- FAIL: TestX` lines when verbose, else package lines `ok  pkg 0.01s` / `FAIL pkg 0.01s`
"""

from __future__ import annotations

import re
from collections.abc import Callable

Counts = tuple[int, int]
"""(passed, failed)"""

_CARGO = re.compile(r"^test result: (?:ok|FAILED)\. (\d+) passed; (\d+) failed", re.M)
_JEST = re.compile(r"^\s*Tests:\s+(.*\d+ total)\s*$", re.M)
_VITEST = re.compile(r"^\s*Tests\s+(\d+ (?:failed|passed|skipped|todo).*?)\s*\(\d+\)\s*$", re.M)
_MOCHA_PASSING = re.compile(r"^\s*(\d+) passing\b", re.M)
_MOCHA_FAILING = re.compile(r"^\s*(\d+) failing\b", re.M)
_TAP = re.compile(r"^# (pass|fail)\s+(\d+)\s*$", re.M)
_BUN = re.compile(
    r"^[ \t]*(\d+) pass[ \t]*\n(?:[ \t]*\d+ skip[ \t]*\n)?[ \t]*(\d+) fail[ \t]*\n(?:.*\n){0,3}?Ran \d+ tests? across",
    re.M,
)
_RSPEC = re.compile(r"^(\d+) examples?, (\d+) failures?", re.M)
_MINITEST = re.compile(r"^(\d+) (?:runs|tests), \d+ assertions, (\d+) failures, (\d+) errors", re.M)
_PHPUNIT_OK = re.compile(r"^OK \((\d+) tests?, \d+ assertions?\)", re.M)
_PHPUNIT_BAD = re.compile(r"^Tests: (\d+), Assertions: \d+(?P<rest>(?:, \w+: \d+)*)\.?\s*$", re.M)
_SUREFIRE = re.compile(r"Tests run: (\d+), Failures: (\d+), Errors: (\d+)(?:, Skipped: (\d+))?")
_GRADLE = re.compile(r"^(\d+) tests? completed(?:, (\d+) failed)?(?:, (\d+) skipped)?", re.M)
_CTEST = re.compile(r"^\d+% tests passed, (\d+) tests? failed out of (\d+)", re.M)
_DOTNET = re.compile(r"(?:Passed|Failed)!\s+-\s+Failed:\s+(\d+), Passed:\s+(\d+)")
_DOTNET_OLD = re.compile(r"^Total tests: \d+[\s\S]{0,200}?Passed: (\d+)(?:[\s\S]{0,200}?Failed: (\d+))?", re.M)
_GO_TEST = re.compile(r"^\s*--- (PASS|FAIL): ", re.M)
_GO_PACKAGE = re.compile(r"^(ok|FAIL)\s+\S+\s+(?:[\d.]+s|\(cached\))", re.M)
_WORD_COUNT = re.compile(r"(\d+) (\w+)")


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    matches = list(pattern.finditer(text))
    return matches[-1] if matches else None


def _cargo(text: str) -> Counts | None:
    found = _CARGO.findall(text)
    return (sum(int(p) for p, _ in found), sum(int(f) for _, f in found)) if found else None


def _words(counts: str) -> Counts:
    words = {word: int(number) for number, word in _WORD_COUNT.findall(counts)}
    return words.get("passed", 0), words.get("failed", 0)


def _jest(text: str) -> Counts | None:
    match = _last(_JEST, text) or _last(_VITEST, text)
    return _words(match.group(1)) if match else None


def _mocha(text: str) -> Counts | None:
    passing, failing = _last(_MOCHA_PASSING, text), _last(_MOCHA_FAILING, text)
    if passing is None and failing is None:
        return None
    return int(passing.group(1)) if passing else 0, int(failing.group(1)) if failing else 0


def _tap(text: str) -> Counts | None:
    found = dict((kind, int(n)) for kind, n in _TAP.findall(text))
    return (found.get("pass", 0), found.get("fail", 0)) if found else None


def _bun(text: str) -> Counts | None:
    match = _last(_BUN, text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _rspec(text: str) -> Counts | None:
    match = _last(_RSPEC, text)
    if match:
        total, failed = int(match.group(1)), int(match.group(2))
        return max(total - failed, 0), failed
    match = _last(_MINITEST, text)
    if match:
        failed = int(match.group(2)) + int(match.group(3))
        return max(int(match.group(1)) - failed, 0), failed
    return None


def _phpunit(text: str) -> Counts | None:
    ok, bad = _last(_PHPUNIT_OK, text), _last(_PHPUNIT_BAD, text)
    if bad and (ok is None or bad.start() > ok.start()):
        rest = {key: int(value) for key, value in re.findall(r"(\w+): (\d+)", bad.group("rest"))}
        failed = rest.get("Failures", 0) + rest.get("Errors", 0)
        neutral = sum(rest.get(key, 0) for key in ("Skipped", "Incomplete", "Risky", "Warnings", "Deprecations"))
        return max(int(bad.group(1)) - failed - neutral, 0), failed
    return (int(ok.group(1)), 0) if ok else None


def _junit(text: str) -> Counts | None:
    match = _last(_SUREFIRE, text)
    if match:
        failed = int(match.group(2)) + int(match.group(3))
        return max(int(match.group(1)) - failed - int(match.group(4) or 0), 0), failed
    match = _last(_GRADLE, text)
    if match:
        failed, skipped = int(match.group(2) or 0), int(match.group(3) or 0)
        return max(int(match.group(1)) - failed - skipped, 0), failed
    return None


def _ctest(text: str) -> Counts | None:
    match = _last(_CTEST, text)
    return (int(match.group(2)) - int(match.group(1)), int(match.group(1))) if match else None


def _dotnet(text: str) -> Counts | None:
    found = _DOTNET.findall(text)
    if found:
        return sum(int(p) for _, p in found), sum(int(f) for f, _ in found)
    match = _last(_DOTNET_OLD, text)
    return (int(match.group(1)), int(match.group(2) or 0)) if match else None


def _go(text: str) -> Counts | None:
    for pattern in (_GO_TEST, _GO_PACKAGE):
        statuses = pattern.findall(text)  # one group: the status
        if statuses:
            return sum(s in ("PASS", "ok") for s in statuses), sum(s == "FAIL" for s in statuses)
    return None


RUNNERS: dict[str, Callable[[str], Counts | None]] = {
    "cargo": _cargo,
    "jest": _jest,
    "mocha": _mocha,
    "tap": _tap,
    "bun": _bun,
    "rspec": _rspec,
    "phpunit": _phpunit,
    "junit": _junit,
    "ctest": _ctest,
    "dotnet": _dotnet,
    "go": _go,
}
SCREEN_WORDS = (
    *("test result:", "Tests:", "Tests  ", "passing", "failing", "# pass", "# fail", "examples,", "runs,", "OK ("),
    *("Tests run:", "tests completed", "tests passed", "Total tests", "Passed!", "Failed!", "--- PASS", "--- FAIL"),
    *("ok  \t", "FAIL\t", " pass\n"),
)
"""Words one of the summaries above contains: a tail without any is not parsed (substring tests, much cheaper
than one regex of all the summary lines)."""


def runner_counts(tail: str) -> Counts | None:
    """(passed, failed) of the first runner whose summary the tail shows, or None."""
    if not any(word in tail for word in SCREEN_WORDS):
        return None
    for parse in RUNNERS.values():
        counts = parse(tail)
        if counts is not None and sum(counts):
            return counts
    return None
