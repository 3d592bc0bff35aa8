"""What a run changed: the final patch's files the run wrote to, else the lines its edits removed and wrote.

Read by the quality checks that measure the change (`quality.evidence`, `quality.cohort`, `quality.reference`,
`quality.wording`): one definition, so a patch's environment noise is left out of all of them alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from trajsift.facts import steps as st
from trajsift.facts.edits import step_edit
from trajsift.patches import FileDiff
from trajsift.schema import Step, Trajectory

MAX_EDIT_TEXT = 20_000
MAX_EDIT_LINES = 1_000


@dataclass(frozen=True)
class Changes:
    """What a run changed: from its final patch, else from its editor calls (old / new text per edit)."""

    files: list[str]
    removed: list[str]
    added: list[str]
    from_patch: bool


EDIT_TEXT_KEYS = (("old_str", False), ("new_str", True), ("file_text", True), ("content", True))


def changes(traj: Trajectory) -> Changes:
    diffs = authored(traj, st.patch_files(traj.final.patch))
    if diffs:
        removed = [line for diff in diffs for line in diff.removed]
        return Changes([diff.path for diff in diffs], removed, [line for diff in diffs for line in diff.added], True)
    files: list[str] = []
    removed, added = [], []
    for step in traj.steps:
        if step.action.type not in st.CHANGES:
            continue
        edit = step_edit(step)  # any edit form it reads: editor calls, SEARCH/REPLACE, write_patch, inline patches
        if edit is not None and edit.applied and edit.files:
            files += edit.files
            removed += edit.removed[:MAX_EDIT_LINES]
            added += (edit.written or edit.fragments)[:MAX_EDIT_LINES]
        elif step.action.target:
            files.append(step.action.target)
            for key, is_added in EDIT_TEXT_KEYS:
                value = step.action.arguments.get(key)
                if isinstance(value, str):
                    (added if is_added else removed).extend(value[:MAX_EDIT_TEXT].splitlines())
    return Changes(list(dict.fromkeys(files)), removed, added, False)


def authored(traj: Trajectory, diffs: list[FileDiff]) -> list[FileDiff]:
    """The patch's files the run names in an action that could change them (not a read or a search).

    A diff taken with `git add -A` also holds what the environment changed before the agent started (a
    harness's pinned `setup.py`, `tox.ini`): a file the run never named is not its work. All files when the
    run names none of them (nothing to tell by)."""
    if len(diffs) < 2:
        return diffs
    text = "\n".join(
        f"{step.action.target}\n{step.action.command[: st.HEAD * 4]}\n{_argument_text(step)}"
        for step in traj.steps
        if step.action.type not in st.LOOKS  # a file only read or searched was not changed there
    )
    named = [diff for diff in diffs if st.base_name(diff.path) in text]
    return named or diffs


def _argument_text(step: Step) -> str:
    return " ".join(str(value)[: st.HEAD] for value in step.action.arguments.values() if isinstance(value, str))


def changed_files(traj: Trajectory) -> list[str]:
    return changes(traj).files
