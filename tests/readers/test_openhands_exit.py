"""OpenHands completion logs: the exit status derived from the log (finish, step limit, error, unknown) and
the patch source, on hand-written records shaped like the `fncall_messages` logs of real runs."""

from __future__ import annotations

import json

from trajsift.checks._exit_status import run_end
from trajsift.readers.base import Origin
from trajsift.readers.openhands import OpenHandsCompletionReader
from trajsift.schema import Trajectory

READER = OpenHandsCompletionReader()
ORIGIN = Origin(path="trajs/demo__demo-7/Model-Z-1743405788.3404756.json.gz")
TASK = "<uploaded_files>\n/workspace/demo\n</uploaded_files>\n<pr_description>\nFix sum.\n</pr_description>"
FOOTER = "\n[The command completed with exit code 0.]\n[Current working directory: /workspace/demo]"
DIFF = (
    "diff --git a/demo/core.py b/demo/core.py\n--- a/demo/core.py\n+++ b/demo/core.py\n"
    "@@ -1,2 +1,2 @@\n def total(v):\n-    return sum(v[1:])\n+    return sum(v)\n"
)


def call(call_id: str, name: str, **arguments) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def assistant(call_id: str, name: str, **arguments) -> dict:
    return {"role": "assistant", "content": f"step {call_id}", "tool_calls": [call(call_id, name, **arguments)]}


def tool_result(call_id: str, name: str, text: str) -> dict:
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": text}


def bash_turns(count: int) -> list[dict]:
    turns = []
    for index in range(count):
        turns += [
            assistant(f"c{index}", "execute_bash", command=f"grep -n total demo/core.py  # {index}"),
            tool_result(f"c{index}", "execute_bash", "1:def total(v):" + FOOTER),
        ]
    return turns


def log(turns: list[dict], final: dict, **extra) -> dict:
    """A completion log: the conversation so far (`fncall_messages`) plus this call's answer."""
    messages = [{"role": "system", "content": "You are OpenHands agent."}, {"role": "user", "content": TASK}, *turns]
    choice = {"index": 0, "finish_reason": "stop", "message": final}
    return {
        "messages": [{"role": "system", "content": "prompt view"}],
        "response": {"id": "r", "model": None, "choices": [choice]},
        "args": [],
        "kwargs": {"stop": ["</function"], "tool_choice": "none"},
        "timestamp": 1743405788.34,
        "cost": 0.0,
        "fncall_messages": messages,
        "fncall_response": {"id": "r", "model": None, "choices": [choice]},
        **extra,
    }


def parse(record: dict) -> Trajectory:
    [trajectory] = READER.parse(record, ORIGIN)
    return trajectory


def edit_final() -> dict:
    return assistant("last", "str_replace_editor", command="str_replace", path="/workspace/demo/x.py", old_str="a")


def test_finish_call_is_a_finished_submitted_run():
    t = parse(log(bash_turns(3), assistant("f", "finish")))
    assert (t.final.exit_status, t.final.submitted) == ("finished", True)
    assert t.metadata["exit_evidence"] == "the last call is finish"
    assert run_end(t).status == "submitted"
    assert (t.final.patch, t.final.patch_source) == ("", "unknown")  # these logs never carry the patch


def test_a_run_stopped_at_a_round_call_count_without_finish_hit_the_step_limit():
    t = parse(log(bash_turns(49), edit_final()))  # 50 LLM calls, the last an ordinary edit
    assert t.usage.api_calls == 50 and not t.final.submitted
    assert t.final.exit_status == "max_iterations_reached (inferred: 50 LLM calls without finish)"
    assert run_end(t).status == "step_limit"


def test_a_recorded_limit_decides_over_the_call_count():
    t = parse(log(bash_turns(29), edit_final(), metadata={"max_iterations": 30}))
    assert t.final.exit_status == "max_iterations_reached"
    assert t.metadata["exit_evidence"] == "30 LLM calls, recorded limit 30"
    assert run_end(t).status == "step_limit"
    below = parse(log(bash_turns(13), edit_final(), metadata={"max_iterations": 30}))
    assert below.final.exit_status == "" and run_end(below).status == "unknown"


def test_a_limit_message_from_the_scaffold_is_the_exit_status():
    nudge = {"role": "user", "content": "You have reached the maximum number of iterations allowed. Wrap up now."}
    t = parse(log([*bash_turns(6), nudge], edit_final()))
    assert t.final.exit_status == (
        "max_iterations_reached: You have reached the maximum number of iterations allowed. Wrap up now."
    )
    assert run_end(t).status == "step_limit"
    budget = {"role": "user", "content": "Agent reached maximum budget for conversation. Current budget: 4.0"}
    t = parse(log([*bash_turns(6), budget], edit_final()))
    assert t.final.exit_status.startswith("max_budget_reached: Agent reached maximum budget")
    assert run_end(t).status == "cost_limit"


def test_limit_words_in_tool_output_or_the_task_are_not_evidence():
    output = [assistant("s", "execute_bash", command="grep -rn max_iter sklearn")]
    output.append(tool_result("s", "execute_bash", "reached the maximum number of iterations (max_iter=100)"))
    t = parse(log([*bash_turns(2), *output], edit_final()))
    assert t.final.exit_status == "" and run_end(t).status == "unknown"
    assert t.metadata["exit_evidence"] == "no finish after 4 LLM calls; the log does not say why"


def test_an_error_in_the_record_is_the_exit_status_and_its_text_is_kept():
    error = "AgentStuckInLoopError: Agent got stuck in a loop\nmore detail"
    t = parse(log(bash_turns(9), edit_final(), error=error))
    assert t.final.exit_status == "AgentStuckInLoopError: Agent got stuck in a loop"
    assert t.metadata["error"] == error
    assert run_end(t).status == "error"


def test_an_observed_diff_after_the_last_edit_becomes_the_patch():
    turns = [
        assistant("e", "str_replace_editor", command="str_replace", path="/workspace/demo/demo/core.py", old_str="a"),
        tool_result("e", "str_replace_editor", "The file /workspace/demo/demo/core.py has been edited."),
        assistant("d", "execute_bash", command="cd /workspace/demo && git diff"),
        tool_result("d", "execute_bash", DIFF + FOOTER),
    ]
    t = parse(log(turns, assistant("f", "finish")))
    assert (t.final.patch, t.final.patch_source) == (DIFF, "observed_diff")
    edited_after = parse(log([*turns, *bash_turns(1)], edit_final()))
    assert (edited_after.final.patch, edited_after.final.patch_source) == ("", "unknown")
