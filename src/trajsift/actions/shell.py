"""Shell-command side of action classification: split a command, classify each segment, pick the strongest.

Used by `trajsift.actions.classify`; see its docstring for the rules. Commands are split by regex (no `shlex` parsing;
`shlex.join` only quotes an argv back) and bounded by `SCAN_LIMIT` characters of non-heredoc text.
"""

from __future__ import annotations

import re
import shlex
from functools import lru_cache

from trajsift.actions import programs
from trajsift.actions.tables import Classification, normalise_path, strip_prefixes
from trajsift.schema import ActionType

SCAN_LIMIT = 4096
_T = ActionType
RANK = {
    _T.OTHER: 0,
    _T.THINK: 0,
    _T.READ: 2,
    _T.SEARCH: 3,
    _T.RUN_COMMAND: 4,
    _T.CREATE: 5,
    _T.EDIT: 6,
    _T.RUN_TESTS: 7,
    _T.GIVE_UP: 8,
    _T.SUBMIT: 9,
}
SETUP_RANK = 1
SHELLS = frozenset({"bash", "sh", "zsh", "dash"})
SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "\n", "|&"})


_TOKEN = re.compile(
    r"""'[^']*'?|"(?:[^"\\]|\\.)*"?|\\.|&&|\|\||\|&|<<-?|[;|&\n]|(?:[^'"\\;|&\n<]|&>|(?<=>)&)+|<""", re.S
)
_HEREDOC_DELIMITER = re.compile(r"""[ \t]*(['"]?)([A-Za-z_][\w.-]*)\1""")
_WORD = re.compile(r"""(?:'[^']*'?|"(?:[^"\\]|\\.)*"?|\\.|[^\s'"\\])+""", re.S)
_QUOTED = re.compile(r"""'([^']*)'?|"((?:[^"\\]|\\.)*)"?|\\(.)""", re.S)
_SWE_EDIT = re.compile(r"\s*(?:edit(?:[ \t]+[^\n]*)?|\d+:\d+)[ \t]*(?:\n|$)")
_PLAN = re.compile(r"\s*plan\s*\n\s*[{\[]")
_PYTHON_CODE = re.compile(
    r"""\s*(?:import\s+[\w.]|from\s+[\w.]+\s+import\b|def\s+\w+\s*\(|class\s+\w+\s*[:(]|@\w|try:|except\b|assert\s
    |(?:if|elif|for|while|with)\s[^\n]*:[ \t]*(?:\n|$)|else:|return\b|print\(|[\w.\[\]]+(?:\s*,\s*[\w.]+)*\s+=\s+\S)""",
    re.X,
)
_SUBMIT_SENTINEL = re.compile(r"\becho\s+['\"]?(?:COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT|MINI_SWE_AGENT_FINAL_OUTPUT)")
_API_CALL = re.compile(r"\s*((?:search|get)_\w+)\((.*)\)\s*$", re.S)
_API_ARGUMENT = re.compile(r"""'([^']*)'|"([^"]*)"|(\d+)""")
_REDIRECT = re.compile(r"(\d?|&)(>>?|>\|)(.*)", re.S)
PATCH_BODY_FILE = re.compile(r"^\*\*\* (?:Update|Add|Delete) File: ([^\n]+?)[ \t]*$|^\+\+\+ (?:b/)?([^\s]+)", re.M)
"""The files a patch in a command's own text names: Codex `*** Update File: P` lines, unified-diff `+++ b/P`."""
CODEX_BEGIN = "*** Begin Patch"
_APPLY_PATCH = re.compile(r"(?:^|[\s;&|(])apply_patch\b")
_APPLIES_DIFF = re.compile(r"\bgit\s+apply\b|(?:^|[\s;&|(])patch\b")


