"""A `Trajectory` as an OpenAI chat record `{"messages": [...], "tools": [...]}`, the shape SFT trainers take.

- The system prompt (`metadata["system_prompt"]`) and the task instruction are the first messages.
- A tool step is an assistant message (content = the thought) with one `tool_calls` entry, followed by a
  `tool` message holding the observation. Structured calls keep their tool name and arguments; a raw command
  (SWE-agent, mini-swe-agent) becomes a `bash` call `{"command": ...}` (AutoCodeRover's `write_patch` keeps its
  body as the call's `input`, as its reader records it).
- A `think` step is an assistant message with its thought; its observation, if any, a user message.
- User messages and the final answer kept by the chat readers go back where they were.
- `tools` lists the schemas kept in `metadata["tools"]` (OpenAI, Anthropic or plain shape), plus a generated
  schema for every tool called that has none.
Reading the record back with the `openai` reader gives the same tools, arguments, commands and observations;
one exception: a trailing `think` step without observation and without final answer reads back as the answer.
"""

from __future__ import annotations

from typing import Any

import orjson

from trajsift.schema import ActionType, Step, Trajectory

SHELL_TOOL = "bash"
NO_ARGUMENT_TYPES = (ActionType.SUBMIT, ActionType.GIVE_UP)
JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", list: "array", dict: "object"}


def to_openai(trajectory: Trajectory, *, arguments_as_dict: bool = False) -> dict[str, Any]:
    """The record; `arguments_as_dict` writes call arguments as objects (what Hugging Face chat templates
    expect) instead of the JSON strings of the OpenAI API."""
    placed, calls = placed_messages(trajectory, arguments_as_dict)
    messages = [message for _, message in placed]
    return {"messages": messages, "tools": tool_schemas(trajectory, calls), **_record_fields(trajectory)}


STABLE_MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name")
STABLE_RECORD_KEYS = ("id", "task_id", "model", "patch", "resolved")


def to_openai_stable(trajectory: Trajectory) -> dict[str, Any]:
    """`to_openai` in one shape for every source, for JSONL that `datasets.load_dataset("json")` reads on a mix:
    every message and record has the same keys and no nulls (absent strings "", absent `tool_calls` [],
    `resolved` "true" / "false" / ""), `tools` is a JSON string. A JSON reader types an all-null column of
    its first chunk as null and then cannot read a later chunk's values."""
    record = to_openai(trajectory)
    messages = [
        {key: message.get(key) or ([] if key == "tool_calls" else "") for key in STABLE_MESSAGE_KEYS}
        for message in record["messages"]
    ]
    fields = {key: record.get(key) or "" for key in STABLE_RECORD_KEYS}
    fields["resolved"] = resolved_text(trajectory.outcome.resolved)
    return {"messages": messages, "tools": orjson.dumps(record["tools"], default=str).decode(), **fields}


def resolved_text(resolved: bool | None) -> str:
    """An outside outcome label as "true", "false" or "" (unknown): a string column never typed null."""
    return "" if resolved is None else str(resolved).lower()


def placed_messages(
    trajectory: Trajectory, arguments_as_dict: bool = False
) -> tuple[list[tuple[int | None, dict[str, Any]]], list[tuple[str, dict[str, Any]]]]:
    """(`(step index or None, message)` in order, the tool calls made): the messages with the step each came
    from (None for the system prompt, the instruction, user interjections and the final answer)."""
    metadata = trajectory.metadata
    placed: list[tuple[int | None, dict[str, Any]]] = []
    if metadata.get("system_prompt"):
        placed.append((None, {"role": "system", "content": str(metadata["system_prompt"])}))
    if trajectory.task.instruction:
        placed.append((None, {"role": "user", "content": trajectory.task.instruction}))
    interjections = _user_messages_by_position(metadata.get("user_messages"))
    calls: list[tuple[str, dict[str, Any]]] = []
    for position, step in enumerate(trajectory.steps):
        placed.extend((None, message) for message in interjections.pop(position, []))
        placed.extend((position, message) for message in _step_messages(step, position, calls, arguments_as_dict))
    for rest in interjections.values():
        placed.extend((None, message) for message in rest)
    if metadata.get("final_answer"):
        placed.append((None, {"role": "assistant", "content": str(metadata["final_answer"])}))
    return placed, calls


