"""`codex exec --json` output (what headless Codex runs print, e.g. Harbor's codex agent), one file per run,
gathered into one record by `sources.sessions`: `thread.started`, `turn.started`, `item.started` /
`item.updated` / `item.completed`, `turn.completed` (with `usage`), `turn.failed`, `error` lines.

Each item's last state is one step or one message (the type in `type`, or `item_type` in early versions):
`reasoning` is the next step's thought, `agent_message` (`assistant_message`) an assistant message,
`command_execution` a shell call with its `aggregated_output` (a non-zero `exit_code` or a `failed` status marks
an error), `file_change` an edit of its `changes`' paths, `mcp_tool_call` a call of `server.tool`, `web_search` a
search; `todo_list` and `error` items are kept in `metadata`. The prompt is not in this output: the instruction
is empty (the task id, a labels file or `--tasks` give the task). Tokens are summed over the turns' `usage`; a
`turn.failed` (or `error` line) ends the run with its message as the exit status, a last turn that completed
with the agent's message is `submitted`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from trajsift import reasons
from trajsift.readers.base import Origin, as_text, joined, number, require, summed
from trajsift.readers.chat import parse_messages
from trajsift.readers.sources.sessions import session_events
from trajsift.schema import Trajectory

FORMAT = "codex-exec"
ITEM_EVENTS = ("item.started", "item.updated", "item.completed")
MESSAGES = ("agent_message", "assistant_message")
KEPT_ITEMS = ("todo_list", "error")


class CodexExecReader:
    name: ClassVar[str] = FORMAT
    description: ClassVar[str] = "`codex exec --json` output (`thread.started`, `item.completed` lines; a file a run)"

    def sniff(self, record: dict[str, Any]) -> bool:
        events = session_events(record)
        return bool(events) and events[0].get("type") == "thread.started"

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Trajectory]:
        events = session_events(record) or []
        items = _last_states(events)
        messages: list[dict[str, Any]] = []
        kept: dict[str, list[dict[str, Any]]] = {}
        thought: list[str] = []
        for item in items:
            kind = _kind(item)
            if kind == "reasoning":
                thought.append(as_text(item.get("text")))
            elif kind in MESSAGES:
                messages.append({"role": "assistant", "content": joined(*thought, as_text(item.get("text")))})
                thought = []
            elif kind in KEPT_ITEMS:
                kept.setdefault(kind, []).append(item)
            else:
                messages += _call_messages(kind, item, joined(*thought))
                thought = []
        require(bool(messages), "no agent item", reasons.EMPTY_INPUT)
        return parse_messages(_flat_record(events, items, kept), origin, FORMAT, messages)


def _kind(item: dict[str, Any]) -> str:
    """The item's type (`item_type` in early versions)."""
    return str(item.get("type") or item.get("item_type") or "")


def _last_states(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each item's last state, in the order items started."""
    states: dict[str, dict[str, Any]] = {}
    for index, event in enumerate(events):
        item = event.get("item")
        if event.get("type") in ITEM_EVENTS and isinstance(item, dict):
            states[str(item.get("id") or f"#{index}")] = item
    return list(states.values())


def _call_messages(kind: str, item: dict[str, Any], thought: str) -> list[dict[str, Any]]:
    """An assistant message with the item's call, and the call's result."""
    call_id = str(item.get("id") or kind)
    status = str(item.get("status") or "")
    if kind == "command_execution":
        name, arguments = "shell", {"command": as_text(item.get("command"))}
        text = as_text(item.get("aggregated_output"))
        error = status == "failed" or number(item.get("exit_code"), int) not in (None, 0)
    elif kind == "file_change":
        listed = item.get("changes") if isinstance(item.get("changes"), list) else []
        changes = [change for change in listed if isinstance(change, dict)]
        paths = [as_text(c.get("path")) for c in changes]
        name, arguments = "apply_patch", {"path": paths[0] if paths else "", "changes": changes}
        text, error = f"{status}: {', '.join(paths)}", status == "failed"
    elif kind == "mcp_tool_call":
        name = f"{as_text(item.get('server'))}.{as_text(item.get('tool'))}"
        arguments = item.get("arguments") if isinstance(item.get("arguments"), dict) else {}
        text, error = as_text(item.get("result") or item.get("error")), status == "failed" or bool(item.get("error"))
    else:
        name, arguments, text, error = kind or "tool", {"query": as_text(item.get("query"))}, "", False
    call = {"id": call_id, "function": {"name": name, "arguments": arguments}}
    return [
        {"role": "assistant", "content": thought, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call_id, "content": text, "is_error": error},
    ]


def _flat_record(
    events: list[dict[str, Any]], items: list[dict[str, Any]], kept: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    flat: dict[str, Any] = {"scaffold": "codex", **{f"codex_{kind}": value for kind, value in kept.items()}}
    thread = next((e.get("thread_id") for e in events if e.get("type") == "thread.started"), None)
    if isinstance(thread, str) and thread:
        flat["id"] = thread
    turns = [e for e in events if e.get("type") == "turn.completed"]
    if turns:
        usages = (turn["usage"] for turn in turns if isinstance(turn.get("usage"), dict))
        flat["usage"] = summed(usages, ("input_tokens", "output_tokens"))
    failure = next((e for e in reversed(events) if e.get("type") in ("turn.failed", "error")), None)
    last = items[-1] if items else {}
    if failure is not None:
        error = failure.get("error") if isinstance(failure.get("error"), dict) else failure
        flat["exit_status"] = f"error: {as_text(error.get('message'))}".strip()
    elif events and events[-1].get("type") == "turn.completed" and _kind(last) in MESSAGES:
        flat["exit_status"] = "submitted"
    return flat
