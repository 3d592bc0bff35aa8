"""The file state a replay builds: base files, the run's writes, and the shell file operations it can follow.

Paths are absolute and normalised; the repository root is found by matching the editor's paths against
the base commit's files (`/workspace/django__django__3.0/django/db/x.py` → root `/workspace/django__django__3.0`).
Files outside the root (scratch files in the workspace) are tracked too, so `mv /workspace/repro.py <root>/`
lands in the patch. Shell segments that write are followed only for `cd`, `rm`, `mv`, `cp`, `mkdir` and
`touch` with literal paths; any other write (`sed -i`, `cat > f`, `git checkout`, Python writing a file)
raises `UnreplayableError` with a reason, as do globs, unknown working directories and unparsable commands.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections import Counter
from collections.abc import Callable, Iterable

from trajsift.errors import TrajsiftError
from trajsift.readers.recover import PYTHON_WRITE, python_code, segment_writes, shell_segments
from trajsift.schema import Step

GLOB = frozenset("*?[]{}~$`")


class UnreplayableError(TrajsiftError):
    """The run changed files in a way a replay cannot follow; the message is the reason."""


class ShellReplay:
    """Files by absolute path: their current text (None = deleted) and the editor's undo history."""

    def __init__(self, read_base: Callable[[str], str | None], base_paths: set[str], named: list[tuple[str, int]]):
        self.read_base, self.base_paths = read_base, base_paths
        self.base_dirs = {posixpath.dirname(p) for p in base_paths}
        self.base_dirs |= {d for p in list(self.base_dirs) for d in _parents(p)}
        self.root = _find_root(named, base_paths, self.base_dirs)
        self.files: dict[str, str | None] = {}
        self.history: dict[str, list[str | None]] = {}
        self.cwd: str | None = None
        self.made_dirs: set[str] = set()

    def resolve(self, path: str) -> str | None:
        """The absolute path a step names (relative ones against the working directory)."""
        if not path:
            return None
        if not path.startswith("/"):
            if self.cwd is None:
                raise UnreplayableError("unknown_working_directory")
            path = posixpath.join(self.cwd, path)
        return posixpath.normpath(path)

    def relative(self, path: str) -> str | None:
        """The repository path of an absolute path, None outside the root."""
        if self.root is None:
            raise UnreplayableError("repository_root_unknown")
        if path == self.root:
            return ""
        if not path.startswith(self.root.rstrip("/") + "/"):
            return None
        return path[len(self.root.rstrip("/")) + 1 :]

    def content(self, path: str) -> str | None:
        if path in self.files:
            return self.files[path]
        relative = self.relative(path)
        return self.read_base(relative) if relative is not None else None

    def write(self, path: str, text: str | None, editor: bool = True) -> None:
        if editor:
            self.history.setdefault(path, []).append(self.content(path))
        self.files[path] = text

    def undo(self, path: str) -> None:
        if not self.history.get(path):
            raise UnreplayableError("undo_without_edit")
        self.files[path] = self.history[path].pop()

    def touched(self) -> dict[str, str]:
        """Repository paths the run wrote, with their absolute paths."""
        return {r: p for p, r in ((p, self.relative(p)) for p in self.files) if r}

    def run_shell(self, step: Step) -> None:
        code = python_code(step)
        if code and PYTHON_WRITE.search(code):
            raise UnreplayableError("python_write")
        for segment in shell_segments(step):
            self._segment(segment)

    def _segment(self, segment: str) -> None:
        segment = segment.replace("\\\n", " ")
        try:
            words = shlex.split(segment, comments=False)
        except ValueError as error:
            if segment_writes(segment) or segment.lstrip().startswith("cd"):
                raise UnreplayableError("unparsable_shell") from error
            return
        while words and "=" in words[0] and not words[0].startswith("="):
            words = words[1:]
        if not words:
            return
        program, arguments = words[0], [w for w in words[1:] if not w.startswith("-")]
        if program == "cd":
            self.cwd = self.resolve(arguments[0]) if arguments and not GLOB & set(arguments[0]) else None
            return
        handlers = {"rm": self._remove, "mv": self._move, "cp": self._copy, "touch": self._touch, "mkdir": self._mkdir}
        handler = handlers.get(program)
        if handler is None:
            if segment_writes(segment):
                raise UnreplayableError(f"shell_write:{program[:40]}")
            return
        if ">" in segment:
            raise UnreplayableError(f"shell_pattern:{program}")
        if program == "rm":
            arguments = [word for word in arguments if not self._removes_nothing_known(word)]
        if any(GLOB & set(word) for word in arguments):
            raise UnreplayableError(f"shell_pattern:{program}")
        handler([(self.resolve(word) or "") + ("/" if word.endswith("/") else "") for word in arguments])

    def _removes_nothing_known(self, word: str) -> bool:
        """A pattern `rm` whose fixed part lies outside the repository or holds no file the replay knows
        (`rm -rf build/*`, `rm -rf ~/.cache/x`): it cannot change the patch."""
        if not GLOB & set(word):
            return False
        if word.startswith(("~", "$")):
            return True
        fixed = re.split(r"[*?\[{]", word, maxsplit=1)[0]
        folder = self.resolve(posixpath.dirname(fixed) or ".")
        return folder is not None and (self.relative(folder) is None or not self._files_under(folder))

    def _files_under(self, path: str) -> list[str]:
        """The files at `path`: itself, or every file below it when it is a directory."""
        if self.content(path) is not None:
            return [path]
        prefix = path.rstrip("/") + "/"
        relative = self.relative(path)
        known = {p for p, text in self.files.items() if p.startswith(prefix) and text is not None}
        if relative is not None and self.root is not None:
            base_prefix = relative + "/" if relative else ""
            known |= {posixpath.join(self.root, p) for p in self.base_paths if p.startswith(base_prefix)}
        return sorted(p for p in known if self.content(p) is not None)

    def _is_dir(self, path: str) -> bool:
        if self.content(path) is not None:
            return False
        relative = self.relative(path)
        known_dir = path in self.made_dirs or (relative is not None and relative in self.base_dirs)
        return known_dir or bool(self._files_under(path))

    def _remove(self, paths: list[str]) -> None:
        for path in paths:
            for file in self._files_under(path):
                self.write(file, None, editor=False)

    def _mkdir(self, paths: list[str]) -> None:
        self.made_dirs.update(path.rstrip("/") for path in paths)

    def _touch(self, paths: list[str]) -> None:
        for path in paths:
            if self.content(path) is None:
                self.write(path, "", editor=False)

    def _transfer(self, paths: list[str], delete_source: bool) -> None:
        if len(paths) < 2:
            raise UnreplayableError("shell_arguments")
        *sources, raw_target = paths
        target = raw_target.rstrip("/") or "/"
        into_dir = len(sources) > 1 or self._is_dir(target) or raw_target.endswith("/")
        for source in sources:
            destination = posixpath.join(target, posixpath.basename(source)) if into_dir else target
            files = self._files_under(source)
            if not files:
                raise UnreplayableError("missing_source")
            for file in files:
                moved = destination + file[len(source) :] if file != source else destination
                text = self.content(file)
                self.write(moved, text, editor=False)
                if delete_source:
                    self.write(file, None, editor=False)

    def _move(self, paths: list[str]) -> None:
        self._transfer(paths, delete_source=True)

    def _copy(self, paths: list[str]) -> None:
        self._transfer(paths, delete_source=False)


