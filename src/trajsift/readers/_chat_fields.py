"""Map the extra fields chat records carry (`id`, `instance_id`, `model`, `resolved`, `patch`, ...) onto a
`Trajectory`. Fields with an obvious home are mapped; everything else is kept in `metadata`.
Values are looked up at the top level first, then inside a `metadata` or `info` object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from trajsift.readers.base import Origin, make_id
from trajsift.readers.recover import settle_patch
from trajsift.schema import ActionType, FinalState, Outcome, Source, Step, TaskRef, Trajectory, Usage

CONVERSATION_KEYS = ("messages", "conversations", "conversation", "system", "tools")
ID_KEYS = ("id", "trajectory_id", "traj_id")
TASK_ID_KEYS = ("instance_id", "task_id")
MODEL_KEYS = ("model", "model_name", "model_name_or_path")
PATCH_KEYS = ("patch", "model_patch", "generated_patch", "submission", "git_patch")
OUTCOME_KEYS = ("resolved", "success", "target", "reward", "label")
NESTED_KEYS = ("metadata", "info")
TRUE_LABELS = frozenset({"resolved", "success", "succeeded", "pass", "passed", "correct", "true", "yes", "1"})
FALSE_LABELS = frozenset({"unresolved", "failure", "fail", "failed", "incorrect", "false", "no", "0"})


@dataclass
class Conversation:
    """What the walker found: the steps plus every piece of text that is not part of a step."""

    system: list[str] = field(default_factory=list)
    instruction: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    final_answer: str = ""
    user_messages: list[dict[str, Any]] = field(default_factory=list)
    orphan_results: list[dict[str, Any]] = field(default_factory=list)


def lookup(record: dict[str, Any], *keys: str, kind: type | tuple[type, ...] = str) -> tuple[str, Any]:
    """`(key, value)` of the first key holding a value of `kind`, top level first; `("", None)` if none."""
    scopes = [record] + [record[k] for k in NESTED_KEYS if isinstance(record.get(k), dict)]
    for scope in scopes:
        for key in keys:
            value = scope.get(key)
            if not isinstance(value, bool) and isinstance(value, kind) and value != "":
                return key, value
    return "", None


def _has_any(record: dict[str, Any], keys: tuple[str, ...]) -> bool:
    """Whether a key is present at all (even empty or null), top level or nested."""
    scopes = [record] + [record[k] for k in NESTED_KEYS if isinstance(record.get(k), dict)]
    return any(key in scope for scope in scopes for key in keys)


def _tools(value: Any) -> Any:
    """Tool schemas; ShareGPT data sets often store them as a JSON string."""
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def record_trajectory(record: dict[str, Any], origin: Origin, fmt: str, conv: Conversation) -> Trajectory:
    task_key, task_id = lookup(record, *TASK_ID_KEYS, kind=(str, int))
    task_id = str(task_id) if task_id is not None else origin.task_id_from_path()
    id_key, record_id = lookup(record, *ID_KEYS, kind=(str, int))
    patch_key, patch = lookup(record, *PATCH_KEYS)
    model_key, model = lookup(record, *MODEL_KEYS)
    steps = conv.steps
    exit_status = str(lookup(record, "exit_status")[1] or "")
    # handed in: a patch, a submit step, or the scaffold's own word (Codex / Claude Code sessions record no patch)
    submitted = bool(patch) or any(step.action.type is ActionType.SUBMIT for step in steps)
    submitted = submitted or exit_status.strip().lower().startswith("submitted")
    consumed = {*CONVERSATION_KEYS, id_key, task_key, patch_key, model_key, "repo", "base_commit", "exit_status"}
    return Trajectory(
        id=str(record_id) if record_id is not None else make_id(origin, task_id),
        source=_source(record, origin, fmt, model or ""),
        task=TaskRef(
            task_id=task_id,
            repo=lookup(record, "repo")[1] or "",
            base_commit=lookup(record, "base_commit")[1] or "",
            instruction="\n\n".join(conv.instruction),
        ),
        steps=steps,
        final=settle_patch(
            FinalState(patch=patch or "", submitted=submitted, exit_status=exit_status),
            steps,
            records_patches=_has_any(record, PATCH_KEYS),
            diffed=_has_any(record, PATCH_KEYS),
        ),
        usage=_usage(record, consumed),
        outcome=_outcome(record, consumed),
        metadata=_metadata(record, conv, consumed),
    )


def _source(record: dict[str, Any], origin: Origin, fmt: str, model: str) -> Source:
    temperature = lookup(record, "temperature", kind=(int, float))[1]
    return Source(
        format=fmt,
        scaffold=lookup(record, "scaffold", "agent")[1] or "",
        model=model,
        run=lookup(record, "run", "run_id")[1] or "",
        temperature=float(temperature) if temperature is not None else None,
        path=origin.display,
    )


def _usage(record: dict[str, Any], consumed: set[str]) -> Usage:
    usage = record.get("usage")
    if not isinstance(usage, dict):
        return Usage(cost=lookup(record, "cost", "total_cost", kind=(int, float))[1])
    consumed.add("usage")
    tokens_in = lookup(usage, "input_tokens", "prompt_tokens", kind=int)[1]
    tokens_out = lookup(usage, "output_tokens", "completion_tokens", kind=int)[1]
    cost = lookup(usage, "cost", "total_cost", kind=(int, float))[1]
    if cost is None:
        cost = lookup(record, "cost", "total_cost", kind=(int, float))[1]
    return Usage(input_tokens=tokens_in, output_tokens=tokens_out, cost=cost)


def _outcome(record: dict[str, Any], consumed: set[str]) -> Outcome:
    for key in OUTCOME_KEYS:
        verdict = _verdict(record.get(key))
        if verdict is not None:
            if key in ("resolved", "success", "target"):
                consumed.add(key)  # a plain bool: fully mapped; reward / label stay in metadata too
            return Outcome(resolved=verdict, label_source=f"record.{key}")
    return Outcome()


def _verdict(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        return True if text in TRUE_LABELS else False if text in FALSE_LABELS else None
    return None


def _metadata(record: dict[str, Any], conv: Conversation, consumed: set[str]) -> dict[str, Any]:
    nested = record.get("metadata")
    metadata: dict[str, Any] = dict(nested) if isinstance(nested, dict) else {}
    consumed = consumed | ({"metadata"} if isinstance(nested, dict) else set())
    metadata.update({key: value for key, value in record.items() if key not in consumed})
    extras = {
        "system_prompt": "\n\n".join(conv.system),
        "tools": _tools(record.get("tools")),
        "final_answer": conv.final_answer,
        "user_messages": conv.user_messages,
        "orphan_tool_results": conv.orphan_results,
    }
    metadata.update({key: value for key, value in extras.items() if value})
    return metadata
