"""Data sets of agent runs, one row per run, that keep the chat as a list of `role` turns under `trajectory`:

- OpenAI-shaped messages with `tool_calls` and `tool` results (OpenHands runs published as rows, such as
  nebius/SWE-rebench-openhands-trajectories or nvidia/SWE-Zero-openhands-trajectories): walked as any OpenAI
  chat record (`readers.chat.walk`);
- SWE-agent turns as `role` (`system`, `user`, `ai`) and `text` (nebius/SWE-agent-trajectories): an `ai` turn
  acts through its last fenced block, as SWE-agent parses it (`open a.py`, `edit 1:1 ... end_of_edit`,
  `submit`, a shell line), and the `user` turn after it is that action's observation; an `edit N:M` edits the
  file the last observation showed open (`(Open file: X)`).

Row fields are mapped as for every chat record (`readers._chat_fields`): `instance_id`, `model_name`,
`generated_patch` / `model_patch`, `target` / `resolved`, `exit_status`; the rest stays in `metadata`.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from trajsift import reasons
from trajsift.readers._chat_fields import record_trajectory
from trajsift.readers._text_actions import text_actions_as_calls
from trajsift.readers.base import Origin, as_text, require
from trajsift.readers.chat import walk
from trajsift.schema import ActionType, Step, Trajectory

ROLES = {"ai": "assistant", "gpt": "assistant", "model": "assistant", "human": "user", "observation": "tool"}
KEPT_FIELDS = ("role", "tool_calls", "tool_call_id", "name", "function_call")
OPEN_FILE = re.compile(r"\(Open file: ([^)\n]+)\)")


class ChatRowsReader:
    name: ClassVar[str] = "chat-rows"
    description: ClassVar[str] = "run rows whose `trajectory` is a list of chat turns (`role` + `content` / `text`)"

    def sniff(self, record: dict[str, Any]) -> bool:
        turns = record.get("trajectory")
        head = turns[0] if isinstance(turns, list) and turns else None
        return isinstance(head, dict) and isinstance(head.get("role"), str) and "action" not in head

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Trajectory]:
        turns = record.get("trajectory")
        require(isinstance(turns, list), "no `trajectory` list")
        require(bool(turns), "empty trajectory", reasons.EMPTY_INPUT)
        messages = text_actions_as_calls([_message(turn, index) for index, turn in enumerate(turns)])
        row = {key: value for key, value in record.items() if key != "trajectory"}
        conversation = walk(messages)
        _edits_on_the_open_file(conversation.steps)
        return [record_trajectory(row, origin, self.name, conversation)]


def _message(turn: Any, index: int) -> dict[str, Any]:
    require(isinstance(turn, dict), f"turn {index} is a {type(turn).__name__}, not an object")
    role = str(turn.get("role") or "").lower()
    message = {key: turn[key] for key in KEPT_FIELDS if turn.get(key) is not None}
    message["role"] = ROLES.get(role, role)
    content = turn.get("content")
    message["content"] = content if content is not None else as_text(turn.get("text"))
    return message


def _edits_on_the_open_file(steps: list[Step]) -> None:
    """SWE-agent 0.x's `edit N:M` names no file: it edits the one its prompt last showed open (`(Open file: X)`)."""
    open_file = ""
    for step in steps:
        if step.action.type is ActionType.EDIT and not step.action.target:
            step.action.target = open_file
        shown = OPEN_FILE.findall(step.observation.text)
        if shown:
            open_file = "" if shown[-1].strip() in ("n/a", "None") else shown[-1].strip()
