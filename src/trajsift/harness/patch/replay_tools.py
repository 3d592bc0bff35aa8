"""Edit tools a replay follows beside the str_replace editor: Claude Code `Edit` / `MultiEdit` / `Write` and
Codex `apply_patch` bodies (`*** Begin Patch`).

`facts.tool_edits.tool_ops(step)` turns such a call into file operations (`FileOp`); `apply_ops` applies
them to a `ShellReplay` with each tool's semantics: an `Edit`'s `old_string` must occur once (every occurrence
with `replace_all`); a Codex hunk (its context and `-` lines) must match the file's lines at or after the previous
hunk of the same file, and is replaced by its context and `+` lines; `*** Add File` writes, `*** Delete File`
deletes, `*** Move to` renames. A relative Codex path is resolved against the call's `workdir`.
"""

from __future__ import annotations

from collections.abc import Callable

from trajsift.facts.tool_edits import FileOp
from trajsift.harness.patch.replay_shell import ShellReplay, UnreplayableError


def apply_ops(state: ShellReplay, ops: list[FileOp], replace: Callable[[str, str, str], str]) -> None:
    """Apply `ops` (`replace`: the editor's unique-occurrence replacement)."""
    for op in ops:
        path = state.resolve(op.path)
        if path is None:
            continue
        if op.delete or (op.content is not None and not op.move_to):
            state.write(path, None if op.delete else op.content)
            continue
        content = state.content(path)
        if content is None and state.relative(path) is None:
            continue  # outside the repository: not part of the patch
        if content is None:
            raise UnreplayableError("edited_file_missing")
        for old, new, every in op.pairs:
            content = content.replace(old, new) if every and old else replace(content, old, new)
        content = _apply_hunks(content, op.hunks)
        if op.move_to:
            state.write(path, None)
            path = state.resolve(op.move_to) or path
        state.write(path, content)


def _apply_hunks(content: str, hunks: list[tuple[list[str], list[str]]]) -> str:
    lines = content.split("\n")
    position = 0
    for old, new in hunks:
        at = _find(lines, old, position) if old else len(lines) - (1 if lines and lines[-1] == "" else 0)
        if at is None:
            raise UnreplayableError("patch_context_not_found")
        lines[at : at + len(old)] = new
        position = at + len(new)
    return "\n".join(lines)


def _find(lines: list[str], block: list[str], start: int) -> int | None:
    """First index at or after `start` where `block` matches (exactly, else ignoring trailing spaces)."""
    for same in (lambda a, b: a == b, lambda a, b: a.rstrip() == b.rstrip()):
        for index in range(start, len(lines) - len(block) + 1):
            if all(same(lines[index + k], block[k]) for k in range(len(block))):
                return index
    return None
