"""A small, forgiving parser for unified diffs (`git diff` output and plain `diff -u`).

`parse_patch(text)` returns one `FileDiff` per file: paths, new/deleted/renamed/binary flags and
the added and removed lines (without their `+`/`-` marker). Hunk headers are honoured, so a removed
line that itself starts with `--` is never mistaken for a file header. Garbage never raises: lines
the parser does not understand are skipped. `is_cosmetic` and `is_scratch_file` tell a change that
does nothing (whitespace, comments, scratch scripts, binaries) from a real one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
GIT_HEADER = re.compile(r'^diff --git ("?a/.*?"?) ("?b/.*"?)$')
DEV_NULL = "/dev/null"

COMMENT_PREFIXES = {
    "hash": ("#",),
    "slash": ("//", "/*", "*", "*/"),
    "dash": ("--",),
    "percent": ("%",),
}
COMMENT_STYLE_BY_SUFFIX = {
    **dict.fromkeys((".py", ".pyi", ".sh", ".bash", ".rb", ".pl", ".r", ".yml", ".yaml", ".toml", ".cfg"), "hash"),
    **dict.fromkeys((".ini", ".txt", ".cmake", ".mk", ".dockerfile", ".pyx", ".pxd"), "hash"),
    **dict.fromkeys((".js", ".jsx", ".ts", ".tsx", ".java", ".go", ".rs", ".c", ".cc", ".cpp", ".cxx"), "slash"),
    **dict.fromkeys((".h", ".hpp", ".cs", ".kt", ".scala", ".swift", ".php", ".css", ".scss"), "slash"),
    **dict.fromkeys((".sql", ".lua", ".hs"), "dash"),
    **dict.fromkeys((".tex", ".m", ".erl"), "percent"),
}
BINARY_SUFFIXES = frozenset(
    {".db", ".sqlite", ".sqlite3", ".pyc", ".pyo", ".so", ".o", ".a", ".dll", ".dylib", ".exe", ".bin", ".pkl"}
    | {".pickle", ".npy", ".npz", ".png", ".jpg", ".jpeg", ".gif", ".pdf", ".zip", ".gz", ".tar", ".whl", ".egg"}
)
LEFTOVER_SUFFIXES = frozenset({".orig", ".rej", ".bak", ".swp", ".swo", ".log", ".tmp", ".patch", ".diff", ".out"})
SCRATCH_NAME = re.compile(
    r"^(reproduce|repro|replicate|reproduction|debug|scratch|tmp|temp|test|check|verify|validate|demo|example|"
    r"try|trial|run|sample|issue|bug|fix|my)[_\-.]?\w*\.(py|sh|txt|js|ts|rb|out|log)$",
    re.IGNORECASE,
)


@dataclass
class Hunk:
    """One `@@` hunk: the lines of the old and of the new side, context included."""

    old_start: int = 0
    new_start: int = 0
    old: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)


@dataclass
class FileDiff:
    """The change to one file. Paths are repository-relative, without the `a/` / `b/` prefix."""

    old_path: str = ""
    new_path: str = ""
    is_new: bool = False
    is_deleted: bool = False
    is_binary: bool = False
    is_rename: bool = False
    mode_changed: bool = False
    hunks: list[Hunk] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        """The file's path after the change (its old path when it was deleted)."""
        return self.old_path if self.is_deleted else (self.new_path or self.old_path)


def parse_patch(text: str) -> list[FileDiff]:
    """Every file changed by a unified diff, in order. Never raises on malformed input."""
    files: list[FileDiff] = []
    lines = text.splitlines()
    index = 0
    current: FileDiff | None = None
    while index < len(lines):
        line = lines[index]
        header = GIT_HEADER.match(line)
        if header:
            current = FileDiff(old_path=_strip_prefix(header.group(1)), new_path=_strip_prefix(header.group(2)))
            files.append(current)
        elif line.startswith("--- ") and index + 1 < len(lines) and lines[index + 1].startswith("+++ "):
            current = _plain_header(line, lines[index + 1], current, files)
            index += 1
        elif current is not None and line.startswith("@@"):
            index = _read_hunk(lines, index, current)
            continue
        elif current is not None:
            _read_extended_header(line, current)
        index += 1
    return files


def _plain_header(old_line: str, new_line: str, current: FileDiff | None, files: list[FileDiff]) -> FileDiff:
    """`--- old` / `+++ new`: completes a git header, or starts a file of a plain `diff -u`."""
    old_path = _header_path(old_line[4:])
    new_path = _header_path(new_line[4:])
    if current is None or bool(current.hunks) or current.is_binary:
        current = FileDiff(old_path=old_path, new_path=new_path)
        files.append(current)
    current.is_new = current.is_new or old_path == DEV_NULL
    current.is_deleted = current.is_deleted or new_path == DEV_NULL
    real_path = new_path if old_path == DEV_NULL else old_path
    if current.old_path in ("", DEV_NULL):
        current.old_path = real_path
    if current.new_path in ("", DEV_NULL):
        current.new_path = real_path if new_path == DEV_NULL else new_path
    return current


