"""Progress toward a goal patch: the share of its hunks present in the files after each step.

The goal is the trajectory's own final patch (or a task's reference patch). Its hunks are cut to their
significant added lines (stripped, with at least one letter or digit; scratch files left out). The tracker
replays the steps' edits (`trajsift.facts.edits`) as bags of written lines per file:
- a hunk's coverage is the share of its added lines some applied edit wrote to its file (or a `sed`
  replacement fragment they contain);
- a line that a later edit replaced (`old_str`, `<original>`) stops counting, and a reset (undo, git
  checkout, overwrite) clears the file, so progress can go down;
- a pure-deletion hunk, or a hunk of a file whose edits carry no readable content (`rm`, scripts that
  rewrite files, unknown tools), counts as present once a change action on the file succeeded (the
  touched-file fallback).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from trajsift.facts import steps as st
from trajsift.facts.edits import Edit, step_edit
from trajsift.patches import is_scratch_file
from trajsift.schema import Step

_SIGNIFICANT = re.compile(r"\w")
MAX_LINES_PER_HUNK = 200


@dataclass
class Target:
    """One hunk of the goal patch."""

    path: str
    added: list[str] = field(default_factory=list)


def patch_targets(patch: str) -> list[Target]:
    """The hunks of a patch as progress targets (scratch files and binaries left out)."""
    targets = []
    for diff in st.patch_files(patch):
        if is_scratch_file(diff) or st.is_scratch(diff.path):
            continue
        for hunk in diff.hunks:
            added = Counter(line.strip() for line in hunk.new) - Counter(line.strip() for line in hunk.old)
            lines = [line for line in added if _SIGNIFICANT.search(line)][:MAX_LINES_PER_HUNK]
            targets.append(Target(path=diff.path, added=lines))
    return targets


@dataclass
class _FileState:
    written: set[str] = field(default_factory=set)
    fragments: list[str] = field(default_factory=list)
    touched: bool = False
    has_content: bool = False


class ProgressTracker:
    """Replays edits step by step; `coverage()` is the goal's share present now, in [0, 1]."""

    def __init__(self, targets: list[Target]) -> None:
        self.targets = targets
        self.paths = sorted({t.path for t in targets})
        self.files = {path: _FileState() for path in self.paths}
        self._match_cache: dict[str, str | None] = {}

    def _goal_path(self, path: str) -> str | None:
        if path not in self._match_cache:
            self._match_cache[path] = next((p for p in self.paths if st.same_file(path, p)), None)
        return self._match_cache[path]

    def step(self, step: Step) -> Edit | None:
        """Apply one step; returns the edit read from it (None when it is not a readable change)."""
        edit = step_edit(step)
        if edit is not None:
            self.apply(edit)
        elif step.action.type in st.CHANGES and not st.flagged(step.observation):
            goal = self._goal_path(step.action.target) if st.looks_like_file(step.action.target) else None
            if goal is not None:
                self.files[goal].touched = True
        return edit

    def apply(self, edit: Edit) -> None:
        if not edit.applied:
            return
        goals = [self._goal_path(path) for path in edit.files] if edit.files else list(self.paths)
        for goal in goals:
            if goal is None:
                continue
            state = self.files[goal]
            if edit.reset:
                state.written, state.fragments, state.touched = set(), [], False
            new = set(edit.written)
            state.written -= set(edit.removed) - new
            state.written |= new
            state.fragments += edit.fragments
            state.touched = state.touched or bool(edit.written or edit.fragments or edit.removed or not edit.reset)
            state.has_content = state.has_content or bool(edit.written or edit.fragments)

    def coverage(self) -> float | None:
        """Mean hunk coverage; None when the goal has no hunks."""
        if not self.targets:
            return None
        return sum(self._hunk_coverage(t) for t in self.targets) / len(self.targets)

    def files_changed(self) -> float | None:
        """Share of the goal's files a successful change has touched (and not reset since); None without goal."""
        if not self.paths:
            return None
        return sum(1 for path in self.paths if self.files[path].touched) / len(self.paths)

    def _hunk_coverage(self, target: Target) -> float:
        state = self.files[target.path]
        if not target.added or not state.has_content:
            return 1.0 if state.touched else 0.0
        present = sum(1 for line in target.added if line in state.written or any(f in line for f in state.fragments))
        return present / len(target.added)


def progress_curve(steps: list[Step], patch: str) -> list[float | None]:
    """Coverage of `patch` after each step (None everywhere when the patch has no usable hunks)."""
    tracker = ProgressTracker(patch_targets(patch))
    curve = []
    for step in steps:
        tracker.step(step)
        curve.append(tracker.coverage())
    return curve
