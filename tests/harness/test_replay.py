"""Replaying a run's editor and shell edits onto a real git repository's base commit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from trajsift.actions.classify import classify_tool_call
from trajsift.harness.patch.replay import GitTree, replay_patch
from trajsift.schema import Action, ActionType, Observation, Step

ROOT = "/workspace/calc__calc__1.0"
BASE = {
    "calc/core.py": "def add(a, b):\n\treturn a - b\n\n\ndef double(x):\n    return x * 2\n",
    "calc/__init__.py": "",
    "README.md": "calc\n",
    "tests/test_core.py": "from calc.core import add\n",
}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def tree(tmp_path: Path) -> GitTree:
    repo = tmp_path / "repo"
    for name, text in BASE.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    _git(repo.parent, "init", "-q", str(repo))
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    return GitTree(str(repo), _git(repo, "rev-parse", "HEAD").strip())


def editor(command: str, path: str, result: str = "The file has been edited.", **arguments) -> Step:
    kind = ActionType.READ if command == "view" else ActionType.EDIT
    action = Action(type=kind, tool="str_replace_editor", arguments={"command": command, "path": path, **arguments})
    return Step(action=action, observation=Observation(text=result))


def bash(command: str) -> Step:
    action = Action(type=ActionType.RUN_COMMAND, tool="execute_bash", arguments={"command": command})
    return Step(action=action, observation=Observation(text=""))


def applied(tree: GitTree, patch: str, tmp_path: Path) -> dict[str, str]:
    """Check out the base commit, `git apply` the patch, return every file's text."""
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", tree.repo, str(work)], check=True)
    subprocess.run(["git", "-C", str(work), "apply", "-"], input=patch, text=True, check=True)
    return {str(p.relative_to(work)): p.read_text() for p in work.rglob("*") if p.is_file() and ".git" not in p.parts}


def test_editor_edits_become_a_patch_git_applies(tree: GitTree, tmp_path: Path) -> None:
    steps = [
        editor("view", f"{ROOT}/calc/core.py", result="     1\tdef add(a, b):"),
        editor("str_replace", f"{ROOT}/calc/core.py", old_str="    return a - b", new_str="    return a + b"),
        editor("create", "/workspace/reproduce.py", file_text="print('scratch')\n"),
        editor("insert", f"{ROOT}/README.md", insert_line=1, new_str="Adds numbers."),
        editor("create", f"{ROOT}/calc/extra.py", file_text="X = 1"),
        bash("cd /workspace && python reproduce.py"),
    ]
    result = replay_patch(steps, tree)
    assert result.reason == "" and result.edits == 4
    files = applied(tree, result.patch, tmp_path)
    assert "return a + b" in files["calc/core.py"] and "\t" not in files["calc/core.py"]  # tabs expanded
    assert files["README.md"] == "calc\nAdds numbers.\n"
    assert files["calc/extra.py"] == "X = 1"
    assert "reproduce.py" not in result.patch  # scratch file outside the repository


def test_failed_editor_calls_change_nothing_and_undo_reverts(tree: GitTree) -> None:
    steps = [
        editor("str_replace", f"{ROOT}/calc/core.py", "ERROR: No replacement was performed", old_str="zz", new_str="y"),
        editor("str_replace", f"{ROOT}/calc/core.py", old_str="x * 2", new_str="x * 3"),
        editor("str_replace", f"{ROOT}/calc/core.py", old_str="def double", new_str="def twice"),
        editor("undo_edit", f"{ROOT}/calc/core.py", result="Last edit undone successfully."),
    ]
    result = replay_patch(steps, tree)
    assert result.reason == ""
    assert "+    return x * 3" in result.patch and "twice" not in result.patch


def test_shell_file_operations_are_followed(tree: GitTree, tmp_path: Path) -> None:
    steps = [
        editor("create", "/workspace/test_new.py", file_text="def test_new():\n    assert True\n"),
        bash(f"mv /workspace/test_new.py {ROOT}/tests/ && cd {ROOT} && python -m pytest tests"),
        bash("rm README.md && mkdir -p docs && touch docs/index.rst"),
        bash("cp calc/core.py calc/core_copy.py"),
    ]
    result = replay_patch(steps, tree)
    assert result.reason == ""
    files = applied(tree, result.patch, tmp_path)
    assert files["tests/test_new.py"].startswith("def test_new")
    assert "README.md" not in files and files["docs/index.rst"] == ""
    assert files["calc/core_copy.py"] == BASE["calc/core.py"]


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        (bash(f"sed -i 's/a - b/a + b/' {ROOT}/calc/core.py"), "shell_write:sed"),
        (bash(f"rm {ROOT}/calc/*.py"), "shell_pattern:rm"),
        (bash("python -c \"open('calc/core.py', 'w').write('')\""), "python_write"),
        (editor("str_replace", f"{ROOT}/calc/core.py", old_str="not in the file", new_str="x"), "old_str_not_found"),
    ],
)
def test_what_cannot_be_replayed_gives_a_reason_and_no_patch(tree: GitTree, step: Step, reason: str) -> None:
    steps = [editor("str_replace", f"{ROOT}/calc/core.py", old_str="x * 2", new_str="x * 3"), step]
    result = replay_patch(steps, tree)
    assert result.patch == "" and result.reason == reason


