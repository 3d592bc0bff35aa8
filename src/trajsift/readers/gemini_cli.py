"""Gemini CLI runs: a recorded conversation (`~/.gemini/tmp/<project_hash>/chats/session-*.json`).

Shape: `{sessionId, projectHash, startTime, lastUpdated, messages: [...]}`; each message has `id`, `timestamp`,
`type` (`user`, `gemini`; `info` / `error` / `warning` notices) and `content` (text, or Gemini `parts`). A
`gemini` message may carry `thoughts` (`subject` + `description` summaries: the step's reasoning), `toolCalls`
(`id`, `name`, `args`, `result` as Gemini parts holding a `functionResponse`, `status` `success` / `error` /
`cancelled`, `resultDisplay`), `tokens` (`input`, `output`, `cached`, `thoughts`, `tool`, `total`) and `model`.
The turns are rewritten as OpenAI-shaped messages for the chat walker (`readers.chat`): tools are classified by
name and arguments (`run_shell_command` `command`, `read_file` `absolute_path`, `replace` / `write_file`
`file_path`, `search_file_content`, `glob`); a call whose status is not `success` is an error. The session id
is the trajectory id; an `instance_id` / `task_id` field, if a harness wrote one, the task id. Gemini CLI does
not record how a session ended: the exit status is `unknown` (whether it was handed in is null, not false).
"""

from __future__ import annotations

from typing import Any, ClassVar

import orjson

from trajsift import reasons
from trajsift.readers.base import Origin, joined, require, summed
from trajsift.readers.chat import parse_messages
from trajsift.schema import Trajectory

FORMAT = "gemini-cli"
ROLES = {"user": "user", "gemini": "assistant", "model": "assistant"}
TOKEN_FIELDS = ("input", "output")
TASK_FIELDS = ("instance_id", "task_id")


class GeminiCliReader:
    name: ClassVar[str] = FORMAT
    description: ClassVar[str] = "Gemini CLI recorded conversations (`sessionId`, `messages` typed user / gemini)"

    def sniff(self, record: dict[str, Any]) -> bool:
        messages = record.get("messages")
        if not isinstance(record.get("sessionId"), str) or not isinstance(messages, list):
            return False
        return any(isinstance(m, dict) and m.get("type") == "gemini" for m in messages[:50])

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Trajectory]:
        turns = [m for m in record["messages"] if isinstance(m, dict) and m.get("type") in ROLES]
        messages = [message for turn in turns for message in _messages(turn)]
        require(any(m["role"] == "assistant" for m in messages), "no gemini turn", reasons.EMPTY_INPUT)
        return parse_messages(_flat_record(record, turns), origin, FORMAT, messages)


def _messages(turn: dict[str, Any]) -> list[dict[str, Any]]:
    """One recorded turn as OpenAI-shaped messages: a `gemini` turn with its calls, then the calls' results."""
    text = _text(turn.get("content"))
    if ROLES[turn["type"]] == "user":
        return [{"role": "user", "content": text}]
    thoughts = [t for t in turn.get("thoughts") or [] if isinstance(t, dict)]
    reasoning = joined(*(f"{t.get('subject') or ''}: {t.get('description') or ''}".strip(": ") for t in thoughts))
    calls = [c for c in turn.get("toolCalls") or [] if isinstance(c, dict)]
    message: dict[str, Any] = {"role": "assistant", "content": joined(reasoning, text)}
    if calls:
        message["tool_calls"] = [_call(call, i) for i, call in enumerate(calls)]
    results = [
        {
            "role": "tool",
            "tool_call_id": _call_id(call, i),
            "content": _result_text(call),
            "is_error": call.get("status") not in (None, "success"),
        }
        for i, call in enumerate(calls)
    ]
    return [message, *results]


def _call(call: dict[str, Any], index: int) -> dict[str, Any]:
    arguments = call.get("args") if isinstance(call.get("args"), dict) else {}
    return {"id": _call_id(call, index), "function": {"name": str(call.get("name") or ""), "arguments": arguments}}


def _call_id(call: dict[str, Any], index: int) -> str:
    return str(call.get("id") or f"call_{index}")


def _result_text(call: dict[str, Any]) -> str:
    """The tool's output as the model got it (`functionResponse.response`), else what the CLI displayed."""
    parts = call.get("result")
    parts = parts if isinstance(parts, list) else [parts]
    texts = [_part_text(part) for part in parts if part is not None]
    text = joined(*texts)
    display = call.get("resultDisplay")
    return text or (display if isinstance(display, str) else "")


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return ""
    if isinstance(part.get("text"), str):
        return part["text"]
    function = part.get("functionResponse")
    response = function.get("response") if isinstance(function, dict) else None
    if isinstance(response, dict):
        value = response.get("output", response.get("error", response.get("llmContent")))
        return value if isinstance(value, str) else orjson.dumps(response, default=str).decode()
    return ""


def _text(content: Any) -> str:
    """A message's content: text, or Gemini parts (`{"text": ...}` items)."""
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else [content]
    return joined(*(part["text"] for part in parts if isinstance(part, dict) and isinstance(part.get("text"), str)))


def _flat_record(record: dict[str, Any], turns: list[dict[str, Any]]) -> dict[str, Any]:
    """The session as a chat record: id, task, model, token usage and the session's context fields."""
    flat: dict[str, Any] = {"scaffold": FORMAT, "id": record["sessionId"], "exit_status": "unknown"}
    for key in TASK_FIELDS:
        if isinstance(record.get(key), (str, int)):
            flat[key] = record[key]
    model = next((t["model"] for t in turns if isinstance(t.get("model"), str) and t["model"]), None)
    if model:
        flat["model"] = model
    tokens = [t["tokens"] for t in turns if isinstance(t.get("tokens"), dict)]
    if tokens:
        usage = summed(tokens, TOKEN_FIELDS)
        flat["usage"] = {"input_tokens": usage["input"], "output_tokens": usage["output"]}
    for key in ("projectHash", "startTime", "lastUpdated"):
        if isinstance(record.get(key), str):
            flat[key] = record[key]
    return flat
