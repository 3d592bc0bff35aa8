"""Facts read from words: how much the agent hesitates in its own reasoning, which code identifiers a text
names (to compare a task statement with the change a run made), and the run's last words (what it claims).

All are bounded: at most `THOUGHT_LIMIT` characters of each thought, `TEXT_LIMIT` of a statement or a change
and the last `LAST_WORDS` characters of the final message are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from trajsift.schema import ActionType, Step

THOUGHT_LIMIT = 4_000
LAST_WORDS = 600
TEXT_LIMIT = 20_000
MIN_NAME = 4
HESITATION = re.compile(
    r"\b(?:wait|actually|hmm+|however|but|although|not sure|unclear|confus\w*|strange|weird|unexpected|still)\b",
    re.I,
)
"""Words of second thoughts and surprise in an agent's reasoning."""
_CLOSING = (ActionType.SUBMIT, ActionType.GIVE_UP)
VERIFIED_CLAIM = re.compile(
    r"\b(?:tests (?:now )?pass|tests? (?:are )?passing|passes all|verified|confirm(?:s|ed)? (?:that )?the fix)",
    re.I,
)
"""The final message says the fix was checked: the tests pass, it was verified, the fix confirmed."""
_IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\b")
_DEFINITION = re.compile(r"\b(?:def|class|func|function|fn)\s+(\w+)")
_URL = re.compile(r"\w+://\S+|\bwww\.\S+")


def hesitation_rate(steps: Iterable[Step]) -> float | None:
    """Hesitation words per 100 words of the agent's reasoning (its thoughts); None when it wrote none."""
    words = hesitations = 0
    for step in steps:
        text = step.thought[:THOUGHT_LIMIT]
        if text:
            words += len(text.split())
            hesitations += len(HESITATION.findall(text))
    return 100.0 * hesitations / words if words else None


def _is_code_name(token: str) -> bool:
    """A token that reads as code, not prose: snake_case, dotted, or CamelCase with an inner capital."""
    return "_" in token or "." in token or (token[:1].isupper() and any(c.isupper() for c in token[1:]))


def code_names(text: str) -> set[str]:
    """Code identifiers a text names outside URLs (parts of dotted names included), at least `MIN_NAME`
    characters long; plus the names the text defines (`def` / `class` ...)."""
    bounded = _URL.sub(" ", text[:TEXT_LIMIT])
    names = set(_DEFINITION.findall(bounded))
    for match in _IDENTIFIER.finditer(bounded):
        token = match.group(0)
        if _is_code_name(token):
            names.update(part for part in token.split(".") if len(part) >= MIN_NAME)
    return {name for name in names if len(name) >= MIN_NAME}


def names_overlap(statement: str, change: str) -> float | None:
    """1.0 when the change names a code identifier the statement names, 0.0 when both name some and none is
    shared, None when either names none."""
    wanted, found = code_names(statement), code_names(change)
    if not wanted or not found:
        return None
    return 1.0 if wanted & found else 0.0


def last_words(steps: list[Step], final_answer: object = "") -> str:
    """The tail (`LAST_WORDS` characters) of the run's last words: the final message the chat readers keep after
    the last step (`metadata["final_answer"]`), else its last thought, or the text of its submit / give-up
    action when it wrote no thought."""
    if isinstance(final_answer, str) and final_answer.strip():
        return final_answer[-LAST_WORDS:]
    for step in reversed(steps):
        text = step.thought or (step.action.command if step.action.type in _CLOSING else "")
        if text.strip():
            return text[-LAST_WORDS:]
    return ""


def claims_verified(text: str) -> bool:
    """The text claims the fix was checked (`VERIFIED_CLAIM`)."""
    return bool(VERIFIED_CLAIM.search(text))
