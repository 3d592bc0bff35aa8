"""What an edit tool call wrote, for the tools that name the change in their arguments (Claude Code, Codex)."""

from __future__ import annotations

from trajsift.actions.classify import classify_tool_call
from trajsift.facts.edits import step_edit
from trajsift.schema import Observation, Step


def call(tool: str, observation: str = "ok", error: bool = False, **arguments: object) -> Step:
    return Step(action=classify_tool_call(tool, arguments), observation=Observation(text=observation, is_error=error))


def test_claude_code_edit_and_multiedit():
    edit = step_edit(
        call("Edit", file_path="/repo/calc.py", old_string="    return a - b", new_string="    return a + b")
    )
    assert edit is not None and edit.files == ["/repo/calc.py"]
    assert edit.written == ["return a + b"] and edit.removed == ["return a - b"] and edit.applied
    multi = step_edit(
        call(
            "MultiEdit",
            file_path="/repo/m.py",
            edits=[{"old_string": "x = 1", "new_string": "x = 2"}, {"old_string": "y = 1", "new_string": "y = 3"}],
        )
    )
    assert multi is not None and multi.written == ["x = 2", "y = 3"] and multi.removed == ["x = 1", "y = 1"]


def test_claude_code_write_replaces_the_file():
    edit = step_edit(call("Write", file_path="/repo/new.py", content="def f():\n    return 1\n"))
    assert edit is not None and edit.reset and edit.written == ["def f():", "return 1"]


def test_opencode_and_gemini_cli_edits_name_their_change_too():
    opencode = step_edit(call("edit", filePath="/repo/calc.py", oldString="return a - b", newString="return a + b"))
    assert opencode is not None and opencode.files == ["/repo/calc.py"]
    assert opencode.written == ["return a + b"] and opencode.removed == ["return a - b"]
    gemini = step_edit(call("replace", file_path="/repo/calc.py", old_string="x = 1", new_string="x = 2"))
    assert gemini is not None and gemini.written == ["x = 2"] and gemini.removed == ["x = 1"]
    written = step_edit(call("write_file", file_path="/repo/new.py", content="VALUE = 1\n"))
    assert written is not None and written.reset and written.written == ["VALUE = 1"]


def test_a_failed_edit_is_not_applied():
    failed = call(
        "Edit",
        "String to replace not found in file.",
        error=True,
        file_path="/r/a.py",
        old_string="zzz",
        new_string="y",
    )
    edit = step_edit(failed)
    assert edit is not None and not edit.applied


def test_codex_apply_patch_body():
    body = (
        "*** Begin Patch\n*** Update File: pkg/calc.py\n@@ def add(a, b):\n-    return a - b\n+    return a + b\n"
        "*** Add File: tests/test_add.py\n+def test_add():\n+    assert add(1, 2) == 3\n*** End Patch"
    )
    edit = step_edit(call("apply_patch", input=body))
    assert edit is not None and edit.files == ["pkg/calc.py", "tests/test_add.py"]
    assert edit.written == ["return a + b", "def test_add():", "assert add(1, 2) == 3"]
    assert edit.removed == ["return a - b"]


def test_a_shell_call_is_still_read_from_its_command():
    edit = step_edit(call("bash", command="sed -i 's/a - b/a + b/' calc.py"))
    assert edit is not None and edit.files == ["calc.py"] and edit.fragments == ["a + b"]


def test_a_patch_applied_by_a_shell_command_is_read_from_its_text():
    from trajsift.actions.classify import classify_command
    from trajsift.actions.shell import argv_command

    body = "*** Begin Patch\n*** Update File: pkg/calc.py\n@@ def add(a, b):\n-    return a - b\n+    return a + b\n"
    body += "*** End Patch"
    diff = "--- a/pkg/calc.py\n+++ b/pkg/calc.py\n@@ -1 +1 @@\n-    return a - b\n+    return a + b"
    commands = [
        f"apply_patch <<'EOF'\n{body}\nEOF",
        argv_command(["apply_patch", body]),
        f"git apply <<'EOF'\ndiff --git a/pkg/calc.py b/pkg/calc.py\n{diff}\nEOF",
        f"cd /repo && patch -p1 <<'EOF'\n{diff}\nEOF",
    ]
    for command in commands:
        edit = step_edit(Step(action=classify_command(command), observation=Observation(text="ok")))
        assert edit is not None, command
        assert (edit.files, edit.written, edit.removed) == (["pkg/calc.py"], ["return a + b"], ["return a - b"])
