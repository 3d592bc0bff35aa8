"""What a step wrote into which file, reconstructed from the action where the scaffold's format allows it.

`step_edit(step)` returns an `Edit` (file, lines written, lines removed, line fragments, whether the file
is reset) for the change actions it can read, or None:
- SWE-agent `edit N:M` ... `end_of_edit` (the body replaces lines N..M of the open file, `action.target`);
- structured editor calls (`str_replace_editor` / `str_replace_based_edit_tool`: create `file_text`,
  str_replace `old_str` -> `new_str`, insert `new_str`, undo_edit resets what was written to the file);
- edit tools naming the change (`facts.tool_edits`: Claude Code `Edit` / `MultiEdit` `old_string` ->
  `new_string`, `Write` `content`; Codex `apply_patch` bodies; any tool's `old_string` / `new_string`);
- shell writes: `cat <<EOF > f` heredocs, `sed -i 's/old/new/' f` (the replacement is a line fragment);
- AutoCodeRover `write_patch` (`<file>`, `<original>`, `<patched>` blocks; several per call);
- `git checkout/restore -- f`, `git stash`, `git reset --hard` reset files (all files when none is named).
An edit the scaffold rejected (error flag, SWE-agent's syntax-error refusal, no replacement performed) is
`applied=False`: it did not change the file. Only bounded prefixes of commands are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from trajsift.actions.shell import inline_patch
from trajsift.facts import steps as st
from trajsift.facts.tool_edits import FileOp, codex_ops, tool_ops
from trajsift.patches import parse_patch
from trajsift.schema import ActionType, Step

_T = ActionType
MAX_EDIT_CHARS = 200_000
RUN_SYNTAX_ERROR = re.compile(r'File "(?P<file>[^"]+\.py)", line \d+\s*\n(?:.*\n){0,4}?\s*(?:Syntax|Indentation)Error')
"""A SyntaxError traceback naming the broken file, in a run's output."""
SYNTAX_REFUSAL = re.compile(r"Your proposed edit has introduced new syntax error", re.I)
_REFUSALS = re.compile(
    r"No replacement was performed|did not appear verbatim|Invalid `path` parameter|"
    r"The path \S+ does not exist|already exists and is not empty|usage: edit",
    re.I,
)
_SWE_EDIT = re.compile(r"^\s*edit\s+\d+(?::\d+)?\s*\n(?P<body>.*?)(?:\n\s*end_of_edit\s*)?$", re.S)
_HEREDOC = re.compile(
    r"""cat\s+(?:>\s*(?P<f1>[^\s<>|;&]+)\s+)?<<-?\s*['"]?(?P<tag>\w+)['"]?(?:\s*>\s*(?P<f2>[^\s<>|;&]+))?[^\n]*\n"""
    r"(?P<body>.*?)\n(?P=tag)\s*(?:\n|$)",
    re.S,
)
_SED_INPLACE = re.compile(
    r"""\bsed\s+(?:-\w*\s+)*-i(?:\S*)\s+(?:-\w+\s+)*(['"])(?P<script>.*?)\1\s+(?P<file>[^\s;&|]+)""", re.S
)
_SED_SUBST = re.compile(r"s(?P<d>[/|#,@:])(?P<old>(?:\\.|(?!(?P=d)).)*)(?P=d)(?P<new>(?:\\.|(?!(?P=d)).)*)(?P=d)")
_ACR_BLOCK = re.compile(
    r"<file>(?P<file>.*?)</file>\s*<original>(?P<original>.*?)</original>\s*<patched>(?P<patched>.*?)</patched>",
    re.S,
)
_GIT_RESET = re.compile(
    r"\bgit\s+(?:checkout|restore)\b(?P<args>[^;&|\n]*)"
    r"|\bgit\s+stash\b(?!\s+(?:pop|apply|list|show|drop|branch)\b)|\bgit\s+reset\s+--hard\b"
)
GIT_STASH = re.compile(r"\bgit\s+stash\b")
"""`git stash`: a reset the agent usually undoes (`stash pop`) after comparing behaviour without its change."""


@dataclass
class Edit:
    """One step's change to one or more files (paths as written by the agent)."""

    files: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    """Lines (stripped, non-empty) the step wrote."""
    removed: list[str] = field(default_factory=list)
    """Lines the step replaced (str_replace `old_str`, write_patch `<original>`), when known."""
    fragments: list[str] = field(default_factory=list)
    """Parts of lines (a `sed` replacement): a patch line containing one counts as written."""
    reset: bool = False
    """The step reverted its files (undo, git checkout/restore); with no file, every file."""
    applied: bool = True
    syntax_refused: bool = False


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text[:MAX_EDIT_CHARS].splitlines() if line.strip()]


def step_edit(step: Step) -> Edit | None:
    """The change a step made, when its action is a change this module can read; None otherwise."""
    action = step.action
    if action.type not in st.CHANGES:
        return None
    edit = _structured(step) if action.arguments else None
    edit = edit or _swe_agent(step) or _write_patch(step) or _shell(step)
    if edit is None:
        return None
    text = step.observation.text[: st.HEAD]
    edit.syntax_refused = bool(SYNTAX_REFUSAL.search(text))
    edit.applied = not (edit.syntax_refused or st.flagged(step.observation) or _REFUSALS.search(text))
    return edit


