"""Classify raw agent actions (bash lines, SWE-agent commands, tool calls) into an `ActionType`.

Rules, fixed and documented (the shell side lives in `shell`, `programs` and `tables`):
- A compound command (`&&`, `||`, `;`, `|`, `&`, newlines; quotes and heredoc bodies respected) is split
  into segments; each is classified on its own and the strongest intent wins, by rank
  (submit > give_up > run_tests > edit > create > run_command > search > read > setup > other/think).
  Setup segments (`cd`, `source`, `export`, bare `echo`, ...) are `run_command` but rank lowest, so
  `cd repo && pytest` is run_tests and `cat a && echo --- && cat b` stays read. Among equals the first
  segment wins unless only a later one names a target (`chmod +x r.sh && ./r.sh` -> `r.sh`).
- Prefixes are dropped before looking at the program: env assignments, `env`, `timeout N`, `time`,
  `sudo`, `nohup`, `nice`, `xargs`, shell keywords (`if`, `then`, `do`).
- Redirect writes by content producers (`cat > f <<EOF`, `echo x > f`, `printf`, `tee f`) are
  `create`; appending (`>>`, `tee -a`) is `edit`. A redirect from any other program (`python x.py > log`)
  does not change its type.
- Read-only inspection is `read`: `git status/diff/show/log`, `ls`, `pwd`, `wc`, `sed -n`, `awk`.
  Changing the work tree is `edit`: `sed -i`, `perl -pi`, `patch`, `git apply/checkout/restore/reset/stash`,
  `rm`, `mv`, `find -delete`; `touch`, `mkdir`, `cp` are `create`.
- Tests: test runners (`pytest`, `tox`, `python -m unittest`, `manage.py test`, `make test`, `go test`, ...),
  `python -c` code calling `x.test(` / `pytest.main(`, and running a test-named script (`runtests.py`,
  `bin/test`, `test_*.py`, `*_test.py`) directly or through python.
- Only explicit give-up commands or tools are `give_up` (`exit_forfeit`, `give_up`); a scaffold's exit
  status such as `exit_cost` is `other`. CodeR's `succeed` / `fail` end the acting sub-agent's part
  (`Step.agent`) and map to submit / give_up; use the final state for the trajectory's outcome.
- Not a command at all (Python source or an English sentence pasted as the action, web look-ups) is `other`.
- An empty action, or one that is only `#` comments, is `think`.
Only the first `SCAN_LIMIT` characters of a command are examined (heredoc bodies are skipped, not counted).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import msgspec

from trajsift.actions.shell import SCAN_LIMIT, argv_command, classify_shell
from trajsift.actions.tables import EDITOR_SUBCOMMANDS, Classification, normalise_path
from trajsift.actions.tables import FIXED as COMMAND_TYPES
from trajsift.schema import Action, ActionType

__all__ = ["classify_command", "classify_tool_call", "SCAN_LIMIT"]

_T = ActionType
EDITOR_TOOLS = frozenset({"str_replace_editor", "str_replace_based_edit_tool", "text_editor", "file_editor", "editor"})
SHELL_TOOLS = frozenset(
    {"bash", "execute_bash", "run_shell", "shell", "terminal", "run_command", "execute_command", "cmd", "run"}
    | {"shell_command", "exec_command", "local_shell"}  # Codex CLI
)
FIXED_TOOLS = {
    "finish": _T.SUBMIT,
    "submit": _T.SUBMIT,
    "agentfinishaction": _T.SUBMIT,
    "task_complete": _T.SUBMIT,
    "complete_task": _T.SUBMIT,
    "attempt_completion": _T.SUBMIT,  # Cline / Roo Code
    "give_up": _T.GIVE_UP,
    "exit_forfeit": _T.GIVE_UP,
    "forfeit": _T.GIVE_UP,
    "reject": _T.GIVE_UP,  # Moatless: the agent rejects the task
    "think": _T.THINK,
    "todowrite": _T.THINK,
    "execute_ipython_cell": _T.RUN_COMMAND,
    "ipython": _T.RUN_COMMAND,
    "python": _T.RUN_COMMAND,
    "read_file": _T.READ,
    "view_file": _T.READ,
    "open_file": _T.READ,
    "read": _T.READ,
    "ls": _T.READ,
    "list_dir": _T.READ,
    "list_directory": _T.READ,
    "read_many_files": _T.READ,
    "viewcode": _T.READ,
    "write_file": _T.CREATE,
    "create_file": _T.CREATE,
    "write": _T.CREATE,
    "edit": _T.EDIT,
    "edit_file": _T.EDIT,
    "llm_based_edit": _T.EDIT,
    "multiedit": _T.EDIT,
    "notebookedit": _T.EDIT,
    "apply_patch": _T.EDIT,
    "write_patch": _T.EDIT,
    "insert": _T.EDIT,
    "grep": _T.SEARCH,
    "glob": _T.SEARCH,
    "search": _T.SEARCH,
    "file_search": _T.SEARCH,
    "codebase_search": _T.SEARCH,
    "findclass": _T.SEARCH,
    "findfunction": _T.SEARCH,
    "findcodesnippet": _T.SEARCH,
    "run_tests": _T.RUN_TESTS,
    "runtests": _T.RUN_TESTS,
    "web_read": _T.OTHER,
    "task": _T.OTHER,
    "delegate": _T.OTHER,
    "browser": _T.OTHER,
    "web_search": _T.OTHER,
    "webfetch": _T.OTHER,
    "websearch": _T.OTHER,
}
PATH_KEYS = (
    *("path", "file_path", "file", "filename", "file_name", "target_file", "notebook_path"),
    *("filePath", "absolute_path"),  # OpenCode, Gemini CLI
)
COMMAND_KEYS = ("command", "cmd", "script", "code", "input", "keystrokes")
_API_TOOL = re.compile(r"(?:search_|get_code_around_line|get_class_|get_method_)")
_TOOL_PREFIX = re.compile(r"^(?:functions\.|mcp__\w+?__)")


def classify_command(command: str | None, tool: str = "") -> Action:
    """Classify one raw bash line or SWE-agent command; `tool` is the scaffold's tool name, if any."""
    text = command if isinstance(command, str) else ""
    verdict = _classify_cached(text) if len(text) <= SCAN_LIMIT else classify_shell(text)
    return Action(type=verdict.type, tool=tool or verdict.program, command=text, target=verdict.target)