def classify_shell(text: str) -> Classification:
    """Classify a whole (possibly compound, multi-line) command."""
    if not text or text.isspace():
        return Classification(_T.THINK)
    head = text[:SCAN_LIMIT]
    if _SWE_EDIT.match(head):  # also malformed edits (`edit 62`, a bare `1:1` range): the intent is an edit
        return Classification(_T.EDIT, "edit")
    if _PLAN.match(head):  # CodeR's Manager posting a plan
        return Classification(_T.THINK, "plan")
    if _PYTHON_CODE.match(head):  # Python source pasted where a command was expected
        return Classification(_T.OTHER, "python-code")
    if _SUBMIT_SENTINEL.search(head):
        return Classification(_T.SUBMIT, "echo")
    api = _API_CALL.match(head)
    if api and "\n" not in api.group(2):
        return _api_call(api.group(1), api.group(2))
    best_rank, best = -1, Classification(_T.THINK)
    for segment in split_segments(text):
        rank, verdict = classify_segment(segment)
        # the first segment of the strongest rank wins, unless it has no target and a later one has
        if rank > best_rank or (rank == best_rank and verdict.target and not best.target):
            best_rank, best = rank, verdict
    return _inline_patch(text, best)


def inline_patch(text: str) -> tuple[str, str] | None:
    """The patch a command applies from its own text, as (kind, body): `codex` for Codex's `apply_patch` with its
    `*** Begin Patch` body (an argument or a heredoc), `diff` for `git apply` / `patch` reading a heredoc diff."""
    if CODEX_BEGIN in text and _APPLY_PATCH.search(text):
        return "codex", text[text.index(CODEX_BEGIN) :]
    if "<<" in text and "\n+++ " in text and _APPLIES_DIFF.search(text):
        return "diff", text[text.index("<<") :]
    return None


def _inline_patch(text: str, best: Classification) -> Classification:
    """A command applying a patch from its own text (`inline_patch`) edits the first file the patch names."""
    if best.type in (_T.RUN_TESTS, _T.SUBMIT, _T.GIVE_UP) or (
        best.target and not best.target.endswith((".patch", ".diff"))
    ):
        return best
    found = inline_patch(text)
    if found is None or (found[0] == "diff" and (best.type is not _T.EDIT or best.program not in ("git", "patch"))):
        return best
    named = next((a or b for a, b in PATCH_BODY_FILE.findall(found[1]) if (a or b) != "/dev/null"), "")
    if not named:
        return best
    return Classification(_T.EDIT, "apply_patch" if found[0] == "codex" else best.program, normalise_path(named))


def split_segments(text: str, limit: int = SCAN_LIMIT) -> list[str]:
    """Split on `&&`, `||`, `;`, `|`, `&` and newlines outside quotes, skipping heredoc bodies."""
    segments: list[str] = []
    current: list[str] = []
    delimiters: list[str] = []
    pos, size, budget = 0, len(text), limit
    while pos < size and pos < budget:
        match = _TOKEN.match(text, pos, budget)
        token = match.group() if match else text[pos]
        pos = match.end() if match else pos + 1
        if token in SEPARATORS:
            _flush(segments, current)
            if token == "\n" and delimiters:
                body_end = _skip_heredocs(text, pos, delimiters)
                budget += body_end - pos
                pos, delimiters = body_end, []
            continue
        if token.startswith("<<"):
            delimiter = _HEREDOC_DELIMITER.match(text, pos)
            if delimiter:
                delimiters.append(delimiter.group(2))
        current.append(token)
    if pos < size and segments:  # cut at the scan limit: the last segment is incomplete
        current.clear()
    _flush(segments, current)
    return segments


def _flush(segments: list[str], current: list[str]) -> None:
    segment = "".join(current).strip()
    if segment:
        segments.append(segment)
    current.clear()


def _skip_heredocs(text: str, pos: int, delimiters: list[str]) -> int:
    for delimiter in delimiters:
        end = _heredoc_end(delimiter).search(text, pos)
        if end is None:
            return len(text)
        pos = end.end()
    return pos


@lru_cache(maxsize=64)
def _heredoc_end(delimiter: str) -> re.Pattern[str]:
    return re.compile(r"^[ \t]*" + re.escape(delimiter) + r"[ \t\r]*$", re.M)


