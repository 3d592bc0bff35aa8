"""Steps that change files by running code: a script the run wrote, or inline Python, that writes files.

Bash-only agents often edit through a program instead of an editor: `cat <<'EOF' > fix_it.py` (a script that
opens `pkg/module.py`, replaces a block and writes it back), then `python fix_it.py`; or `python - <<'EOF' ...`
and `python -c "..."` doing the same inline. The change happens when the code runs, not when the script is
written. `code_writes(steps)` maps the index of each step that runs such code to the code's text, so a check can
tell which files it names (`names_file`). Only bounded prefixes of commands and scripts are read.
"""

from __future__ import annotations

import re

from trajsift.facts import steps as st
from trajsift.facts.edits import MAX_EDIT_CHARS, heredoc_writes
from trajsift.schema import ActionType, Step

WRITE_CALL = re.compile(
    r"\.write(?:lines)?\(|\bwrite_(?:text|bytes)\(|\bopen\([^)\n]{0,300}?['\"](?:r\+|[wa]\+?)b?['\"]|"
    r"\bos\.(?:replace|rename)\(|\bshutil\.(?:move|copy2?|copyfile)\(|\bfileinput\.input\([^)\n]*inplace"
)
"""Code that writes or replaces a file."""
RUN_SCRIPT = re.compile(r"\bpython[\d.]*\s+(?:-[uBOIsS]+\s+)*([\w./-]+\.py)\b")
INLINE_CODE = re.compile(r"\bpython[\d.]*\s+(?:-[uBOIsS]+\s+)*(?:-c\s|-\s*<<|<<)")
CREATED = frozenset({ActionType.CREATE, ActionType.EDIT})


def code_writes(steps: list[Step]) -> dict[int, str]:
    """Index -> code text of each step that runs code writing files: inline Python with a write call, or a
    `python script.py` whose script, as the run last wrote it, has one."""
    scripts: dict[str, str] = {}
    found: dict[int, str] = {}
    for index, step in enumerate(steps):
        command = step.action.command[:MAX_EDIT_CHARS]
        if step.action.type in CREATED:
            scripts.update(_created_scripts(step, command))
        if step.action.type in st.LOOKS or "python" not in command:
            continue
        code = command if INLINE_CODE.search(command) and WRITE_CALL.search(command) else ""
        for script in RUN_SCRIPT.findall(command):
            text = scripts.get(st.base_name(script), "")
            code += "\n" + text if WRITE_CALL.search(text) else ""
        if code:
            found[index] = code
    return found


def names_file(code: str, name: str) -> bool:
    """Whether the code names a file of base name `name` (`core.py` in `'pkg/core.py'`, not in `score.py`)."""
    return name in code and re.search(r"(?<![\w.-])" + re.escape(name), code) is not None


def _created_scripts(step: Step, command: str) -> dict[str, str]:
    """Python scripts a step wrote (heredocs, an editor's `file_text`), by base name."""
    written = dict(heredoc_writes(command))
    text = step.action.arguments.get("file_text")
    if isinstance(text, str) and step.action.target:
        written[step.action.target] = text[:MAX_EDIT_CHARS]
    return {st.base_name(path): body for path, body in written.items() if path.endswith(".py")}