def _read_hunk(lines: list[str], index: int, current: FileDiff) -> int:
    """Consume one hunk starting at `lines[index]`; return the index of the first line after it."""
    match = HUNK_HEADER.match(lines[index])
    index += 1
    if not match:
        return index
    hunk = Hunk(old_start=int(match.group(1)), new_start=int(match.group(3)))
    current.hunks.append(hunk)
    old_left = int(match.group(2)) if match.group(2) is not None else 1
    new_left = int(match.group(4)) if match.group(4) is not None else 1
    while index < len(lines) and (old_left > 0 or new_left > 0):
        line = lines[index]
        marker, body = line[:1], line[1:]
        if marker == "-":
            current.removed.append(body)
            hunk.old.append(body)
            old_left -= 1
        elif marker == "+":
            current.added.append(body)
            hunk.new.append(body)
            new_left -= 1
        elif marker in (" ", ""):
            hunk.old.append(body)
            hunk.new.append(body)
            old_left, new_left = old_left - 1, new_left - 1
        elif marker != "\\":  # `\ No newline at end of file` is not content; anything else ends the hunk
            break
        index += 1
    return index


def hunk_end(lines: list[str], index: int) -> int:
    """Index after the hunk whose `@@` header is `lines[index]`, or -1 when it is not a header or the
    hunk holds fewer lines than its header promises (a diff cut short)."""
    match = HUNK_HEADER.match(lines[index])
    if not match:
        return -1
    scratch = FileDiff()
    end = _read_hunk(lines, index, scratch)
    old = int(match.group(2)) if match.group(2) is not None else 1
    new = int(match.group(4)) if match.group(4) is not None else 1
    return end if (len(scratch.hunks[0].old), len(scratch.hunks[0].new)) == (old, new) else -1


def _read_extended_header(line: str, current: FileDiff) -> None:
    if line.startswith("new file mode"):
        current.is_new = True
    elif line.startswith("deleted file mode"):
        current.is_deleted = True
    elif line.startswith(("new mode", "old mode")):
        current.mode_changed = True
    elif line.startswith("rename from "):
        current.is_rename, current.old_path = True, line[len("rename from ") :].strip()
    elif line.startswith("rename to "):
        current.is_rename, current.new_path = True, line[len("rename to ") :].strip()
    elif line.startswith("GIT binary patch") or (line.startswith("Binary files ") and line.endswith(" differ")):
        current.is_binary = True


def _header_path(raw: str) -> str:
    path = raw.split("\t", 1)[0].strip()
    return path if path == DEV_NULL else _strip_prefix(path)


def _strip_prefix(path: str) -> str:
    path = path.strip()
    if len(path) >= 2 and path[0] == path[-1] == '"':
        path = path[1:-1]
    return path[2:] if path.startswith(("a/", "b/")) else path


# --- what a change amounts to ------------------------------------------------------------


TEST_DIRS = frozenset({"tests", "test", "testing", "unittests"})
TEST_NAME = re.compile(r"^(?:test_[\w.-]*\.py|[\w.-]*_tests?\.py|tests?\.py|conftest\.py)$")


def is_test_file(path: str) -> bool:
    """A test module, conftest, or anything in (or being) a `tests/` folder (by path alone)."""
    parts = PurePosixPath(path).parts
    folder = parts[-1] in TEST_DIRS if parts and "." not in parts[-1] else False
    return bool(parts) and (folder or bool(TEST_NAME.match(parts[-1])) or any(p in TEST_DIRS for p in parts[:-1]))


def is_scratch_file(diff: FileDiff) -> bool:
    """A new top-level scratch script (`reproduce.py`, `test_fix.py`), a leftover or a binary/db file."""
    path = PurePosixPath(diff.path)
    suffix = path.suffix.lower()
    if diff.is_binary or suffix in BINARY_SUFFIXES or suffix in LEFTOVER_SUFFIXES:
        return True
    return diff.is_new and len(path.parts) == 1 and bool(SCRATCH_NAME.match(path.name))


def changes_code(diff: FileDiff) -> bool:
    """Whether any hunk changes more than whitespace and comments: each side of a hunk (context
    included, so moved lines count) is compared with blank and comment lines dropped and trailing
    whitespace ignored. Indentation is kept: it is code in Python."""
    prefixes = COMMENT_PREFIXES.get(COMMENT_STYLE_BY_SUFFIX.get(PurePosixPath(diff.path).suffix.lower(), ""), ())
    return any(_significant(h.old, prefixes) != _significant(h.new, prefixes) for h in diff.hunks)


def _significant(lines: list[str], comment_prefixes: tuple[str, ...]) -> list[str]:
    kept = []
    for line in lines:
        stripped = line.strip()
        if stripped and not (comment_prefixes and stripped.startswith(comment_prefixes)):
            kept.append(line.rstrip())
    return kept


def is_cosmetic(diff: FileDiff) -> bool:
    """True when the file's change does nothing: scratch/binary file, or only whitespace and comments.
    Deleting a real file or renaming it is never cosmetic."""
    if is_scratch_file(diff):
        return True
    if diff.is_deleted or diff.is_rename:
        return False
    return not changes_code(diff)


def is_trivial_patch(files: list[FileDiff]) -> bool:
    """A non-empty patch where no file carries a real change."""
    return bool(files) and all(is_cosmetic(diff) for diff in files)
