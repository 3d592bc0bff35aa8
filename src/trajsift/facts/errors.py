"""Facts about the errors a run saw: the error a task statement reports, and the files a traceback names.

Two facts tie a run's fix to the failure it was meant to cure, the same way for every format:
- `statement_error_gone`: the statement quotes an exception line (`ValueError: bad input`); the run showed that
  line in an execution before its first edit, and no execution after its last edit shows it any more.
- `fix_aimed_at_error`: the last failing execution before the run's last edit printed a traceback naming a
  file the run changed (the fix went where the error was last seen).
Observations are read through `steps.bounded` (head and tail) and statements up to `STATEMENT_LIMIT`.
"""

from __future__ import annotations

import re

from trajsift.facts import steps as st
from trajsift.schema import Step

STATEMENT_LIMIT = 20_000
MIN_ERROR = 8
ERROR_KEY = 80
EXCEPTION_LINE = re.compile(r"^\s*((?:\w+\.)*\w*(?:Error|Exception|Warning)\b:?[^\n]{0,160})$", re.M)
"""A line starting with an exception name (`ValueError: ...`, `django.core.exceptions.FieldError: ...`)."""
TRACEBACK_FILE = re.compile(r'File "([^"\n]+)", line \d+')
_LIBRARY = re.compile(r"site-packages/|dist-packages/|/lib/python[\d.]*/|^<")
Runs = list[tuple[int, bool]]
"""(step index, passed) for each execution of a run, in order."""


def _squash(text: str) -> str:
    return " ".join(text.split())


def reported_errors(statement: str) -> set[str]:
    """The exception lines a task statement quotes (whitespace-collapsed, at most `ERROR_KEY` characters)."""
    lines = (_squash(match.group(1)) for match in EXCEPTION_LINE.finditer(statement[:STATEMENT_LIMIT]))
    return {line[:ERROR_KEY] for line in lines if len(line) >= MIN_ERROR}


def shows_error(text: str, errors: set[str]) -> bool:
    squashed = _squash(st.bounded(text))
    return any(error in squashed for error in errors)


def traceback_files(text: str) -> list[str]:
    """Project files a traceback in the output names (library and interpreter frames left out)."""
    return [path for path in TRACEBACK_FILE.findall(st.bounded(text)) if not _LIBRARY.search(path)]


def statement_error_gone(steps: list[Step], edits: list[int], runs: Runs, statement: str) -> float | None:
    """1.0: the statement's error was seen before the first edit and in no execution after the last one; 0.0:
    it still shows after the last edit; None: the statement quotes none, the run never reproduced it before
    editing, or nothing ran after the last edit."""
    errors = reported_errors(statement)
    if not errors or not edits:
        return None
    after = [i for i, _ in runs if i > edits[-1]]
    reproduced = any(shows_error(steps[i].observation.text, errors) for i, _ in runs if i < edits[0])
    if not after or not reproduced:
        return None
    return 0.0 if any(shows_error(steps[i].observation.text, errors) for i in after) else 1.0


def fix_aimed_at_error(steps: list[Step], edits: list[int], runs: Runs, changed: list[str]) -> float | None:
    """1.0 when the last failing execution before the last edit shows a traceback naming a changed file,
    0.0 when its traceback names only other files, None without such a traceback or without changed files."""
    failing = [i for i, passed in runs if not passed and edits and i < edits[-1]]
    sources = [path for path in changed if not st.is_scratch(path)]
    if not failing or not sources:
        return None
    named = traceback_files(steps[failing[-1]].observation.text)
    if not named:
        return None
    names = {st.base_name(path) for path in named}
    return 1.0 if any(st.base_name(path) in names for path in sources) else 0.0
