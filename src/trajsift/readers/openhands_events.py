"""OpenHands event streams: evaluation `output.jsonl` rows, or a bare `{"history": [...]}` record.

An `output.jsonl` row (OpenHands `EvalOutput`) holds `instance_id`, `instruction`, `history`, `test_result`
(`git_patch`), `metrics` (`accumulated_cost`, `accumulated_token_usage`), `metadata` (`llm_config.model`,
`agent_class`, ...), `error` and optionally `instance`. `history` is a list of serialised events:
`{id, timestamp, source, message, action, args, tool_call_metadata}` for actions and
`{id, timestamp, source, cause, observation, content, extras, success}` for observations, `cause` naming
the action id. Older rows hold `history` as `[action, observation]` pairs.

Steps are the agent's actions (bookkeeping events such as `system`, `recall`, `change_agent_state` are
not steps); each is paired with the observation whose `cause` is its id, or else the next uncaused
observation before the next agent action. The final agent state (`agent_state_changed`) becomes the exit
status. A non-zero exit code sets `exit_code` only; `is_error` marks `error` observations, `ERROR:` outputs
and commands that did not finish (exit code -1).
"""

from __future__ import annotations

from typing import Any, ClassVar

from trajsift import reasons
from trajsift.actions.classify import classify_tool_call
from trajsift.readers.base import Origin, as_text, make_id, require
from trajsift.readers.openhands import TRUNCATION_MARKERS
from trajsift.readers.recover import settle_patch
from trajsift.schema import (
    Action,
    ActionType,
    FinalState,
    Observation,
    Outcome,
    Source,
    Step,
    TaskRef,
    Trajectory,
    Usage,
)

BOOKKEEPING = frozenset(
    {"system", "recall", "change_agent_state", "null", "condensation", "condensation_request", "summarize"}
    | {"pause", "resume", "stop", "start", "push", "send_pr"}
)
EDITOR_KEYS = ("command", "path", "file_text", "old_str", "new_str", "insert_line", "view_range")
FIXED_TYPES = {"think": ActionType.THINK, "reject": ActionType.GIVE_UP, "message": ActionType.THINK}


class OpenHandsEventsReader:
    name: ClassVar[str] = "openhands-events"
    description: ClassVar[str] = "OpenHands event stream (evaluation output.jsonl rows, {history: [...]})"

    def sniff(self, record: dict[str, Any]) -> bool:
        history = record.get("history", False)
        if history in (None, []) and "instance_id" in record and "test_result" in record:
            return True  # an EvalOutput row whose run failed before any event: parse says why
        if not isinstance(history, list):
            return False
        head = next((item for item in history if item), None)
        if isinstance(head, list):
            head = next((part for part in head if isinstance(part, dict) and part), None)
        # SWE-agent history entries also carry `action`, but always with a chat `role`
        # SDK (V1) events carry `kind` (`readers.openhands_sdk`)
        return (
            isinstance(head, dict)
            and ("action" in head or "observation" in head)
            and not {"role", "kind"} & head.keys()
        )

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Trajectory]:
        events = flatten_history(record.get("history"))
        error = record.get("error")
        require(bool(events), f"empty history{f'; error: {error}' if error else ''}", reasons.EMPTY_INPUT)
        steps = build_steps(events)
        task_id = str(record.get("instance_id") or origin.task_id_from_path())
        state = _final_agent_state(events)
        test_result = record.get("test_result") if isinstance(record.get("test_result"), dict) else {}
        patch = test_result.get("git_patch")
        return [
            Trajectory(
                id=make_id(origin, task_id),
                source=row_source(record, origin),
                task=_task(record, events, task_id),
                steps=steps,
                final=settle_patch(
                    FinalState(
                        patch=patch if isinstance(patch, str) else "",
                        submitted=any(s.action.type == ActionType.SUBMIT for s in steps),
                        exit_status=state or ("error" if error else ""),
                    ),
                    steps,
                    records_patches="git_patch" in test_result,
                    diffed="git_patch" in test_result,
                ),
                usage=row_usage(record, events),
                outcome=row_outcome(test_result),
                metadata={key: value for key, value in {"error": error, "agent_state": state}.items() if value},
            )
        ]


def flatten_history(history: Any) -> list[dict[str, Any]]:
    """Events in order; `[action, observation]` pairs are linked by setting `cause` where missing."""
    events: list[dict[str, Any]] = []
    for item in history if isinstance(history, list) else []:
        if isinstance(item, dict) and item:
            events.append(item)
        elif isinstance(item, list):
            parts = [part for part in item if isinstance(part, dict) and part]
            action = next((p for p in parts if "action" in p), None)
            for part in parts:
                if "observation" in part and action is not None and "cause" not in part and "id" in action:
                    part = {**part, "cause": action["id"]}
                events.append(part)
    return events


def build_steps(events: list[dict[str, Any]]) -> list[Step]:
    by_cause = {e["cause"]: e for e in events if "observation" in e and isinstance(e.get("cause"), (int, str))}
    steps: list[Step] = []
    current: Step | None = None
    for event in events:
        if "action" in event:
            if event.get("source", "agent") != "agent" or str(event.get("action")) in BOOKKEEPING:
                current = None
                continue
            event_id = event.get("id")
            observation = by_cause.get(event_id) if isinstance(event_id, (int, str)) else None
            current = _step(event, observation, len(steps))
            steps.append(current)
        elif current is not None and event.get("cause") is None and not current.observation.text:
            current.observation = _observation(event)  # an uncaused observation right after the action
    return steps