@lru_cache(maxsize=8192)
def _classify_cached(text: str) -> Classification:
    return classify_shell(text)


def classify_tool_call(tool: str | None, arguments: Any) -> Action:
    """Classify one structured tool call; `arguments` is kept raw (a JSON string is decoded)."""
    raw_tool = tool if isinstance(tool, str) else ""
    args = _as_arguments(arguments)
    name = _TOOL_PREFIX.sub("", raw_tool.strip()).lower()
    if name in EDITOR_TOOLS:
        return _editor_call(raw_tool, args)
    command = _command_text(args)
    known = name in FIXED_TOOLS or name in COMMAND_TYPES
    if name in SHELL_TOOLS or (command and not known and not any(key in args for key in PATH_KEYS)):
        action = classify_command(command, raw_tool)
        action.arguments = args
        return action
    if _API_TOOL.match(name):  # AutoCodeRover: `search_method_in_file(method_name, file_name)`
        kind = _T.READ if name.startswith("get_") else _T.SEARCH
        target = _first_text(args, PATH_KEYS) or next((v for v in args.values() if isinstance(v, str)), "")
        return Action(type=kind, tool=raw_tool, command=_render_call(raw_tool, args), arguments=args, target=target)
    kind = FIXED_TOOLS.get(name) or COMMAND_TYPES.get(name)  # SWE-agent 1.x tools: `open`, `create`, `find_file`
    if kind is None:
        kind = _infer_from_arguments(args)
    target = _first_text(args, PATH_KEYS)
    if not target and kind is _T.SEARCH:
        target = _first_text(args, ("pattern", "query", "search_term", "regex"))
    return Action(
        type=kind, tool=raw_tool, command=_render(raw_tool, args), arguments=args, target=_normalise_path(target)
    )


def _editor_call(tool: str, args: dict[str, Any]) -> Action:
    sub = _first_text(args, ("command", "action", "operation")).strip()
    kind = EDITOR_SUBCOMMANDS.get(sub)
    if kind is None:
        kind = _infer_from_arguments(args)
    path = _normalise_path(_first_text(args, PATH_KEYS))
    return Action(type=kind, tool=tool, command=_render(tool, args), arguments=args, target=path)


def _infer_from_arguments(args: dict[str, Any]) -> ActionType:
    keys = args.keys()
    has_path = any(key in keys for key in PATH_KEYS)
    if has_path and any(key in keys for key in ("old_str", "old_string", "new_str", "new_string", "edits", "diff")):
        return _T.EDIT
    if has_path and any(key in keys for key in ("file_text", "content", "contents", "text")):
        return _T.CREATE
    if any(key in keys for key in ("pattern", "query", "regex", "search_term")):
        return _T.SEARCH
    if has_path:
        return _T.READ
    if "thought" in keys and len(args) == 1:
        return _T.THINK
    return _T.OTHER


def _as_arguments(arguments: Any) -> dict[str, Any]:
    """The call's arguments as a dict: JSON text is decoded; anything else is kept under `input`."""
    if isinstance(arguments, dict):
        return arguments
    if isinstance(arguments, str):
        try:
            decoded = msgspec.json.decode(arguments)
        except msgspec.DecodeError:
            return {"input": arguments}
        return decoded if isinstance(decoded, dict) else {"input": arguments}
    return {} if arguments is None else {"input": arguments}


def _command_text(args: dict[str, Any]) -> str:
    """The call's command: a text, or an argv list (`["bash", "-lc", "pytest"]`, as Codex sends it)."""
    for key in COMMAND_KEYS:
        value = args.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, list) and value and all(isinstance(word, str) for word in value):
            return argv_command(value)
    return ""


def _first_text(args: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = args.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _render(tool: str, args: dict[str, Any]) -> str:
    """The call as short text: tool name plus its short scalar arguments (no file bodies)."""
    parts = [tool]
    for key in ("command", "action", *PATH_KEYS, "pattern", "query", "view_range", "message"):
        value = args.get(key)
        if isinstance(value, (str, int, float, list)) and value != "" and len(str(value)) <= 200:
            parts.append(str(value))
    return " ".join(parts)


def _render_call(name: str, args: dict[str, Any]) -> str:
    values = ", ".join(repr(value) for value in args.values() if isinstance(value, (str, int)))
    return f"{name}({values})"


def _normalise_path(path: str) -> str:
    return normalise_path(path.strip().strip("'\""))
