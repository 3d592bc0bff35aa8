"""Codex CLI rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl`), one file per run, gathered
into one record by `sources.sessions`: `{timestamp, type, payload}` lines.

The `response_item` payloads are the model's conversation and become OpenAI-shaped messages for the chat walker
(`readers.chat`): `message` (`input_text` / `output_text` parts; `developer` messages and the harness's
`<environment_context>` / `<user_instructions>` user messages are the system prompt), `reasoning` (its summary
is the next call's thought), `function_call` (`shell` with an argv list, `shell_command` / `exec_command` with a
string, `update_plan`, MCP tools) and `local_shell_call`, `custom_tool_call` (`apply_patch`: an edit of the files
its `*** Update File:` / `*** Add File:` lines name), each answered by a `*_output` with the same `call_id`
(`{"output": ..., "metadata": {"exit_code": N}}` JSON or plain text; a non-zero exit code marks an error).

`session_meta` gives the run id, working directory, CLI version and git state (`metadata`; an `instance_id` /
`task_id` a harness put there is the task id), `turn_context` the
model, the last `event_msg` `token_count` the token totals. A run whose last item is the assistant's message
without a call, or that logged `task_complete`, is `submitted`; one that logged a `turn_aborted` is aborted.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import orjson

from trajsift import reasons
from trajsift.actions.shell import argv_command
from trajsift.readers.base import Origin, as_text, joined, number, require
from trajsift.readers.chat import parse_messages
from trajsift.readers.sources.sessions import session_events
from trajsift.schema import Trajectory

FORMAT = "codex"
HARNESS_PREFIXES = ("<environment_context>", "<user_instructions>", "# AGENTS.md instructions", "<permissions")
CALLS = ("function_call", "custom_tool_call", "local_shell_call")
OUTPUTS = ("function_call_output", "custom_tool_call_output", "local_shell_call_output")
PATCH_FILE = re.compile(r"^\*\*\* (?:Update|Add|Delete) File: (.+)$", re.M)


class CodexReader:
    name: ClassVar[str] = FORMAT
    description: ClassVar[str] = "Codex CLI rollouts (`session_meta` / `response_item` lines; one file is one run)"

    def sniff(self, record: dict[str, Any]) -> bool:
        return any(e.get("type") in ("session_meta", "response_item") for e in (session_events(record) or [])[:50])

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Trajectory]:
        payloads = [
            (e.get("type"), e["payload"]) for e in session_events(record) or [] if isinstance(e.get("payload"), dict)
        ]
        items = [p for kind, p in payloads if kind == "response_item"]
        meta = next((p for kind, p in payloads if kind == "session_meta"), {})
        messages = _messages(items, str(meta.get("cwd") or ""))
        require(any(m["role"] == "assistant" for m in messages), "no assistant turn", reasons.EMPTY_INPUT)
        return parse_messages(_flat_record(payloads, meta, items), origin, FORMAT, messages)


def _messages(items: list[dict[str, Any]], cwd: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    thought: list[str] = []
    for item in items:
        kind = item.get("type")
        if kind == "reasoning":
            thought += [as_text(part.get("text")) for part in _parts(item.get("summary"))]
        elif kind == "message":
            messages.append(_message(item, thought))
            thought = []
        elif kind in CALLS:
            last = messages[-1] if messages else None
            if last is None or last["role"] != "assistant" or thought:  # else: calls of the message just said
                last = {"role": "assistant", "content": joined(*thought)}
                messages.append(last)
                thought = []
            last.setdefault("tool_calls", []).append(_call(item, cwd))
        elif kind in OUTPUTS:
            text, error = _output(item.get("output"))
            messages.append(
                {"role": "tool", "tool_call_id": str(item.get("call_id") or ""), "content": text, "is_error": error}
            )
    return messages


def _parts(value: Any) -> list[dict[str, Any]]:
    return [part for part in value if isinstance(part, dict)] if isinstance(value, list) else []


def _message(item: dict[str, Any], thought: list[str]) -> dict[str, Any]:
    role = str(item.get("role") or "user")
    content = item.get("content")
    text = "\n".join(as_text(p.get("text")) for p in _parts(content)) if isinstance(content, list) else as_text(content)
    if role == "developer" or (role == "user" and text.lstrip().startswith(HARNESS_PREFIXES)):
        return {"role": "system", "content": text}
    if role == "assistant":
        return {"role": "assistant", "content": joined(*thought, text)}
    return {"role": "user", "content": text}


def _call(item: dict[str, Any], cwd: str) -> dict[str, Any]:
    call_id = str(item.get("call_id") or item.get("id") or "")
    if item.get("type") == "custom_tool_call":
        text = as_text(item.get("input"))
        files = PATCH_FILE.findall(text)
        arguments: dict[str, Any] = {"input": text, **({"path": files[0].strip()} if files else {})}
        if cwd:
            arguments["workdir"] = cwd  # its paths are relative to the session's directory
        return {"id": call_id, "function": {"name": str(item.get("name") or "custom"), "arguments": arguments}}
    if item.get("type") == "local_shell_call":
        action = item.get("action") if isinstance(item.get("action"), dict) else {}
        arguments = {"command": _command(action.get("command"))}
        return {"id": call_id, "function": {"name": "local_shell", "arguments": arguments}}
    arguments = item.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = orjson.loads(arguments)
        except orjson.JSONDecodeError:
            arguments = {"input": arguments}
    if isinstance(arguments, dict) and isinstance(arguments.get("command"), list):
        arguments = {**arguments, "command": _command(arguments["command"])}
    return {"id": call_id, "function": {"name": str(item.get("name") or ""), "arguments": arguments}}


def _command(argv: Any) -> str:
    """A shell command from Codex's argv (`["bash", "-lc", "cd x && pytest"]` is its script)."""
    return argv_command(argv) if isinstance(argv, list) else as_text(argv)


