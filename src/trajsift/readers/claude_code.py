"""Claude Code runs: a session JSONL file (`~/.claude/projects/<dir>/<session>.jsonl`) or the output of
`claude -p --output-format stream-json --verbose`, gathered into one record by `sources.sessions`.

Lines are `user` / `assistant` events whose `message` is an Anthropic message (content blocks `text`,
`thinking`, `tool_use`, `tool_result`); a session file splits one API message into one line per block (same
`message.id`), which are joined again. Lines of a subagent (`isSidechain`, or a stream-json
`parent_tool_use_id`), meta lines (`isMeta`: command caveats), `summary` and `file-history-snapshot` lines are
not the main agent's turns and give no step (a subagent's own file, all sidechain, is read as its run). The
Anthropic chat walker (`readers.chat`) then builds the steps: tools are classified by name and input (`Bash`
`command`, `Read` / `Edit` / `Write` `file_path`, `Grep`, `Glob`).

How the run ended: the stream-json `result` line's `subtype` (`success` is `submitted`, `error_max_turns`
a step limit, `error_during_execution` an error), with its cost, turns and final text; in a session file
without one, a last assistant message that ended its turn (`stop_reason` `end_turn`, no tool call) is
`submitted`. Tokens are summed over the distinct API messages' `usage` (cache reads and writes in
`metadata`). The session id is the trajectory id; an `instance_id` / `task_id` field, if a harness wrote
one, the task id, else the file's name. `cwd`, `gitBranch` and the Claude Code `version` stay in `metadata`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from trajsift import reasons
from trajsift.readers.base import Origin, number, require, summed
from trajsift.readers.chat import parse_messages
from trajsift.readers.sources.sessions import session_events
from trajsift.schema import Trajectory

FORMAT = "claude-code"
RESULT_STATUS = {"success": "submitted"}
KEPT_FIELDS = ("cwd", "gitBranch", "version", "permissionMode")
CACHE_USAGE = ("cache_creation_input_tokens", "cache_read_input_tokens")
TASK_FIELDS = ("instance_id", "task_id")


class ClaudeCodeReader:
    name: ClassVar[str] = FORMAT
    description: ClassVar[str] = "Claude Code session JSONL / stream-json output (one file is one run)"

    def sniff(self, record: dict[str, Any]) -> bool:
        return any("message" in e for e in (session_events(record) or [])[:50])

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Trajectory]:
        events = session_events(record) or []
        main = [e for e in events if not e.get("isSidechain") and not e.get("parent_tool_use_id")]
        if not any(e.get("type") in ("user", "assistant") for e in main):
            main = events  # a subagent's own file (`agent-<id>.jsonl`): its sidechain is the run
        messages = _messages(main)
        require(any(m["role"] == "assistant" for m in messages), "no assistant turn", reasons.EMPTY_INPUT)
        return parse_messages(_flat_record(main, messages), origin, FORMAT, messages)


def _messages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The main agent's turns as Anthropic messages, one API message's lines joined (same `message.id`)."""
    messages: list[dict[str, Any]] = []
    last_id = ""
    for event in events:
        message = event.get("message")
        if event.get("type") not in ("user", "assistant") or not isinstance(message, dict) or event.get("isMeta"):
            continue
        role = message.get("role") if message.get("role") in ("user", "assistant") else event["type"]
        content = message.get("content")
        blocks = content if isinstance(content, list) else [{"type": "text", "text": str(content or "")}]
        same = role == "user" or (message.get("id") and message["id"] == last_id)
        if messages and messages[-1]["role"] == role and same:
            messages[-1]["content"] += blocks  # tool results of one turn, or one API message's blocks
        else:
            messages.append({"role": role, "content": list(blocks)})
        last_id = message.get("id") or ""
    return messages


def _flat_record(events: list[dict[str, Any]], messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The run as a chat record: id, task, model, usage, exit status and the session's context fields."""
    flat: dict[str, Any] = {"scaffold": FORMAT}
    for event in events:
        for key in ("sessionId", "session_id"):
            if isinstance(event.get(key), str) and "id" not in flat:
                flat["id"] = event[key]
        for key in TASK_FIELDS:
            if isinstance(event.get(key), (str, int)) and key not in flat:
                flat[key] = event[key]
        for key in KEPT_FIELDS:
            if event.get(key) not in (None, "") and key not in flat:
                flat[key] = event[key]
    assistant = [e["message"] for e in events if e.get("type") == "assistant" and isinstance(e.get("message"), dict)]
    model = next((m["model"] for m in assistant if isinstance(m.get("model"), str) and m["model"]), None)
    init = next((e for e in events if e.get("type") == "system" and e.get("subtype") == "init"), {})
    if model or isinstance(init.get("model"), str):
        flat["model"] = model or init["model"]
    if isinstance(init.get("tools"), list):
        flat["tools"] = init["tools"]
    flat["usage"], cache = _usage(assistant)
    if cache:
        flat["cache_tokens"] = cache
    result = next((e for e in reversed(events) if e.get("type") == "result"), None)
    if result is not None:
        _take_result(flat, result)
    elif _ended_turn(assistant, messages):
        flat["exit_status"] = "submitted"
    return flat


def _usage(assistant: list[dict[str, Any]]) -> tuple[dict[str, int], dict[str, int]]:
    """Input / output tokens over distinct API messages (a message's lines repeat its usage), and cache tokens."""
    seen: dict[str, dict[str, Any]] = {}
    for index, message in enumerate(assistant):
        usage = message.get("usage")
        if isinstance(usage, dict):
            seen[str(message.get("id") or index)] = usage
    if not seen:
        return {}, {}
    cache = summed(seen.values(), CACHE_USAGE)
    return summed(seen.values(), ("input_tokens", "output_tokens")), {k: v for k, v in cache.items() if v}


def _take_result(flat: dict[str, Any], result: dict[str, Any]) -> None:
    subtype = str(result.get("subtype") or "")
    flat["exit_status"] = RESULT_STATUS.get(subtype, subtype or ("error" if result.get("is_error") else ""))
    cost = number(result.get("total_cost_usd", result.get("cost_usd")), float)
    if cost is not None:
        flat["usage"] = {**flat.get("usage", {}), "cost": cost}
    for key in ("num_turns", "duration_ms", "result"):
        if result.get(key) is not None:
            flat[f"result_{key}"] = result[key]


def _ended_turn(assistant: list[dict[str, Any]], messages: list[dict[str, Any]]) -> bool:
    """The session's last turn is the assistant's, ended without a tool call."""
    if not assistant or not messages or messages[-1]["role"] != "assistant":
        return False
    blocks = messages[-1]["content"]
    calls = any(isinstance(b, dict) and b.get("type") == "tool_use" for b in blocks)
    return not calls and assistant[-1].get("stop_reason") in ("end_turn", None)
