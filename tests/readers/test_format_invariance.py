"""The same run judged the same way in its scaffold's log and in a generic chat export of it.

A SWE-agent run (ACI commands, a rejected edit, a failing then passing test, `submit` printing the diff) is read
natively, exported as OpenAI chat records (`trajsift convert --to openai`) and as bare `messages`, read back, and
its evidence compared: what `bench/format_invariance.py` measures on the real runs.
"""

from __future__ import annotations

import orjson
import pytest

from trajsift.checks.base import CheckContext
from trajsift.checks.evidence import EvidenceCheck
from trajsift.export.openai import to_openai
from trajsift.readers.base import Origin
from trajsift.readers.read import read_trajectories
from trajsift.readers.swe_agent import SweAgentReader
from trajsift.schema import PATCH_OBSERVED_DIFF, Trajectory

STATE = '{"open_file": "/repo/pkg/core.py", "working_dir": "/repo"}'
HEADER = "[File: /repo/pkg/core.py (3 lines total)]\n"
DIFF = (
    "diff --git a/pkg/core.py b/pkg/core.py\nindex 1111111..2222222 100644\n--- a/pkg/core.py\n+++ b/pkg/core.py\n"
    "@@ -1,3 +1,3 @@\n def value():\n-    return 0\n+    return 1\n \n"
)
FAILED = "F\n=== FAILURES ===\nAssertionError: assert 0 == 1\n1 failed in 0.05s\n"


def swe_agent_run() -> dict:
    actions = [
        ("open pkg/core.py", HEADER + "1:def value():\n2:    return 0\n"),
        ("python -m pytest tests/test_core.py", FAILED),
        ("edit 2:2\n  return 1\nend_of_edit", "Your proposed edit has introduced new syntax error(s).\nE999"),
        ("edit 2:2\n    return 1\nend_of_edit", HEADER + "2:    return 1\n"),
        ("python -m pytest tests/test_core.py", ".\n1 passed in 0.04s\n"),
        ("submit", "\n" + DIFF),
    ]
    steps = [
        {"action": a + "\n", "observation": o, "response": "", "state": STATE, "thought": f"step {i}"}
        for i, (a, o) in enumerate(actions)
    ]
    issue = "ISSUE:\nvalue() in pkg/core.py returns 0 instead of 1\n\nINSTRUCTIONS:\nsolve it"
    history = [{"role": "user", "content": issue, "agent": "primary"}]
    info = {"exit_status": "submitted", "submission": DIFF}
    return {"environment": "swe_main", "trajectory": steps, "history": history, "info": info}


def evidence(traj: Trajectory) -> dict:
    return EvidenceCheck().check_one(traj, CheckContext(), {}).scores


@pytest.mark.parametrize("bare", [False, True])
def test_a_chat_export_of_a_run_carries_the_same_evidence(tmp_path, bare):
    [native] = SweAgentReader().parse(swe_agent_run(), Origin(path="runs/owner__repo-1.traj"))
    record = to_openai(native)
    if bare:  # what many public SFT sets hold: the messages and an id, no patch, no model, no exit status
        record = {"id": record["id"], "messages": record["messages"]}
    path = tmp_path / "export.jsonl"
    path.write_bytes(orjson.dumps(record) + b"\n")
    [chat] = list(read_trajectories([str(path)]))
    assert isinstance(chat, Trajectory) and chat.source.format == "openai"
    assert [s.action.type for s in chat.steps] == [s.action.type for s in native.steps]
    assert [s.action.target for s in chat.steps] == [s.action.target for s in native.steps]
    assert [s.observation.is_error for s in chat.steps] == [s.observation.is_error for s in native.steps]
    found = evidence(chat)
    assert found == evidence(native)
    assert found["quality.evidence.failed_edit_share"] == 0.5 and found["quality.evidence.last_check_passed"]
    assert chat.final.patch.strip() == native.final.patch.strip()
    if bare:
        assert chat.final.patch_source == PATCH_OBSERVED_DIFF
