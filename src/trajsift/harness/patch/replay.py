"""Recover a run's final patch by replaying its edits onto the task's base commit, in memory.

For logs that hold no patch (OpenHands completion logs end without one) the edits are often all there:
editor tool calls (`create`, `str_replace`, `insert`, `undo_edit`), Claude Code and Codex edit tools
(`harness.patch.replay_tools`) and a few shell file operations (`rm`, `mv`, `cp`, `mkdir`, `touch`, `cd`).
`replay_patch(steps, tree)` starts from the base commit's files (`GitTree`, read from the repository's object
store: nothing is checked out, nothing written) and applies them in order with the editor's own semantics; the
result is a git diff (`patch_source = "replayed"`).

It refuses rather than guesses: a shell or Python write it cannot replay, an edit whose `old_str` is not
in the file it replays, a path escaping the work tree; each gives a reason and no patch. Editor calls
that reported an error changed nothing and are skipped. Writes outside the repository root (scratch
files in the workspace) are not part of the patch, as in the scaffold's own `git diff`.
"""

from __future__ import annotations

import difflib
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from trajsift.actions.classify import EDITOR_TOOLS
from trajsift.facts.tool_edits import tool_ops
from trajsift.harness.patch.git import GIT_TIMEOUT_S, git_argv, git_env
from trajsift.harness.patch.replay_shell import ShellReplay, UnreplayableError, root_candidates
from trajsift.harness.patch.replay_tools import apply_ops
from trajsift.readers.recover import shell_text, writes_files
from trajsift.schema import Step

MAX_BLOB = 8 << 20
EDITOR_FAILURES = ("error", "invalid", "no replacement was performed")


@dataclass(frozen=True)
class Replayed:
    patch: str
    reason: str = ""
    """Empty when the replay succeeded; otherwise why no patch was recovered."""
    edits: int = 0


class GitTree:
    """The files of one commit of a git repository, read from its object store (bare or not), with the
    harness's safe git settings; each blob is read at most once."""

    def __init__(self, repo: str, commit: str) -> None:
        self.repo, self.commit = repo, commit
        located = subprocess.run(
            git_argv(["-C", repo, "rev-parse", "--absolute-git-dir"]),
            capture_output=True,
            text=True,
            check=True,
            env=git_env(),
            timeout=GIT_TIMEOUT_S,
        )
        self.git_dir = located.stdout.strip()
        self.modes: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        for entry in self._git("ls-tree", "-r", "-z", "-l", "--full-tree", commit).split(b"\0"):
            if entry:
                meta, path = entry.split(b"\t", 1)
                mode, _, _, size = meta.split()
                name = path.decode("utf-8", "surrogateescape")
                self.modes[name] = mode.decode()
                self.sizes[name] = int(size) if size.isdigit() else 0
        self._texts: dict[str, str] = {}

    def _git(self, *args: str) -> bytes:
        command = git_argv(["--git-dir", self.git_dir, *args])
        return subprocess.run(command, capture_output=True, check=True, timeout=GIT_TIMEOUT_S, env=git_env()).stdout

    def read(self, path: str) -> str | None:
        """The file's text at the commit; None for a path that is not a regular file there."""
        if self.modes.get(path) not in ("100644", "100755"):
            return None
        if path not in self._texts:
            if self.sizes[path] > MAX_BLOB:
                raise UnreplayableError("file_too_large")
            try:
                self._texts[path] = self._git("cat-file", "blob", f"{self.commit}:{path}").decode("utf-8")
            except UnicodeDecodeError as error:
                raise UnreplayableError("binary_file") from error
        return self._texts[path]


