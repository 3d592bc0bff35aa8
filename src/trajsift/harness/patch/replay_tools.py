"""Edit tools a replay follows beside the str_replace editor: Claude Code `Edit` / `MultiEdit` / `Write` and
Codex `apply_patch` bodies (`*** Begin Patch`).

`tool_ops(step)` turns such a call into file operations (`FileOp`), None for any other step; `apply_ops` applies
them to a `ShellReplay` with each tool's semantics: an `Edit`'s `old_string` must occur once (every occurrence
with `replace_all`); a Codex hunk (its context and `-` lines) must match the file's lines at or after the previous
hunk of the same file, and is replaced by its context and `+` lines; `*** Add File` writes, `*** Delete File`
deletes, `*** Move to` renames. A relative Codex path is resolved against the call's `workdir`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trajsift.harness.patch.replay_shell import ShellReplay, UnreplayableError
from trajsift.schema import Step

CODEX_BEGIN = "*** Begin Patch"
_ADD, _DELETE, _UPDATE, _MOVE = "*** Add File: ", "*** Delete File: ", "*** Update File: ", "*** Move to: "


@dataclass
class FileOp:
    path: str
    content: str | None = None
    """The file's whole new text (`Write`, `*** Add File`)."""
    pairs: list[tuple[str, str, bool]] = field(default_factory=list)
    """`(old, new, replace_all)` replacements, in order."""
    hunks: list[tuple[list[str], list[str]]] = field(default_factory=list)
    """Codex hunks: (the lines they expect, the lines they leave)."""
    delete: bool = False
    move_to: str = ""


def tool_ops(step: Step) -> list[FileOp] | None:
    args = step.action.arguments if isinstance(step.action.arguments, dict) else {}
    name = step.action.tool.rsplit("__", 1)[-1].lower()
    path = args.get("file_path")
    if name in ("edit", "multiedit") and isinstance(path, str) and path:
        edits = args.get("edits") if isinstance(args.get("edits"), list) else [args]
        pairs = [_pair(e) for e in edits if isinstance(e, dict) and isinstance(e.get("old_string"), str)]
        return [FileOp(path, pairs=pairs)] if pairs else None
    if name == "write" and isinstance(path, str) and path and isinstance(args.get("content"), str):
        return [FileOp(path, content=args["content"])]
    body = args.get("input")
    if isinstance(body, str) and body.lstrip().startswith(CODEX_BEGIN):
        workdir = args.get("workdir") if isinstance(args.get("workdir"), str) else ""
        return codex_ops(body, workdir)
    return None


def _pair(edit: dict[str, Any]) -> tuple[str, str, bool]:
    new = edit.get("new_string")
    return edit["old_string"], new if isinstance(new, str) else "", bool(edit.get("replace_all"))


def codex_ops(body: str, workdir: str = "") -> list[FileOp]:
    """The operations of a Codex patch body, in order."""
    ops: list[FileOp] = []
    hunk: tuple[list[str], list[str]] | None = None
    for line in body.splitlines():
        for prefix, start in ((_ADD, "add"), (_DELETE, "delete"), (_UPDATE, "update")):
            if line.startswith(prefix):
                ops.append(FileOp(_joined(workdir, line[len(prefix) :].strip()), delete=start == "delete"))
                ops[-1].content = "" if start == "add" else None
                hunk = None
                break
        else:
            if not ops or line.startswith(("*** End", CODEX_BEGIN)):
                continue
            op = ops[-1]
            if line.startswith(_MOVE):
                op.move_to = _joined(workdir, line[len(_MOVE) :].strip())
            elif op.content is not None:  # an added file: its `+` lines
                op.content += line[1:] + "\n" if line.startswith("+") else ""
            elif line.startswith("@@") or hunk is None:
                hunk = ([], [])
                op.hunks.append(hunk)
                if not line.startswith("@@"):
                    _hunk_line(hunk, line)
            else:
                _hunk_line(hunk, line)
    return ops


def _hunk_line(hunk: tuple[list[str], list[str]], line: str) -> None:
    kind, text = (line[:1], line[1:]) if line[:1] in " +-" else (" ", line)
    if kind != "+":
        hunk[0].append(text)
    if kind != "-":
        hunk[1].append(text)


def _joined(workdir: str, path: str) -> str:
    return posixpath.join(workdir, path) if workdir and not path.startswith("/") else path


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
