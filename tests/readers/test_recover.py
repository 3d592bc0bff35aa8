"""Patch recovery from `git diff` observations: what counts as a current, whole diff and what does not."""

from __future__ import annotations

import pytest

from trajsift.actions.classify import classify_command, classify_tool_call
from trajsift.readers.recover import extract_diff, observed_patch, settle_patch, writes_files
from trajsift.schema import FinalState, Observation, Step

DIFF = (
    "diff --git a/pkg/core.py b/pkg/core.py\n"
    "index 3f2a1b0..9c8d7e6 100644\n"
    "--- a/pkg/core.py\n"
    "+++ b/pkg/core.py\n"
    "@@ -10,4 +10,4 @@ def total(items):\n"
    "     values = list(items)\n"
    "-    return sum(values[1:])\n"
    "+    return sum(values)\n"
    " \n"
    " \n"
)
NEW_FILE = (
    "diff --git a/pkg/extra.py b/pkg/extra.py\n"
    "new file mode 100644\n"
    "index 0000000..1111111\n"
    "--- /dev/null\n"
    "+++ b/pkg/extra.py\n"
    "@@ -0,0 +1,2 @@\n"
    "+def helper():\n"
    "+    return 1\n"
    "\\ No newline at end of file\n"
)
OPENHANDS_FOOTER = "[The command completed with exit code 0.]\n[Current working directory: /workspace/repo]"


def bash(command: str, output: str = "", **observation) -> Step:
    return Step(action=classify_command(command), observation=Observation(text=output, **observation))


def tool(name: str, output: str = "", is_error: bool = False, **arguments) -> Step:
    return Step(action=classify_tool_call(name, arguments), observation=Observation(text=output, is_error=is_error))


def edit_core() -> Step:
    return tool("str_replace_editor", command="str_replace", path="/repo/pkg/core.py", old_str="[1:]", new_str="")


@pytest.mark.parametrize(
    "command, output",
    [
        ("git diff", DIFF),
        ("cd /repo && git --no-pager diff", DIFF + OPENHANDS_FOOTER),
        (
            "git status && git diff HEAD",
            "On branch main\nChanges not staged for commit:\n\tmodified: pkg/core.py\n\n" + DIFF,
        ),
        ("git add -A && git diff --cached", DIFF + NEW_FILE),
        ("git -C /repo diff -- pkg/core.py", DIFF + "(Open file: /repo/pkg/core.py)\nbash-$ "),
        ("git diff --no-color -U3", "\x1b[1m" + DIFF.replace("+    return", "\x1b[32m+    return") + "\x1b[m"),
    ],
)
def test_last_git_diff_after_the_last_edit_is_the_patch(command, output):
    steps = [bash("cat pkg/core.py", "def total(items): ..."), edit_core(), bash("pytest -q", "3 passed")]
    patch = observed_patch([*steps, bash(command, output), bash("echo done", "done")])
    assert patch.startswith("diff --git a/pkg/core.py b/pkg/core.py\n")
    assert "+    return sum(values)\n" in patch
    assert "exit code" not in patch and "bash-$" not in patch and "On branch" not in patch and "\x1b" not in patch
    assert settle_patch(FinalState(), [*steps, bash(command, output)], records_patches=False).patch_source == (
        "observed_diff"
    )


def test_extract_keeps_new_files_and_the_no_newline_marker():
    text = extract_diff("staged:\n" + DIFF + NEW_FILE + "[Command finished with exit code 0]\n")
    assert text == DIFF + NEW_FILE


@pytest.mark.parametrize(
    "later",
    [
        edit_core(),
        tool("str_replace_editor", command="create", path="/repo/notes.txt", file_text="x"),
        tool("str_replace_editor", command="insert", path="/repo/pkg/core.py", insert_line=3, new_str="# x"),
        bash("sed -i 's/values/vals/' pkg/core.py"),
        bash("sed -i 's/a/b/' pkg/core.py && python -m pytest tests"),
        bash("cat > pkg/core.py <<'EOF'\nprint(1)\nEOF"),
        bash("echo 'x = 1' > pkg/core.py"),
        bash("git checkout pkg/core.py"),
        bash("python -c \"open('pkg/core.py', 'w').write('x')\""),
        bash("python - <<'EOF'\nfrom pathlib import Path\nPath('pkg/core.py').write_text('x')\nEOF"),
        tool("execute_ipython_cell", code="with open('pkg/core.py', 'a') as f:\n    f.write('x')"),
    ],
)
def test_a_write_after_the_diff_makes_it_stale(later):
    steps = [edit_core(), bash("git diff", DIFF), later]
    assert writes_files(later)
    assert observed_patch(steps) == ""
    final = settle_patch(FinalState(), steps, records_patches=False)
    assert (final.patch, final.patch_source) == ("", "unknown")


