"""Generic chat readers: OpenAI `messages` (+ `tool_calls`), Anthropic content blocks, ShareGPT `conversations`.

ShareGPT turns are first rewritten as OpenAI-shaped messages, and a chat without native calls gets the calls its
text writes (`readers._text_actions`); one walker then builds the steps:
- an assistant message with N tool calls gives N steps, its text is the first step's thought;
- tool results are matched by call id, else to the earliest unanswered call of the latest turn;
  a call without a result gets an empty observation;
- an assistant message without calls is a `think` step, unless it is the last message (the final answer);
- system messages before the first assistant message are the system prompt, user messages there the
  task instruction; a later user message is the observation of the `think` step right before it.
Text with no slot in a step is kept in `metadata` (`final_answer`, `user_messages`, `orphan_tool_results`),
the system prompt in `metadata["system_prompt"]`, tool schemas in `metadata["tools"]`: nothing is dropped.
"""

from __future__ import annotations

from typing import Any, ClassVar

import orjson

from trajsift import reasons
from trajsift.actions.classify import classify_tool_call
from trajsift.readers._chat_fields import Conversation, record_trajectory
from trajsift.readers._messages import decode_arguments, message_text, tool_calls, tool_results
from trajsift.readers._text_actions import text_actions_as_calls
from trajsift.readers.base import Origin, as_text, require
from trajsift.readers.observed import fill_open_files, text_observation
from trajsift.schema import Action, ActionType, Observation, Step, Trajectory

SCAFFOLD_MARKERS = ("trajectory_format", "fncall_messages", "fncall_response", "history", "trajectory")
ANTHROPIC_BLOCKS = frozenset({"tool_use", "tool_result", "thinking", "redacted_thinking"})
SHAREGPT_KEYS = ("conversations", "conversation", "messages")
SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "model": "assistant",
    "system": "system",
    "observation": "tool",
    "tool": "tool",
    "function": "tool",
}


def _is_scaffold_record(record: dict[str, Any]) -> bool:
    """SWE-agent, mini-swe-agent and OpenHands logs have their own readers: never claim them."""
    if any(key in record for key in SCAFFOLD_MARKERS):
        return True
    return "response" in record and ("kwargs" in record or "args" in record)


def _role_messages(record: dict[str, Any]) -> list[Any] | None:
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages or _is_scaffold_record(record):
        return None
    head = messages[0]
    return messages if isinstance(head, dict) and isinstance(head.get("role"), str) else None


def _has_anthropic_blocks(messages: list[Any]) -> bool:
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(
            isinstance(b, dict) and b.get("type") in ANTHROPIC_BLOCKS for b in content
        ):
            return True
    return False


def _checked_messages(messages: list[Any]) -> list[dict[str, Any]]:
    require(bool(messages), "empty message list", reasons.EMPTY_INPUT)
    for i, message in enumerate(messages):
        require(isinstance(message, dict), f"message {i} is a {type(message).__name__}, not an object")
        calls = message.get("tool_calls")
        require(calls is None or isinstance(calls, list), f"message {i}: tool_calls is not a list")
    return messages


# --- the walker ------------------------------------------------------------------------


def walk(messages: list[dict[str, Any]]) -> Conversation:
    """Turn OpenAI / Anthropic shaped messages into steps (see the module docstring)."""
    conv = Conversation()
    start = next((i for i, m in enumerate(messages) if m.get("role") == "assistant"), len(messages))
    for message in messages[:start]:
        _preamble(conv, message)
    end = len(messages)
    last = messages[-1] if start < end else {}
    if last.get("role") == "assistant" and not tool_calls(last):
        conv.final_answer, end = message_text(last), end - 1
    pending: list[tuple[str, Step]] = []
    for message in messages[start:end]:
        if message.get("role") == "assistant":
            pending = _assistant_steps(conv, message)
        else:
            _results_and_text(conv, message, pending)
    for index, step in enumerate(conv.steps):
        step.index = index
    fill_open_files(conv.steps)
    return conv


def _preamble(conv: Conversation, message: dict[str, Any]) -> None:
    for call_id, result in tool_results(message):
        conv.orphan_results.append({"tool_call_id": call_id, "text": result.text, "position": 0})
    if message.get("role") in ("tool", "function"):
        return
    text = message_text(message)
    if text:
        (conv.system if message.get("role") in ("system", "developer") else conv.instruction).append(text)


def _assistant_steps(conv: Conversation, message: dict[str, Any]) -> list[tuple[str, Step]]:
    text = message_text(message)
    calls = tool_calls(message)
    if not calls:
        conv.steps.append(Step(thought=text, action=Action(type=ActionType.THINK)))
        return []
    pending = []
    for i, call in enumerate(calls):
        step = Step(thought=text if i == 0 else "", action=classify_tool_call(call.name, call.arguments))
        conv.steps.append(step)
        pending.append((call.id, step))
    return pending


