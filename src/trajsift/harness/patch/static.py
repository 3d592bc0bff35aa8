"""Static analysis of the files a patch changes, base versus patched, as score columns.

`analyze_patch(worktree, patch)` runs after the patch was applied to a work tree whose HEAD is the base
commit: the base version of each changed file comes from git (`HEAD:path`), the patched one from disk (read
without following symlinks). Python files are parsed with `ast` (files that newly fail to parse) and linted
with ruff (`--select E9,F`, `--isolated`: the repository's own config is ignored) on copies of both versions in
a scratch dir; new lint errors are counted per code. Other languages get a tree-sitter syntax check only when
the `tree_sitter` package and that language's grammar wheel are installed (nothing is downloaded). A metric
that could not be measured is None, never 0.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from trajsift.harness.patch.git import git_argv, git_env, run_git
from trajsift.harness.patch.patching import read_tree_file
from trajsift.patches import parse_patch

RUFF_SELECT = "E9,F"
RUFF_TIMEOUT_S = 120.0
MAX_FILE_BYTES = 2_000_000
# suffix -> (grammar module, function returning its language), for the optional tree-sitter check
TREE_SITTER_GRAMMARS = {
    ".js": ("tree_sitter_javascript", "language"),
    ".ts": ("tree_sitter_typescript", "language_typescript"),
    ".tsx": ("tree_sitter_typescript", "language_tsx"),
    ".go": ("tree_sitter_go", "language"),
    ".rs": ("tree_sitter_rust", "language"),
    ".java": ("tree_sitter_java", "language"),
    ".c": ("tree_sitter_c", "language"),
    ".h": ("tree_sitter_c", "language"),
    ".cpp": ("tree_sitter_cpp", "language"),
    ".rb": ("tree_sitter_ruby", "language"),
}


@dataclass
class StaticMetrics:
    """Columns `static.*`. Counts of problems the patch introduced (after minus before, per file, floored at 0)."""

    files_changed: int = 0
    python_files: int = 0
    new_syntax_errors: int = 0
    """Python files that parsed at the base commit (or did not exist) and no longer parse."""
    new_lint_errors: int | None = None
    """ruff E9/F diagnostics added by the patch; None when ruff is not installed or failed."""
    new_lint_by_code: dict[str, int] | None = None
    other_files_checked: int = 0
    new_other_syntax_errors: int | None = None
    """tree-sitter: non-Python files that newly have syntax errors; None when no grammar was available."""
    unreadable_files: list[str] = field(default_factory=list)


def analyze_patch(worktree: Path, patch: str, ruff: list[str] | None = None) -> StaticMetrics:
    """Metrics for the files `patch` changes in `worktree` (already applied; HEAD is the base)."""
    versions = changed_file_versions(worktree, patch)
    metrics = StaticMetrics(files_changed=len(versions))
    python = {path: pair for path, pair in versions.items() if path.endswith((".py", ".pyi"))}
    metrics.python_files = len(python)
    metrics.new_syntax_errors = sum(_parses(before) and not _parses(after) for before, after in python.values())
    by_code = lint_delta(python, ruff if ruff is not None else ruff_command())
    if by_code is not None:
        metrics.new_lint_by_code = by_code
        metrics.new_lint_errors = sum(by_code.values())
    others = {path: pair for path, pair in versions.items() if path not in python}
    metrics.other_files_checked, metrics.new_other_syntax_errors = tree_sitter_delta(others)
    metrics.unreadable_files = sorted(path for path, (_, after) in versions.items() if after is None)
    return metrics


def changed_file_versions(worktree: Path, patch: str) -> dict[str, tuple[bytes | None, bytes | None]]:
    """path -> (base bytes or None if new, patched bytes or None if deleted/unreadable), binaries skipped."""
    versions: dict[str, tuple[bytes | None, bytes | None]] = {}
    for diff in parse_patch(patch):
        if diff.is_binary:
            continue
        before = None if diff.is_new else _base_version(worktree, diff.old_path)
        after = None if diff.is_deleted else read_tree_file(worktree, diff.new_path, MAX_FILE_BYTES)
        versions[diff.path] = (before, after)
    return versions


def _base_version(worktree: Path, path: str) -> bytes | None:
    shown = run_git(["cat-file", "-s", f"HEAD:{path}"], cwd=worktree)
    if shown.returncode != 0 or int(shown.stdout.strip() or 0) > MAX_FILE_BYTES:
        return None
    return _git_bytes(worktree, ["cat-file", "blob", f"HEAD:{path}"])


def _git_bytes(worktree: Path, args: list[str]) -> bytes | None:
    done = subprocess.run(git_argv(args), cwd=worktree, env=git_env(), capture_output=True, timeout=60)
    return done.stdout if done.returncode == 0 else None


def _parses(source: bytes | None) -> bool:
    """A missing file counts as parsing (a new file that does not parse is a new syntax error)."""
    if source is None:
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


# --- ruff -------------------------------------------------------------------------------------


def ruff_command() -> list[str] | None:
    """How to run ruff here: the installed package's module, else a `ruff` binary on PATH, else None."""
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    binary = shutil.which("ruff")
    return [binary] if binary else None


