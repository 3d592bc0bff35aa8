"""Compiled extensions built once per environment and build inputs, and copied into every later work tree.

A repository with C / C++ / Cython sources (astropy, scikit-learn, matplotlib) is built on the base tree, before
any patch code exists: the files the build adds (extension modules, generated C, generated version files) are
stored under `cache_dir/builds/<key>`, where the key hashes the environment's fingerprint and the content of every
build input (C, C++, Cython, Fortran files, `setup.py`, `setup.cfg`, `pyproject.toml`, `setup_package.py`). A later
work tree with the same key gets copies (never hard links: a test or a patch could write through a link into the
cache) with a fresh mtime, so the in-place build step that follows finds every extension up to date. When the
patch or the test patch changes a build input, the key changes: the base tree's outputs are removed from the work
tree and the install step rebuilds from scratch (the evidence says so).
Only builds of the unpatched base tree are stored; bytecode is not kept. `build/` is: a PEP 660 editable install
builds there and copies into the tree, so its up-to-date checks look at `build/`, not at the tree's copies.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from trajsift.harness.patch.git import git_checked

BUILD_INPUT = re.compile(
    r"\.(c|h|cc|cpp|cxx|hpp|pyx|pxd|pxi|f|f90)$|(^|/)(setup\.py|setup\.cfg|pyproject\.toml|setup_package\.py)$"
)
COMPILED_SOURCE = re.compile(r"\.(c|cc|cpp|cxx|pyx)$")
NOT_STORED = (".eggs/", ".git/")
MAX_STORED_BYTES = 2 * 1024**3


class BuildCache:
    """Build outputs of one environment under `root/<key>/`; `skip` holds tree paths never stored (the overlay)."""

    def __init__(self, root: Path, env_key: str, skip: tuple[str, ...] = ()) -> None:
        self.root, self.env_key, self.skip = Path(root), env_key, (*NOT_STORED, *skip)

    def key(self, worktree: Path) -> str | None:
        """The hash of the build inputs (tracked and new files), or None when the tree compiles nothing."""
        paths = sorted(
            p for p in _listed(worktree, "--cached", "--others", "--exclude-standard") if BUILD_INPUT.search(p)
        )
        if not any(COMPILED_SOURCE.search(p) for p in paths):
            return None
        digest = hashlib.sha256(self.env_key.encode())
        for path in paths:
            file = worktree / path
            if file.is_file() and not file.is_symlink():
                digest.update(path.encode() + b"\0" + hashlib.sha256(file.read_bytes()).digest())
        return digest.hexdigest()[:24]

    def untracked(self, worktree: Path) -> set[str]:
        """Files git does not track (ignored ones included), less `skip` and bytecode: what a build adds."""
        listed = _listed(worktree, "--others")
        return {p for p in listed if not p.startswith(self.skip) and "__pycache__/" not in p and not p.endswith(".pyc")}

    def restore(self, worktree: Path, key: str) -> list[str]:
        """Copy the stored outputs for `key` into the tree (fresh mtimes); the paths copied, [] on a miss."""
        stored = self.root / key
        if not stored.is_dir():
            return []
        copied = []
        for source in sorted(stored.rglob("*")):
            if source.is_file() and not source.is_symlink():
                relative = source.relative_to(stored)
                target = worktree / relative
                if target.exists() or target.is_symlink():
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                shutil.copymode(source, target)
                copied.append(str(relative))
        return copied

    def store(self, worktree: Path, key: str, outputs: set[str]) -> int:
        """Keep `outputs` (tree paths) under `key`, atomically; the number of files stored (0: kept already)."""
        final = self.root / key
        files = [p for p in sorted(outputs) if (worktree / p).is_file() and not (worktree / p).is_symlink()]
        if final.exists() or not files or sum((worktree / p).stat().st_size for p in files) > MAX_STORED_BYTES:
            return 0
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=self.root))
        try:
            for path in files:
                (staging / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(worktree / path, staging / path)
            os.rename(staging, final)
        except OSError:  # another process stored the same key first, or the disk is full: nothing half-kept
            shutil.rmtree(staging, ignore_errors=True)
            return 0
        return len(files)

    @staticmethod
    def remove(worktree: Path, paths: list[str]) -> None:
        """Delete restored or base-built outputs from the tree (before a full rebuild)."""
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                (worktree / path).unlink()


def _listed(worktree: Path, *options: str) -> list[str]:
    output = git_checked(["ls-files", "-z", *options], cwd=worktree)
    return [path for path in output.split("\0") if path]


class TreeBuild:
    """One work tree's use of the cache: outputs restored or built on the base tree, then checked after the patch."""

    def __init__(self, cache: BuildCache) -> None:
        self.cache, self.key, self.outputs, self.note = cache, None, [], ""
        self._before: set[str] = set()
        self.restored = False

    def start(self, worktree: Path) -> bool:
        """Before the base tree's install steps; True when the tree compiles and nothing was cached (build it)."""
        self.key = self.cache.key(worktree)
        if self.key is None:
            return False
        self.outputs = self.cache.restore(worktree, self.key)
        self.restored = bool(self.outputs)
        self.note = f"reused {len(self.outputs)} built files ({self.key})" if self.restored else ""
        self._before = self.cache.untracked(worktree)
        return not self.restored

    def finish_base(self, worktree: Path, built: bool) -> None:
        """After the base tree's install steps: keep what a successful build added."""
        if self.key is None or self.restored or not built:
            return
        self.outputs = sorted(self.cache.untracked(worktree) - self._before)
        stored = self.cache.store(worktree, self.key, set(self.outputs))
        self.note = f"built on the base tree, {stored} files stored ({self.key})"

    def check_patched(self, worktree: Path) -> None:
        """After the patches: when they change a build input, the base outputs go and the install rebuilds."""
        if self.key is not None and self.cache.key(worktree) != self.key:
            self.cache.remove(worktree, self.outputs)
            self.note += "; the patches change build inputs: rebuilt from scratch"