def _step(event: dict[str, Any], observation: dict[str, Any] | None, index: int) -> Step:
    args = event.get("args") if isinstance(event.get("args"), dict) else {}
    kind = str(event.get("action") or "")
    thought = as_text(args.get("thought")) or (as_text(args.get("content")) if kind == "message" else "")
    return Step(
        index=index,
        thought=thought,
        action=event_action(kind, args, _tool_name(event)),
        observation=_observation(observation) if observation else Observation(),
        timestamp=str(event.get("timestamp") or ""),
    )


def _tool_name(event: dict[str, Any]) -> str:
    metadata = event.get("tool_call_metadata")
    name = metadata.get("function_name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) and name else str(event.get("action") or "")


def event_action(kind: str, args: dict[str, Any], tool: str) -> Action:
    """Map an OpenHands action event onto a classified `Action`; `tool` is the raw tool name."""
    if kind == "run":
        action = classify_tool_call("execute_bash", {"command": as_text(args.get("command"))})
    elif kind == "run_ipython":
        action = classify_tool_call("execute_ipython_cell", {"code": as_text(args.get("code"))})
    elif kind == "read":
        action = classify_tool_call("str_replace_editor", {"command": "view", "path": args.get("path", "")})
    elif kind == "write":
        action = classify_tool_call("str_replace_editor", {"command": "create", "path": args.get("path", "")})
    elif kind == "edit":
        editor = {k: args[k] for k in EDITOR_KEYS if args.get(k) not in (None, "")}
        editor.setdefault("command", "edit")  # LLM-based edit (content + line range)
        action = classify_tool_call("str_replace_editor", editor)
    elif kind == "finish":
        action = classify_tool_call("finish", args.get("outputs") if isinstance(args.get("outputs"), dict) else {})
    else:
        action = Action(type=FIXED_TYPES.get(kind, ActionType.OTHER), command=as_text(args.get("content"))[:200])
    action.tool = tool
    action.arguments = args
    return action


def _observation(event: dict[str, Any]) -> Observation:
    extras = event.get("extras") if isinstance(event.get("extras"), dict) else {}
    meta = extras.get("metadata") if isinstance(extras.get("metadata"), dict) else {}
    code = extras.get("exit_code", meta.get("exit_code"))
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    text = as_text(event.get("content"))
    unfinished = code == -1
    return Observation(
        text=text,
        exit_code=None if unfinished else code,
        is_error=unfinished or event.get("observation") == "error" or text.lstrip().startswith("ERROR:"),
        truncated=any(marker in text for marker in TRUNCATION_MARKERS),
    )


def _final_agent_state(events: list[dict[str, Any]]) -> str:
    states = [
        e["extras"].get("agent_state")
        for e in events
        if e.get("observation") == "agent_state_changed" and isinstance(e.get("extras"), dict)
    ]
    return str(states[-1]) if states and states[-1] else ""


def row_source(record: dict[str, Any], origin: Origin) -> Source:
    metadata = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
    llm = metadata.get("llm_config") if isinstance(metadata.get("llm_config"), dict) else {}
    temperature = llm.get("temperature")
    return Source(
        format=OpenHandsEventsReader.name,
        scaffold=f"openhands/{metadata['agent_class']}" if metadata.get("agent_class") else "openhands",
        model=str(llm.get("model") or ""),
        run=str(metadata.get("eval_output_dir") or ""),
        temperature=float(temperature) if isinstance(temperature, (int, float)) else None,
        path=origin.display,
    )


def _task(record: dict[str, Any], events: list[dict[str, Any]], task_id: str) -> TaskRef:
    instance = record.get("instance") if isinstance(record.get("instance"), dict) else {}
    instruction = record.get("instruction")
    if not isinstance(instruction, str) or not instruction:
        first_user = next((e for e in events if e.get("source") == "user" and e.get("action") == "message"), {})
        args = first_user.get("args") if isinstance(first_user.get("args"), dict) else {}
        instruction = as_text(args.get("content"))
    return TaskRef(
        task_id=task_id,
        repo=str(instance.get("repo") or ""),
        base_commit=str(instance.get("base_commit") or ""),
        instruction=instruction,
    )


def row_usage(record: dict[str, Any], events: list[dict[str, Any]]) -> Usage:
    metrics = record.get("metrics") if isinstance(record.get("metrics"), dict) else {}
    tokens = metrics.get("accumulated_token_usage") if isinstance(metrics.get("accumulated_token_usage"), dict) else {}
    cost, costs = metrics.get("accumulated_cost"), metrics.get("costs")
    stamps = [str(e["timestamp"]) for e in events if e.get("timestamp")]
    return Usage(
        cost=float(cost) if isinstance(cost, (int, float)) else None,
        api_calls=len(costs) if isinstance(costs, list) and costs else None,
        input_tokens=tokens.get("prompt_tokens") if isinstance(tokens.get("prompt_tokens"), int) else None,
        output_tokens=tokens.get("completion_tokens") if isinstance(tokens.get("completion_tokens"), int) else None,
        started_at=stamps[0] if stamps else "",
        finished_at=stamps[-1] if stamps else "",
    )


def row_outcome(test_result: dict[str, Any]) -> Outcome:
    report = test_result.get("report") if isinstance(test_result.get("report"), dict) else {}
    resolved = report.get("resolved", test_result.get("resolved"))
    if isinstance(resolved, bool):
        return Outcome(resolved=resolved, label_source="openhands-eval")
    return Outcome()
