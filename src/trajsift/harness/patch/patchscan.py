"""Static inspection of a patch's text: everything git would act on is checked before disk is touched.

`inspect_patch` reads every header git would act on (`diff --git`, `---`/`+++`, rename/copy, modes, index,
binary sizes) and rejects: binary patches of compiled code (`.pyc`, `.so`, ...: loaded instead of the source),
absolute paths, `..` components, control characters (a CRLF header too), paths
into git metadata (`.git` in any case, NTFS/HFS/homoglyph look-alikes, `git~1`, `.gitmodules`), submodule
entries (mode 160000), unknown modes (setuid `104755`, ...), oversized patches and binaries, and symlinks
unless the link is relative, stays inside the tree, and no other file of the patch goes through it.
Hunks are consumed by their line counts, as git does, so a removed line `-- x` is never read as a header.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from trajsift import reasons
from trajsift.errors import TrajsiftError
from trajsift.patches import HUNK_HEADER

REGULAR_MODES = frozenset({"100644", "100755", "100664"})
SYMLINK_MODE = "120000"
GITLINK_MODE = "160000"
COMPILED_SUFFIXES = (".pyc", ".pyo", ".so", ".pyd", ".dylib", ".dll")
C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
# Letters that render like the ASCII ones of "git" (Cyrillic, Greek, Latin variants): a look-alike `.gіt` is refused.
CONFUSABLES = str.maketrans({"і": "i", "ı": "i", "ɪ": "i", "ι": "i", "ɡ": "g", "ց": "g", "т": "t", "τ": "t"})
GIT_METADATA = frozenset({".git", "git~1", ".gitmodules"})


@dataclass(frozen=True)
class PatchLimits:
    max_bytes: int = 10_000_000
    max_files: int = 2_000
    max_binary_bytes: int = 1_000_000


@dataclass(frozen=True)
class PatchCheck:
    ok: bool
    reason: str = ""
    detail: str = ""


ACCEPTED = PatchCheck(True)


class Rejected(TrajsiftError):
    """Internal: carries the `PatchCheck` of the first problem found."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.check = PatchCheck(False, reason, detail)


@dataclass
class Entry:
    """One file of the patch as git reads it: every path named in its headers, its modes and sizes."""

    paths: list[str] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    new_path: str = ""
    hunks: int = 0
    plain_text: bool = True
    deleted: bool = False
    symlink_target: list[str] = field(default_factory=list)


# --- paths ---------------------------------------------------------------------------------


def unquote_path(raw: str) -> str:
    """Undo git's C-style quoting (`"a/\\056\\056/x"` -> `a/../x`); unquoted text is returned as is."""
    if len(raw) < 2 or raw[0] != '"' or raw[-1] != '"':
        return raw
    body, out, index = raw[1:-1], bytearray(), 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            octal = re.match(r"[0-7]{1,3}", body[index + 1 : index + 4])
            if octal:
                out.append(int(octal.group(), 8) & 0xFF)
                index += 1 + len(octal.group())
                continue
            out += bytes([C_ESCAPES[body[index + 1]]]) if body[index + 1] in C_ESCAPES else body[index + 1].encode()
            index += 2
            continue
        out += char.encode()
        index += 1
    return out.decode("utf-8", "surrogateescape")


def is_git_metadata_name(component: str) -> bool:
    """`.git`, `.GIT`, `.git.`, `.g\u200cit`, `.gіt` (Cyrillic i), `git~1`, `.gitmodules`: all git metadata."""
    visible = "".join(char for char in component if unicodedata.category(char) != "Cf")
    folded = unicodedata.normalize("NFKC", visible).casefold().translate(CONFUSABLES).rstrip(". ")
    return folded in GIT_METADATA


