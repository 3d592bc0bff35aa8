"""AutoCodeRover run folders: one folder per instance run (`<task_id>_<date>_<time>/`).

Files used: `meta.json` (task), `cost.json` (usage), `extract_status.json` (one status per patch attempt),
`extracted_patch_N.diff` (patch of attempt N), `problem_statement.txt`, `tool_call_sequence.json`, and the
most complete chat: the last `debug_agent_write_patch_N.json` (search phase plus every patch attempt), else
the last `conversation_round_N.json` (the rounds are cumulative). Any of them may be `.gz`.

Steps: one per search API call (`Result of search_x(...)` chunks, matched in order to the tool-call
sequence for their arguments and `call_ok`), one per bug-location retrieval, one edit per patch attempt
(with the scaffold's feedback as observation), and a final submit when an applicable patch was extracted.
The gold patch (`developer_patch.diff`, `meta.json` task_info) is never copied into the record.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson

from trajsift import reasons
from trajsift.actions.classify import classify_tool_call
from trajsift.errors import FormatError
from trajsift.readers.base import Origin, as_text, first, make_id, number, require
from trajsift.readers.observed import make_observation
from trajsift.readers.recover import settle_patch
from trajsift.readers.sources.units import FolderEntry
from trajsift.schema import Action, ActionType, FinalState, Source, Step, TaskRef, Trajectory, Usage

MAX_FILE_BYTES = 64 * 1024 * 1024
APPLICABLE = "APPLICABLE_PATCH"
RESULT_SPLIT = re.compile(r"\n+(?=Result of \w+\()")
FILE_TAG = re.compile(r"<file>\s*(.*?)\s*</file>")
PATCH_NAME = re.compile(r"extracted_patch_(\d+)\.diff")
NUMBERED = re.compile(r"^(?P<stem>[a-z_]+?)_(?P<n>\d+)\.json$")
SEARCH_FEEDBACK = "The search API calls seem not valid"
LOCATION_FEEDBACK = "The buggy locations is not precise"
LOCATIONS = "Here are the code in buggy locations"
WRITE_PROMPT = "Write a patch for the issue"
PATCH_EXTRACTED = "Extracted a patch"


class AutoCodeRoverReader:
    name: ClassVar[str] = "autocoderover"
    description: ClassVar[str] = "AutoCodeRover run folders (conversation rounds, tool calls, extracted patches)"

    def claims(self, names: set[str]) -> bool:
        return "meta.json" in names and ("tool_call_sequence.json" in names or "conversation_round_0.json" in names)

    def parse_folder(self, folder: FolderEntry) -> list[Trajectory]:
        meta = _load_json(folder, "meta.json")
        require(isinstance(meta, dict), "meta.json is not an object")
        task = _task(folder, meta)
        sequence = _load_json(folder, "tool_call_sequence.json", default=[])
        chat_file = _chat_file(folder)
        messages = _load_json(folder, chat_file, default=[]) if chat_file else []
        require(isinstance(sequence, list) and isinstance(messages, list), "tool calls / chat must be lists")
        if not task.instruction:
            task.instruction = _issue_from_chat(messages)
        statuses = _load_json(folder, "extract_status.json", default={})
        statuses = statuses.get("extract_status", []) if isinstance(statuses, dict) else []
        statuses = [s for s in statuses if isinstance(s, str)] if isinstance(statuses, list) else []
        final = _final(folder, statuses)
        steps = ChatSteps(sequence).build(messages) if messages else _sequence_steps(sequence)
        if final.patch:
            steps.append(Step(index=len(steps), action=Action(type=ActionType.SUBMIT, tool="submit")))
        settle_patch(final, steps, records_patches=True)  # the folder is the scaffold's own record
        cost = _load_json(folder, "cost.json", default={})
        cost = cost if isinstance(cost, dict) else {}
        folders = folder.path.replace("\\", "/").replace(":", "/").split("/")
        source = Source(
            format=self.name,
            scaffold="autocoderover",
            model=str(cost.get("model") or ""),
            run=folders[-3] if len(folders) >= 3 else "",
            path=folder.path,
        )
        category = folders[-2] if len(folders) >= 2 else ""
        metadata = {"extract_status": statuses, "category": category, "chat_file": chat_file}
        trajectory_id = make_id(Origin(path=folder.path), task.task_id)
        return [
            Trajectory(
                id=trajectory_id,
                source=source,
                task=task,
                steps=steps,
                final=final,
                usage=_usage(cost),
                metadata=metadata,
            )
        ]


def _task(folder: FolderEntry, meta: dict[str, Any]) -> TaskRef:
    """Task reference from meta.json (never its gold patch or tests) and problem_statement.txt."""
    info = meta.get("task_info") if isinstance(meta.get("task_info"), dict) else {}
    task_id = str(first(meta, "task_id", "instance_id", default="") or info.get("instance_id") or "")
    statement = _load_text(folder, "problem_statement.txt") or str(info.get("problem_statement") or "")
    return TaskRef(
        task_id=task_id or Origin(path=folder.path).task_id_from_path(),
        repo=str(info.get("repo") or ""),
        base_commit=str(info.get("base_commit") or ""),
        instruction=statement.strip(),
    )


def _load_json(folder: FolderEntry, name: str, default: Any = None) -> Any:
    entry = folder.get(name)
    if entry is None:
        if default is None:
            raise FormatError(reasons.WRONG_SCHEMA, f"{name} missing")
        return default
    try:
        return orjson.loads(entry.read_bytes(MAX_FILE_BYTES))
    except orjson.JSONDecodeError as exc:
        raise FormatError(reasons.INVALID_JSON, f"{name}: {exc}") from exc
    except OverflowError as exc:
        raise FormatError(reasons.FILE_TOO_LARGE, str(exc)) from exc


def _load_text(folder: FolderEntry, name: str) -> str:
    entry = folder.get(name)
    if entry is None:
        return ""
    try:
        return entry.read_bytes(MAX_FILE_BYTES).decode("utf-8", "replace")
    except OverflowError as exc:
        raise FormatError(reasons.FILE_TOO_LARGE, str(exc)) from exc


def _chat_file(folder: FolderEntry) -> str:
    """The most complete chat: the last patch-writing log, else the last conversation round."""
    numbered: dict[str, list[int]] = {}
    for name in folder.names():
        match = NUMBERED.match(name)
        if match:
            numbered.setdefault(match["stem"], []).append(int(match["n"]))
    for stem in ("debug_agent_write_patch", "conversation_round"):
        if numbered.get(stem):
            return f"{stem}_{max(numbered[stem])}.json"
    return ""


class ChatSteps:
    """Walk ACR's chat and turn API results, bug locations and patch attempts into steps."""

    def __init__(self, sequence: list[Any]) -> None:
        self.calls = [c for c in sequence if isinstance(c, dict) and c.get("func_name") != "write_patch"]
        self.position = 0
        self.steps: list[Step] = []
        self.thoughts: list[str] = []
        self.writing = False

    def build(self, messages: list[Any]) -> list[Step]:
        for message in messages:
            if not isinstance(message, dict):
                continue
            text = as_text(message.get("content"))
            if message.get("role") == "assistant":
                self._assistant(text)
            elif message.get("role") == "user":
                self._user(text)
        if self.thoughts:
            self._add(Action(type=ActionType.THINK), "")
        return self.steps

    def _assistant(self, text: str) -> None:
        if not self.writing:
            self.thoughts.append(text)
            return
        target = FILE_TAG.search(text)
        target = target[1] if target else ""
        action = Action(
            type=ActionType.EDIT, tool="write_patch", command=text, arguments={"input": text}, target=target
        )
        self._add(action, "")

    def _user(self, text: str) -> None:
        if text.startswith("Result of "):
            for chunk in RESULT_SPLIT.split(text.strip()):
                self._search_result(chunk)
        elif text.startswith(LOCATIONS):
            target = FILE_TAG.search(text)
            self._add(Action(type=ActionType.READ, tool="bug_locations", target=target[1] if target else ""), text)
        elif text.startswith(WRITE_PROMPT):
            self.writing = True
        elif self.writing and self.steps and self.steps[-1].action.tool == "write_patch":
            if not self.steps[-1].observation.text:
                self.steps[-1].observation = make_observation(text)
                self.steps[-1].observation.is_error = not text.startswith(PATCH_EXTRACTED)
        elif text.startswith(SEARCH_FEEDBACK):
            self._add(Action(type=ActionType.SEARCH, tool="search_api"), text, is_error=True)
        elif text.startswith(LOCATION_FEEDBACK):
            self._add(Action(type=ActionType.READ, tool="bug_locations"), text, is_error=True)

    def _search_result(self, chunk: str) -> None:
        header, _, body = chunk.partition(":\n")
        name = header[len("Result of ") :].split("(", 1)[0]
        call = self._match(name)
        action = classify_tool_call(name, call.get("arguments") if isinstance(call.get("arguments"), dict) else {})
        action.command = header[len("Result of ") :]
        self._add(action, body, is_error=call.get("call_ok") is False)

    def _match(self, name: str) -> dict[str, Any]:
        """The next call of that name in the tool-call sequence (bug-location lookups sit in between)."""
        for index in range(self.position, len(self.calls)):
            if self.calls[index].get("func_name") == name:
                self.position = index + 1
                return self.calls[index]
        return {}

    def _add(self, action: Action, observation: str, is_error: bool = False) -> None:
        step = Step(index=len(self.steps), thought="\n\n".join(self.thoughts), action=action)
        step.observation = make_observation(observation)
        step.observation.is_error = step.observation.is_error or is_error
        self.thoughts = []
        self.steps.append(step)