def _output(output: Any) -> tuple[str, bool]:
    """(text, error) of a call's output: `{"output", "metadata": {"exit_code"}}` JSON or plain text."""
    decoded = output
    if isinstance(output, str) and output.startswith("{"):
        try:
            decoded = orjson.loads(output)
        except orjson.JSONDecodeError:
            decoded = output
    if isinstance(decoded, dict) and "output" in decoded:
        metadata = decoded.get("metadata") if isinstance(decoded.get("metadata"), dict) else {}
        return as_text(decoded["output"]), number(metadata.get("exit_code"), int) not in (None, 0)
    return as_text(output), False


def _flat_record(payloads: list[tuple[Any, dict]], meta: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    flat: dict[str, Any] = {"scaffold": FORMAT}
    if isinstance(meta.get("id"), str):
        flat["id"] = meta["id"]
    for key in ("cwd", "cli_version", "originator", "git", "model_provider", "instance_id", "task_id"):
        if meta.get(key) not in (None, "", {}):
            flat[key] = meta[key]
    if isinstance(meta.get("instructions"), str) and meta["instructions"]:
        flat["system"] = meta["instructions"]
    model = next((p["model"] for kind, p in payloads if kind == "turn_context" and isinstance(p.get("model"), str)), "")
    if model:
        flat["model"] = model
    usage = _usage([p for kind, p in payloads if kind == "event_msg" and p.get("type") == "token_count"])
    if usage:
        flat["usage"] = usage
    notes = {p.get("type") for kind, p in payloads if kind == "event_msg"}
    last = items[-1] if items else {}
    if "turn_aborted" in notes:
        flat["exit_status"] = "aborted"
    elif "task_complete" in notes or (last.get("type") == "message" and last.get("role") == "assistant"):
        flat["exit_status"] = "submitted"
    return flat


def _usage(counts: list[dict[str, Any]]) -> dict[str, int]:
    """Token totals from the last `token_count` event that carries them."""
    for count in reversed(counts):
        info = count.get("info") if isinstance(count.get("info"), dict) else {}
        total = info.get("total_token_usage")
        if isinstance(total, dict):
            usage = {key: number(total.get(key), int) for key in ("input_tokens", "output_tokens")}
            return {key: value for key, value in usage.items() if value is not None}
    return {}
