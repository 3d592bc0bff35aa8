"""Pure test-log parsers: a test run's output -> {test name: status}.

Statuses are PASSED, FAILED, SKIPPED (also expected failures) and ERROR. Names follow the SWE-bench harness
conventions (pytest node ids, `test_x (module.Class)` / docstring lines for unittest and Django, bare function
names for sympy's `bin/test`), so SWE-bench FAIL_TO_PASS / PASS_TO_PASS lists match.

Anti-spoofing: the tested code runs in the runner's process and may print anything. So a name reported more than
once keeps its worst status (a forged "ok" never hides a real failure), pytest text is read only from the last
short-summary section, and for pytest a JUnit XML report (`pytest_args_for_report`, `parse_junit`, `combine`)
outranks the text. Tests absent from the output are failures (see grading).
"""

from __future__ import annotations

import re

from trajsift.harness.grading.junit import combine, parse_junit, pytest_args_for_report
from trajsift.harness.grading.statuses import ERROR, FAILED, PASSED, SKIPPED, record

__all__ = [
    "ERROR",
    "FAILED",
    "PARSERS",
    "PASSED",
    "SKIPPED",
    "combine",
    "parse_junit",
    "parse_log",
    "parser_for_repo",
    "pytest_args_for_report",
]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_lines(log: str) -> list[str]:
    """The log's lines without ANSI colour codes, control characters or trailing blanks."""
    return [_CONTROL.sub("", _ANSI.sub("", line)).rstrip() for line in log.split("\n")]


# --- pytest ---------------------------------------------------------------------------------------------
_PYTEST_STATUS = {
    "PASSED": PASSED,
    "FAILED": FAILED,
    "ERROR": ERROR,
    "SKIPPED": SKIPPED,
    "XFAIL": SKIPPED,  # failed as expected: not a pass
    "XPASS": PASSED,  # non-strict unexpected pass (a strict one is reported FAILED)
}
_STATUS_FIRST = re.compile(r"^(?:\[gw\d+\] (?:\[\s*\d+%\] )?)?(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (.+)$")
_VERBOSE = re.compile(
    r"^(?P<name>\S.*?::.*?) (?P<status>PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)(?: \(.*\))?(?:\s+\[\s*\d+%\])?$"
)
_SUMMARY_HEADER = re.compile(r"^=+ short test summary info =+$")
_SECTION_RULE = re.compile(r"^=+ .* =+$")
_SKIP_COUNT = re.compile(r"^\[\d+\] ")


def parse_pytest(log: str) -> dict[str, str]:
    """pytest output: `-rA` summary lines (`PASSED x`, `FAILED x - msg`) or `-v` lines (`x PASSED [ 10%]`).

    When a short test summary section exists only the last one is read (up to the next `===` rule): captured
    output of passing tests, printed earlier in the PASSES section, cannot inject results.
    """
    lines = clean_lines(log)
    headers = [i for i, line in enumerate(lines) if _SUMMARY_HEADER.match(line)]
    statuses: dict[str, str] = {}
    if headers:
        for line in _section(lines, headers[-1] + 1):
            _pytest_status_first(statuses, line)
        return statuses
    for line in lines:
        verbose = _VERBOSE.match(line)
        if verbose and not _STATUS_FIRST.match(line):
            _record_pytest(statuses, verbose["name"], _PYTEST_STATUS[verbose["status"]])
        else:
            _pytest_status_first(statuses, line)
    return statuses


def _section(lines: list[str], start: int) -> list[str]:
    end = next((i for i in range(start, len(lines)) if _SECTION_RULE.match(lines[i])), len(lines))
    return lines[start:end]


def _pytest_status_first(statuses: dict[str, str], line: str) -> None:
    match = _STATUS_FIRST.match(line)
    if not match or _SKIP_COUNT.match(match[2]):  # `SKIPPED [2] file:line: reason` names no test
        return
    word, rest = match[1], match[2]
    name = rest.strip() if word == "PASSED" else split_name_message(rest)
    _record_pytest(statuses, name, _PYTEST_STATUS[word])


def split_name_message(rest: str) -> str:
    """`x - message` -> `x`, keeping ` - ` that sits inside a parametrised id's brackets."""
    separator = rest.find(" - ")
    if separator == -1:
        return rest.strip()
    bracket = rest.find("[")
    if 0 <= bracket < separator:
        for close in re.finditer(r"\](?= - |$)", rest):
            if close.start() > bracket:
                return rest[: close.end()].strip()
    return rest[:separator].strip()


def _record_pytest(statuses: dict[str, str], name: str, status: str) -> None:
    record(statuses, name, status)
    if " " in name:  # SWE-bench's parser keeps only the first word of an id with spaces; match its lists too
        record(statuses, name.split()[0], status)


# --- unittest and Django ----------------------------------------------------------------------------------
_UNITTEST_STATUS = {
    "ok": PASSED,
    "OK": PASSED,
    "FAIL": FAILED,
    "ERROR": ERROR,
    "expected failure": SKIPPED,
    "unexpected success": FAILED,
}
_TEST_ID = re.compile(r"^\w+ \([\w.]+\)")
_SUMMARY_FAILURE = re.compile(r"^(FAIL|ERROR): (.+)$")
_DJANGO_MIGRATION_PREFIX = re.compile(r"^Applying [\w.]+\.\.\.(?: OK)?\s*")
_DJANGO_MULTILINE_PASS = "--version is equivalent to version"


