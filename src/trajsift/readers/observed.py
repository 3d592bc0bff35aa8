"""What a tool output's own text says: how its command ended, whether it was cut, which file an editor had open.

Scaffold logs flag these in fields or templates of their own; a chat record (an SFT export, a proxy's log, a
format trajsift has no reader for) holds only the text. The readers share one reading of it:

- exit status: OpenHands' `[Command finished with exit code N]` footer, mini-swe-agent's `<returncode>N</returncode>`,
  and plain `Exit code: N` / `Process exited with code N` lines;
- errors: an `ERROR:` prefix (editors' rejected calls), a rejected edit; where no exit status is printed, the
  text's own markers (traceback, `command not found`, `No such file or directory`, an `XError: ` line), as
  SWE-agent's reader has always read its observations;
- the file an ACI editor (SWE-agent's `open` / `edit N:M`) had open: its `[File: path (N lines total)]` header.

Heuristics look at the first and last characters of the text only: statuses and errors sit there.
"""

from __future__ import annotations

import re
from typing import Any

from trajsift.readers.base import as_text
from trajsift.schema import ActionType, Observation, Step

TRUNCATION_MARKERS = (
    "<response clipped>",
    "bservation truncated",
    "utput truncated",
    "characters were elided",
    "lease narrow your search",
    "truncated ...]",
    "truncated due to length",
)
TEMPLATE_TRUNCATION = ("<output_head>", "<elided_chars>", "<output_tail>", "output of your last command was too long")
REJECTED_EDIT = "Your proposed edit has introduced new syntax error"
ERROR_MARKERS = ("Traceback (most recent call last)", "command not found", "No such file or directory", REJECTED_EDIT)
ERROR_LINE = re.compile(r"^(?:\w*(?:Error|Exception): |Usage: |File .{1,300} not found$)", re.MULTILINE)
ERROR_LINE_HINTS = ("Error: ", "Exception: ", "Usage: ", " not found")
ERROR_PREFIXES = ("ERROR:", "[Error", "Error:")
EXIT_FOOTER = re.compile(r"\[(?:Command finished with exit code|The command completed with exit code) (-?\d+)\.?\]")
RETURNCODE = re.compile(r"<returncode>\s*(-?\d+)\s*</returncode>")
EXIT_LINE = re.compile(r"^(?:Exit code|Exit status|Return code|Process exited with code):? (-?\d+)\s*$", re.M | re.I)
OPEN_FILE = re.compile(r"^\[File: ([^\n]{1,500}?) \(\d+ lines total\)\]", re.MULTILINE)
SCAN_HEAD, SCAN_TAIL = 256, 768


def observation_is_error(text: str) -> bool:
    """Heuristic: the observation is clearly an error (traceback, shell error, rejected edit)."""
    return _shows_error(_edges(text))


def observation_is_truncated(text: str) -> bool:
    """The scaffold says it clipped or withheld output."""
    return _contains_any(_edges(text), TRUNCATION_MARKERS)


def make_observation(value: Any) -> Observation:
    """An observation read by the text heuristics alone (SWE-agent, AutoCodeRover: no exit status printed)."""
    text = as_text(value)
    if not text:
        return Observation()
    edges = _edges(text)
    return Observation(text=text, is_error=_shows_error(edges), truncated=_contains_any(edges, TRUNCATION_MARKERS))


def exit_code_of(text: str) -> int | None:
    """The exit status the output prints (the last one), or None."""
    return _printed_exit_code(_edges(text))


def text_observation(text: str, flagged: bool = False) -> Observation:
    """A tool result known by its text (`flagged`: the record marked it an error): its exit status where it
    prints one, otherwise its error markers."""
    edges = _edges(text)
    code = _printed_exit_code(edges)
    rejected = text.lstrip().startswith(ERROR_PREFIXES) or REJECTED_EDIT in edges
    guessed = code is None and _shows_error(edges)
    truncated = _contains_any(edges, TRUNCATION_MARKERS) or _contains_any(edges, TEMPLATE_TRUNCATION)
    return Observation(text=text, exit_code=code, is_error=flagged or rejected or guessed, truncated=truncated)


def fill_open_files(steps: list[Step]) -> None:
    """An edit without a target edits the file the editor has open: the latest `[File: ...]` header shown, or
    the file of the latest `open` / `create` command (SWE-agent's ACI used through a generic shell tool)."""
    current = ""
    for step in steps:
        action = step.action
        if action.type is ActionType.EDIT and not action.target and current:
            action.target = current
        if action.type in (ActionType.READ, ActionType.CREATE) and action.command.startswith(("open ", "create ")):
            current = action.target or current
        edges = _edges(step.observation.text)
        shown = OPEN_FILE.findall(edges) if "[File: " in edges else None
        current = shown[-1].strip() if shown else current


def _shows_error(edges: str) -> bool:
    if _contains_any(edges, ERROR_MARKERS):
        return True
    return _contains_any(edges, ERROR_LINE_HINTS) and ERROR_LINE.search(edges) is not None


def _printed_exit_code(edges: str) -> int | None:
    found = [m for pattern in (EXIT_FOOTER, RETURNCODE, EXIT_LINE) for m in pattern.finditer(edges)]
    return int(max(found, key=lambda m: m.start()).group(1)) if found else None


def _contains_any(text: str, markers: tuple[str, ...]) -> bool:
    for marker in markers:  # a plain loop: cheaper than any() over a generator on the hot path
        if marker in text:
            return True
    return False


def _edges(text: str) -> str:
    return text if len(text) <= SCAN_HEAD + SCAN_TAIL else f"{text[:SCAN_HEAD]}\n{text[-SCAN_TAIL:]}"
