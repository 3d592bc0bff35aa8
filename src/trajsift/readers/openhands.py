"""OpenHands LLM completion logs: one JSON file per LLM call, holding the conversation so far.

Shape: `messages` (system / user / assistant / tool; content a string or `{type: text}` blocks; assistant
`tool_calls` with JSON-string arguments; `tool` messages with `tool_call_id`), `response` (this call's
answer, `choices[0].message`), `args` / `kwargs` (`tools`), `timestamp`, `cost`. Prompt-based runs also
carry `fncall_messages` + `fncall_response`, the function-calling view of the same conversation; it is
preferred. Without it, prompt-based text is parsed: `<function=NAME><parameter=K>V</parameter></function>`
in assistant text, results as user messages `EXECUTION RESULT of [NAME]:`.

The response is appended as the last assistant turn, so its call (e.g. `finish`) is the last step.
An assistant message without a call (a message to the user) is a `think` step with tool `message`
(as the generic chat reader does); the user's reply is its observation.
`usage.api_calls` counts assistant turns; `cost` is this one call's cost and goes to metadata.
The log never holds the final patch: `patch_source` is `observed_diff` when the agent's last `git diff`
is still current, else `unknown`. The exit status is derived from the log (`readers.openhands_exit`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

from trajsift import reasons
from trajsift.actions.classify import classify_tool_call
from trajsift.readers._messages import Turn, assistant_turns, message_text
from trajsift.readers._text_actions import EXECUTION_RESULT, text_function_calls
from trajsift.readers.base import Origin, make_id, require
from trajsift.readers.observed import ERROR_PREFIXES, EXIT_FOOTER
from trajsift.readers.openhands_exit import completion_exit
from trajsift.readers.recover import settle_patch
from trajsift.schema import Action, ActionType, FinalState, Observation, Source, Step, TaskRef, Trajectory, Usage

TRUNCATION_MARKERS = ("[... Observation truncated due to length ...]", "<response clipped>")
TASK_TAGS = ("issue_description", "pr_description", "task_description")
EXAMPLE_END = "--------------------- NEW TASK DESCRIPTION ---------------------"
FILE_TIMESTAMP = re.compile(r"-\d+(?:\.\d+)?$")


class OpenHandsCompletionReader:
    name: ClassVar[str] = "openhands-completions"
    description: ClassVar[str] = "OpenHands LLM completion log (messages + response, fncall_messages variant)"

    def sniff(self, record: dict[str, Any]) -> bool:
        response = record.get("response")
        return (
            isinstance(record.get("messages"), list)
            and isinstance(response, dict)
            and "choices" in response
            and any(key in record for key in ("kwargs", "args", "fncall_messages"))
        )

    def parse(self, record: dict[str, Any], origin: Origin, calls: int | None = None) -> list[Trajectory]:
        """`calls`: the run's LLM call count when known from outside (one completion file per call); by
        default the assistant turns of this log."""
        fncall = isinstance(record.get("fncall_messages"), list) and bool(record["fncall_messages"])
        messages = record["fncall_messages"] if fncall else record.get("messages") or []
        response = record.get("fncall_response") if fncall else record.get("response")
        messages = [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []
        answer = _response_message(response)
        if answer is not None:
            messages = [*messages, answer]
        require(any(m.get("role") == "assistant" for m in messages), "no assistant turn", reasons.EMPTY_INPUT)
        turns = assistant_turns(messages if _has_native_calls(messages) else text_calls_to_native(messages))
        steps = [step for turn in turns for step in _turn_steps(turn)]
        for index, step in enumerate(steps):
            step.index = index
        task_id = origin.task_id_from_path()
        last = steps[-1].action if steps else Action()
        finished = last.type == ActionType.SUBMIT
        exit_status, exit_metadata = completion_exit(record, messages, max(calls or 0, len(turns)), finished)
        return [
            Trajectory(
                id=make_id(origin, task_id),
                source=Source(
                    format=self.name, scaffold="openhands", model=_model(response, origin), path=origin.display
                ),
                task=TaskRef(task_id=task_id, instruction=_instruction(messages)),
                steps=steps,
                final=settle_patch(
                    FinalState(submitted=finished, exit_status=exit_status), steps, records_patches=False
                ),
                usage=Usage(api_calls=len(turns), finished_at=_iso(record.get("timestamp"))),
                metadata={**_metadata(record, response, fncall), **exit_metadata},
            )
        ]


def _response_message(response: Any) -> dict[str, Any] | None:
    choices = response.get("choices") if isinstance(response, dict) else None
    message = (
        choices[0].get("message") if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None
    )
    if not isinstance(message, dict):
        return None
    return {**message, "role": "assistant"}


def _has_native_calls(messages: list[dict[str, Any]]) -> bool:
    return any(m.get("tool_calls") or m.get("role") == "tool" for m in messages)


def text_calls_to_native(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rewrite prompt-based turns into function-calling messages (`tool_calls` + `tool` results)."""
    converted: list[dict[str, Any]] = []
    counter = 0
    for message in messages:
        text = message_text(message)
        if message.get("role") == "assistant":
            calls, thought = text_function_calls(text, counter)
            counter += len(calls)
            converted.append({"role": "assistant", "content": thought, "tool_calls": calls})
            continue
        result = EXECUTION_RESULT.match(text) if message.get("role") == "user" else None
        if result:
            converted.append({"role": "tool", "name": result.group(1), "content": text[result.end() :]})
        else:
            converted.append(message)
    return converted


