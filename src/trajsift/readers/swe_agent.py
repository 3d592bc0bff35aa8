"""SWE-agent `.traj` files (0.x and 1.x), including CodeR's multi-agent runs on top of SWE-agent.

Shape: `trajectory[]` (one entry per executed action: action, observation, thought, response, state),
`history[]` (the chat: role/content, `agent` name, `is_demo` demonstration turns, 1.x `message_type`
and `tool_calls`) and `info` (exit_status, submission, model_stats). Steps come from `trajectory[]`;
the non-demo assistant turns of `history[]` align with it in order and give each step its sub-agent.
Without a `trajectory[]`, steps are rebuilt by pairing assistant turns with the turns that follow them.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import orjson

from trajsift.actions.classify import classify_command, classify_tool_call
from trajsift.readers._messages import tool_calls
from trajsift.readers.base import Origin, as_text, first, make_id, number, require
from trajsift.readers.observed import make_observation
from trajsift.readers.recover import settle_patch
from trajsift.schema import Action, ActionType, FinalState, Source, Step, TaskRef, Trajectory, Usage

RUN_FOLDER_NAMES = frozenset({"trajs", "trajectories", "traj", "results", "outputs", "output", "data", "runs", ""})
RUN_NAME_PATTERN = re.compile(r"(?P<model>[^_/]+(?:_[^_/]+)*?)__(?P<bench>[^/]+?)__.*?__t-(?P<temp>[\d.]+)__")
ISSUE_PATTERN = re.compile(r"ISSUE:\n(.*?)\n+INSTRUCTIONS?:\n", re.DOTALL)
PR_PATTERN = re.compile(r"<pr_description>\n?(.*?)\n?</pr_description>", re.DOTALL)
CODE_BLOCK = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)
RECORD_KEYS = frozenset({"exit_status", "submission"})
"""`info` keys SWE-agent writes when a run ends: with them, a missing submission means no patch. A
`submission` key (even null) is SWE-agent's own diff of the work tree at submission."""


class SweAgentReader:
    name: ClassVar[str] = "swe-agent"
    description: ClassVar[str] = "SWE-agent .traj files (0.x and 1.x), CodeR multi-agent runs"

    def sniff(self, record: dict[str, Any]) -> bool:
        steps, history, info = record.get("trajectory"), record.get("history"), record.get("info")
        if isinstance(steps, list) and steps and isinstance(steps[0], dict):
            return "action" in steps[0] and ("observation" in steps[0] or "response" in steps[0])
        if isinstance(history, list) and history and isinstance(history[0], dict) and "role" in history[0]:
            return isinstance(info, dict) or isinstance(steps, list)
        return isinstance(steps, list) and isinstance(info, dict) and ("exit_status" in info or "model_stats" in info)

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Trajectory]:
        entries = record.get("trajectory") or []
        history = record.get("history") or []
        require(isinstance(entries, list) and isinstance(history, list), "trajectory/history must be lists")
        info = record.get("info") if isinstance(record.get("info"), dict) else {}
        turns = [t for t in history if isinstance(t, dict) and not t.get("is_demo")]
        actions = [t for t in turns if t.get("role") == "assistant"]
        if entries:
            steps = [
                _trajectory_step(i, e, t)
                for i, (e, t) in enumerate(zip(entries, _align(entries, actions), strict=True))
            ]
        else:
            steps = _history_steps(turns)
        agents = {t.get("agent") for t in turns if t.get("agent")}
        if len(agents) < 2:
            for step in steps:
                step.agent = ""
        task_id = str(first(record, "instance_id", "task_id", default="") or origin.task_id_from_path())
        return [
            Trajectory(
                id=make_id(origin, task_id),
                source=_source(record, info, origin, multi_agent=len(agents) > 1),
                task=TaskRef(task_id=task_id, instruction=_instruction(turns)),
                steps=steps,
                final=settle_patch(
                    _final(info), steps, records_patches=not RECORD_KEYS.isdisjoint(info), diffed="submission" in info
                ),
                usage=_usage(info),
                metadata=_metadata(record, info, agents, len(entries), len(actions)),
            )
        ]