def _parents(path: str) -> list[str]:
    parents = []
    while path:
        path = posixpath.dirname(path)
        parents.append(path)
    return parents


def _find_root(paths: list[tuple[str, int]], base_paths: set[str], base_dirs: set[str]) -> str | None:
    """The directory the repository sits in: the prefix under which the run's paths (with their weights)
    best match the base commit's files and folders, deeper matches counting more."""
    votes: Counter[str] = Counter()
    dirs = base_dirs - {""}
    for path, weight in paths:
        parts = posixpath.normpath(path).strip("/").split("/")
        for cut in range(1, len(parts)):
            rest = "/".join(parts[cut:])
            if rest in base_paths or rest in dirs or posixpath.dirname(rest) in dirs:
                depth = len(parts) - cut  # a deeper match is stronger evidence than a bare file name
                votes["/" + "/".join(parts[:cut])] += weight * depth * (2 if rest in base_paths else 1)
                break
    for path, weight in paths:  # the root named itself (`cd <root>`) breaks ties between copies
        if posixpath.normpath(path) in votes:
            votes[posixpath.normpath(path)] += weight
    if not votes:
        return None
    return max(votes.items(), key=lambda item: (item[1], -len(item[0])))[0]


def root_candidates(steps: Iterable[Step], editor_paths: Iterable[str]) -> list[tuple[str, int]]:
    """Absolute paths the run named: editor paths (weight 3) and absolute words of its shell commands."""
    found = [(p, 3) for p in editor_paths if p.startswith("/")]
    for step in steps:
        for segment in shell_segments(step):
            try:
                words = shlex.split(segment)
            except ValueError:
                continue
            found += [(w, 1) for w in words if w.startswith("/") and not GLOB & set(w)]
    return found