def _sequence_steps(sequence: list[Any]) -> list[Step]:
    """Without a chat log: one step per recorded call, results unknown."""
    steps = []
    for call in sequence:
        if not isinstance(call, dict) or call.get("func_name") == "write_patch":
            continue
        args = call.get("arguments") if isinstance(call.get("arguments"), dict) else {}
        step = Step(index=len(steps), action=classify_tool_call(str(call.get("func_name") or ""), args))
        step.observation.is_error = call.get("call_ok") is False
        steps.append(step)
    return steps


def _final(folder: FolderEntry, statuses: list[str]) -> FinalState:
    """The last attempt whose patch applied; without statuses, the last extracted patch."""
    chosen = [i + 1 for i, status in enumerate(statuses) if status == APPLICABLE]
    if not statuses:
        chosen = sorted(int(m[1]) for m in map(PATCH_NAME.fullmatch, folder.names()) if m)
    for attempt in reversed(chosen):
        patch = _load_text(folder, f"extracted_patch_{attempt}.diff")
        if patch.strip():
            status = statuses[attempt - 1] if attempt <= len(statuses) else ""
            return FinalState(patch=patch, submitted=True, exit_status=status)
    return FinalState(exit_status=statuses[-1] if statuses else "")


def _issue_from_chat(messages: list[Any]) -> str:
    for message in messages:
        content = as_text(message.get("content")) if isinstance(message, dict) else ""
        if content.startswith("<issue>"):
            return content.removeprefix("<issue>").split("</issue>", 1)[0].strip()
    return ""


def _usage(cost: dict[str, Any]) -> Usage:
    return Usage(
        input_tokens=number(cost.get("total_input_tokens"), int),
        output_tokens=number(cost.get("total_output_tokens"), int),
        cost=number(cost.get("total_cost"), float),
        duration_s=number(cost.get("elapsed_seconds"), float),
        started_at=_iso(cost.get("start_epoch")),
        finished_at=_iso(cost.get("end_epoch")),
    )


def _iso(epoch: Any) -> str:
    if not isinstance(epoch, (int, float)) or isinstance(epoch, bool):
        return ""
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()
