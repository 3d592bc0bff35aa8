"""Per-step progress toward the final patch, replayed from real-shaped edits."""

from __future__ import annotations

from trajsift.facts.edits import step_edit
from trajsift.rewards.progress import patch_targets, progress_curve

from .reward_shapes import PATCH, SYNTAX_REFUSAL, T, first_hunk_edit, step, swe_agent_run


def test_patch_targets_are_hunks_without_scratch_files():
    scratch = "diff --git a/reproduce.py b/reproduce.py\nnew file mode 100644\n--- /dev/null\n+++ b/reproduce.py\n"
    scratch += "@@ -0,0 +1,1 @@\n+print('x')\n"
    targets = patch_targets(PATCH + scratch)
    assert [t.path for t in targets] == ["pkg/qdp.py", "pkg/qdp.py"]
    assert targets[0].added == ['command = r"(?i)READ [TS]ERR"']


def test_swe_agent_edits_build_progress_and_refused_edit_counts_nothing():
    curve = progress_curve(swe_agent_run().steps, PATCH)
    assert curve == [0.0, 0.0, 0.0, 0.5, 0.5, 1.0, 1.0, 1.0]


def test_str_replace_editor_calls_and_undo():
    def editor(command, **args):
        return step(
            T.EDIT,
            f"str_replace_editor {command}",
            args.get("path", ""),
            "The file has been edited.",
            tool="str_replace_editor",
            arguments={"command": command, **args},
        )

    steps = [
        editor(
            "str_replace",
            path="/testbed/pkg/qdp.py",
            old_str='    command = r"READ [TS]ERR"',
            new_str='    command = r"(?i)READ [TS]ERR"',
        ),
        editor(
            "str_replace",
            path="/testbed/pkg/qdp.py",
            old_str="    pattern = re.compile(type_re)",
            new_str="    pattern = re.compile(type_re, re.IGNORECASE)",
        ),
        editor("undo_edit", path="/testbed/pkg/qdp.py"),
    ]
    assert progress_curve(steps, PATCH) == [0.5, 1.0, 0.0]


def test_rejected_str_replace_is_not_applied():
    rejected = step(
        T.EDIT,
        "str_replace_editor str_replace",
        "/testbed/pkg/qdp.py",
        "ERROR:\nNo replacement was performed, old_str `x` did not appear verbatim in /testbed/pkg/qdp.py.",
        tool="str_replace_editor",
        arguments={
            "command": "str_replace",
            "path": "/testbed/pkg/qdp.py",
            "old_str": "x",
            "new_str": '    command = r"(?i)READ [TS]ERR"',
        },
    )
    edit = step_edit(rejected)
    assert edit is not None and not edit.applied
    assert progress_curve([rejected], PATCH) == [0.0]


def test_sed_inplace_fragment_and_heredoc():
    sed = step(
        T.EDIT,
        "sed -i 's/re.compile(type_re)/re.compile(type_re, re.IGNORECASE)/' pkg/qdp.py",
        "pkg/qdp.py",
        "",
        exit_code=0,
    )
    heredoc_patch = PATCH.replace("pkg/qdp.py", "pkg/new.py")
    assert progress_curve([sed], PATCH) == [0.5]
    heredoc = step(
        T.CREATE, "cat <<'EOF' > pkg/new.py\n    command = r\"(?i)READ [TS]ERR\"\nEOF", "pkg/new.py", "", exit_code=0
    )
    assert progress_curve([heredoc], heredoc_patch) == [0.5]


def test_autocoderover_write_patch():
    command = (
        '# modification 1\n```python\n<file>pkg/qdp.py</file>\n<original>    command = r"READ [TS]ERR"</original>\n'
        '<patched>    command = r"(?i)READ [TS]ERR"</patched>\n```\n'
    )
    write = step(T.EDIT, command, "pkg/qdp.py", "Extracted a patch.", tool="write_patch")
    assert progress_curve([write], PATCH) == [0.5]


def test_touched_file_fallback_and_no_goal():
    script = step(T.EDIT, "rm pkg/old.py", "pkg/old.py", "", exit_code=0)
    deletion = "diff --git a/pkg/old.py b/pkg/old.py\ndeleted file mode 100644\n--- a/pkg/old.py\n+++ /dev/null\n"
    deletion += "@@ -1,1 +0,0 @@\n-x = 1\n"
    assert progress_curve([step(T.READ, "ls", "", "")], deletion) == [0.0]
    assert progress_curve([script], deletion) == [1.0]
    assert progress_curve([script], "") == [None]


def test_git_checkout_resets_progress():
    checkout = step(T.EDIT, "git checkout -- pkg/qdp.py", "pkg/qdp.py", "", exit_code=0)
    assert progress_curve([first_hunk_edit(), checkout], PATCH) == [0.5, 0.0]
    assert step_edit(first_hunk_edit(SYNTAX_REFUSAL, error=True)).syntax_refused


def test_git_stash_pop_is_not_a_reset():
    assert step_edit(step(T.EDIT, "git stash", tool="git")).reset
    assert step_edit(step(T.EDIT, "git stash pop", tool="git")) is None
    assert step_edit(step(T.EDIT, "git stash apply stash@{0}", tool="git")) is None
