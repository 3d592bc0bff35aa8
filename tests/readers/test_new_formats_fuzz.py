"""The ATIF, chat-rows, OpenHands SDK, Claude Code, Codex and codex-exec readers on generated records of their
shapes with arbitrary field types: each record becomes trajectories or a quarantined row with a schema reason,
never a reader error."""

from __future__ import annotations

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trajsift import reasons
from trajsift.readers.atif import AtifReader
from trajsift.readers.base import Origin
from trajsift.readers.chat_rows import ChatRowsReader
from trajsift.readers.claude_code import ClaudeCodeReader
from trajsift.readers.codex import CodexReader
from trajsift.readers.codex_exec import CodexExecReader
from trajsift.readers.openhands_sdk import OpenHandsSdkReader
from trajsift.readers.read import _guarded
from trajsift.schema import Trajectory

ORIGIN = Origin(path="fuzz/owner__repo-1.json")
scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
texts = st.text(max_size=40) | st.just("```bash\nls\n```") | st.lists(st.fixed_dictionaries({"text": st.text()}))


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly the field's own shape, sometimes any JSON value."""
    return st.one_of(strategy, strategy, strategy, strategy, values)


tool_calls = st.lists(
    st.fixed_dictionaries(
        {"tool_call_id": maybe(st.text(max_size=4)), "function_name": maybe(st.sampled_from(["Bash", "Edit", "x"]))},
        optional={"arguments": maybe(st.fixed_dictionaries({"command": st.text(max_size=20)}))},
    ),
    max_size=3,
)
atif_steps = st.lists(
    st.fixed_dictionaries(
        {"step_id": values, "source": st.sampled_from(["system", "user", "agent", "agent"])},
        optional={
            "message": maybe(texts),
            "reasoning_content": maybe(texts),
            "tool_calls": maybe(tool_calls),
            "observation": maybe(
                st.fixed_dictionaries(
                    {"results": maybe(st.lists(st.fixed_dictionaries({}, optional={"content": maybe(texts)})))}
                )
            ),
            "metrics": maybe(st.fixed_dictionaries({}, optional={"prompt_tokens": values, "cost_usd": values})),
        },
    ),
    max_size=6,
)
turns = st.lists(
    st.fixed_dictionaries(
        {"role": maybe(st.sampled_from(["system", "user", "ai", "assistant", "tool"]))},
        optional={"text": maybe(texts), "content": maybe(texts), "tool_calls": maybe(st.lists(values, max_size=2))},
    ),
    max_size=6,
)
kinds = st.sampled_from(["ActionEvent", "ObservationEvent", "MessageEvent", "SystemPromptEvent", "AgentErrorEvent"])
events = st.lists(
    st.fixed_dictionaries(
        {"kind": maybe(kinds)},
        optional={
            "tool_call": maybe(st.fixed_dictionaries({"name": values, "arguments": maybe(st.text(max_size=20))})),
            "tool_call_id": values,
            "llm_response_id": maybe(st.sampled_from(["r1", "r2"])),
            "thought": maybe(texts),
            "observation": maybe(st.fixed_dictionaries({"content": maybe(texts)})),
            "llm_message": maybe(st.fixed_dictionaries({"role": values, "content": maybe(texts)})),
        },
    ),
    max_size=6,
)
blocks = st.lists(
    st.fixed_dictionaries(
        {"type": maybe(st.sampled_from(["text", "thinking", "tool_use", "tool_result"]))},
        optional={
            "text": maybe(texts),
            "id": maybe(st.sampled_from(["t1", "t2"])),
            "tool_use_id": maybe(st.sampled_from(["t1", "t2"])),
            "name": maybe(st.sampled_from(["Bash", "Edit", "Read"])),
            "input": maybe(st.fixed_dictionaries({}, optional={"command": texts, "file_path": st.text(max_size=9)})),
            "content": maybe(texts),
        },
    ),
    max_size=3,
)
session = st.lists(
    st.fixed_dictionaries(
        {"type": maybe(st.sampled_from(["user", "assistant", "assistant", "result", "summary"]))},
        optional={
            "message": maybe(
                st.fixed_dictionaries(
                    {"role": maybe(st.sampled_from(["user", "assistant"])), "content": maybe(blocks | texts)},
                    optional={"id": maybe(st.sampled_from(["m1", "m2"])), "usage": values, "model": values},
                )
            ),
            "sessionId": values,
            "isSidechain": values,
            "subtype": values,
            "total_cost_usd": values,
            "cwd": values,
        },
    ),
    max_size=6,
)
payloads = st.fixed_dictionaries(
    {
        "type": maybe(
            st.sampled_from(["message", "reasoning", "function_call", "function_call_output", "custom_tool_call"])
        )
    },
    optional={
        "role": maybe(st.sampled_from(["user", "assistant", "developer"])),
        "content": maybe(st.lists(st.fixed_dictionaries({"text": maybe(texts)}), max_size=2)),
        "summary": maybe(st.lists(st.fixed_dictionaries({"text": maybe(texts)}), max_size=2)),
        "name": maybe(st.sampled_from(["shell", "apply_patch", "update_plan"])),
        "arguments": maybe(st.just('{"command": ["bash", "-lc", "ls"]}') | st.text(max_size=12)),
        "input": maybe(texts),
        "call_id": maybe(st.sampled_from(["c1", "c2"])),
        "output": maybe(st.just('{"output": "ok", "metadata": {"exit_code": 1}}') | texts),
    },
)
rollout = st.lists(
    st.fixed_dictionaries(
        {"type": maybe(st.sampled_from(["session_meta", "response_item", "response_item", "event_msg"]))},
        optional={"payload": maybe(payloads)},
    ),
    max_size=7,
)
exec_items = st.fixed_dictionaries(
    {"type": maybe(st.sampled_from(["item.completed", "item.started", "turn.completed", "turn.failed"]))},
    optional={
        "item": maybe(
            st.fixed_dictionaries(
                {"type": maybe(st.sampled_from(["reasoning", "agent_message", "command_execution", "file_change"]))},
                optional={
                    "id": maybe(st.sampled_from(["i1", "i2"])),
                    "text": maybe(texts),
                    "command": maybe(texts),
                    "exit_code": values,
                    "changes": maybe(st.lists(st.fixed_dictionaries({"path": values}), max_size=2)),
                },
            )
        ),
        "usage": values,
        "error": values,
    },
)
records = st.one_of(
    st.builds(
        lambda rest: (CodexExecReader(), {"session_events": [{"type": "thread.started", "thread_id": "t"}, *rest]}),
        st.lists(exec_items, max_size=6),
    ),
    st.builds(lambda events: (CodexReader(), {"session_events": events}), maybe(rollout)),
    st.builds(lambda events: (ClaudeCodeReader(), {"session_events": events}), maybe(session)),
    st.builds(
        lambda steps, extra: (AtifReader(), {"schema_version": "ATIF-v1.4", "agent": extra, "steps": steps}),
        maybe(atif_steps),
        values,
    ),
    st.builds(lambda rows, extra: (ChatRowsReader(), {"trajectory": rows, "target": extra}), maybe(turns), values),
    st.builds(
        lambda history, result: (OpenHandsSdkReader(), {"history": history, "test_result": result}),
        maybe(events),
        values,
    ),
)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(records)
def test_generated_records_never_make_a_reader_error(case: tuple) -> None:
    reader, record = case
    for item in _guarded(lambda: reader.parse(record, ORIGIN), "fuzz"):
        if isinstance(item, Trajectory):  # every field of the schema's type: the record survives a round trip
            assert Trajectory.from_dict(msgspec.json.decode(item.to_json())) == item
        else:
            assert item.reason != reasons.READER_ERROR, item.detail