def _structured(step: Step) -> Edit | None:
    args = step.action.arguments
    command = str(args.get("command", ""))
    path = str(args.get("path", "") or step.action.target)
    if not command:  # no editor sub-command: the arguments name the change, if anything does
        return _named_edit(step, path)
    if command == "create":
        return Edit(files=[path], written=lines_of(str(args.get("file_text", ""))), reset=True)
    if command == "str_replace":
        old, new = lines_of(str(args.get("old_str", ""))), lines_of(str(args.get("new_str", "")))
        return Edit(files=[path], written=new, removed=old)
    if command == "insert":
        return Edit(files=[path], written=lines_of(str(args.get("new_str", ""))))
    if command == "undo_edit":
        return Edit(files=[path], reset=True)
    return None


def _named_edit(step: Step, path: str) -> Edit | None:
    """Edit tools whose arguments name the change: Claude Code `Edit` / `MultiEdit` / `Write` and Codex `apply_patch`
    (`facts.tool_edits`), else any tool's `old_string` / `new_string` or a created file's `content`."""
    ops = tool_ops(step)
    if ops is not None:
        return _ops_edit(ops)
    args = step.action.arguments
    old = next((args[key] for key in ("old_string", "old_str", "oldString") if key in args), None)
    new = next((args[key] for key in ("new_string", "new_str", "newString") if key in args), None)
    if (old is not None or new is not None) and path:
        return Edit(files=[path], written=lines_of(str(new or "")), removed=lines_of(str(old or "")))
    body = args.get("content", args.get("file_text"))
    if step.action.type is _T.CREATE and isinstance(body, str) and path:
        return Edit(files=[path], written=lines_of(body), reset=True)
    return None


def _ops_edit(ops: list[FileOp]) -> Edit | None:
    """The files the operations write (a deleted one is not), the lines they add and remove; a reset when every
    one writes a whole file."""
    edit = Edit(reset=all(op.content is not None for op in ops))
    for op in ops:
        if op.delete:
            continue
        edit.files.append(op.path)
        edit.written += lines_of(op.content or "")
        for old, new, _ in op.pairs:
            edit.written += lines_of(new)
            edit.removed += lines_of(old)
        for old_lines, new_lines in op.hunks:
            kept, gone = set(new_lines), set(old_lines)
            edit.written += lines_of("\n".join(line for line in new_lines if line not in gone))
            edit.removed += lines_of("\n".join(line for line in old_lines if line not in kept))
    return edit if edit.files else None


def _swe_agent(step: Step) -> Edit | None:
    action = step.action
    if action.tool != "edit" or not action.command.lstrip().startswith("edit"):
        return None
    match = _SWE_EDIT.match(action.command[:MAX_EDIT_CHARS])
    if match is None or not action.target:
        return None
    body = re.sub(r"\n\s*end_of_edit\s*$", "", match["body"])
    return Edit(files=[action.target], written=lines_of(body))


def _write_patch(step: Step) -> Edit | None:
    if step.action.tool != "write_patch":
        return None
    edit = Edit()
    body = step.action.arguments.get("input") if isinstance(step.action.arguments, dict) else None
    text = body if isinstance(body, str) else step.action.command  # the reader records the body as `input`
    for block in _ACR_BLOCK.finditer(text[:MAX_EDIT_CHARS]):
        edit.files.append(block["file"].strip())
        original, patched = lines_of(block["original"]), lines_of(block["patched"])
        edit.written += [line for line in patched if line not in original]
        edit.removed += [line for line in original if line not in patched]
    return edit if edit.files else None


def _inline_patch(command: str) -> Edit | None:
    """The patch the command applies from its own text (`actions.shell.inline_patch`, which also makes such a
    step an edit of the file): Codex `apply_patch` bodies, `git apply` / `patch` heredoc diffs."""
    found = inline_patch(command)
    if found is None:
        return None
    kind, body = found
    if kind == "codex":
        return _ops_edit(codex_ops(body))
    diffs = [diff for diff in parse_patch(body) if not diff.is_deleted]
    if not diffs:
        return None
    written = lines_of("\n".join(line for diff in diffs for line in diff.added))
    removed = lines_of("\n".join(line for diff in diffs for line in diff.removed))
    return Edit(files=[diff.path for diff in diffs], written=written, removed=removed)


def heredoc_writes(command: str) -> list[tuple[str, str]]:
    """(file, body) of each `cat <<EOF > file` heredoc in a shell command."""
    return [(m["f1"] or m["f2"], m["body"]) for m in _HEREDOC.finditer(command) if m["f1"] or m["f2"]]


def _shell(step: Step) -> Edit | None:
    command = step.action.command[:MAX_EDIT_CHARS]
    inline = _inline_patch(command)
    if inline is not None:
        return inline
    heredoc = _HEREDOC.search(command)
    if heredoc and (heredoc["f1"] or heredoc["f2"]):
        return Edit(files=[heredoc["f1"] or heredoc["f2"]], written=lines_of(heredoc["body"]), reset=True)
    sed = _SED_INPLACE.search(command)
    if sed:
        fragments = [m["new"].replace("\\", "") for m in _SED_SUBST.finditer(sed["script"])]
        return Edit(files=[sed["file"].strip("'\"")], fragments=[f.strip() for f in fragments if len(f.strip()) >= 3])
    reset = _GIT_RESET.search(command)
    if reset:
        args = (reset.groupdict().get("args") or "").split()
        named = [arg for arg in args if st.looks_like_file(arg)]
        if named or reset["args"] is None or "." in args:  # not a branch switch
            return Edit(files=named, reset=True)
    return None
