"""mini-swe-agent `*.traj.json`: chat `messages`, one ```bash block per assistant reply as the action.

Shape (`trajectory_format: "mini-swe-agent-1"`, or older files with `info.mini_version` only):
`messages` = system, user (task), then assistant replies each followed by a user message holding
`<returncode>N</returncode>` + `<output>` (or `<warning>` + `<output_head>`/`<elided_chars>`/`<output_tail>`
when the output was cut, or the timeout text). `info` has `exit_status`, `submission` (the patch),
`model_stats` (`instance_cost`, `api_calls`), `config` and `mini_version`; a run that raised also has
`traceback`, and its `submission` is the exception's message (kept in metadata, not as a patch).
Tool-call variants (v2, role `tool` results) are read through the shared message helpers.

Decisions:
- A reply with 0 or 2+ bash blocks is a step all the same (the model spent a turn on it): action type
  `other`, tool `format_error`, the blocks kept in `arguments["bash_blocks"]`, observation = the
  feedback message with `is_error=True`.
- The submit sentinel (`COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT` / `MINI_SWE_AGENT_FINAL_OUTPUT`) makes the
  step `submit`, whatever else the command does.
- A non-zero return code sets `exit_code` only; `is_error` is for timeouts and format errors.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from trajsift import reasons
from trajsift.actions.classify import classify_command, classify_tool_call
from trajsift.patches import parse_patch
from trajsift.readers._messages import Turn, assistant_turns, message_text
from trajsift.readers.base import Origin, first, make_id, require
from trajsift.readers.observed import RETURNCODE, TEMPLATE_TRUNCATION
from trajsift.readers.recover import settle_patch
from trajsift.schema import (
    Action,
    ActionType,
    FinalState,
    Observation,
    Source,
    Step,
    TaskRef,
    Trajectory,
    Usage,
)

FORMAT_PREFIX = "mini-swe-agent"
SUBMITTED = "Submitted"
LIMITS_EXCEEDED = "LimitsExceeded"
MESSAGE_LIMIT = 4096
SUBMIT_SENTINELS = ("COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT", "MINI_SWE_AGENT_FINAL_OUTPUT")
BASH_BLOCK = re.compile(r"```bash\s*\n(.*?)\n```", re.DOTALL)
TIMEOUT_MARKER = re.compile(r"timed out and has been killed", re.IGNORECASE)
FORMAT_ERROR_MARKER = re.compile(r"EXACTLY ONE action in triple backticks|found \d+ actions", re.IGNORECASE)
TAGS = {
    name: re.compile(rf"<{name}>\n?(.*?)\n?</{name}>", re.DOTALL)
    for name in ("output", "output_head", "elided_chars", "output_tail", "pr_description")
}


class MiniSweAgentReader:
    name: ClassVar[str] = "mini-swe-agent"
    description: ClassVar[str] = "mini-swe-agent *.traj.json (chat messages, ```bash actions, info.submission)"

    def sniff(self, record: dict[str, Any]) -> bool:
        if not isinstance(record.get("messages"), list):
            return False
        fmt = record.get("trajectory_format")
        if isinstance(fmt, str):
            return fmt.startswith(FORMAT_PREFIX)
        info = record.get("info")
        return isinstance(info, dict) and "mini_version" in info

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Trajectory]:
        raw = record.get("messages")
        messages = [m for m in raw if isinstance(m, dict)] if isinstance(raw, list) else []
        require(bool(messages), "no messages", reasons.EMPTY_INPUT)
        info = record.get("info") if isinstance(record.get("info"), dict) else {}
        turns = assistant_turns(messages)
        steps = [step for turn in turns for step in _turn_steps(turn)]
        for index, step in enumerate(steps):
            step.index = index
        task_id = str(first(record, "instance_id", default="") or origin.task_id_from_path())
        exit_status = str(info.get("exit_status") or "")
        patch, message = _submission(info, exit_status)
        return [
            Trajectory(
                id=make_id(origin, task_id),
                source=_source(info, messages, origin),
                task=TaskRef(task_id=task_id, instruction=_instruction(messages)),
                steps=steps,
                final=settle_patch(
                    FinalState(
                        patch=patch,
                        submitted=exit_status == SUBMITTED or any(s.action.type == ActionType.SUBMIT for s in steps),
                        exit_status=exit_status,
                    ),
                    steps,
                    records_patches="submission" in info,
                    diffed=exit_status == SUBMITTED and "submission" in info,  # other endings store str(exc)
                ),
                usage=_usage(info, messages),
                metadata={**_metadata(record, info), **message},
            )
        ]


def _submission(info: dict[str, Any], exit_status: str) -> tuple[str, dict[str, str]]:
    """The patch, and scaffold messages for metadata. mini-swe-agent stores `str(exception)` as the
    submission of a run that ended on an exception or limit: only a diff is a patch there."""
    submission = info.get("submission")
    submission = submission if isinstance(submission, str) else ""
    message = {"traceback": info["traceback"]} if isinstance(info.get("traceback"), str) else {}
    if exit_status == SUBMITTED or not submission.strip() or parse_patch(submission):
        return submission, message
    key = "exit_message" if exit_status == LIMITS_EXCEEDED else "error"
    return "", {**message, key: submission[:MESSAGE_LIMIT]}


def _turn_steps(turn: Turn) -> list[Step]:
    """One step per bash block (or tool call); a reply without exactly one block is a format-error step."""
    feedback = "\n".join(message_text(m) for m in turn.following)
    if turn.calls:
        return [_tool_call_step(turn, i) for i in range(len(turn.calls))]
    blocks = BASH_BLOCK.findall(turn.text)
    thought = BASH_BLOCK.sub("", turn.text).strip()
    if len(blocks) != 1:
        action = Action(type=ActionType.OTHER, tool="format_error", arguments={"bash_blocks": blocks})
        return [Step(thought=thought, action=action, observation=Observation(text=feedback, is_error=True))]
    return [Step(thought=thought, action=_bash_action(blocks[0]), observation=parse_observation(feedback))]


def _tool_call_step(turn: Turn, index: int) -> Step:
    call, result = turn.calls[index]
    action = classify_tool_call(call.name, call.arguments)
    if _is_submit(action.command) or _is_submit(str(call.arguments.get("command", ""))):
        action.type = ActionType.SUBMIT
    text = result.text if result else ""
    if index == len(turn.calls) - 1 and turn.following:
        text = "\n".join(filter(None, [text, *(message_text(m) for m in turn.following)]))
    observation = parse_observation(text)
    observation.is_error = observation.is_error or bool(result and result.is_error)
    return Step(thought=turn.text.strip() if index == 0 else "", action=action, observation=observation)


def _bash_action(command: str) -> Action:
    action = classify_command(command)
    if _is_submit(command):
        action.type = ActionType.SUBMIT
    return action


def _is_submit(command: str) -> bool:
    return any(sentinel in command for sentinel in SUBMIT_SENTINELS)


def parse_observation(text: str) -> Observation:
    """The templated observation: return code, output (head + tail when cut), timeout / format-error flags."""
    code = RETURNCODE.search(text)
    exit_code = int(code.group(1)) if code else None
    truncated = any(marker in text for marker in TEMPLATE_TRUNCATION)
    timed_out = bool(TIMEOUT_MARKER.search(text))
    format_error = code is None and bool(FORMAT_ERROR_MARKER.search(text))
    output = _tag(text, "output")
    if truncated:
        parts = [_tag(text, "output_head"), _tag(text, "elided_chars"), _tag(text, "output_tail")]
        output = "\n".join(part for part in parts if part) or output
    if output is None or (code is None and not timed_out):
        output = text  # not templated (submission diff, limits message, plain tool output): keep as-is
    return Observation(text=output, exit_code=exit_code, is_error=timed_out or format_error, truncated=truncated)


def _tag(text: str, name: str) -> str | None:
    match = TAGS[name].search(text)
    return match.group(1) if match else None


def _instruction(messages: list[dict[str, Any]]) -> str:
    user = next((m for m in messages if m.get("role") == "user"), None)
    text = message_text(user) if user else ""
    inner = _tag(text, "pr_description")
    if inner is None:
        return text
    return re.sub(r"^\s*Consider the following PR description:\s*", "", inner).strip()


def _source(info: dict[str, Any], messages: list[dict[str, Any]], origin: Origin) -> Source:
    config = info.get("config") if isinstance(info.get("config"), dict) else {}
    model_config = config.get("model") if isinstance(config.get("model"), dict) else {}
    kwargs = model_config.get("model_kwargs") if isinstance(model_config.get("model_kwargs"), dict) else {}
    temperature = kwargs.get("temperature")
    return Source(
        format=MiniSweAgentReader.name,
        scaffold="mini-swe-agent",
        model=str(model_config.get("model_name") or _response_model(messages) or ""),
        temperature=float(temperature) if isinstance(temperature, (int, float)) else None,
        path=origin.display,
    )


def _responses(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for message in messages:
        extra = message.get("extra")
        response = extra.get("response") if isinstance(extra, dict) else None
        if isinstance(response, dict):
            found.append(response)
    return found


def _response_model(messages: list[dict[str, Any]]) -> str:
    return next((str(r["model"]) for r in _responses(messages) if r.get("model")), "")


def _usage(info: dict[str, Any], messages: list[dict[str, Any]]) -> Usage:
    stats = info.get("model_stats") if isinstance(info.get("model_stats"), dict) else {}
    cost, calls = stats.get("instance_cost"), stats.get("api_calls")
    usages = [r["usage"] for r in _responses(messages) if isinstance(r.get("usage"), dict)]
    prompt = [u.get("prompt_tokens") for u in usages if isinstance(u.get("prompt_tokens"), int)]
    completion = [u.get("completion_tokens") for u in usages if isinstance(u.get("completion_tokens"), int)]
    return Usage(
        cost=float(cost) if isinstance(cost, (int, float)) else None,
        api_calls=calls if isinstance(calls, int) else None,
        input_tokens=sum(prompt) if prompt else None,
        output_tokens=sum(completion) if completion else None,
    )


def _metadata(record: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    config = info.get("config") if isinstance(info.get("config"), dict) else {}
    metadata = {
        "trajectory_format": record.get("trajectory_format"),
        "mini_version": info.get("mini_version"),
        "agent_type": config.get("agent_type"),
        "model_type": config.get("model_type"),
        "environment_type": config.get("environment_type"),
    }
    return {key: value for key, value in metadata.items() if value}
