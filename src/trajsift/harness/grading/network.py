"""Which failed tests failed because the sandbox has no network (so their verdict is `unknown`, not `incorrect`).

Tests run with the network off. A test that reaches the internet (requests' tests call httpbin.org) fails there
whatever the patch does; the SWE-bench harness ran with the network on, so its label says nothing about our
failure. A failure counts as a network failure only when the log ties it to a test and shows an error the
operating system gives for a missing network (name resolution failed, network unreachable, connection refused by
the resolver): an assertion that merely mentions `ConnectionError` is not one.

Policy (`judge_offline`): a PASS_TO_PASS test that failed for want of the network is neutral, like a skipped one
(it says nothing about the patch); a FAIL_TO_PASS one leaves the fix unjudged: when such tests are the only
failures left, the verdict is `unknown(network_required)` with their names.

Attribution, from pytest's output: a short-summary line `FAILED <id> - <message>` whose message shows such an
error, or a failure section (`____ Class.test_x ____` up to the next section) whose traceback shows one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from trajsift.harness.grading.grading import Grade, grade
from trajsift.harness.grading.logs import clean_lines
from trajsift.harness.grading.statuses import SKIPPED

OFFLINE_ERRORS = re.compile(
    r"Temporary failure in name resolution|Name or service not known|No address associated with hostname"
    r"|nodename nor servname|getaddrinfo failed|Network is unreachable|\[Errno -[235]\]|\[Errno 101\]"
    r"|Failed to establish a new connection|Could not resolve host|socket\.gaierror"
)
_SECTION = re.compile(r"^_+ ([^_\s].*?) _+$")  # a long name leaves one or two `_` each side
_RULE = re.compile(r"^={3,}")
_SUMMARY = re.compile(r"^(?:FAILED|ERROR) (\S+)(?: - (.*))?$")


def offline_failures(log: str, failed: Iterable[str]) -> list[str]:
    """The names in `failed` whose failure the log attributes to the missing network."""
    failed = list(dict.fromkeys(failed))
    if not failed or not OFFLINE_ERRORS.search(log):
        return []
    lines = clean_lines(log)
    keys = _summary_ids(lines) | _section_keys(lines)
    return [name for name in failed if name in keys or _short(name) in keys]


def judge_offline(
    graded: Grade, status: dict[str, str], log: str, fail_to_pass: list[str], pass_to_pass: list[str]
) -> tuple[Grade, list[str], bool]:
    """(the grade with offline PASS_TO_PASS failures neutral, the tests that failed offline, whether the fix is
    unjudged: every failure left is a FAIL_TO_PASS test that failed offline)."""
    offline = offline_failures(log, [*graded.f2p_failed, *graded.p2p_failed])
    if not offline:
        return graded, [], False
    neutral = {name: SKIPPED for name in offline if name in graded.p2p_failed}
    regraded = grade({**status, **neutral}, fail_to_pass, pass_to_pass) if neutral else graded
    unjudged = bool(regraded.f2p_failed) and not regraded.p2p_failed and set(regraded.f2p_failed) <= set(offline)
    return regraded, offline, unjudged


def _summary_ids(lines: list[str]) -> set[str]:
    found = set()
    for line in lines:
        match = _SUMMARY.match(line)
        if match and match[2] and OFFLINE_ERRORS.search(match[2]):
            found.add(match[1])
    return found


def _section_keys(lines: list[str]) -> set[str]:
    """Short names (`test_x`, `test_x[param]`) of the failure sections whose text shows an offline error."""
    found, current, text = set(), "", []
    for line in [*lines, "=== end ==="]:
        header = _SECTION.match(line)
        if header or _RULE.match(line):
            if current and OFFLINE_ERRORS.search("\n".join(text)):
                found.add(current)
            current, text = (_short(header[1]) if header else ""), []
        elif current:
            text.append(line)
    return found


def _short(name: str) -> str:
    """`tests/test_x.py::TestA::test_y[p]`, `TestA.test_y[p]` -> `test_y[p]`."""
    base, bracket, params = name.partition("[")
    last = re.split(r"::|\.", base)[-1].strip()
    return last + bracket + params