def lint_delta(files: dict[str, tuple[bytes | None, bytes | None]], ruff: list[str] | None) -> dict[str, int] | None:
    """New ruff diagnostics per code (after minus before, per file and code); None when ruff cannot run."""
    if ruff is None:
        return None
    if not files:
        return {}
    before = run_ruff(ruff, {path: pair[0] for path, pair in files.items()})
    after = run_ruff(ruff, {path: pair[1] for path, pair in files.items()})
    if before is None or after is None:
        return None
    added: Counter[str] = Counter()
    for key, count in after.items():
        if count > before.get(key, 0):
            added[key[1]] += count - before.get(key, 0)
    return dict(sorted(added.items()))


def run_ruff(ruff: list[str], contents: dict[str, bytes | None]) -> Counter[tuple[str, str]] | None:
    """(path, code) -> diagnostics, linting copies of `contents` written in a scratch dir."""
    with tempfile.TemporaryDirectory(prefix="trajsift-ruff-") as scratch:
        written = []
        for path, data in contents.items():
            if data is None:
                continue
            target = Path(scratch, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written.append(path)
        if not written:
            return Counter()
        command = [*ruff, "check", "--isolated", "--no-cache", "--output-format", "json", "--select", RUFF_SELECT]
        try:
            done = subprocess.run(
                [*command, "--", *written], cwd=scratch, capture_output=True, text=True, timeout=RUFF_TIMEOUT_S
            )
            diagnostics = json.loads(done.stdout or "null")
        except (OSError, subprocess.TimeoutExpired, ValueError):
            return None
        if not isinstance(diagnostics, list):
            return None
        root = Path(scratch).resolve()
        return Counter(
            (_relative(item.get("filename", ""), root), item.get("code") or "syntax") for item in diagnostics
        )


def _relative(filename: str, root: Path) -> str:
    try:
        return str(PurePosixPath(Path(filename).resolve().relative_to(root)))
    except ValueError:
        return filename


# --- tree-sitter (optional) -------------------------------------------------------------------


def tree_sitter_delta(files: dict[str, tuple[bytes | None, bytes | None]]) -> tuple[int, int | None]:
    """(files checked, files that newly have syntax errors); (0, None) when no grammar is installed for them."""
    checked, broken = 0, 0
    for path, (before, after) in files.items():
        parser = _tree_sitter_parser(PurePosixPath(path).suffix.lower())
        if parser is None or after is None:
            continue
        checked += 1
        broken += _has_error(parser, after) and not (before is not None and _has_error(parser, before))
    return checked, (broken if checked else None)


def _tree_sitter_parser(suffix: str):  # type: ignore[no-untyped-def]
    grammar = TREE_SITTER_GRAMMARS.get(suffix)
    if (
        grammar is None
        or importlib.util.find_spec("tree_sitter") is None
        or importlib.util.find_spec(grammar[0]) is None
    ):
        return None
    try:
        import tree_sitter

        language = tree_sitter.Language(getattr(importlib.import_module(grammar[0]), grammar[1])())
        return tree_sitter.Parser(language)
    except Exception:  # noqa: BLE001 - an incompatible binding or grammar version: skip the check
        return None


def _has_error(parser, source: bytes) -> bool:  # type: ignore[no-untyped-def]
    return bool(parser.parse(source).root_node.has_error)