def check_path(path: str) -> None:
    """Raise `Rejected` unless `path` (as written in a header, prefix included) is a plain path inside the tree."""
    if not path or any(ord(char) < 32 or ord(char) == 127 for char in path):
        raise Rejected(reasons.PATCH_MALFORMED, f"empty path or control character in path {path!r}")
    if path.startswith("/"):
        raise Rejected(reasons.PATCH_PATH_OUTSIDE_TREE, f"absolute path {path!r}")
    parts = path.split("/")
    if any(part in ("..", ".") for part in parts) or "" in parts[:-1]:
        raise Rejected(reasons.PATCH_PATH_OUTSIDE_TREE, f"path leaves the tree: {path!r}")
    if any(is_git_metadata_name(part) for part in parts):
        raise Rejected(reasons.PATCH_WRITES_GIT_DIR, f"path into git metadata: {path!r}")


def _git_header_names(rest: str) -> list[str]:
    """The two names of `diff --git A B` (quoted, symmetric `a/P b/P`, or split at ` b/`)."""
    if rest.startswith('"'):
        end = re.match(r'"(?:[^"\\]|\\.)*"', rest)
        first = end.group() if end else rest
        return [first, rest[len(first) :].strip()]
    if ' "' in rest:
        first, second = rest.split(' "', 1)
        return [first, '"' + second]
    half = (len(rest) - 1) // 2
    if rest[half : half + 1] == " " and rest[:half].split("/", 1)[-1] == rest[half + 1 :].split("/", 1)[-1]:
        return [rest[:half], rest[half + 1 :]]
    return rest.split(" b/", 1) if " b/" in rest else rest.split(" ", 1)


def _strip_prefix(path: str) -> str:
    return path.split("/", 1)[1] if "/" in path else path


# --- static inspection ----------------------------------------------------------------------


def inspect_patch(patch: str, limits: PatchLimits | None = None) -> PatchCheck:
    """Reject a patch from its text alone, before anything touches disk."""
    limits = limits or PatchLimits()
    if not patch.strip():
        return PatchCheck(False, reasons.PATCH_EMPTY, "patch is empty")
    if len(patch.encode("utf-8", "surrogateescape")) > limits.max_bytes:
        return PatchCheck(False, reasons.PATCH_TOO_LARGE, f"patch is larger than {limits.max_bytes} bytes")
    if "\0" in patch:
        return PatchCheck(False, reasons.PATCH_MALFORMED, "NUL byte in patch")
    try:
        entries = scan_patch(patch, limits)
        if not entries:
            raise Rejected(reasons.PATCH_MALFORMED, "no file headers found")
        _check_symlinks(entries)
    except Rejected as rejected:
        return rejected.check
    return ACCEPTED


def scan_patch(patch: str, limits: PatchLimits) -> list[Entry]:
    """Every file entry with every path git would read from its headers; raises `Rejected` on the first problem."""
    entries: list[Entry] = []
    lines = patch.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        current = entries[-1] if entries else None
        if line.startswith("diff --git ") or (line.startswith("--- ") and (current is None or current.hunks)):
            if len(entries) >= limits.max_files:
                raise Rejected(reasons.PATCH_TOO_LARGE, f"patch changes more than {limits.max_files} files")
            current = Entry()
            entries.append(current)
        if current is not None and line.startswith("@@"):
            index = _skip_hunk(lines, index, current)
            continue
        if current is not None:
            _read_header_line(line, current, limits)
        index += 1
    return entries


def _skip_hunk(lines: list[str], index: int, entry: Entry) -> int:
    """Consume a hunk by its line counts (as git does); a symlink's hunk gives its target."""
    match = HUNK_HEADER.match(lines[index])
    if not match:
        raise Rejected(reasons.PATCH_MALFORMED, f"bad hunk header {lines[index][:80]!r}")
    entry.hunks += 1
    old_left = int(match.group(2)) if match.group(2) is not None else 1
    new_left = int(match.group(4)) if match.group(4) is not None else 1
    index += 1
    while index < len(lines) and (old_left > 0 or new_left > 0):
        marker, body = lines[index][:1], lines[index][1:]
        if marker == "+":
            if entry.modes[-1:] == [SYMLINK_MODE]:
                entry.symlink_target.append(body)
            new_left -= 1
        elif marker == "-":
            old_left -= 1
        elif marker in (" ", ""):
            old_left, new_left = old_left - 1, new_left - 1
        elif marker != "\\":
            break
        index += 1
    return index