def classify_segment(segment: str) -> tuple[int, Classification]:
    """Rank and verdict of one simple command (prefixes dropped, redirects separated)."""
    if segment.startswith("#"):
        return -1, Classification(_T.THINK)
    if segment[0] in "({" or segment[-1] in ")}":  # subshells and groups: `(cd x && pytest)`
        segment = segment.lstrip("({ \t").rstrip(")} \t") or segment
    words, writes = _words_and_writes(segment.replace("\\\n", " ") if "\\\n" in segment else segment)
    words = strip_prefixes(words)
    if not words:
        return (SETUP_RANK, Classification(_T.RUN_COMMAND)) if writes else (-1, Classification(_T.THINK))
    script = shell_script(words)
    if script is not None:  # `bash -lc 'cd x && pytest'`
        inner = classify_shell(script)
        return RANK[inner.type], inner
    verdict, is_setup = programs.classify_words(words, writes)
    return (SETUP_RANK if is_setup else RANK[verdict.type]), verdict


def argv_command(argv: list) -> str:
    """A shell command from an argv list (`["bash", "-lc", "cd x && pytest"]` is its script)."""
    words = [str(word) for word in argv]
    script = shell_script(words)
    return script if script is not None else shlex.join(words)


def shell_script(words: list[str]) -> str | None:
    """The script of a `bash -c SCRIPT` argv (`-lc`, `-ic`, `/bin/sh` too), or None for any other command."""
    if len(words) > 2 and words[0].rsplit("/", 1)[-1] in SHELLS and words[1] in ("-c", "-lc", "-ic"):
        return words[2]
    return None


def _words_and_writes(segment: str) -> tuple[list[str], list[tuple[str, bool]]]:
    """Unquoted words, with stdout redirect targets pulled out as `(path, append)` and comments dropped."""
    raw = _WORD.findall(segment)
    words: list[str] = []
    writes: list[tuple[str, bool]] = []
    index = 0
    while index < len(raw):
        word = raw[index]
        index += 1
        if word.startswith("#"):
            break
        if word[0] in "<>&" or (word[0].isdigit() and ">" in word[:3]):
            index = _take_redirect(word, raw, index, writes)
            continue
        words.append(_unquote(word) if ("'" in word or '"' in word or "\\" in word) else word)
    return words, writes


def _take_redirect(word: str, raw: list[str], index: int, writes: list[tuple[str, bool]]) -> int:
    redirect = _REDIRECT.fullmatch(word)
    if redirect is None:  # input redirect or heredoc marker: drop it and its operand
        bare = word.lstrip("<-")
        return index + 1 if not bare and index < len(raw) else index
    fd, operator, operand = redirect.groups()
    if not operand and index < len(raw):
        operand, index = raw[index], index + 1
    if fd in ("", "1", "&") and not operand.startswith("&") and operand != "/dev/null":
        writes.append((_unquote(operand), operator == ">>"))
    return index


def _unquote(word: str) -> str:
    return _QUOTED.sub(lambda m: m.group(1) or m.group(2) or m.group(3) or "", word)


def _api_call(name: str, argument_text: str) -> Classification:
    """AutoCodeRover-style API call: `search_method_in_file("m", "a/b.py")`, `get_code_around_line(...)`."""
    values = [a or b or c for a, b, c in _API_ARGUMENT.findall(argument_text)]
    kind = _T.READ if name.startswith("get_") else _T.SEARCH
    target = values[-1] if name.endswith("_in_file") and values else (values[0] if values else "")
    if name == "get_code_around_line" and values:
        target = values[0]
    return Classification(kind, name, normalise_path(target))


def runs_after_change(command: str) -> bool:
    """A compound command that changes a file and then runs something (`cat <<EOF > repro.py ... EOF` then
    `python repro.py`; `sed -i ... && pytest`): one step that is both an edit and an execution, in that order.
    An editor command's body (SWE-agent `edit`) is text, not commands."""
    if not command or _SWE_EDIT.match(command[:SCAN_LIMIT]):
        return False
    kinds = [classify_segment(segment)[1].type for segment in split_segments(command)]
    changed = False
    for kind in kinds:
        if changed and kind in (_T.RUN_TESTS, _T.RUN_COMMAND):
            return True
        changed = changed or kind in (_T.EDIT, _T.CREATE)
    return False
