"""The task's test files, kept as the task defines them for every test run, retries included.

`ProtectedFiles.capture` records (after the test patch is applied) the bytes of every file the test patch
touches, every `conftest.py` and root test-config file of the tree, and the base files beside the test patch's
files (test helpers). Before each run `restore` writes them back (replacing whatever the code under test put
there, links included, never following one), and the sandbox binds them read-only, so the code under test can
neither rewrite a test nor leave a changed one for the retry. `sweep` removes what no run may inherit:
compiled bytecode and `__pycache__` dirs, and `conftest.py` / pytest config files that are not protected.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from trajsift.harness.patch.git import WorktreeError, run_git
from trajsift.harness.patch.patching import patch_paths, read_tree_file

ROOT_CONFIGS = ("pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml")
RUNNER_CONFIG_NAMES = frozenset({"conftest.py", "pytest.ini", "sitecustomize.py", "usercustomize.py"})
BYTECODE_SUFFIXES = (".pyc", ".pyo")
MAX_PROTECTED = 2000
MAX_FILE_BYTES = 20_000_000
MODULE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


@dataclass
class ProtectedFiles:
    worktree: Path
    contents: dict[str, bytes] = field(default_factory=dict)
    skip_dirs: frozenset[str] = frozenset({".git"})

    plugins: list[str] = field(default_factory=list)
    """Modules the protected conftest files load by `pytest_plugins` (or import and `register`) that the patch
    leaves alone: the task's own pytest plugins (sphinx's `sphinx.testing.fixtures`, scikit-learn's
    `sklearn.tests.random_seed`), protected like the conftests and allowed to register."""

    @classmethod
    def capture(
        cls, worktree: Path, test_patch: str, skip_dirs: frozenset[str] = frozenset(), patch: str | None = None
    ) -> ProtectedFiles:
        """Record the protected files as they are now (base tree plus the test patch); with the agent's `patch`
        (already applied), also the conftests' plugin modules it does not touch."""
        tracked = run_git(["ls-files", "-z"], cwd=worktree).stdout.split("\0")
        wanted = patch_paths(test_patch)
        beside = {str(PurePosixPath(path).parent) for path in wanted}
        for path in filter(None, tracked):
            pure = PurePosixPath(path)
            if pure.name in RUNNER_CONFIG_NAMES or path in ROOT_CONFIGS:
                wanted.add(path)
            elif str(pure.parent) in beside and pure.suffix in (".py", ".json", ".txt", ".cfg", ".ini", ".toml"):
                wanted.add(path)
        protected = cls(Path(worktree), skip_dirs=frozenset({".git", *skip_dirs}))
        for path in sorted(wanted)[:MAX_PROTECTED]:
            data = read_tree_file(worktree, path, MAX_FILE_BYTES)
            if data is not None:
                protected.contents[path] = data
        if patch is not None:
            candidates = set(filter(None, tracked)) - patch_paths(patch)
            for path in conftest_plugins(protected.contents, candidates):
                data = read_tree_file(worktree, path, MAX_FILE_BYTES)
                if data is not None:
                    protected.contents[path] = data
                    protected.plugins.append(path)
        return protected

    def restore(self) -> list[Path]:
        """Write every protected file back as captured; the host paths to bind read-only."""
        for path, data in self.contents.items():
            target = self.worktree / path
            _real_dirs(self.worktree, PurePosixPath(path).parts[:-1])
            _remove(target)
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
        return [self.worktree / path for path in self.contents]

    def sweep(self) -> list[str]:
        """Delete bytecode, `__pycache__` dirs and unprotected runner config files; the paths removed."""
        removed = []
        for root, dirs, files in os.walk(self.worktree, followlinks=False):
            relative = os.path.relpath(root, self.worktree)
            if relative == ".":
                dirs[:] = [name for name in dirs if name not in self.skip_dirs]
            for name in [d for d in dirs if d == "__pycache__"]:
                dirs.remove(name)
                _remove(Path(root) / name)
                removed.append(os.path.normpath(os.path.join(relative, name)))
            for name in files:
                path = os.path.normpath(os.path.join(relative, name))
                unexpected = name in RUNNER_CONFIG_NAMES and path not in self.contents
                if name.endswith(BYTECODE_SUFFIXES) or unexpected:
                    _remove(Path(root) / name)
                    removed.append(path)
        return removed


def conftest_plugins(contents: dict[str, bytes], candidates: set[str]) -> list[str]:
    """Files among `candidates` of the modules that the conftest files in `contents` name in `pytest_plugins`."""
    found = set()
    for path, data in contents.items():
        if PurePosixPath(path).name != "conftest.py":
            continue
        for module in declared_plugins(data):
            base = module.replace(".", "/")
            options = [f"{root}{base}{tail}" for root in ("", "src/") for tail in (".py", "/__init__.py")]
            found.update(next(([option] for option in options if option in candidates), []))
    return sorted(found)


def declared_plugins(source: bytes) -> list[str]:
    """Module names a conftest assigns to `pytest_plugins` at its top level (one string or a list of them)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    names = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytest_plugins" for t in node.targets):
            items = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            names += [item.value for item in items if isinstance(item, ast.Constant) and isinstance(item.value, str)]
    names += registered_modules(tree)
    return [name for name in names if MODULE_NAME.fullmatch(name)]


def registered_modules(tree: ast.Module) -> list[str]:
    """Modules a conftest imports at its top level and passes to `pluginmanager.register(name)` (scikit-learn's
    `from sklearn.tests import random_seed` ... `config.pluginmanager.register(random_seed)`)."""
    imported = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported.update({alias.asname or alias.name: f"{node.module}.{alias.name}" for alias in node.names})
        elif isinstance(node, ast.Import):
            imported.update({alias.asname: alias.name for alias in node.names if alias.asname})
    registered = [
        call.args[0].id
        for call in ast.walk(tree)
        if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "register"
        and call.args and isinstance(call.args[0], ast.Name)
    ]  # fmt: skip
    return [imported[name] for name in registered if name in imported]


def revert_to_base(worktree: Path, paths: list[str]) -> list[str]:
    """Put the base version of `paths` back (delete those the base lacks), without following links."""
    for path in paths:
        if run_git(["cat-file", "-e", f"HEAD:{path}"], cwd=worktree).returncode == 0:
            done = run_git(["checkout", "-q", "HEAD", "--", path], cwd=worktree)
            if done.returncode != 0:
                raise WorktreeError(f"cannot revert {path}: {done.stderr.strip()[-300:]}")
        elif os.path.lexists(worktree / path):
            os.unlink(worktree / path)
    return paths


def _real_dirs(worktree: Path, parts: tuple[str, ...]) -> None:
    """Make each directory on the way a real one: a link or file put there by the tested code is removed."""
    current = worktree
    for part in parts:
        current = current / part
        if current.is_symlink() or (os.path.lexists(current) and not current.is_dir()):
            current.unlink()
        current.mkdir(exist_ok=True)


def _remove(path: Path) -> None:
    """Remove a file, link or directory at `path` without following links (missing is fine)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        path.unlink()
