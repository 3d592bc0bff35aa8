"""ATIF, the Agent Trajectory Interchange Format (Harbor's `trajectory.json`, v1.0 onwards; NeMo and other
tools write it too): a root object with `schema_version` ("ATIF-v1.N"), `session_id`, `agent` (`name`,
`version`, `model_name`), `steps` and optional `final_metrics`, `notes`, `extra`. Each step has a `source`
(`system`, `user` or `agent`), a `message`, and for agent steps `reasoning_content`, `tool_calls`
(`tool_call_id`, `function_name`, `arguments`), an `observation` whose `results` name their `source_call_id`,
and `metrics`.

The steps are rewritten as OpenAI-shaped messages and walked by the chat walker (`readers.chat.walk`), so tool
calls are classified and paired with their results as in any chat log:
- `system` / `user` steps before the first agent step are the system prompt / the task instruction;
- an agent step is an assistant message (its reasoning, then its message, as the thought) with its calls, and
  its observation's results follow as tool results, paired by `source_call_id`;
- an agent step without tool calls whose observation has results is a bash call when its message holds one
  fenced bash block (how mini-swe-agent acts; `readers._text_actions`), else a `think` step that observed them;
- a later `user` / `system` step (a nudge, a context reset) is kept as a user message.
The task id, patch, outcome and exit status are looked up in `extra` (the root's, then the agent's) under the
keys every chat record uses (`instance_id`, `patch`, `resolved`, `exit_status`, ...); tokens and cost come from
`final_metrics`, else from the steps' `metrics`; the steps' timestamps give the run's start and end. Root fields
without a slot stay in `metadata`, and each step's metrics, timestamp, model and `extra` in `metadata.atif_steps`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from trajsift import reasons
from trajsift.readers._chat_fields import record_trajectory
from trajsift.readers._text_actions import bash_call, fenced_command
from trajsift.readers.base import Origin, as_text, joined, require
from trajsift.readers.chat import walk
from trajsift.schema import Trajectory

VERSION_PREFIX = "ATIF-"
STEP_SOURCES = frozenset({"system", "user", "agent"})
DETAIL_FIELDS = ("timestamp", "model_name", "reasoning_effort", "metrics", "extra")
USAGE_FIELDS = (  # (final_metrics field, step metrics field, trajsift usage key)
    ("total_prompt_tokens", "prompt_tokens", "prompt_tokens"),
    ("total_completion_tokens", "completion_tokens", "completion_tokens"),
    ("total_cost_usd", "cost_usd", "cost"),
)


class AtifReader:
    name: ClassVar[str] = "atif"
    description: ClassVar[str] = "ATIF trajectories (Harbor `trajectory.json`): `schema_version` ATIF-v1.x, `steps`"

    def sniff(self, record: dict[str, Any]) -> bool:
        version = record.get("schema_version")
        if isinstance(version, str):
            return version.upper().startswith(VERSION_PREFIX)
        steps = record.get("steps")
        head = steps[0] if isinstance(steps, list) and steps else None
        return isinstance(record.get("agent"), dict) and isinstance(head, dict) and head.get("source") in STEP_SOURCES

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Trajectory]:
        steps = record.get("steps")
        require(isinstance(steps, list), "no `steps` list")
        require(bool(steps), "empty step list", reasons.EMPTY_INPUT)
        messages: list[dict[str, Any]] = []
        for index, step in enumerate(steps):
            require(isinstance(step, dict), f"step {index} is a {type(step).__name__}, not an object")
            messages += _step_messages(step, index)
        trajectory = record_trajectory(_flat_record(record, steps), origin, self.name, walk(messages))
        stamps = [str(step["timestamp"]) for step in steps if step.get("timestamp")]
        if stamps:
            trajectory.usage.started_at, trajectory.usage.finished_at = stamps[0], stamps[-1]
        trajectory.usage.api_calls = sum(1 for step in steps if step.get("source") == "agent") or None
        return [trajectory]


def _step_messages(step: dict[str, Any], index: int) -> list[dict[str, Any]]:
    source = step.get("source")
    require(source in STEP_SOURCES, f"step {index}: source {source!r} is not system, user or agent")
    text = as_text(step.get("message"))
    results = _results(step, index)
    if source != "agent":
        observed = [content for _, content in results]
        return [{"role": "system" if source == "system" else "user", "content": joined(text, *observed)}]
    calls = _calls(step, index)
    if not calls and results:
        command = fenced_command(text)
        if command is not None:
            calls = [bash_call(command)]
    thought = joined(as_text(step.get("reasoning_content")), text)
    messages: list[dict[str, Any]] = [{"role": "assistant", "content": thought, "tool_calls": calls}]
    if calls:
        messages += [{"role": "tool", "tool_call_id": call_id, "content": content} for call_id, content in results]
    elif results:
        messages.append({"role": "user", "content": joined(*(content for _, content in results))})
    return messages


def _calls(step: dict[str, Any], index: int) -> list[dict[str, Any]]:
    raw = step.get("tool_calls") or []
    require(isinstance(raw, list), f"step {index}: tool_calls is not a list")
    calls = []
    for call in raw:
        require(isinstance(call, dict), f"step {index}: a tool call is a {type(call).__name__}, not an object")
        name = call.get("function_name") or call.get("name") or ""
        call_id = call.get("tool_call_id") or call.get("id") or ""
        calls.append({"id": str(call_id), "function": {"name": str(name), "arguments": call.get("arguments")}})
    return calls


def _results(step: dict[str, Any], index: int) -> list[tuple[str, str]]:
    """(source_call_id, text) of each observation result; a subagent's result without text names its sessions."""
    observation = step.get("observation")
    if observation is None:
        return []
    require(isinstance(observation, dict), f"step {index}: observation is not an object")
    results = observation.get("results") or []
    require(isinstance(results, list), f"step {index}: observation results is not a list")
    pairs = []
    for result in results:
        require(isinstance(result, dict), f"step {index}: an observation result is not an object")
        text = as_text(result.get("content"))
        refs = result.get("subagent_trajectory_ref")
        if not text and isinstance(refs, list):
            sessions = [str(ref.get("session_id")) for ref in refs if isinstance(ref, dict)]
            text = f"[subagent trajectories: {', '.join(sessions)}]"
        pairs.append((str(result.get("source_call_id") or ""), text))
    return pairs