def test_a_run_without_edits_and_an_unplaceable_root(tree: GitTree) -> None:
    assert replay_patch([bash("ls")], tree).reason == "no_edits"
    lost = replay_patch([editor("create", "/elsewhere/new.py", file_text="x")], tree)
    assert lost.patch == "" and lost.reason == "repository_root_unknown"


def test_build_folders_scratch_edits_and_line_continuations_do_not_stop_a_replay(tree: GitTree) -> None:
    steps = [
        bash(f"cd {ROOT} && rm -rf build/* ~/.cache/calc && python -m pytest"),
        editor("str_replace", f"{ROOT}/calc/core.py", old_str="x * 2", new_str="x * 3"),
        editor("str_replace", "/testbed/calc/core.py", old_str="unseen", new_str="x"),  # another copy: not the patch
        editor("create", f"{ROOT}/notes.txt", file_text="n\n"),
        bash(f"mkdir -p {ROOT}/docs && \\\nmv {ROOT}/notes.txt {ROOT}/docs/"),
    ]
    result = replay_patch(steps, tree)
    assert result.reason == ""
    assert "b/docs/notes.txt" in result.patch and "b/notes.txt" not in result.patch
    assert replay_patch([*steps, bash(f"rm {ROOT}/calc/*.py")], tree).reason == "shell_pattern:rm"


def tool(name: str, arguments: dict, result: str = "ok", error: bool = False) -> Step:
    action = classify_tool_call(name, arguments)
    return Step(action=action, observation=Observation(text=result, is_error=error))


def test_claude_code_edit_multiedit_and_write_are_replayed(tree: GitTree, tmp_path: Path) -> None:
    steps = [
        tool("Read", {"file_path": f"{ROOT}/calc/core.py"}),
        tool("Edit", {"file_path": f"{ROOT}/calc/core.py", "old_string": "zz", "new_string": "y"}, "not found", True),
        tool(
            "Edit",
            {"file_path": f"{ROOT}/calc/core.py", "old_string": "\treturn a - b", "new_string": "\treturn a + b"},
        ),
        tool(
            "MultiEdit",
            {
                "file_path": f"{ROOT}/README.md",
                "edits": [
                    {"old_string": "calc", "new_string": "calc: numbers"},
                    {"old_string": "numbers", "new_string": "small numbers", "replace_all": True},
                ],
            },
        ),
        tool("Write", {"file_path": f"{ROOT}/calc/extra.py", "content": "X = 1\n"}),
        tool("Write", {"file_path": "/tmp/scratch.py", "content": "print(1)\n"}),
    ]
    result = replay_patch(steps, tree)
    assert result.reason == "" and result.edits == 5
    files = applied(tree, result.patch, tmp_path)
    assert "\treturn a + b" in files["calc/core.py"]
    assert files["README.md"] == "calc: small numbers\n" and files["calc/extra.py"] == "X = 1\n"
    assert "scratch" not in result.patch


def test_codex_apply_patch_bodies_are_replayed(tree: GitTree, tmp_path: Path) -> None:
    body = (
        "*** Begin Patch\n*** Update File: calc/core.py\n@@ def double(x):\n-    return x * 2\n+    return x + x\n"
        "*** Add File: calc/extra.py\n+X = 1\n+Y = 2\n*** Delete File: README.md\n"
        "*** Update File: tests/test_core.py\n*** Move to: tests/test_calc.py\n@@\n from calc.core import add\n"
        "+from calc.core import double\n*** End Patch"
    )
    result = replay_patch([tool("apply_patch", {"input": body, "workdir": ROOT}, "Success.")], tree)
    assert result.reason == ""
    files = applied(tree, result.patch, tmp_path)
    assert files["calc/core.py"].endswith("def double(x):\n    return x + x\n")
    assert files["calc/extra.py"] == "X = 1\nY = 2\n" and "README.md" not in files
    assert "tests/test_core.py" not in files
    assert files["tests/test_calc.py"] == "from calc.core import add\nfrom calc.core import double\n"


def test_a_codex_hunk_whose_context_is_missing_gives_no_patch(tree: GitTree) -> None:
    body = "*** Begin Patch\n*** Update File: calc/core.py\n@@\n-    return y\n+    return z\n*** End Patch"
    result = replay_patch([tool("apply_patch", {"input": body, "workdir": ROOT})], tree)
    assert result.patch == "" and result.reason == "patch_context_not_found"
