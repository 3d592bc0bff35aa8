"""Test statuses shared by the log parsers and the grader, and the worst-status-wins merge rule."""

from __future__ import annotations

PASSED = "PASSED"
FAILED = "FAILED"
SKIPPED = "SKIPPED"
ERROR = "ERROR"

_SEVERITY = {PASSED: 0, SKIPPED: 1, FAILED: 2, ERROR: 3}


def record(statuses: dict[str, str], name: str, status: str) -> None:
    """Set `name`'s status unless it already has a worse one: a test reported twice keeps its worst result,
    so a forged line can never turn a reported failure into a pass."""
    name = name.strip()
    if not name:
        return
    previous = statuses.get(name)
    if previous is None or _SEVERITY[status] > _SEVERITY[previous]:
        statuses[name] = status
