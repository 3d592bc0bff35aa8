"""How an OpenHands LLM completion log ended, from what the log itself holds.

A completion log is one LLM call (the conversation so far plus the answer); the run's end state is not
recorded in it. The exit status is derived from the evidence it does hold, first match wins:
1. an error the record carries (`error` / `exception`, top level or in `metadata`): its first line;
2. the final answer calls `finish`: `finished` (OpenHands' agent state for a finished run);
3. an iteration limit the record carries (`max_iterations`, `max_steps`, ... at the top level or in
   `metadata` / `args` / `kwargs` / `config`) reached by the number of LLM calls: `max_iterations_reached`;
4. a scaffold (user) message among the last messages saying a limit was reached: that line, after
   `max_iterations_reached: ` (or `max_budget_reached: ` for a budget);
5. no `finish` and the call count is a multiple of ten (configured limits are round numbers; real runs
   with a 50-iteration limit end on call 50 with an ordinary tool call):
   `max_iterations_reached (inferred: N LLM calls without finish)`;
6. otherwise "": the log stops without saying why (`unknown`).
The rule that decided, with its evidence, goes to `metadata.exit_evidence`; an error's full text (bounded)
to `metadata.error`. The spellings are those `trajsift.checks._exit_status` maps (`finished` to
submitted, `max_iterations` to step_limit, `budget` to cost_limit).
"""

from __future__ import annotations

import re
from typing import Any

from trajsift.readers._messages import message_text

FINISHED = "finished"
STEP_LIMIT = "max_iterations_reached"
COST_LIMIT = "max_budget_reached"
ERROR_KEYS = ("error", "exception", "error_message")
LIMIT_KEYS = ("max_iterations", "max_iteration", "max_steps", "max_turns", "iteration_limit", "step_limit")
SCOPES = ("metadata", "args", "kwargs", "config")
LIMIT_MESSAGE = re.compile(
    r"(?:reached|hit|exceeded|exhausted)\b[^\n.]{0,40}\b(?:max(?:imum)?|limit)\b[^\n.]{0,30}"
    r"(?:iteration|step|turn|budget)s?|(?:iteration|step|turn) limit (?:reached|exceeded)",
    re.IGNORECASE,
)
EXECUTION_RESULT = re.compile(r"^\s*EXECUTION RESULT of \[")
LAST_MESSAGES = 3
ROUND_LIMIT = 10
TEXT_LIMIT = 4096


def completion_exit(
    record: dict[str, Any], messages: list[dict[str, Any]], calls: int, finished: bool
) -> tuple[str, dict[str, str]]:
    """`(exit_status, metadata)` for a completion log with `calls` LLM calls; `finished`: it ends on `finish`."""
    error = _error(record)
    if error:
        first_line = next((line.strip() for line in error.splitlines() if line.strip()), error)
        return first_line[:200], {"error": error[:TEXT_LIMIT], "exit_evidence": "error recorded in the log"}
    if finished:
        return FINISHED, {"exit_evidence": "the last call is finish"}
    limit = _limit(record)
    if limit is not None and calls >= limit:
        return STEP_LIMIT, {"exit_evidence": f"{calls} LLM calls, recorded limit {limit}"}
    message = _limit_message(messages)
    if message:
        prefix = COST_LIMIT if "budget" in message.lower() else STEP_LIMIT
        return f"{prefix}: {message}", {"exit_evidence": "limit message in the last messages"}
    if calls >= ROUND_LIMIT and calls % ROUND_LIMIT == 0:
        inferred = f"inferred: {calls} LLM calls without finish"
        return f"{STEP_LIMIT} ({inferred})", {"exit_evidence": inferred}
    return "", {"exit_evidence": f"no finish after {calls} LLM calls; the log does not say why"}


def _scopes(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [record] + [record[key] for key in SCOPES if isinstance(record.get(key), dict)]


def _error(record: dict[str, Any]) -> str:
    for scope in _scopes(record):
        for key in ERROR_KEYS:
            value = scope.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return ""


def _limit(record: dict[str, Any]) -> int | None:
    for scope in _scopes(record):
        for key in LIMIT_KEYS:
            value = scope.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return None


def _limit_message(messages: list[dict[str, Any]]) -> str:
    """A limit line in a scaffold-written user message near the end (never the task, never tool output)."""
    first_user = next((i for i, m in enumerate(messages) if m.get("role") == "user"), -1)
    start = max(first_user + 1, len(messages) - LAST_MESSAGES)
    for message in reversed(messages[start:]):
        text = message_text(message) if message.get("role") == "user" else ""
        match = LIMIT_MESSAGE.search(text) if text and not EXECUTION_RESULT.match(text) else None
        if match:
            line_start = text.rfind("\n", 0, match.start()) + 1
            line_end = text.find("\n", match.end())
            return text[line_start : line_end if line_end >= 0 else len(text)].strip()[:200]
    return ""
