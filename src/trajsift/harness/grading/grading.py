"""Grade a test run as the SWE-bench harness does: resolved fully, partially or not.

Rules (SWE-bench's, with the deviations marked):
- "full": every FAIL_TO_PASS and every PASS_TO_PASS test passed.
- "partial": at least one FAIL_TO_PASS test passed, not all, and every PASS_TO_PASS test passed.
- "none": anything else. Mixed cases follow SWE-bench: all FAIL_TO_PASS passing with a PASS_TO_PASS failure is
  "none" (a regression), as is any case where no FAIL_TO_PASS test passed.
- A test absent from the output counts as failed.
- SKIPPED (incl. expected failures): passes for PASS_TO_PASS (not a regression; SWE-bench treats skips as
  neutral) but FAILS for FAIL_TO_PASS. Deviation: SWE-bench leaves skipped FAIL_TO_PASS tests out of the ratio,
  so a patch that makes the library raise SkipTest/xfail could be graded resolved; here it cannot.
- Deviation: with no FAIL_TO_PASS tests nothing shows the fix works, so the result is "none" (`no_fail_to_pass`);
  SWE-bench counts an empty list as fully passing.
- PASS_TO_PASS names that are log artefacts rather than tests (`[100%]`, `[`, from wrapped pytest progress lines in
  some SWE-bench lists) are ignored and listed in `ignored`.
- A patch that touched test files (`tampered`, from the patching module's `touches_tests`) is "none" with reason
  `test_tampering`, whatever the log says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import msgspec

from trajsift.harness.grading.statuses import PASSED, SKIPPED

FULL = "full"
PARTIAL = "partial"
NONE = "none"
TEST_TAMPERING = "test_tampering"
NO_FAIL_TO_PASS = "no_fail_to_pass"

_F2P_PASSING = frozenset({PASSED})
_P2P_PASSING = frozenset({PASSED, SKIPPED})
_ARTEFACT_NAME = re.compile(r"^\[(?:\s*\d+%\]|$)")  # `[ 10%]...` progress tails, or a lone `[`


class Grade(msgspec.Struct, kw_only=True):
    f2p_passed: list[str]
    f2p_failed: list[str]
    p2p_passed: list[str]
    p2p_failed: list[str]
    resolution: str
    """"full", "partial" or "none"."""
    reason: str = ""
    """Why the resolution is forced to "none" regardless of the tests (`test_tampering`, `no_fail_to_pass`)."""
    missing: list[str] = []
    """Listed tests absent from the output (already counted in the *_failed lists)."""
    ignored: list[str] = []
    """PASS_TO_PASS entries that are log artefacts, not tests."""
    tampered: list[str] = []


def grade(
    status: dict[str, str],
    fail_to_pass: Sequence[str],
    pass_to_pass: Sequence[str],
    tampered: Sequence[str] = (),
) -> Grade:
    """Grade a parsed test log (`logs.parse_log` / `logs.combine`) against the task's test lists."""
    f2p = _unique(fail_to_pass)
    p2p = [name for name in _unique(pass_to_pass) if not _ARTEFACT_NAME.match(name)]
    f2p_passed, f2p_failed = _split(status, f2p, _F2P_PASSING)
    p2p_passed, p2p_failed = _split(status, p2p, _P2P_PASSING)
    reason = ""
    if tampered:
        reason = TEST_TAMPERING
    elif not f2p:
        reason = NO_FAIL_TO_PASS
    return Grade(
        f2p_passed=f2p_passed,
        f2p_failed=f2p_failed,
        p2p_passed=p2p_passed,
        p2p_failed=p2p_failed,
        resolution=NONE if reason else _resolution(f2p_passed, f2p_failed, p2p_failed),
        reason=reason,
        missing=[name for name in (*f2p, *p2p) if name not in status],
        ignored=[name for name in _unique(pass_to_pass) if _ARTEFACT_NAME.match(name)],
        tampered=list(tampered),
    )


def _resolution(f2p_passed: list[str], f2p_failed: list[str], p2p_failed: list[str]) -> str:
    if p2p_failed or not f2p_passed:
        return NONE
    return PARTIAL if f2p_failed else FULL


def _split(status: dict[str, str], names: list[str], passing: frozenset[str]) -> tuple[list[str], list[str]]:
    passed = [name for name in names if status.get(name) in passing]
    failed = [name for name in names if status.get(name) not in passing]
    return passed, failed


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))
