"""Static analysis of changed files: syntax and lint errors introduced by a patch, not those already there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trajsift.demo.writers import create_repo
from trajsift.harness.patch import static
from trajsift.harness.patch.patching import apply_patch
from trajsift.harness.patch.static import StaticMetrics, analyze_patch, ruff_command
from trajsift.harness.patch.worktree import prepare_worktree
from trajsift.tasks import Task

FILES = {
    "pkg/mod.py": "import os\n\n\ndef double(x):\n    return x * 2\n",
    "pkg/other.py": "def half(x):\n    return x / 2\n",
    "web/app.js": "function f(a) {\n  return a + 1;\n}\n",
}


def edit(path: str, old: list[str], new: list[str], start: int = 1) -> str:
    body = "".join(f"-{line}\n" for line in old) + "".join(f"+{line}\n" for line in new)
    header = f"@@ -{start},{len(old)} +{start},{len(new)} @@\n"
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n{header}{body}"


def create(path: str, lines: list[str]) -> str:
    body = "".join(f"+{line}\n" for line in lines)
    header = f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
    return f"{header}@@ -0,0 +1,{len(lines)} @@\n{body}"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    commit = create_repo(tmp_path / "repo", FILES)
    return prepare_worktree(Task(task_id="t", repo=str(tmp_path / "repo"), base_commit=commit), tmp_path / "cache")


def applied(tree: Path, patch: str) -> StaticMetrics:
    assert apply_patch(tree, patch).ok
    return analyze_patch(tree, patch)


@pytest.mark.skipif(ruff_command() is None, reason="ruff is not installed")
def test_clean_patch_introduces_nothing(tree: Path) -> None:
    metrics = applied(tree, edit("pkg/mod.py", ["    return x * 2"], ["    return 2 * x"], start=5))
    assert (metrics.files_changed, metrics.python_files, metrics.new_syntax_errors) == (1, 1, 0)
    assert metrics.new_lint_errors == 0 and metrics.new_lint_by_code == {}  # the base's unused `os` is not new


@pytest.mark.skipif(ruff_command() is None, reason="ruff is not installed")
def test_new_lint_errors_are_counted_by_code(tree: Path) -> None:
    patch = edit("pkg/other.py", ["    return x / 2"], ["    import sys", "    return y / 2"], start=2)
    metrics = applied(tree, patch)
    assert metrics.new_lint_by_code == {"F401": 1, "F821": 1}
    assert metrics.new_lint_errors == 2 and metrics.new_syntax_errors == 0


@pytest.mark.skipif(ruff_command() is None, reason="ruff is not installed")
def test_syntax_errors_in_edited_and_new_files(tree: Path) -> None:
    patch = edit("pkg/other.py", ["    return x / 2"], ["    return (x / 2"], start=2)
    patch += create("pkg/new.py", ["def broken(:", "    pass"])
    metrics = applied(tree, patch)
    assert metrics.new_syntax_errors == 2 and metrics.python_files == 2
    assert metrics.new_lint_errors is not None and metrics.new_lint_errors >= 2


def test_deleted_file_and_non_python_files(tree: Path) -> None:
    patch = "diff --git a/pkg/other.py b/pkg/other.py\ndeleted file mode 100644\n--- a/pkg/other.py\n+++ /dev/null\n"
    patch += "@@ -1,2 +0,0 @@\n-def half(x):\n-    return x / 2\n"
    patch += edit("web/app.js", ["  return a + 1;"], ["  return a + ;"], start=2)
    metrics = applied(tree, patch)
    assert (metrics.files_changed, metrics.python_files, metrics.new_syntax_errors) == (2, 1, 0)
    if static._tree_sitter_parser(".js") is None:
        assert (metrics.other_files_checked, metrics.new_other_syntax_errors) == (0, None)
    else:
        assert (metrics.other_files_checked, metrics.new_other_syntax_errors) == (1, 1)


def test_without_ruff_lint_columns_are_none(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(static, "ruff_command", lambda: None)
    metrics = applied(tree, edit("pkg/other.py", ["    return x / 2"], ["    return (x / 2"], start=2))
    assert metrics.new_syntax_errors == 1
    assert metrics.new_lint_errors is None and metrics.new_lint_by_code is None


def test_broken_ruff_gives_none_not_zero(tree: Path) -> None:
    patch = edit("pkg/other.py", ["    return x / 2"], ["    return z"], start=2)
    assert apply_patch(tree, patch).ok
    metrics = analyze_patch(tree, patch, ruff=["/bin/false"])
    assert metrics.new_lint_errors is None


def test_symlinked_file_is_not_followed(tree: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.py"
    secret.write_text("def broken(:\n")
    (tree / "pkg/other.py").unlink()
    os.symlink(secret, tree / "pkg/other.py")
    patch = edit("pkg/other.py", ["    return x / 2"], ["    return x // 2"], start=2)
    metrics = analyze_patch(tree, patch)
    assert metrics.unreadable_files == ["pkg/other.py"] and metrics.new_syntax_errors == 0
