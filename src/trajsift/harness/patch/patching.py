"""Apply an agent's patch to a work tree without letting it reach outside the tree.

`inspect_patch` (in `patchscan`, re-exported here) rejects a patch from its text alone. `apply_patch` then
asks git itself which paths it will touch (`git apply --numstat -z`), checks them again plus the existing tree
(no path may go through a symlink already there), runs `git apply --check` and `git apply` (never
`--unsafe-paths`), falls back to GNU `patch --fuzz=5` (as the SWE-bench harness does) only for plain text hunks,
and finally verifies that nothing under `.git` changed and that no new symlink resolves outside the tree.
Host code here uses `lstat`/`readlink`/`O_NOFOLLOW` only: it never follows a symlink inside a work tree.
`touches_tests` finds test tampering for the grader.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path, PurePosixPath

from trajsift import reasons
from trajsift.harness.patch.git import run_git
from trajsift.harness.patch.patchscan import (
    ACCEPTED,
    PatchCheck,
    PatchLimits,
    Rejected,
    check_link_target,
    check_path,
    inspect_patch,
    scan_patch,
)
from trajsift.patches import FileDiff, parse_patch

__all__ = [
    "PatchCheck",
    "PatchLimits",
    "apply_patch",
    "inspect_patch",
    "patch_paths",
    "read_tree_file",
    "touches_tests",
]

TEST_CONFIG_FILES = frozenset({"conftest.py", "pytest.ini", "sitecustomize.py", "usercustomize.py"})
RUNNER_MODULES = frozenset({"pytest", "_pytest", "pluggy", "py", "nose", "iniconfig", "xdist"})
PYTEST_CONFIG_HOSTS = frozenset({"tox.ini", "setup.cfg", "pyproject.toml"})
PYTEST_CONFIG_MARKERS = ("[pytest]", "[tool:pytest]", "[tool.pytest", "addopts", "testpaths", "python_files")


# --- application --------------------------------------------------------------------------


def apply_patch(worktree: Path, patch: str, limits: PatchLimits | None = None) -> PatchCheck:
    """Inspect, then apply `patch` inside `worktree` with git (GNU patch for plain text if git refuses)."""
    limits = limits or PatchLimits()
    check = inspect_patch(patch, limits)
    if not check.ok:
        return check
    worktree = Path(worktree)
    text = patch if patch.endswith("\n") else patch + "\n"
    try:
        paths = _paths_git_reads(worktree, text)
        for path in paths:
            check_path(path)
            _refuse_existing_symlinks(worktree, path)
        git_before, links_before = _git_dir_state(worktree), _symlinks(worktree)
        applied = _git_apply(worktree, text)
        if not applied.ok and all(entry.plain_text for entry in scan_patch(text, limits)):
            fallback = _gnu_patch(worktree, text)
            applied = fallback if fallback.ok else applied
        if applied.ok:
            _post_check(worktree, git_before, links_before)
    except Rejected as rejected:
        return rejected.check
    return applied


def _paths_git_reads(worktree: Path, patch: str) -> list[str]:
    """Every path git will touch, from git's own parser: `--numstat -z` gives `added TAB deleted TAB path NUL`,
    or an empty path followed by `old NUL new NUL` for a rename or copy."""
    done = run_git(["apply", "--numstat", "-z", "-"], cwd=worktree, stdin=patch)
    if done.returncode != 0:
        raise Rejected(reasons.PATCH_DOES_NOT_APPLY, _tail(done.stderr))
    fields, paths, index = done.stdout.split("\0"), [], 0
    while index < len(fields):
        parts = fields[index].split("\t", 2)
        if len(parts) == 3 and parts[2]:
            paths.append(parts[2])
        elif len(parts) == 3:
            paths.extend(fields[index + 1 : index + 3])
            index += 2
        index += 1
    return paths


def _git_apply(worktree: Path, patch: str) -> PatchCheck:
    for extra in (["--check"], []):
        done = run_git(["apply", "--whitespace=nowarn", *extra, "-"], cwd=worktree, stdin=patch)
        if done.returncode != 0:
            return PatchCheck(False, reasons.PATCH_DOES_NOT_APPLY, _tail(done.stderr))
    return ACCEPTED


def _gnu_patch(worktree: Path, patch: str) -> PatchCheck:
    """`patch --fuzz=5 -p1` like the SWE-bench harness; only reached for plain text hunks already checked."""
    base = ["patch", "--batch", "--forward", "--fuzz=5", "-p1", "--no-backup-if-mismatch", "--reject-file=-"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    for extra in (["--dry-run"], []):
        try:
            done = subprocess.run(
                [*base, *extra], cwd=worktree, input=patch, capture_output=True, text=True, env=env, timeout=120
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return PatchCheck(False, reasons.PATCH_DOES_NOT_APPLY, f"patch: {exc}")
        if done.returncode != 0:
            return PatchCheck(False, reasons.PATCH_DOES_NOT_APPLY, _tail(done.stdout + done.stderr))
    return ACCEPTED


def _tail(text: str) -> str:
    return text.strip()[-500:]


def _refuse_existing_symlinks(worktree: Path, path: str) -> None:
    """No directory on the way to `path` may already be a symlink in the work tree (checked with lstat)."""
    current = worktree
    for part in PurePosixPath(path).parts[:-1]:
        current = current / part
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                raise Rejected(reasons.PATCH_SYMLINK, f"{path!r} goes through the symlink {part!r}")
        except FileNotFoundError:
            return


def _git_dir_state(worktree: Path) -> dict[str, tuple[int, int, int, int]]:
    """(mode, size, mtime, inode) of everything under `.git`, without following links."""
    git_dir = worktree / ".git"
    state = {".": _lstat_key(git_dir)}
    for root, dirs, files in os.walk(git_dir, followlinks=False):
        for name in dirs + files:
            full = os.path.join(root, name)
            state[os.path.relpath(full, git_dir)] = _lstat_key(full)
    return state


def _lstat_key(path: str | Path) -> tuple[int, int, int, int]:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return (0, 0, 0, 0)
    return (info.st_mode, info.st_size, info.st_mtime_ns, info.st_ino)


def _symlinks(worktree: Path) -> dict[str, str]:
    """Every symlink of the work tree outside `.git`: relative path -> target (read, never followed)."""
    found = {}
    for root, dirs, files in os.walk(worktree, followlinks=False):
        if root == str(worktree):
            dirs[:] = [name for name in dirs if name != ".git"]
        for name in dirs + files:
            full = os.path.join(root, name)
            if os.path.islink(full):
                found[os.path.relpath(full, worktree)] = os.readlink(full)
    return found


def _post_check(worktree: Path, git_before: dict, links_before: dict[str, str]) -> None:
    if _git_dir_state(worktree) != git_before:
        raise Rejected(reasons.PATCH_WRITES_GIT_DIR, "the patch changed files under .git")
    for path, target in _symlinks(worktree).items():
        if links_before.get(path) != target:
            check_link_target(path, target)


def read_tree_file(worktree: Path, path: str, max_bytes: int = 5_000_000) -> bytes | None:
    """The bytes of a regular file inside the work tree, opened component by component with O_NOFOLLOW;
    None when it is missing, not a regular file, behind a symlink or larger than `max_bytes`."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        check_path(path)
        fd = os.open(worktree, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (Rejected, OSError):
        return None
    try:
        for part in PurePosixPath(path).parts[:-1]:
            next_fd = os.open(part, flags | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        file_fd = os.open(PurePosixPath(path).name, flags | os.O_NONBLOCK, dir_fd=fd)
        with os.fdopen(file_fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
                return None
            return handle.read(max_bytes + 1)[:max_bytes]
    except OSError:
        return None
    finally:
        os.close(fd)


# --- test tampering -----------------------------------------------------------------------


def touches_tests(patch: str, test_patch: str) -> list[str]:
    """Files of the agent's patch that tamper with testing: files the task's test patch also changes, and
    test-runner configuration anywhere (`conftest.py`, `pytest.ini`, `sitecustomize.py`, `usercustomize.py`,
    `.pth` files; `tox.ini` / `setup.cfg` / `pyproject.toml` when new or when the change touches pytest config),
    and new top-level modules or packages named like the runner (`pytest`, `pluggy`, ...) or a stdlib module."""
    test_files = patch_paths(test_patch)
    flagged = []
    for diff in parse_patch(patch):
        paths = {diff.old_path, diff.new_path} - {"", "/dev/null"}
        name = PurePosixPath(diff.path).name
        if paths & test_files or name in TEST_CONFIG_FILES or name.endswith(".pth"):
            flagged.append(diff.path)
        elif name in PYTEST_CONFIG_HOSTS and (diff.is_new or _mentions_pytest_config(diff)):
            flagged.append(diff.path)
        elif diff.is_new and _shadows_runner(diff.path):
            flagged.append(diff.path)
    return flagged


def _shadows_runner(path: str) -> bool:
    """A new top-level module or package named like the test runner or a standard-library module."""
    parts = PurePosixPath(path).parts
    if len(parts) > 1:  # a package dir; `test/`, `html/` ... are too common to flag
        return parts[0] in RUNNER_MODULES
    stem = PurePosixPath(path).stem
    return path.endswith(".py") and (stem in RUNNER_MODULES or stem in sys.stdlib_module_names)


def patch_paths(patch: str) -> set[str]:
    """Every path a patch names, old and new sides."""
    return {path for diff in parse_patch(patch) for path in (diff.old_path, diff.new_path)} - {"", "/dev/null"}


def _mentions_pytest_config(diff: FileDiff) -> bool:
    lines = [line for hunk in diff.hunks for line in hunk.old + hunk.new]
    return any(marker in line for line in lines for marker in PYTEST_CONFIG_MARKERS)