def _read_header_line(line: str, entry: Entry, limits: PatchLimits) -> None:
    if line.startswith("diff --git "):
        rest = line[len("diff --git ") :]
        if any(part == ".." or is_git_metadata_name(part) for part in re.split(r"[ /]", rest)):
            check_path(rest.replace(" ", "/"))
        names = [unquote_path(name.strip()) for name in _git_header_names(rest)]
        _add_paths(entry, names, strip=True)
    elif line.startswith(("--- ", "+++ ")):
        name = unquote_path(line[4:].split("\t", 1)[0].rstrip(" "))
        if name != "/dev/null":
            _add_paths(entry, [name], strip=True)
    elif line.startswith(("rename from ", "rename to ", "copy from ", "copy to ")):
        entry.plain_text = False
        _add_paths(entry, [unquote_path(line.split(" ", 2)[2].rstrip(" "))], strip=False)
    elif line.startswith(("old mode ", "new mode ", "new file mode ", "deleted file mode ", "index ")):
        mode = line.rsplit(" ", 1)[-1]
        if not line.startswith("index ") or re.fullmatch(r"\d{6}", mode):
            _add_mode(entry, mode, changed=line.startswith(("old mode", "new mode")))
            entry.deleted = entry.deleted or line.startswith("deleted file mode ")
    elif line.startswith(("literal ", "delta ")) or line.startswith("GIT binary patch"):
        entry.plain_text = False
        if entry.new_path.lower().endswith(COMPILED_SUFFIXES):  # loaded instead of (or beside) the source
            raise Rejected(reasons.PATCH_BINARY_CODE, f"binary patch of compiled code: {entry.new_path!r}")
        size = line.split(" ", 1)[1] if " " in line else ""
        if size.isdigit() and int(size) > limits.max_binary_bytes:
            raise Rejected(reasons.PATCH_BINARY_TOO_LARGE, f"binary of {size} bytes (limit {limits.max_binary_bytes})")


def _add_paths(entry: Entry, names: list[str], strip: bool) -> None:
    for name in names:
        check_path(name)
        path = _strip_prefix(name) if strip else name
        check_path(path)
        entry.paths.append(path)
        entry.new_path = path


def _add_mode(entry: Entry, mode: str, changed: bool) -> None:
    if mode == GITLINK_MODE:
        raise Rejected(reasons.PATCH_WRITES_GIT_DIR, "submodule (gitlink 160000) entry")
    if mode not in REGULAR_MODES and mode != SYMLINK_MODE:
        raise Rejected(reasons.PATCH_MALFORMED, f"unsupported file mode {mode!r}")
    entry.modes.append(mode)
    entry.plain_text = entry.plain_text and not changed and mode != SYMLINK_MODE


def _check_symlinks(entries: list[Entry]) -> None:
    """A symlink must be relative, stay inside the tree, and no other file of the patch may go through it."""
    links = [entry for entry in entries if entry.modes[-1:] == [SYMLINK_MODE] and not entry.deleted]
    for link in links:
        if len(link.symlink_target) != 1:
            raise Rejected(reasons.PATCH_SYMLINK, f"symlink {link.new_path!r} without a single-line target")
        check_link_target(link.new_path, link.symlink_target[0])
    link_paths = {link.new_path for link in links}
    for entry in entries:
        for path in entry.paths:
            through = [parent for parent in PurePosixPath(path).parents if str(parent) in link_paths]
            if through:
                raise Rejected(reasons.PATCH_SYMLINK, f"{path!r} goes through the new symlink {str(through[0])!r}")


def check_link_target(link_path: str, target: str) -> None:
    """Raise `Rejected` unless the relative `target` of the link at `link_path` resolves inside the tree."""
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(link_path), target))
    if target.startswith("/") or not target or resolved == ".." or resolved.startswith("../"):
        raise Rejected(reasons.PATCH_SYMLINK, f"symlink {link_path!r} points outside the tree: {target!r}")
    if any(is_git_metadata_name(part) for part in resolved.split("/")) or resolved == ".":
        raise Rejected(reasons.PATCH_SYMLINK, f"symlink {link_path!r} points into git metadata or the root")