def test_a_write_in_the_same_command_counts_by_its_position():
    assert observed_patch([edit_core(), bash("sed -i 's/a/b/' pkg/core.py && git diff", DIFF)])
    assert observed_patch([edit_core(), bash("git diff && sed -i 's/a/b/' pkg/core.py", DIFF)]) == ""


def test_reads_tests_and_failed_editor_calls_after_the_diff_do_not_count():
    failed = tool(
        "str_replace_editor",
        "ERROR:\nNo replacement was performed, old_str `zzz` did not appear verbatim in /repo/pkg/core.py.",
        is_error=True,
        command="str_replace",
        path="/repo/pkg/core.py",
        old_str="zzz",
        new_str="y",
    )
    later = [
        bash("python reproduce.py", "ok"),
        bash("grep -rn total pkg", "pkg/core.py:10"),
        failed,
        tool("finish"),
    ]
    assert not any(writes_files(step) for step in later)
    assert observed_patch([edit_core(), bash("git diff", DIFF), *later]) == DIFF


@pytest.mark.parametrize(
    "command, output, truncated",
    [
        ("git diff --stat", " pkg/core.py | 2 +-\n" + DIFF, False),
        ("git diff | head -8", DIFF, False),
        ("git diff HEAD~1", DIFF, False),
        ("git diff main..fix", DIFF, False),
        ("git diff > fix.patch", DIFF, False),
        ("git diff", DIFF[: DIFF.index(" \n")], False),  # a hunk cut short
        ("git diff", DIFF, True),  # the scaffold clipped the output
        ("git diff", "diff --git a/img.png b/img.png\nBinary files a/img.png and b/img.png differ\n", False),
        ("git diff", "", False),
        ("git log -p -1", DIFF, False),
    ],
)
def test_outputs_that_are_not_the_whole_current_diff_are_ignored(command, output, truncated):
    assert observed_patch([edit_core(), bash(command, output, truncated=truncated)]) == ""


def test_a_diff_that_leaves_out_an_edited_file_is_partial():
    other = tool("str_replace_editor", command="str_replace", path="/repo/pkg/util.py", old_str="a", new_str="b")
    scratch = tool("str_replace_editor", command="create", path="/repo/reproduce.py", file_text="print(1)")
    assert observed_patch([edit_core(), other, bash("git diff pkg/core.py", DIFF)]) == ""
    # a file the run created is untracked: `git diff` never shows it, and that does not make the diff partial
    assert observed_patch([scratch, edit_core(), bash("git diff pkg/core.py", DIFF)]) == DIFF


def test_a_whole_tree_diff_needs_no_edited_file_it_does_not_show():
    other = tool("str_replace_editor", command="str_replace", path="/repo/pkg/util.py", old_str="a", new_str="b")
    restored = bash("git checkout pkg/util.py", "Updated 1 path from the index")
    steps = [edit_core(), other, restored]
    assert observed_patch([*steps, bash("git add -A && git diff --cached", DIFF)]) == DIFF
    assert observed_patch([*steps, bash("git diff HEAD", DIFF)]) == DIFF
    assert observed_patch([*steps, bash("git diff", DIFF)]) == ""  # unstaged only: util.py may be staged
    assert observed_patch([*steps, bash("git diff --cached", DIFF)]) == ""  # staged only, nothing added
    assert observed_patch([*steps, bash("git add -A && git diff --cached pkg/core.py", DIFF)]) == ""  # one path


def test_a_submit_that_prints_the_diff_is_the_patch_and_created_files_match_by_suffix():
    scratch = tool("str_replace_editor", command="create", path="reproduce.py", file_text="print(1)")
    edited = tool("str_replace_editor", command="str_replace", path="/repo/reproduce.py", old_str="1", new_str="2")
    submit = bash("submit", "\n" + DIFF)
    assert observed_patch([scratch, edited, edit_core(), submit]) == DIFF
    assert observed_patch([edit_core(), bash("submit", "Submitted.")]) == ""


def test_an_older_diff_stays_valid_when_later_diffs_are_unusable():
    steps = [edit_core(), bash("git diff", DIFF), bash("git diff --stat", " pkg/core.py | 2 +-"), bash("ls", "pkg")]
    assert observed_patch(steps) == DIFF


def test_settle_patch_keeps_a_recorded_patch_and_says_none_or_unknown_otherwise():
    steps = [edit_core(), bash("git diff", DIFF)]
    recorded = settle_patch(FinalState(patch="diff --git a/x b/x\n"), steps, records_patches=True)
    assert (recorded.patch, recorded.patch_source) == ("diff --git a/x b/x\n", "recorded")
    assert settle_patch(FinalState(), steps[:1], records_patches=True).patch_source == "none"
    assert settle_patch(FinalState(), steps[:1], records_patches=False).patch_source == "unknown"
    assert settle_patch(FinalState(patch="  \n"), steps, records_patches=True).patch == DIFF
    diffed = settle_patch(FinalState(), steps, records_patches=True, diffed=True)  # the scaffold's own diff
    assert (diffed.patch, diffed.patch_source) == ("", "none")
