"""JSONL files that are one run's event stream, not one record per line: the whole file is one record.

Claude Code writes a session as JSONL (`~/.claude/projects/<dir>/<session>.jsonl`: `user` / `assistant` lines
with `sessionId`, `uuid`, `message`; `summary` and `file-history-snapshot` lines), and `claude -p --output-format
stream-json` prints the same lines (`session_id`) between a `system` `init` line and a `result` line. The Codex
CLI writes a rollout (`~/.codex/sessions/.../rollout-*.jsonl`): `{timestamp, type, payload}` lines of type
`session_meta`, `response_item`, `event_msg`, `turn_context`, `compacted`; `codex exec --json` prints a
`thread.started` line, then `item.*` and `turn.*` lines. When a
file's first record is such a line, its records are gathered into `{SESSION_EVENTS: [...]}` (undecodable lines
are still quarantined one by one), and the readers see one record per run: a file of several runs appended one
after another (`claude -p ... >> runs.jsonl`) is cut where a run starts (a `system` `init`, `thread.started` or
`session_meta` line). Such a file is never cut into spans.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from trajsift.readers.sources.quarantining import Decoded
from trajsift.readers.sources.streams import DECOMPRESSION_ERRORS, decompressing_stream

SESSION_EVENTS = "session_events"
MESSAGE_TYPES = frozenset({"user", "assistant", "system", "result"})
MARKER_TYPES = frozenset({"summary", "file-history-snapshot", "queue-operation"})
CODEX_TYPES = frozenset({"session_meta", "response_item", "event_msg", "turn_context", "compacted"})
RUN_STARTS = (("system", "init"), ("thread.started", None), ("session_meta", None))


def gather_sessions(items: Iterable[Decoded], path: str, at_file_start: bool) -> Iterator[Decoded]:
    """`items` (a JSONL file's decoded lines) as they are, unless the file starts with a session line: then one
    `{SESSION_EVENTS: [...]}` record per run (the first keyed by `path`, later ones by their first line)."""
    events: list[Any] | None = None
    origin = path
    for locator, record, bad in items:
        if at_file_start and bad is None and is_session_event(record):
            events = []
        at_file_start = False
        if events is None or bad is not None:
            yield locator, record, bad
            continue
        if events and _starts_run(record):
            yield origin, {SESSION_EVENTS: events}, None
            events, origin = [], locator
        events.append(record)
    if events:
        yield origin, {SESSION_EVENTS: events}, None


def _starts_run(record: dict[str, Any]) -> bool:
    kind, subtype = record.get("type"), record.get("subtype")
    return any(kind == start and (want is None or subtype == want) for start, want in RUN_STARTS)


def session_events(record: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The object events of a gathered session record, or None when `record` is not one."""
    events = record.get(SESSION_EVENTS)
    return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else None


def is_session_event(record: Any) -> bool:
    """A line of a Claude Code session or stream-json output, or of a Codex rollout."""
    if not isinstance(record, dict) or not isinstance(record.get("type"), str):
        return False
    kind = record["type"]
    if kind in CODEX_TYPES:
        return isinstance(record.get("payload"), dict)
    if kind == "thread.started":  # `codex exec --json`
        return isinstance(record.get("thread_id"), str)
    if kind in MARKER_TYPES:
        return "leafUuid" in record or "messageId" in record or "sessionId" in record
    if kind not in MESSAGE_TYPES or not ("sessionId" in record or "session_id" in record):
        return False
    return isinstance(record.get("message"), dict) or kind in ("system", "result")


FIRST_LINE_BYTES = 4 * 1024 * 1024
"""How much of a file `starts_session` reads for its first line (a longer first line: not a session)."""


def starts_session(path: str, codec: str) -> bool:
    """Whether the JSONL file at `path` (compressed with `codec`, or '') opens with a session line."""
    try:
        with open(path, "rb") as raw, io.BufferedReader(decompressing_stream(raw, codec)) as stream:
            lines = iter(lambda: stream.readline(FIRST_LINE_BYTES), b"")
            head = next((line for line in lines if line.strip()), b"")
    except (OSError, *DECOMPRESSION_ERRORS):
        return False
    try:
        return is_session_event(orjson.loads(head.removeprefix(b"\xef\xbb\xbf")))
    except orjson.JSONDecodeError:
        return False
