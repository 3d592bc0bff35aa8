"""What a run changed and what it ran, in the form the integrity checks read.

`run_changes` gives one `FileChange` per changed file: from the final patch when the run has one (each
change then points at the step that last edited that file), else from the edit steps themselves (editor
tool calls, SWE-agent `edit`/`create`, shell `rm`). `step_commands` gives the text each step executed,
heredoc bodies and file contents left out (writing a command into a file runs nothing).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from trajsift.actions.classify import EDITOR_TOOLS
from trajsift.actions.shell import SCAN_LIMIT, split_segments
from trajsift.actions.shell import _words_and_writes as segment_words
from trajsift.actions.tables import strip_prefixes
from trajsift.facts.edits import step_edit
from trajsift.facts.steps import CHANGES, file_key, is_scratch, patch_files, same_file
from trajsift.patches import FileDiff, is_scratch_file, is_test_file
from trajsift.schema import ActionType, Step, Trajectory

_T = ActionType
TEST_CONFIG = frozenset({"pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml"})
SWE_EDIT = re.compile(r"^\s*edit\s+\d+:\d+[ \t]*\n(.*?)(?:\n\s*end_of_edit\s*)?$", re.S)
DELETERS = frozenset({"rm", "unlink"})
SED_DELETES_ASSERTS = re.compile(r"\s-i\S*\s.*assert[^'\"]*/\s*d\b")
NEW_TEXT_KEYS = ("new_string", "new_str", "content", "contents", "file_text", "text")
OLD_TEXT_KEYS = ("old_string", "old_str")
CODE_KEYS = ("command", "cmd", "script", "code", "input")
MAX_LINES = 5000


@dataclass
class FileChange:
    """The change to one file: added and removed lines, the old side of its hunks, and its step."""

    path: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    old_side: list[str] = field(default_factory=list)
    """Old-side lines of the hunks (context and removed): what the file held around the change."""
    is_new: bool = False
    is_deleted: bool = False
    scratch: bool = False
    """A leftover or top-level scratch script (`reproduce.py`): not part of the fix."""
    step: int | None = None
    """The step that made (or last made) the change; None when no step can be tied to it."""


def is_test_path(path: str) -> bool:
    """A test module, conftest, or anything in (or being) a `tests/` folder."""
    return is_test_file(file_key(path))


def is_test_config(path: str) -> bool:
    return PurePosixPath(file_key(path)).name in TEST_CONFIG


def run_changes(traj: Trajectory) -> tuple[list[FileChange], bool]:
    """(changes, from_patch): the final patch's files when there is a patch, else the edit steps'."""
    files = patch_files(traj.final.patch)
    if files:
        return [_from_diff(diff, traj.steps) for diff in files[:MAX_LINES]], True
    return step_changes(traj.steps), False


def _from_diff(diff: FileDiff, steps: list[Step]) -> FileChange:
    old_side = [line for hunk in diff.hunks for line in hunk.old]
    return FileChange(
        path=diff.path,
        added=diff.added[:MAX_LINES],
        removed=diff.removed[:MAX_LINES],
        old_side=old_side[:MAX_LINES],
        is_new=diff.is_new,
        is_deleted=diff.is_deleted,
        scratch=is_scratch_file(diff),
        step=last_step_on(steps, diff.path),
    )


def last_step_on(steps: list[Step], path: str) -> int | None:
    """The last step that changed `path` (edit, create or delete), None when no step names it."""
    for index in range(len(steps) - 1, -1, -1):
        action = steps[index].action
        if action.type in CHANGES and action.target and same_file(action.target, path):
            return index
    return None


def step_changes(steps: list[Step]) -> list[FileChange]:
    """Per-step changes, in step order (a file edited twice appears twice). Files the run created count
    as new; lines the run itself added earlier do not count as removed when a later edit drops them."""
    changes = []
    created: set[str] = set()
    own_lines: dict[str, Counter[str]] = defaultdict(Counter)
    for index, step in enumerate(steps):
        change = _step_change(step)
        if change is None:
            continue
        change.step = index
        change.scratch = is_scratch(change.path)
        key = file_key(change.path).rstrip("/")
        if change.is_new:
            created.add(key)
        elif key in created:  # a file the run made itself: new to the repository, deleting it undoes nothing
            change.is_new = not change.is_deleted
            change.scratch = change.scratch or change.is_deleted
        change.removed = _not_own(change.removed, own_lines[key])
        own_lines[key].update(line.strip() for line in change.added)
        changes.append(change)
    return changes


def _not_own(removed: list[str], own: Counter[str]) -> list[str]:
    kept = []
    for line in removed:
        if own[line.strip()] > 0:
            own[line.strip()] -= 1
        else:
            kept.append(line)
    return kept


def _step_change(step: Step) -> FileChange | None:
    """A step's change to one file (see `trajsift.facts.edits.step_edit`), or a shell `rm` of it."""
    action = step.action
    if action.type not in CHANGES or not action.target:
        return None
    deleted = _shell_change(action.target, step_commands(step))
    if deleted is not None:
        return deleted
    edit = step_edit(step)
    if edit is not None and not edit.applied:
        return None
    is_new = action.type is _T.CREATE
    if edit is None:
        return _argument_change(action.target, action.arguments, is_new)
    path = edit.files[0] if edit.files else action.target
    return FileChange(path=path, added=edit.written, removed=edit.removed, old_side=edit.removed, is_new=is_new)