def _results_and_text(conv: Conversation, message: dict[str, Any], pending: list[tuple[str, Step]]) -> None:
    for call_id, result in tool_results(message):
        step = _take(pending, call_id)
        observation = text_observation(result.text, result.is_error)
        if step is None:
            conv.orphan_results.append({"tool_call_id": call_id, "text": result.text, "position": len(conv.steps)})
        else:
            step.observation = observation
    if message.get("role") in ("tool", "function"):
        return
    text = message_text(message)
    if not text:
        return
    last = conv.steps[-1] if conv.steps else None
    if last is not None and _is_think(last) and not last.observation.text and not pending:
        last.observation = Observation(text=text)
        return
    conv.user_messages.append({"position": len(conv.steps), "role": str(message.get("role") or ""), "text": text})


def _take(pending: list[tuple[str, Step]], call_id: str) -> Step | None:
    """The pending step for `call_id`; without ids on either side, the earliest unanswered one."""
    for i, (pending_id, _) in enumerate(pending):
        if pending_id == call_id or not pending_id or not call_id:
            return pending.pop(i)[1]
    return None


def _is_think(step: Step) -> bool:
    action = step.action
    return action.type is ActionType.THINK and not action.tool and not action.command and not action.arguments


# --- ShareGPT -> OpenAI-shaped messages ------------------------------------------------


def sharegpt_messages(turns: list[Any]) -> list[dict[str, Any]]:
    """Rewrite `from`/`value` turns as role messages; `function_call` turns become `tool_calls` (text actions are
    read by `parse_messages`, as for every chat)."""
    messages: list[dict[str, Any]] = []
    for i, turn in enumerate(turns):
        require(isinstance(turn, dict), f"turn {i} is a {type(turn).__name__}, not an object")
        speaker = str(turn.get("from") or turn.get("role") or "").lower()
        value = as_text(turn.get("value", turn.get("content")))
        if speaker == "function_call":
            _add_function_call(messages, value)
        elif SHAREGPT_ROLES.get(speaker) == "tool":
            messages.append({"role": "tool", "content": value})
        else:
            messages.append({"role": SHAREGPT_ROLES.get(speaker, "user"), "content": value})
    return messages


def _add_function_call(messages: list[dict[str, Any]], value: str) -> None:
    try:
        decoded = orjson.loads(value)
    except orjson.JSONDecodeError:
        decoded = None
    items = decoded if isinstance(decoded, list) else [decoded]
    calls = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            arguments = item.get("arguments", item.get("parameters"))
            calls.append({"function": {"name": item["name"], "arguments": decode_arguments(arguments)}})
        else:
            calls.append({"function": {"name": "", "arguments": {"_raw": value}}})
            break
    previous = messages[-1] if messages else {}
    if previous.get("role") == "assistant" and not previous.get("tool_calls"):
        previous["tool_calls"] = calls  # a `gpt` text turn right before the call is its thought
    else:
        messages.append({"role": "assistant", "content": "", "tool_calls": calls})


# --- readers ---------------------------------------------------------------------------


def parse_messages(record: dict[str, Any], origin: Origin, fmt: str, messages: list[Any]) -> list[Trajectory]:
    """The trajectory of chat `messages` (OpenAI, Anthropic or rewritten ShareGPT), the other fields from `record`."""
    system = record.get("system")
    prefix = [{"role": "system", "content": as_text(system)}] if system else []
    conversation = walk(text_actions_as_calls(prefix + _checked_messages(messages)))
    return [record_trajectory(record, origin, fmt, conversation)]


def _parse_role_messages(record: dict[str, Any], origin: Origin, fmt: str) -> list[Trajectory]:
    messages = record.get("messages")
    require(isinstance(messages, list), "no `messages` list")
    return parse_messages(record, origin, fmt, messages)


class OpenAIChatReader:
    name: ClassVar[str] = "openai"
    description: ClassVar[str] = "OpenAI chat records: `messages` with `tool_calls` / `tool` results (+ `tools`)"

    def sniff(self, record: dict[str, Any]) -> bool:
        messages = _role_messages(record)
        return messages is not None and not _has_anthropic_blocks(messages)

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Trajectory]:
        return _parse_role_messages(record, origin, self.name)


class AnthropicChatReader:
    name: ClassVar[str] = "anthropic"
    description: ClassVar[str] = "Anthropic messages: content blocks `text`, `thinking`, `tool_use`, `tool_result`"

    def sniff(self, record: dict[str, Any]) -> bool:
        messages = _role_messages(record)
        return messages is not None and _has_anthropic_blocks(messages)

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Trajectory]:
        return _parse_role_messages(record, origin, self.name)


class ShareGPTReader:
    name: ClassVar[str] = "sharegpt"
    description: ClassVar[str] = "ShareGPT `conversations` (from/value; human, gpt, function_call, observation)"

    def sniff(self, record: dict[str, Any]) -> bool:
        if _is_scaffold_record(record):
            return False
        turns = self._turns(record)
        return bool(turns) and isinstance(turns[0], dict) and "from" in turns[0] and "value" in turns[0]

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Trajectory]:
        turns = self._turns(record)
        require(isinstance(turns, list), "no `conversations` list")
        return parse_messages(record, origin, self.name, sharegpt_messages(turns))

    @staticmethod
    def _turns(record: dict[str, Any]) -> Any:
        return next((record[key] for key in SHAREGPT_KEYS if isinstance(record.get(key), list)), None)
