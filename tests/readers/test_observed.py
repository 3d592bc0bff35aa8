"""What tool outputs say by their text alone: exit status, errors, the open file, a submitted diff; and a chat
record that carries nothing else is read with them."""

from __future__ import annotations

import json

import pytest

from trajsift.readers.base import Origin
from trajsift.readers.chat import OpenAIChatReader
from trajsift.readers.observed import exit_code_of, fill_open_files, text_observation
from trajsift.schema import PATCH_OBSERVED_DIFF, PATCH_UNKNOWN, Action, ActionType, Observation, Step

ORIGIN = Origin(path="runs/export.jsonl", locator="runs/export.jsonl:1")
DIFF = """diff --git a/calc.py b/calc.py
index 1111111..2222222 100644
--- a/calc.py
+++ b/calc.py
@@ -1,2 +1,2 @@
 def add(a, b):
-    return a - b
+    return a + b
"""


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("ok\n[Command finished with exit code 2]", 2),
        ("done\n[The command completed with exit code 0.]", 0),
        ("<returncode>1</returncode>\n<output>\nboom\n</output>", 1),
        ("Exit code: 127\nWall time: 0.1 seconds\nOutput:\nnope: command not found", 127),
        ("Process exited with code 0", 0),
        ("first\n[Command finished with exit code 1]\nagain\n[Command finished with exit code 0]", 0),
        ("the test checks that the exit code: 3 is reported", None),
        ("plain output", None),
    ],
)
def test_exit_code_of_reads_printed_statuses_only(text, code):
    assert exit_code_of(text) == code


def test_text_observation_reads_status_before_markers():
    traceback = "Traceback (most recent call last):\n  File 'a.py'\nValueError: bad"
    printed = text_observation(traceback + "\n[Command finished with exit code 0]")
    assert (printed.exit_code, printed.is_error) == (0, False)  # the command said how it ended
    guessed = text_observation(traceback)
    assert (guessed.exit_code, guessed.is_error) == (None, True)  # no status printed: the markers decide
    rejected = text_observation("ERROR:\nNo replacement was performed, old_str did not appear verbatim.")
    assert rejected.is_error
    assert text_observation("all good", flagged=True).is_error
    assert not text_observation("all good").is_error
    assert text_observation("<output_head>\nx\n</output_head>\n<elided_chars>\n9 characters\n").truncated


def step(command: str, kind: ActionType, target: str = "", output: str = "") -> Step:
    return Step(action=Action(type=kind, command=command, target=target), observation=Observation(text=output))


def test_fill_open_files_gives_aci_edits_the_open_file():
    steps = [
        step("open src/calc.py", ActionType.READ, "src/calc.py", "[File: /repo/src/calc.py (40 lines total)]\n1:x"),
        step("edit 2:2\n    return a + b\nend_of_edit", ActionType.EDIT),
        step("create reproduce.py", ActionType.CREATE, "reproduce.py", "[File: /repo/reproduce.py (1 lines total)]"),
        step("edit 1:1\nprint(1)\nend_of_edit", ActionType.EDIT),
        step("sed -i 's/a/b/' other.py", ActionType.EDIT, "other.py"),
    ]
    fill_open_files(steps)
    assert [s.action.target for s in steps if s.action.type is ActionType.EDIT] == [
        "/repo/src/calc.py",
        "/repo/reproduce.py",
        "other.py",  # an edit that names its file keeps it
    ]


def bash(call_id: str, command: str) -> dict:
    arguments = json.dumps({"command": command})
    return {"id": call_id, "type": "function", "function": {"name": "bash", "arguments": arguments}}


def exported_aci_run(submit_output: str) -> dict:
    """A SWE-agent run as an SFT export holds it: ACI commands through a `bash` tool, no patch, no status."""
    turns = [
        ("open calc.py", "[File: /repo/calc.py (2 lines total)]\n1:def add(a, b):\n2:    return a - b"),
        ("edit 2:2\n    return a + b\nend_of_edit", "[File: /repo/calc.py (2 lines total)]\n2:    return a + b"),
        ("python -m pytest -q", "1 passed in 0.01s\n[Command finished with exit code 0]"),
        ("submit", submit_output),
    ]
    messages = [{"role": "user", "content": "Fix add() in calc.py"}]
    for i, (command, output) in enumerate(turns):
        messages.append({"role": "assistant", "content": f"step {i}", "tool_calls": [bash(f"c{i}", command)]})
        messages.append({"role": "tool", "tool_call_id": f"c{i}", "content": output})
    return {"id": "run-1", "instance_id": "acme__calc-1", "messages": messages}


def test_chat_export_of_an_aci_run_keeps_its_evidence():
    (traj,) = OpenAIChatReader().parse(exported_aci_run(DIFF), ORIGIN)
    edit, test = traj.steps[1], traj.steps[2]
    assert (edit.action.type, edit.action.target) == (ActionType.EDIT, "/repo/calc.py")
    assert (test.observation.exit_code, test.observation.is_error) == (0, False)
    assert traj.final.patch_source == PATCH_OBSERVED_DIFF
    assert "+    return a + b" in traj.final.patch


def test_a_submit_output_that_is_not_a_whole_diff_is_no_patch():
    cut = DIFF.rsplit("\n", 3)[0] + "\n"  # the hunk promises more lines than it shows
    (traj,) = OpenAIChatReader().parse(exported_aci_run(cut), ORIGIN)
    assert traj.final.patch_source == PATCH_UNKNOWN
    assert traj.final.patch == ""
