"""Training records: one fixed shape for every source, with step labels as per-message `train` flags.

A record is the OpenAI chat layout (`trajsift.export.openai`) made schema-stable, so a file mixing
scaffolds loads without per-record type inference:
- every message has the same keys (`MESSAGE_KEYS`), and no value is null: an absent string is "", an
  absent list [] (a JSON reader types an all-null column as `null` and then cannot take a later chunk's
  strings or lists); `resolved` is "true", "false" or "" (unknown);
- tool-call `arguments` and the `tools` list are JSON strings, whatever their structure;
- each message carries the step it came from (`step_index`, -1 for the system prompt, the instruction,
  user interjections and the final answer), the step's `label` and `rule`, and `train`: true for an
  assistant message whose step's label is not masked (`mistake` by default); false for every other role.
`TRAINING_SCHEMA` is the Arrow schema of these records (Parquet and the `datasets` folder use it).
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

from trajsift.export.openai import placed_messages, resolved_text, tool_schemas
from trajsift.schema import Trajectory
from trajsift.steplabels.rules import MISTAKE, StepLabel

DEFAULT_MASKED = frozenset({MISTAKE})
MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name", "step_index", "label", "rule", "train")
RECORD_KEYS = ("id", "task_id", "source", "scaffold", "model", "resolved", "subset", "messages", "tools")

_FUNCTION = pa.struct([("name", pa.string()), ("arguments", pa.string())])
_TOOL_CALL = pa.struct([("id", pa.string()), ("type", pa.string()), ("function", _FUNCTION)])
MESSAGE_TYPE = pa.struct(
    [
        ("role", pa.string()),
        ("content", pa.string()),
        ("tool_calls", pa.list_(_TOOL_CALL)),
        ("tool_call_id", pa.string()),
        ("name", pa.string()),
        ("step_index", pa.int32()),
        ("label", pa.string()),
        ("rule", pa.string()),
        ("train", pa.bool_()),
    ]
)
TRAINING_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("task_id", pa.string()),
        ("source", pa.string()),
        ("scaffold", pa.string()),
        ("model", pa.string()),
        ("resolved", pa.string()),
        ("subset", pa.string()),
        ("messages", pa.list_(MESSAGE_TYPE)),
        ("tools", pa.string()),
    ]
)


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def training_record(
    trajectory: Trajectory, labels: list[StepLabel], subset: str = "kept", masked: frozenset[str] = DEFAULT_MASKED
) -> dict[str, Any]:
    """The record of one trajectory; `labels` has one entry per step (see `trajsift.steplabels`)."""
    placed, calls = placed_messages(trajectory)
    messages = [_message(message, step, labels, masked) for step, message in placed]
    return {
        "id": trajectory.id,
        "task_id": trajectory.task.task_id,
        "source": trajectory.source.format,
        "scaffold": trajectory.source.scaffold,
        "model": trajectory.source.model,
        "resolved": resolved_text(trajectory.outcome.resolved),
        "subset": subset,
        "messages": messages,
        "tools": _json(tool_schemas(trajectory, calls)),
    }


def _message(message: dict[str, Any], step: int | None, labels: list[StepLabel], masked: frozenset[str]) -> dict:
    label = labels[step] if step is not None and step < len(labels) else None
    role = message["role"]
    calls = message.get("tool_calls")
    return {
        "role": role,
        "content": str(message.get("content") or ""),
        "tool_calls": [_tool_call(call) for call in calls or []],
        "tool_call_id": str(message.get("tool_call_id") or ""),
        "name": str(message.get("name") or ""),
        "step_index": -1 if step is None else step,
        "label": label.label if label else "",
        "rule": label.rule if label else "",
        "train": role == "assistant" and (label is None or label.label not in masked),
    }


def _tool_call(call: dict[str, Any]) -> dict[str, Any]:
    function = call["function"]
    arguments = function["arguments"]
    encoded = arguments if isinstance(arguments, str) else _json(arguments)
    return {"id": call["id"], "type": "function", "function": {"name": str(function["name"]), "arguments": encoded}}


SHAREGPT_FROM = {"system": "system", "user": "human", "assistant": "gpt", "tool": "observation"}


def to_sharegpt(record: dict[str, Any]) -> dict[str, Any]:
    """A training record as ShareGPT `conversations` (from/value; a tool call is a `function_call` turn
    holding `{"name", "arguments"}` as JSON, after a `gpt` turn with its thought when it has one)."""
    turns = []
    for message in record["messages"]:
        extra = {"step_index": message["step_index"], "label": message["label"], "train": message["train"]}
        calls = message["tool_calls"]
        if message["content"] or not calls:
            turns.append({"from": SHAREGPT_FROM[message["role"]], "value": message["content"], **extra})
        for call in calls:
            function = call["function"]
            arguments = orjson.loads(function["arguments"]) if function["arguments"] else {}
            value = _json({"name": function["name"], "arguments": arguments})
            turns.append({"from": "function_call", "value": value, **extra})
    rest = {key: record[key] for key in RECORD_KEYS if key != "messages"}
    return {**rest, "conversations": turns}