def _turn_steps(turn: Turn) -> list[Step]:
    following = "\n".join(filter(None, (message_text(m) for m in turn.following)))
    if not turn.calls:
        action = Action(type=ActionType.THINK, tool="message", command=turn.text[:200])
        return [Step(thought=turn.text, action=action, observation=Observation(text=following))]
    steps = []
    for index, (call, result) in enumerate(turn.calls):
        observation = tool_observation(result.text if result else "")
        observation.is_error = observation.is_error or bool(result and result.is_error)
        if index == len(turn.calls) - 1 and following:
            observation.text = "\n".join(filter(None, [observation.text, following]))
        thought = turn.text if index == 0 else ""
        steps.append(
            Step(thought=thought, action=classify_tool_call(call.name, call.arguments), observation=observation)
        )
    return steps


def tool_observation(text: str) -> Observation:
    """Tool output with OpenHands' exit-code footer, truncation marker and `ERROR:` prefix read out."""
    codes = EXIT_FOOTER.findall(text)
    return Observation(
        text=text,
        exit_code=int(codes[-1]) if codes else None,
        is_error=text.lstrip().startswith(ERROR_PREFIXES),
        truncated=any(marker in text for marker in TRUNCATION_MARKERS),
    )


def _instruction(messages: list[dict[str, Any]]) -> str:
    user = next((m for m in messages if m.get("role") == "user"), None)
    text = message_text(user) if user else ""
    if EXAMPLE_END in text:  # prompt-based: an in-context example precedes the task
        text = text.split(EXAMPLE_END, 1)[1].strip()
    for tag in TASK_TAGS:
        match = re.search(rf"<{tag}>\n?(.*?)\n?</{tag}>", text, re.DOTALL)
        if match:
            return match.group(1).strip()
    return text.strip()


def _model(response: Any, origin: Origin) -> str:
    model = response.get("model") if isinstance(response, dict) else None
    if isinstance(model, str) and model:
        return model
    name = re.split(r"[/\\:]", origin.path)[-1]
    for suffix in (".gz", ".zst", ".json"):
        name = name.removesuffix(suffix)
    return FILE_TIMESTAMP.sub("", name).replace("__", "/")


def _iso(timestamp: Any) -> str:
    if isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool):
        try:
            return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).isoformat()
        except (OverflowError, OSError, ValueError):
            return ""
    return timestamp if isinstance(timestamp, str) else ""


def _metadata(record: dict[str, Any], response: Any, fncall: bool) -> dict[str, Any]:
    usage = response.get("usage") if isinstance(response, dict) else None
    kwargs = record.get("kwargs") if isinstance(record.get("kwargs"), dict) else {}
    tools = kwargs.get("tools") if isinstance(kwargs.get("tools"), list) else []
    names = [
        t.get("function", {}).get("name") for t in tools if isinstance(t, dict) and isinstance(t.get("function"), dict)
    ]
    metadata = {
        "view": "fncall_messages" if fncall else "messages",
        "call_cost": record.get("cost"),
        "call_usage": usage if isinstance(usage, dict) else None,
        "tools": [n for n in names if n] or None,
    }
    return {key: value for key, value in metadata.items() if value is not None}
