"""Actions a chat writes as text, shared by the readers of chats without native tool calls.

- Prompt-based function calling (OpenHands' non-native mode, R2E-Gym): `<function=NAME><parameter=K>V</parameter>
  </function>` blocks in an assistant turn (`text_function_calls`), answered by a user turn that may open with
  `EXECUTION RESULT of [NAME]:` (`strip_result_header`).
- Fenced shell blocks: mini-swe-agent acts through one ```bash block, SWE-agent 0.x through its last ``` block
  (`fenced_command`).
- SEARCH/REPLACE edit blocks (Aider's edit format, Agentless and the RL scaffolds built on it): each
  `<<<<<<< SEARCH` / `=======` / `>>>>>>> REPLACE` block is a `str_replace` of the file named on the line before
  it (or before its fence; `### path` too), an empty SEARCH creating the file (`search_replace_calls`).
`text_actions_as_calls` rewrites a text-only chat into native calls and `tool` results for the chat walker; the
user turn after an assistant turn is the result of its last call.
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
SEARCH_LINE = re.compile(r"[ \t]*<{5,9} ?SEARCH\b")
DIVIDER_LINE = re.compile(r"[ \t]*={5,9}[ \t]*$")
REPLACE_LINE = re.compile(r"[ \t]*>{5,9} ?REPLACE\b")
FENCE_LINE = re.compile(r"^[ \t]*(```|~~~)")
PATH_LINE = re.compile(r"^[#\s`*]*(?:file(?:name)?:\s*)?([\w./\\-]+\.\w+|[\w.-]*/[\w./-]+)[`*:\s]*$", re.IGNORECASE)


def bash_call(command: str) -> dict[str, Any]:
    """A native call of the shell running `command`."""
    return {"function": {"name": "bash", "arguments": {"command": command}}}


def fenced_command(text: str) -> str | None:
    """The last bash or untagged fenced block of `text` that holds no SEARCH/REPLACE block, stripped; None
    without one."""
    commands = [
        body for tag, body in FENCE.findall(text) if tag.strip().lower() in COMMAND_TAGS and not edit_blocks(body)
    ]
    return commands[-1].strip() if commands else None


def search_replace_calls(text: str) -> tuple[list[dict[str, Any]], str]:
    """The SEARCH/REPLACE blocks of an assistant text as editor calls (ids `text-edit-N`), and the text without
    them (each fence holding a block dropped whole). A block with no file named before it edits the file the
    block before it named; blocks before any file name are left in the text."""
    calls, kept, path, end = [], [], "", 0
    for number, (start, stop, search, replace) in enumerate(edit_blocks(text), 1):
        path = _named_path(text[end:start]) or path
        if path:
            arguments = (
                {"command": "str_replace", "path": path, "old_str": search, "new_str": replace}
                if search
                else {"command": "create", "path": path, "file_text": replace}
            )
            editor = {"name": "str_replace_editor", "arguments": arguments}
            calls.append({"id": f"text-edit-{number}", "function": editor})
            kept.append((start, stop))
        end = stop
    return calls, _without_spans(text, kept) if calls else text


def edit_blocks(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, search, replace) of each complete SEARCH/REPLACE block, in one pass over the lines (a marker
    inside an unfinished block starts it again)."""
    if "SEARCH" not in text or "REPLACE" not in text:
        return []
    blocks: list[tuple[int, int, str, str]] = []
    search: list[str] = []
    replace: list[str] = []
    state, offset, start = "", 0, 0  # state: "" outside a block, "search" or "replace" inside
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if SEARCH_LINE.match(bare):
            state, start, search, replace = "search", offset, [], []
        elif state == "search" and DIVIDER_LINE.match(bare):
            state = "replace"
        elif state == "replace" and REPLACE_LINE.match(bare):
            blocks.append((start, offset + len(bare), _joined(search), _joined(replace)))
            state = ""
        elif state:
            (search if state == "search" else replace).append(line)
        offset += len(line)
    return blocks


def _joined(lines: list[str]) -> str:
    """The lines as one text, without the newline that ends the last."""
    return "".join(lines).removesuffix("\n").removesuffix("\r")


def _named_path(before: str) -> str:
    """The file named by the last line before a block (fence openers and blank lines skipped)."""
    for line in reversed(before.splitlines()):
        if not line.strip() or FENCE_LINE.match(line):
            continue
        named = PATH_LINE.match(line)
        return named.group(1) if named else ""
    return ""


def _without_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` without the spans, each widened to the fence around it when there is one."""
    fences = [(m.start(), m.end()) for m in FENCE.finditer(text)]
    cut = sorted({next(((a, b) for a, b in fences if a <= start and end <= b), (start, end)) for start, end in spans})
    parts, position = [], 0
    for start, end in cut:
        parts.append(text[position:start])
        position = max(position, end)
    return re.sub(r"\n{3,}", "\n\n", "".join(parts) + text[position:]).strip()


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
    blocks, else through its SEARCH/REPLACE blocks and then its fenced command, and a user turn right after it is
    the result of its last call. Copies what it changes; a chat with native calls is returned as it is."""
    if any(tool_calls(m) or tool_results(m) or m.get("role") in ("tool", "function") for m in messages):
        return messages
    out = [dict(message) for message in messages]
    for message, reply in zip(out, [*out[1:], None], strict=True):
        if message.get("role") != "assistant":
            continue
        calls, thought = text_function_calls(message_text(message))
        if not calls:
            calls, thought = search_replace_calls(thought)
            command = fenced_command(thought)
            calls += [] if command is None else [{"id": f"text-command-{len(calls) + 1}", **bash_call(command)}]
        if calls:
            message.update(content=thought, tool_calls=calls)
            if reply is not None and reply.get("role") == "user":
                answered = str(calls[-1].get("id") or "")
                reply.update(role="tool", content=strip_result_header(message_text(reply)), tool_call_id=answered)
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