def replay_patch(steps: Sequence[Step], tree: GitTree) -> Replayed:
    """The patch the run's edits make on `tree`, or a reason it cannot be known."""
    edits = [s for s in steps if _is_editor_write(s) or tool_ops(s) is not None or writes_files(s)]
    if not edits:
        return Replayed("", "no_edits")
    state = ShellReplay(tree.read, set(tree.modes), root_candidates(steps, _editor_paths(edits)))
    try:
        for step in steps:
            ops = tool_ops(step)
            if ops is not None:
                if not _editor_failed(step):
                    apply_ops(state, ops, _replace)
            elif _is_editor_write(step):
                _apply_editor(state, step)
            elif shell_text(step) or writes_files(step):
                state.run_shell(step)
    except UnreplayableError as error:
        return Replayed("", str(error), len(edits))
    return Replayed(_diff(state, tree), "", len(edits))


def _is_editor_write(step: Step) -> bool:
    arguments = step.action.arguments if isinstance(step.action.arguments, dict) else {}
    command = arguments.get("command")
    return step.action.tool.lower() in EDITOR_TOOLS and command in ("create", "str_replace", "insert", "undo_edit")


def _editor_paths(steps: Sequence[Step]) -> list[str]:
    named = [op.path for s in steps for op in tool_ops(s) or []]
    return [str(s.action.arguments.get("path", "")) for s in steps if _is_editor_write(s)] + named


def _editor_failed(step: Step) -> bool:
    """An editor call that reported an error (it changed nothing)."""
    head = step.observation.text.strip()[:300].lower()
    return step.observation.is_error or head.startswith(EDITOR_FAILURES) or "did not appear verbatim" in head


def _apply_editor(state: ShellReplay, step: Step) -> None:
    if _editor_failed(step):
        return
    arguments = step.action.arguments
    command = arguments.get("command")
    path = state.resolve(str(arguments.get("path", "")))
    if path is None:
        return
    if command == "create":
        state.write(path, _text(arguments.get("file_text")))
        return
    if command == "undo_edit":
        state.undo(path)
        return
    content = state.content(path)
    if content is None and state.relative(path) is None:
        return  # a file outside the repository the replay never saw: not part of the patch
    if content is None:
        raise UnreplayableError("edited_file_missing")
    new_str = _text(arguments.get("new_str")).expandtabs()
    if command == "str_replace":
        state.write(path, _replace(content, _text(arguments.get("old_str")), new_str))
    else:
        state.write(path, _insert(content.expandtabs(), arguments.get("insert_line"), new_str))


def _replace(content: str, old: str, new: str) -> str:
    """The editor's `str_replace`: `old` must occur exactly once (compared with tabs expanded)."""
    if content.count(old) == 1 and old:
        return content.replace(old, new)
    expanded, old = content.expandtabs(), old.expandtabs()
    if expanded.count(old) != 1 or not old:
        raise UnreplayableError("old_str_not_found")
    return expanded.replace(old, new)


def _insert(content: str, line: object, new: str) -> str:
    if not isinstance(line, int) or isinstance(line, bool):
        try:
            line = int(str(line))
        except ValueError as error:
            raise UnreplayableError("bad_insert_line") from error
    lines = content.split("\n")
    if not 0 <= line <= len(lines):
        raise UnreplayableError("bad_insert_line")
    return "\n".join(lines[:line] + new.split("\n") + lines[line:])


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _diff(state: ShellReplay, tree: GitTree) -> str:
    parts = []
    for path, absolute in sorted(state.touched().items()):
        before, after = tree.read(path), state.content(absolute)
        if before == after:
            continue
        parts.append(_file_diff(path, before, after, tree.modes.get(path, "100644")))
    return "".join(parts)


def _file_diff(path: str, before: str | None, after: str | None, mode: str) -> str:
    header = [f"diff --git a/{path} b/{path}\n"]
    old_name, new_name = f"a/{path}", f"b/{path}"
    if before is None:
        header.append(f"new file mode {mode}\n")
        old_name = "/dev/null"
    elif after is None:
        header.append(f"deleted file mode {mode}\n")
        new_name = "/dev/null"
    old_lines = (before or "").splitlines(keepends=True)
    new_lines = (after or "").splitlines(keepends=True)
    body = difflib.unified_diff(old_lines, new_lines, old_name, new_name, n=3)
    text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in body)
    if not text:  # an empty file created or deleted
        return "".join(header)
    return "".join(header) + text