def tool_schemas(trajectory: Trajectory, calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The declared tool schemas (`metadata["tools"]`) plus a generated one for every tool called without one."""
    return _tool_schemas(trajectory.metadata.get("tools"), calls)


def tool_call_of(step: Step) -> tuple[str, dict[str, Any]] | None:
    """`(tool name, arguments)` the step is exported as, or None for a plain assistant message."""
    action = step.action
    if action.arguments:
        return action.tool or SHELL_TOOL, dict(action.arguments)
    if action.type is ActionType.THINK:
        return None
    if action.tool and action.command in ("", action.tool) and action.type in NO_ARGUMENT_TYPES:
        return action.tool, {}  # `submit`, `finish`: a call without arguments
    if action.command:
        return SHELL_TOOL, {"command": action.command}
    return (action.tool, {}) if action.tool else None


def _step_messages(step: Step, position: int, calls: list, arguments_as_dict: bool) -> list[dict[str, Any]]:
    call = tool_call_of(step)
    if call is None:
        messages = [{"role": "assistant", "content": step.thought or step.action.command}]
        if step.observation.text:
            messages.append({"role": "user", "content": step.observation.text})
        return messages
    calls.append(call)
    name, arguments = call
    call_id = f"call_{position}"
    encoded = arguments if arguments_as_dict else orjson.dumps(arguments, default=str).decode()
    function = {"name": name, "arguments": encoded}
    return [
        {
            "role": "assistant",
            "content": step.thought,
            "tool_calls": [{"id": call_id, "type": "function", "function": function}],
        },
        {"role": "tool", "tool_call_id": call_id, "name": name, "content": step.observation.text},
    ]


def _user_messages_by_position(kept: Any) -> dict[int, list[dict[str, Any]]]:
    by_position: dict[int, list[dict[str, Any]]] = {}
    for item in kept if isinstance(kept, list) else []:
        if isinstance(item, dict) and isinstance(item.get("position"), int):
            message = {"role": "user", "content": str(item.get("text", ""))}
            by_position.setdefault(item["position"], []).append(message)
    return by_position


def _tool_schemas(declared: Any, calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    tools = [tool for tool in map(_as_openai_tool, declared if isinstance(declared, list) else []) if tool]
    known = {tool["function"]["name"] for tool in tools}
    generated: dict[str, dict[str, Any]] = {}
    for name, arguments in calls:
        if name in known:
            continue
        properties = generated.setdefault(name, {})
        for key, value in arguments.items():
            properties.setdefault(key, {"type": JSON_TYPES.get(type(value), "string")})
    for name, properties in generated.items():
        parameters = {"type": "object", "properties": properties}
        tools.append({"type": "function", "function": {"name": name, "parameters": parameters}})
    return tools


def _as_openai_tool(tool: Any) -> dict[str, Any] | None:
    """An OpenAI tool schema from OpenAI, Anthropic (`input_schema`) or plain (`parameters`) declarations."""
    if not isinstance(tool, dict):
        return None
    if isinstance(tool.get("function"), dict) and isinstance(tool["function"].get("name"), str):
        return {"type": "function", "function": tool["function"]}
    if not isinstance(tool.get("name"), str):
        return None
    parameters = tool.get("input_schema") or tool.get("parameters") or {"type": "object", "properties": {}}
    function = {"name": tool["name"], "description": str(tool.get("description") or ""), "parameters": parameters}
    return {"type": "function", "function": function}


def _record_fields(trajectory: Trajectory) -> dict[str, Any]:
    """Identity and label fields next to `messages`, named so the `openai` reader maps them back."""
    fields: dict[str, Any] = {"id": trajectory.id}
    if trajectory.task.task_id:
        fields["task_id"] = trajectory.task.task_id
    if trajectory.source.model:
        fields["model"] = trajectory.source.model
    if trajectory.final.patch:
        fields["patch"] = trajectory.final.patch
    if trajectory.outcome.resolved is not None:
        fields["resolved"] = trajectory.outcome.resolved
    return fields
