"""OpenHands V1 (the software-agent SDK) event streams: evaluation rows whose `history` (or `events`) holds the
SDK's serialised events, each tagged by `kind`.

The LLM-facing events become OpenAI-shaped messages for the chat walker (`readers.chat.walk`):
`SystemPromptEvent` (`system_prompt`) the system prompt; `MessageEvent` (`llm_message`) a user or assistant
message; `ActionEvent` an assistant turn (`thought` and `reasoning_content` as its text, `tool_call` as its call;
the actions of one LLM response, sharing `llm_response_id`, are one turn); `ObservationEvent` (`observation`'s
`content`, `is_error`), `UserRejectObservation` and `AgentErrorEvent` the results, paired by `tool_call_id`.
Internal events (state updates, condensations, pauses, tokens) are not steps; they are counted in
`metadata.internal_events`. The exit status is `max_iterations_reached` after a
`ConversationIterationLimitEvent`, else the last `execution_status` a `ConversationStateUpdateEvent` set if it
is an end (`finished`, `error`, `stuck`; not `running`), else `error` when the row holds one. Row fields are
an `output.jsonl` row's, as for OpenHands V0 (`readers.openhands_events`): `instance_id`, `test_result.git_patch`
and its report, `metadata.llm_config.model`, `metrics`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from trajsift import reasons
from trajsift.readers.base import Origin, as_text, joined, make_id, require
from trajsift.readers.chat import walk
from trajsift.readers.openhands_events import row_outcome, row_source, row_usage
from trajsift.readers.openhands_exit import STEP_LIMIT
from trajsift.readers.recover import settle_patch
from trajsift.schema import ActionType, FinalState, TaskRef, Trajectory

HISTORY_KEYS = ("history", "events")
RESULT_KINDS = frozenset({"ObservationEvent", "UserRejectObservation", "AgentErrorEvent"})
NOT_ENDED = frozenset({"idle", "running", "paused", "waiting_for_confirmation"})
"""Execution statuses of a conversation still under way: not an exit status."""


class OpenHandsSdkReader:
    name: ClassVar[str] = "openhands-sdk"
    description: ClassVar[str] = "OpenHands V1 (software-agent SDK) events tagged by `kind` in `history` / `events`"

    def sniff(self, record: dict[str, Any]) -> bool:
        events = _events(record)
        head = events[0] if events else None
        return isinstance(head, dict) and str(head.get("kind", "")).endswith(("Event", "Observation"))

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Trajectory]:
        events = [event for event in _events(record) if isinstance(event, dict)]
        error = record.get("error")
        require(bool(events), f"empty history{f'; error: {error}' if error else ''}", reasons.EMPTY_INPUT)
        messages, internal = _messages(events)
        conv = walk(messages)
        test_result = record.get("test_result") if isinstance(record.get("test_result"), dict) else {}
        patch = test_result.get("git_patch")
        task_id = str(record.get("instance_id") or origin.task_id_from_path())
        source = row_source(record, origin)
        source.format = self.name
        instance = record.get("instance") if isinstance(record.get("instance"), dict) else {}
        exit_status = _exit_status(events, internal) or ("error" if error else "")
        metadata = {"error": error, "final_answer": conv.final_answer, "internal_events": dict(internal)}
        return [
            Trajectory(
                id=make_id(origin, task_id),
                source=source,
                task=TaskRef(
                    task_id=task_id,
                    repo=str(instance.get("repo") or ""),
                    base_commit=str(instance.get("base_commit") or ""),
                    instruction=str(record.get("instruction") or "") or "\n\n".join(conv.instruction),
                ),
                steps=conv.steps,
                final=settle_patch(
                    FinalState(
                        patch=patch if isinstance(patch, str) else "",
                        submitted=any(step.action.type is ActionType.SUBMIT for step in conv.steps),
                        exit_status=exit_status,
                    ),
                    conv.steps,
                    records_patches="git_patch" in test_result,
                    diffed="git_patch" in test_result,
                ),
                usage=row_usage(record, events),
                outcome=row_outcome(test_result),
                metadata={key: value for key, value in metadata.items() if value},
            )
        ]


def _events(record: dict[str, Any]) -> list[Any]:
    return next((record[key] for key in HISTORY_KEYS if isinstance(record.get(key), list)), [])


def _messages(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], Counter[str]]:
    """The LLM-facing events as chat messages, and a count of the others by kind."""
    messages: list[dict[str, Any]] = []
    internal: Counter[str] = Counter()
    turn: str | None = None  # the llm_response_id of the assistant message being built
    for event in events:
        kind = str(event.get("kind") or "")
        if kind == "ActionEvent":
            call = _tool_call(event)
            response = str(event.get("llm_response_id") or "")
            if turn is not None and response and response == turn and messages[-1]["role"] == "assistant":
                messages[-1]["tool_calls"].append(call)
                continue
            thought = as_text(event.get("thought"))
            text = joined(as_text(event.get("reasoning_content")), thought)
            messages.append({"role": "assistant", "content": text, "tool_calls": [call]})
            turn = response or None
            continue
        turn = None if kind not in RESULT_KINDS else turn
        if kind == "SystemPromptEvent":
            messages.append({"role": "system", "content": as_text(event.get("system_prompt"))})
        elif kind == "MessageEvent":
            message = event.get("llm_message") if isinstance(event.get("llm_message"), dict) else {}
            role = str(message.get("role") or ("user" if event.get("source") == "user" else "assistant"))
            messages.append({"role": role, "content": as_text(message.get("content"))})
        elif kind in RESULT_KINDS:
            messages.append(_result(event, kind))
        else:
            internal[kind or "unknown"] += 1
    return messages, internal


def _tool_call(event: dict[str, Any]) -> dict[str, Any]:
    call = event.get("tool_call") if isinstance(event.get("tool_call"), dict) else {}
    name = call.get("name") or event.get("tool_name") or ""
    call_id = event.get("tool_call_id") or call.get("id") or ""
    return {"id": str(call_id), "function": {"name": str(name), "arguments": call.get("arguments")}}


def _result(event: dict[str, Any], kind: str) -> dict[str, Any]:
    if kind == "ObservationEvent":
        observation = event.get("observation") if isinstance(event.get("observation"), dict) else {}
        text, is_error = as_text(observation), bool(observation.get("is_error"))  # its `content` blocks
    elif kind == "AgentErrorEvent":
        text, is_error = as_text(event.get("error")), True
    else:
        text, is_error = f"Action rejected: {as_text(event.get('rejection_reason'))}", True
    call_id = str(event.get("tool_call_id") or "")
    return {"role": "tool", "tool_call_id": call_id, "content": text, "is_error": is_error}


def _exit_status(events: list[dict[str, Any]], internal: Counter[str]) -> str:
    if internal.get("ConversationIterationLimitEvent"):
        return STEP_LIMIT
    statuses = [
        str(e.get("value"))
        for e in events
        if e.get("kind") == "ConversationStateUpdateEvent" and e.get("key") == "execution_status" and e.get("value")
    ]
    return statuses[-1] if statuses and statuses[-1] not in NOT_ENDED else ""