def _align(entries: list[Any], actions: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """The history turn behind each trajectory entry: in order, or matched by action text on mismatch."""
    if len(actions) == len(entries):
        return list(actions)
    aligned: list[dict[str, Any] | None] = []
    position = 0
    for entry in entries:
        action = entry.get("action") if isinstance(entry, dict) else None
        found = next((k for k in range(position, len(actions)) if actions[k].get("action") == action), None)
        aligned.append(actions[found] if found is not None else None)
        position = found + 1 if found is not None else position
    return aligned


def _trajectory_step(index: int, entry: Any, turn: dict[str, Any] | None) -> Step:
    require(isinstance(entry, dict), f"trajectory[{index}] is not an object")
    command = as_text(entry.get("action"))
    thought = as_text(first(entry, "thought", "response", default=""))
    action = _action(command, turn, entry.get("state"))
    agent = str(turn.get("agent") or "") if turn else ""
    return Step(
        index=index, thought=thought, action=action, observation=make_observation(entry.get("observation")), agent=agent
    )


def _action(command: str, turn: dict[str, Any] | None, state: Any) -> Action:
    calls = tool_calls(turn) if turn and turn.get("tool_calls") else []
    if len(calls) == 1:
        action = classify_tool_call(calls[0].name, calls[0].arguments)
        action.command = command or action.command
    else:
        action = classify_command(command.strip())
        action.command = command
    if action.type == ActionType.EDIT and not action.target:
        action.target = _open_file(state)
    return action


def _open_file(state: Any) -> str:
    """The file open in SWE-agent's editor: `state` is a JSON string (0.x) or a dict (1.x)."""
    if isinstance(state, str) and "open_file" in state:
        try:
            state = orjson.loads(state)
        except orjson.JSONDecodeError:
            return ""
    value = state.get("open_file") if isinstance(state, dict) else None
    return value if isinstance(value, str) and value not in ("n/a", "None") else ""


def _history_steps(turns: list[dict[str, Any]]) -> list[Step]:
    """Pair each assistant turn with the non-assistant turns that follow it (no `trajectory[]`)."""
    steps: list[Step] = []
    pending: list[str] = []
    for turn in turns:
        if turn.get("role") == "assistant":
            _close(steps, pending)
            text = as_text(turn.get("content"))
            command = as_text(turn.get("action")) or _last_code_block(text)
            steps.append(
                Step(
                    index=len(steps),
                    thought=as_text(turn.get("thought")) or text,
                    action=_action(command, turn, None),
                    agent=str(turn.get("agent") or ""),
                )
            )
        elif steps and turn.get("role") != "system":
            pending.append(as_text(turn.get("content")))
    _close(steps, pending)
    return steps


def _close(steps: list[Step], pending: list[str]) -> None:
    if steps and pending:
        steps[-1].observation = make_observation("\n".join(pending))
    pending.clear()


def _last_code_block(text: str) -> str:
    blocks = CODE_BLOCK.findall(text)
    return blocks[-1].strip() if blocks else ""


def _instruction(turns: list[dict[str, Any]]) -> str:
    """The issue text from the first non-demo user turn (SWE-agent wraps it in its instance template)."""
    text = next((as_text(t.get("content")) for t in turns if t.get("role") == "user"), "")
    match = ISSUE_PATTERN.search(text) or PR_PATTERN.search(text)
    return match.group(1).strip() if match else text


def _final(info: dict[str, Any]) -> FinalState:
    status = info.get("exit_status")
    status = status if isinstance(status, str) else ""
    patch = info.get("submission")
    return FinalState(
        patch=patch if isinstance(patch, str) else "", submitted=status.startswith("submitted"), exit_status=status
    )


def _usage(info: dict[str, Any]) -> Usage:
    stats = info.get("model_stats") if isinstance(info.get("model_stats"), dict) else {}
    return Usage(
        input_tokens=number(stats.get("tokens_sent"), int),
        output_tokens=number(stats.get("tokens_received"), int),
        cost=number(stats.get("instance_cost"), float),
        api_calls=number(stats.get("api_calls"), int),
    )


def _source(record: dict[str, Any], info: dict[str, Any], origin: Origin, multi_agent: bool) -> Source:
    folders = re.split(r"[/\\:]", origin.path)[:-1]
    parent = folders[-1] if folders else ""
    run = "" if parent in RUN_FOLDER_NAMES or origin.task_id_from_path() == parent else parent
    model, temperature = _model(record, info, folders)
    return Source(
        format=SweAgentReader.name,
        scaffold="coder" if multi_agent else "swe-agent",
        model=model,
        run=run,
        temperature=temperature,
        path=origin.display,
    )


def _model(record: dict[str, Any], info: dict[str, Any], folders: list[str]) -> tuple[str, float | None]:
    """Model name from the record (1.x `replay_config`, `info`) or a SWE-agent run folder name."""
    model = first(info, "model", "model_name", default="")
    config = record.get("replay_config")
    if not model and isinstance(config, str) and '"model"' in config:
        try:
            config = orjson.loads(config)
        except orjson.JSONDecodeError:
            config = None
    if not model and isinstance(config, dict):
        agent = config.get("agent") if isinstance(config.get("agent"), dict) else {}
        settings = agent.get("model") if isinstance(agent.get("model"), dict) else {}
        model = first(settings, "name", "model_name", default="")
        temperature = settings.get("temperature")
        return str(model), float(temperature) if isinstance(temperature, (int, float)) else None
    for folder in reversed(folders):
        match = RUN_NAME_PATTERN.match(folder)
        if match and not model:
            return match.group("model"), float(match.group("temp"))
    return str(model or ""), None


def _metadata(record: dict[str, Any], info: dict[str, Any], agents: set[Any], n_entries: int, n_turns: int) -> dict:
    metadata: dict[str, Any] = {}
    if isinstance(record.get("environment"), str):
        metadata["environment"] = record["environment"]
    version = first(info, "swe_agent_version", default=None)
    if version:
        metadata["swe_agent_version"] = version
    if len(agents) > 1:
        metadata["agents"] = sorted(str(a) for a in agents)
    if n_entries and n_turns != n_entries:
        metadata["agent_alignment"] = f"by_action ({n_turns} assistant turns, {n_entries} steps)"
    return metadata