def _unittest_status(text: str) -> str | None:
    text = text.strip()
    if text.startswith("skipped"):
        return SKIPPED
    return _UNITTEST_STATUS.get(text)


def parse_unittest(log: str, django: bool = False) -> dict[str, str]:
    """Verbose unittest output (`test_x (mod.Class) ... ok`), incl. docstring lines and late status lines.

    With `django`, the quirks of Django's runner that the SWE-bench harness handles are handled too.
    """
    lines = [line.strip() for line in clean_lines(log)]
    statuses: dict[str, str] = {}
    pending: list[str] = []  # test(s) whose status was not on their ` ... ` line
    for index, line in enumerate(lines):
        if django:
            line = _DJANGO_MIGRATION_PREFIX.sub("", line)
            if _DJANGO_MULTILINE_PASS in line:
                record(statuses, _DJANGO_MULTILINE_PASS, PASSED)
        if " ... " in line or line.endswith(" ..."):
            name, _, rest = line.partition(" ...")
            names = [name]
            if not _TEST_ID.match(name) and index and _TEST_ID.match(lines[index - 1]):
                names.append(lines[index - 1])  # a docstring line: record the test id above it as well
            status = _unittest_status(rest)
            pending = [] if status else names
            for each in names if status else ():
                record(statuses, each, status)
        elif pending and (status := _unittest_status(line)):
            for each in pending:
                record(statuses, each, status)
        elif summary := _SUMMARY_FAILURE.match(line):
            _record_summary_failure(statuses, lines, index, summary)
    return statuses


def _record_summary_failure(statuses: dict[str, str], lines: list[str], index: int, summary: re.Match) -> None:
    """`FAIL: test_x (mod.Class)` blocks after the run; a docstring line may follow before the dashes."""
    status = FAILED if summary[1] == "FAIL" else ERROR
    name = summary[2].strip()
    record(statuses, name, status)
    base = _TEST_ID.match(name)
    if base and base[0] != name:  # a subtest: `test_x (mod.Class) (i=1)`
        record(statuses, base[0], status)
    if index + 2 < len(lines) and lines[index + 2].startswith("-----") and lines[index + 1]:
        record(statuses, lines[index + 1], status)


def parse_django(log: str) -> dict[str, str]:
    return parse_unittest(log, django=True)


# --- sympy bin/test -----------------------------------------------------------------------------------------
_SYMPY_STATUS = {"ok": PASSED, "F": FAILED, "E": ERROR, "T": FAILED, "X": FAILED, "f": SKIPPED}
_SYMPY_STATUS |= {"s": SKIPPED, "w": SKIPPED, "K": SKIPPED}
_SYMPY_FILE_VERDICT = re.compile(r"\s*\[(?:OK|FAIL)\]$")
_SYMPY_FAILURE_HEADER = re.compile(r"^_+ (\S+\.py):(\w+) _+$")


def parse_sympy(log: str) -> dict[str, str]:
    """sympy `bin/test --verbose` lines `test_name ok|F|E|f|X|s`; the file verdict `[OK]`/`[FAIL]` that is
    appended to the last test line of each file is stripped. An unexpected pass (X) is FAILED, as SWE-bench
    (which ignores such lines) grades it."""
    statuses: dict[str, str] = {}
    for line in clean_lines(log):
        line = line.strip()
        header = _SYMPY_FAILURE_HEADER.match(line)
        if header:
            record(statuses, f"{header[1]}:{header[2]}", FAILED)
            record(statuses, header[2], FAILED)
            continue
        if not line.startswith("test_"):
            continue
        tokens = _SYMPY_FILE_VERDICT.sub("", line).split()
        status = _sympy_token(tokens)
        if status:
            record(statuses, tokens[0], status)
    return statuses


def _sympy_token(tokens: list[str]) -> str | None:
    if len(tokens) < 2:
        return None
    if len(tokens) > 2 and tokens[1] in _SYMPY_STATUS and tokens[2] == "-":  # old `test_x s - reason`
        return _SYMPY_STATUS[tokens[1]]
    return _SYMPY_STATUS.get(tokens[-1])


# --- dispatch ---------------------------------------------------------------------------------------------
PARSERS = {"pytest": parse_pytest, "unittest": parse_unittest, "django": parse_django, "sympy": parse_sympy}
_REPO_PARSERS = {"django/django": "django", "sympy/sympy": "sympy"}


def parse_log(log: str, parser: str) -> dict[str, str]:
    """Test name -> status for a log in the given format (`pytest`, `unittest`, `django`, `sympy`)."""
    parse = PARSERS.get(parser)
    if parse is None:
        raise ValueError(f"unknown log parser {parser!r}; known: {sorted(PARSERS)}")
    return parse(log)


def parser_for_repo(repo: str) -> str:
    """The log format of a SWE-bench repository (`owner/name`); pytest for everything else."""
    return _REPO_PARSERS.get(repo.strip().lower().removesuffix(".git"), "pytest")
