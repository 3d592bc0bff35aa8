"""Actions a chat writes as text, shared by the readers of chats without native tool calls.

- Prompt-based function calling (OpenHands' non-native mode, R2E-Gym): `<function=NAME><parameter=K>V</parameter>
  </function>` blocks in an assistant turn (`text_function_calls`), answered by a user turn that may open with
  `EXECUTION RESULT of [NAME]:` (`strip_result_header`).
- Fenced shell blocks: mini-swe-agent acts through one ```bash block, SWE-agent 0.x through its last ``` block
  (`fenced_command`).
`text_actions_as_calls` rewrites a text-only chat into native calls and `tool` results for the chat walker.
"""

from __future__ import annotations

import json
import re
from typing import Any

from trajsift.readers._messages import message_text, tool_calls, tool_results

FUNCTION_BLOCK = re.compile(r"<function=([^>\s]+)>(.*?)(?:</function>|\Z)", re.DOTALL)
PARAMETER = re.compile(r"<parameter=([^>\s]+)>(.*?)</parameter>", re.DOTALL)
EXECUTION_RESULT = re.compile(r"^\s*EXECUTION RESULT of \[([^\]]*)\]:\n?")
TEXT_PARAMETERS = frozenset({"command", "code", "file_text", "old_str", "new_str", "content", "thought", "message"})
NUMERIC_VALUE = re.compile(r"-?\d{1,18}|\[\s*(?:-?\d{1,18}\s*,\s*)*-?\d{1,18}\s*\]")
FENCE = re.compile(r"```([^\n`]*)\n(.*?)```", re.DOTALL)
"""Every fenced block in order, as (tag, body): a closing fence never opens the next block."""
COMMAND_TAGS = frozenset({"", "bash", "sh", "shell", "console"})


def bash_call(command: str) -> dict[str, Any]:
    """A native call of the shell running `command`."""
    return {"function": {"name": "bash", "arguments": {"command": command}}}


def fenced_command(text: str) -> str | None:
    """The last bash or untagged fenced block of `text`, stripped; None without one."""
    commands = [body for tag, body in FENCE.findall(text) if tag.strip().lower() in COMMAND_TAGS]
    return commands[-1].strip() if commands else None


def text_function_calls(text: str, numbered_from: int = 0) -> tuple[list[dict[str, Any]], str]:
    """The `<function=NAME>` calls in an assistant text as native calls (ids `text-call-N`), and the text without
    them (the whole text when it holds none)."""
    calls = []
    for number, (name, body) in enumerate(FUNCTION_BLOCK.findall(text), numbered_from + 1):
        arguments = {key: _typed(key, _strip_newlines(value)) for key, value in PARAMETER.findall(body)}
        calls.append({"id": f"text-call-{number}", "function": {"name": name, "arguments": arguments}})
    return calls, (FUNCTION_BLOCK.sub("", text).strip() if calls else text)


def strip_result_header(text: str) -> str:
    """A tool result's text without OpenHands' `EXECUTION RESULT of [NAME]:` header."""
    header = EXECUTION_RESULT.match(text)
    return text[header.end() :] if header else text


def text_actions_as_calls(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A text-only chat (no tool calls or results anywhere): each assistant turn acts through its `<function=...>`
    blocks, else through its fenced command, and a user turn right after it is the result. Copies what it
    changes; a chat with native calls is returned as it is (do not guess)."""
    if any(tool_calls(m) or tool_results(m) or m.get("role") in ("tool", "function") for m in messages):
        return messages
    out = [dict(message) for message in messages]
    for message, reply in zip(out, [*out[1:], None], strict=True):
        if message.get("role") != "assistant":
            continue
        calls, thought = text_function_calls(message_text(message))
        command = None if calls else fenced_command(thought)
        if command is not None:
            calls = [bash_call(command)]
        if calls:
            message.update(content=thought, tool_calls=calls)
            if reply is not None and reply.get("role") == "user":
                reply.update(role="tool", content=strip_result_header(message_text(reply)))
    return out


def _typed(key: str, value: str) -> Any:
    """Integers and integer lists (`view_range`, `insert_line`) decoded, as the function-calling view has them."""
    if key not in TEXT_PARAMETERS and NUMERIC_VALUE.fullmatch(value.strip()):
        return json.loads(value)
    return value


def _strip_newlines(value: str) -> str:
    """One newline after the opening tag and one before the closing tag belong to the format."""
    value = value[1:] if value.startswith("\n") else value
    return value[:-1] if value.endswith("\n") else value