def _flat_record(record: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The root as a chat record: `extra`'s fields (the agent's, then the root's) beside the root's own."""
    agent = record.get("agent") if isinstance(record.get("agent"), dict) else {}
    flat: dict[str, Any] = {}
    for extra in (agent.get("extra"), record.get("extra")):
        if isinstance(extra, dict):
            flat.update(extra)
    flat.update({key: value for key, value in record.items() if key not in ("steps", "extra")})
    run_id = record.get("trajectory_id") or record.get("session_id")
    if run_id and not flat.get("id"):
        flat["id"] = str(run_id)
    if isinstance(agent.get("name"), str) and not flat.get("scaffold"):
        flat["scaffold"] = agent["name"]
    step_models = [s.get("model_name") for s in steps if s.get("source") == "agent" and s.get("model_name")]
    model = agent.get("model_name") or (step_models[0] if step_models else None)
    if isinstance(model, str) and not flat.get("model"):
        flat["model"] = model
    usage = _usage(record.get("final_metrics"), steps)
    if usage and "usage" not in flat:
        flat["usage"] = usage
    detail = [_step_detail(step) for step in steps]
    if any(len(d) > 1 for d in detail):
        flat["atif_steps"] = [d for d in detail if len(d) > 1]
    return flat


def _step_detail(step: dict[str, Any]) -> dict[str, Any]:
    """What a step holds besides its text, calls and results (per-step metrics with token ids and logprobs for
    RL, timestamps, `extra`), by `step_id`: kept in `metadata.atif_steps`."""
    kept = {key: step[key] for key in DETAIL_FIELDS if step.get(key) not in (None, "", [], {})}
    return {"step_id": step.get("step_id"), **kept}


def _usage(final: Any, steps: list[dict[str, Any]]) -> dict[str, float]:
    """Token and cost totals: `final_metrics` where it gives them, else the sum over the steps' `metrics`."""
    final = final if isinstance(final, dict) else {}
    usage: dict[str, float] = {}
    for total_key, step_key, key in USAGE_FIELDS:
        total = final.get(total_key)
        if not _is_number(total):
            values = [m.get(step_key) for m in (s.get("metrics") for s in steps) if isinstance(m, dict)]
            numbers = [v for v in values if _is_number(v)]
            total = sum(numbers) if numbers else None
        if total is not None:
            usage[key] = total
    return usage


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