def _argument_change(path: str, args: dict, is_new: bool) -> FileChange | None:
    """Other editor tools (`Edit`/`Write` with `old_string`/`new_string`/`content`), or a bare creation."""
    new = next((args[k] for k in NEW_TEXT_KEYS if isinstance(args.get(k), str)), "")
    old = next((args[k] for k in OLD_TEXT_KEYS if isinstance(args.get(k), str)), "")
    if not (new or old or is_new):
        return None
    removed = old.splitlines()[:MAX_LINES]
    return FileChange(path=path, added=new.splitlines()[:MAX_LINES], removed=removed, old_side=removed, is_new=is_new)


def _shell_change(target: str, commands: list[str]) -> FileChange | None:
    for segment in (seg for text in commands for seg in split_segments(text)):
        words = strip_prefixes(segment_words(segment)[0])
        program = words[0].rsplit("/", 1)[-1] if words else ""
        if program == "git" and words[1:2] == ["rm"]:
            program = "rm"
        if program in DELETERS and any(same_file(word, target) for word in words[1:]):
            return FileChange(path=target, is_deleted=True)
        if program == "sed" and SED_DELETES_ASSERTS.search(segment):  # `sed -i '/assert/d' tests/test_x.py`
            return FileChange(path=target, removed=["assert  # lines deleted by sed"])
    return None


def step_commands(step: Step) -> list[str]:
    """What the step executed: a shell line or code cell (editor calls and SWE-agent edits run nothing)."""
    action = step.action
    if action.type in (_T.THINK, _T.EDIT) and not action.arguments:
        if action.type is _T.THINK or SWE_EDIT.match(action.command):
            return []
    if action.tool.lower() in EDITOR_TOOLS:
        return []
    texts = [v for k, v in action.arguments.items() if k in CODE_KEYS and isinstance(v, str)]
    return [text[:SCAN_LIMIT] for text in texts or [action.command] if text]


def step_urls(step: Step) -> list[str]:
    """URL arguments of web tools (`web_read`, `browser`, `webfetch`)."""
    return [v for k, v in step.action.arguments.items() if k in ("url", "urls", "href") and isinstance(v, str)]


def is_fix_source(change: FileChange) -> bool:
    """A project source file of the fix: not a test, test config, scratch script or file outside the repo."""
    return not (change.scratch or is_test_path(change.path) or is_test_config(change.path))
