"""Edit tool calls that name their change, parsed into file operations: Claude Code `Edit` / `MultiEdit` / `Write`
(and the same calls of OpenCode and Gemini CLI) and Codex `apply_patch` bodies (`*** Begin Patch`). Used to read
what a step wrote (`facts.edits`) and to replay it onto a base commit (`harness.patch.replay_tools`).

A Codex body is a list of files: `*** Add File: P` (its `+` lines), `*** Delete File: P`, `*** Update File: P`
(optionally `*** Move to: Q`) with hunks opened by `@@`, each a run of ` ` context, `-` and `+` lines. A relative
path is joined to the call's `workdir`.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from trajsift.actions.shell import CODEX_BEGIN
from trajsift.schema import Step

_FILE = re.compile(r"^\*\*\* (Add|Delete|Update) File: (.+)$")
_MOVE = "*** Move to: "
PATH_KEYS = ("file_path", "filePath", "absolute_path")
REPLACE_TOOLS = frozenset({"edit", "multiedit", "replace"})
"""Claude Code `Edit` / `MultiEdit`, OpenCode `edit`, Gemini CLI `replace`."""
WRITE_TOOLS = frozenset({"write", "write_file"})
"""Claude Code and OpenCode `Write`, Gemini CLI `write_file`: the file's whole new text in `content`."""


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
    """The file operations of an edit tool call that names its change; None for any other step."""
    args = step.action.arguments if isinstance(step.action.arguments, dict) else {}
    name = step.action.tool.rsplit("__", 1)[-1].lower()
    path = next((args[key] for key in PATH_KEYS if isinstance(args.get(key), str) and args[key]), "")
    if name in REPLACE_TOOLS and path:
        edits = args.get("edits") if isinstance(args.get("edits"), list) else [args]
        pairs = [pair for pair in map(_pair, edits) if pair is not None]
        return [FileOp(path, pairs=pairs)] if pairs else None
    if name in WRITE_TOOLS and path and isinstance(args.get("content"), str):
        return [FileOp(path, content=args["content"])]
    body = args.get("input")
    if isinstance(body, str) and body.lstrip().startswith(CODEX_BEGIN):
        workdir = args.get("workdir") if isinstance(args.get("workdir"), str) else ""
        return codex_ops(body, workdir)
    return None


def _pair(edit: Any) -> tuple[str, str, bool] | None:
    """`(old, new, replace_all)` of one replacement, snake_case (Claude Code, Gemini CLI) or camelCase (OpenCode)."""
    if not isinstance(edit, dict):
        return None
    old = edit.get("old_string", edit.get("oldString"))
    new = edit.get("new_string", edit.get("newString"))
    if not isinstance(old, str):
        return None
    return old, new if isinstance(new, str) else "", bool(edit.get("replace_all", edit.get("replaceAll")))


def codex_ops(body: str, workdir: str = "") -> list[FileOp]:
    """The operations of a Codex patch body, in order."""
    ops: list[FileOp] = []
    hunk: tuple[list[str], list[str]] | None = None
    for line in body.splitlines():
        header = _FILE.match(line)
        if header:
            kind, path = header.groups()
            ops.append(FileOp(_joined(workdir, path), content="" if kind == "Add" else None, delete=kind == "Delete"))
            hunk = None
        elif not ops or line.startswith(("*** End", CODEX_BEGIN)):
            continue
        elif line.startswith(_MOVE):
            ops[-1].move_to = _joined(workdir, line[len(_MOVE) :])
        elif ops[-1].content is not None:  # an added file: its `+` lines
            ops[-1].content += line[1:] + "\n" if line.startswith("+") else ""
        else:
            if line.startswith("@@") or hunk is None:
                hunk = ([], [])
                ops[-1].hunks.append(hunk)
            if not line.startswith("@@"):
                _hunk_line(hunk, line)
    return ops


def _hunk_line(hunk: tuple[list[str], list[str]], line: str) -> None:
    kind, text = (line[:1], line[1:]) if line[:1] in " +-" else (" ", line)
    if kind != "+":
        hunk[0].append(text)
    if kind != "-":
        hunk[1].append(text)


def _joined(workdir: str, path: str) -> str:
    path = path.strip()
    return posixpath.join(workdir, path) if workdir and not path.startswith("/") else path
