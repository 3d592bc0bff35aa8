"""Patch application, with a hostile-patch suite: every attack is refused and leaves nothing outside the tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trajsift import reasons
from trajsift.demo.writers import create_repo
from trajsift.harness.patch import patching
from trajsift.harness.patch.git import run_git
from trajsift.harness.patch.patching import PatchLimits, apply_patch, inspect_patch, read_tree_file, touches_tests
from trajsift.harness.patch.patchscan import ACCEPTED, unquote_path
from trajsift.harness.patch.worktree import prepare_worktree, remove_worktree
from trajsift.tasks import Task

FILES = {
    "pkg/__init__.py": "",
    "pkg/mod.py": "def double(x):\n    return x * 2\n",
    "tests/test_mod.py": "from pkg.mod import double\n\n\ndef test_double():\n    assert double(2) == 4\n",
    "schema.sql": "-- /etc/passwd\nSELECT 1;\n",
}

FIX = """diff --git a/pkg/mod.py b/pkg/mod.py
--- a/pkg/mod.py
+++ b/pkg/mod.py
@@ -1,2 +1,2 @@
 def double(x):
-    return x * 2
+    return 2 * x
"""


def new_file(path: str, body: str = "pwned\n", mode: str = "100644", header_path: str | None = None) -> str:
    """A git diff creating `path` (the `diff --git` line may name `header_path` instead)."""
    shown = header_path or path
    lines = body.splitlines()
    added = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{shown} b/{shown}\nnew file mode {mode}\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{added}"
    )


def symlink(path: str, target: str) -> str:
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 120000\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+{target}\n\\ No newline at end of file\n"
    )


@pytest.fixture(scope="module")
def base_task(tmp_path_factory: pytest.TempPathFactory) -> Task:
    repo = tmp_path_factory.mktemp("base") / "repo"
    return Task(task_id="t", repo=str(repo), base_commit=create_repo(repo, FILES))


@pytest.fixture
def worktree(base_task: Task, tmp_path: Path):
    tree = prepare_worktree(base_task, tmp_path / "cache")
    yield tree
    remove_worktree(tree)


def assert_refused(tree: Path, patch: str, reason: str) -> None:
    """Refused statically and by `apply_patch`, with the tree and `.git` unchanged."""
    assert inspect_patch(patch).reason == reason
    before = run_git(["status", "--porcelain", "--ignored"], cwd=tree).stdout
    check = apply_patch(tree, patch)
    assert (check.ok, check.reason) == (False, reason)
    assert run_git(["status", "--porcelain", "--ignored"], cwd=tree).stdout == before


def test_good_patch_applies(worktree: Path) -> None:
    assert apply_patch(worktree, FIX).ok
    assert "2 * x" in (worktree / "pkg/mod.py").read_text()


def test_removed_sql_comment_is_content_not_a_header(worktree: Path) -> None:
    patch = "diff --git a/schema.sql b/schema.sql\n--- a/schema.sql\n+++ b/schema.sql\n"
    patch += "@@ -1,2 +1 @@\n--- /etc/passwd\n SELECT 1;\n"
    assert apply_patch(worktree, patch).ok
    assert (worktree / "schema.sql").read_text() == "SELECT 1;\n"


def test_path_traversal(worktree: Path) -> None:
    assert_refused(worktree, new_file("../../etc/passwd"), reasons.PATCH_PATH_OUTSIDE_TREE)
    assert not (worktree.parent.parent / "etc").exists()


def test_absolute_path(worktree: Path) -> None:
    patch = "--- /dev/null\n+++ /etc/x\n@@ -0,0 +1 @@\n+pwned\n"
    assert_refused(worktree, patch, reasons.PATCH_PATH_OUTSIDE_TREE)


def test_git_hook_write(worktree: Path) -> None:
    assert_refused(worktree, new_file(".git/hooks/post-checkout", mode="100755"), reasons.PATCH_WRITES_GIT_DIR)
    assert not (worktree / ".git/hooks/post-checkout").exists()


def test_git_config_via_rename(worktree: Path) -> None:
    patch = (
        "diff --git a/pkg/mod.py b/.git/config\nsimilarity index 100%\nrename from pkg/mod.py\nrename to .git/config\n"
    )
    assert_refused(worktree, patch, reasons.PATCH_WRITES_GIT_DIR)


@pytest.mark.parametrize("name", [".GIT/config", ".gіt/config", ".git./config", "git~1/config", "x/.Git/HEAD"])
def test_git_dir_lookalikes(worktree: Path, name: str) -> None:
    assert_refused(worktree, new_file(name), reasons.PATCH_WRITES_GIT_DIR)


def test_deleting_git_dir(worktree: Path) -> None:
    patch = "diff --git a/.git/HEAD b/.git/HEAD\ndeleted file mode 100644\n"
    patch += "--- a/.git/HEAD\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
    assert_refused(worktree, patch, reasons.PATCH_WRITES_GIT_DIR)
    assert (worktree / ".git/HEAD").is_file()


def test_symlink_to_host_file_then_write_through_it(worktree: Path) -> None:
    patch = symlink("leak", "/etc/passwd") + new_file("leak", "root::0:0::/:/bin/sh\n")
    assert_refused(worktree, patch, reasons.PATCH_SYMLINK)
    assert not os.path.lexists(worktree / "leak")


def test_symlink_dir_then_file_under_it(worktree: Path) -> None:
    assert_refused(worktree, symlink("up", "../..") + new_file("up/evil.py"), reasons.PATCH_SYMLINK)
    # an in-tree link is refused too when another file of the same patch goes through it
    assert_refused(worktree, symlink("alias", "pkg") + new_file("alias/evil.py"), reasons.PATCH_SYMLINK)


def test_in_tree_relative_symlink_is_allowed(worktree: Path) -> None:
    assert apply_patch(worktree, symlink("pkg/alias.py", "mod.py")).ok
    assert os.readlink(worktree / "pkg/alias.py") == "mod.py"


def test_existing_symlink_in_tree_is_never_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = tmp_path / "repo"
    create_repo(repo, FILES)
    os.symlink(str(outside), repo / "docs")
    run_git(["add", "docs"], cwd=repo)
    run_git(["commit", "-q", "-m", "link"], cwd=repo)
    tree = prepare_worktree(Task(task_id="t", repo=str(repo)), tmp_path / "cache")
    check = apply_patch(tree, new_file("docs/planted.txt"))
    assert (check.ok, check.reason) == (False, reasons.PATCH_SYMLINK)
    assert list(outside.iterdir()) == []
    assert read_tree_file(tree, "docs/planted.txt") is None


def test_huge_binary(worktree: Path) -> None:
    patch = (
        "diff --git a/blob.bin b/blob.bin\nnew file mode 100644\nindex 0000000..1111111\n"
        "GIT binary patch\nliteral 50000000\nzcmV?d00001\n\nliteral 0\nHcmV?d00001\n"
    )
    assert_refused(worktree, patch, reasons.PATCH_BINARY_TOO_LARGE)


def test_rename_to_outside(worktree: Path) -> None:
    patch = (
        "diff --git a/pkg/mod.py b/pkg/mod.py\nsimilarity index 100%\nrename from pkg/mod.py\nrename to ../stolen.py\n"
    )
    assert_refused(worktree, patch, reasons.PATCH_PATH_OUTSIDE_TREE)
    assert (worktree / "pkg/mod.py").is_file()


def test_nul_and_control_characters(worktree: Path) -> None:
    assert_refused(worktree, new_file("pkg/a\0b.py"), reasons.PATCH_MALFORMED)
    assert_refused(worktree, FIX.replace("+++ b/pkg/mod.py\n", "+++ b/pkg/mod.py\r\n"), reasons.PATCH_MALFORMED)


def test_hundred_thousand_files_hit_the_file_limit() -> None:
    patch = "".join(new_file(f"f{index}.py", "x\n") for index in range(100_000))
    check = inspect_patch(patch, PatchLimits(max_bytes=50_000_000))
    assert check.reason == reasons.PATCH_TOO_LARGE and "2000 files" in check.detail
    assert inspect_patch(patch).reason == reasons.PATCH_TOO_LARGE  # also over the default byte limit


def test_quoted_path_with_octal_escapes(worktree: Path) -> None:
    assert unquote_path('"a/\\056\\056/x"') == "a/../x"
    patch = '--- /dev/null\n+++ "b/\\056\\056/\\056\\056/escaped"\n@@ -0,0 +1 @@\n+pwned\n'
    assert_refused(worktree, patch, reasons.PATCH_PATH_OUTSIDE_TREE)
    quoted_git = '"b/\\056git/config"'
    assert_refused(worktree, f"--- /dev/null\n+++ {quoted_git}\n@@ -0,0 +1 @@\n+x\n", reasons.PATCH_WRITES_GIT_DIR)


def test_header_name_mismatch_trick(worktree: Path) -> None:
    patch = FIX.replace("diff --git a/pkg/mod.py b/pkg/mod.py", "diff --git a/pkg/mod.py b/../../mod.py")
    assert_refused(worktree, patch, reasons.PATCH_PATH_OUTSIDE_TREE)


def test_setuid_mode_and_submodule(worktree: Path) -> None:
    setuid = "diff --git a/pkg/mod.py b/pkg/mod.py\nold mode 100644\nnew mode 104755\n"
    assert_refused(worktree, setuid, reasons.PATCH_MALFORMED)
    gitlink = "diff --git a/sub b/sub\nnew file mode 160000\nindex 0000000..1234567\n--- /dev/null\n+++ b/sub\n"
    gitlink += "@@ -0,0 +1 @@\n+Subproject commit 1234567890123456789012345678901234567890\n"
    assert_refused(worktree, gitlink, reasons.PATCH_WRITES_GIT_DIR)


def test_gitmodules_is_git_metadata(worktree: Path) -> None:
    assert_refused(worktree, new_file(".gitmodules", '[submodule "x"]\n'), reasons.PATCH_WRITES_GIT_DIR)


def test_empty_garbage_and_oversized(worktree: Path) -> None:
    assert inspect_patch("").reason == reasons.PATCH_EMPTY
    assert inspect_patch(" \n\n").reason == reasons.PATCH_EMPTY
    assert inspect_patch("I fixed the bug, trust me.\n").reason == reasons.PATCH_MALFORMED
    assert inspect_patch(FIX, PatchLimits(max_bytes=50)).reason == reasons.PATCH_TOO_LARGE


def test_post_checks_catch_what_static_inspection_missed(worktree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: with `inspect_patch` disabled, git and the post-checks still refuse."""
    monkeypatch.setattr(patching, "inspect_patch", lambda patch, limits=None: ACCEPTED)
    check = apply_patch(worktree, symlink("leak", "/etc/passwd"))
    assert (check.ok, check.reason) == (False, reasons.PATCH_SYMLINK)
    check = apply_patch(worktree, new_file(".git/hooks/pre-commit"))
    assert not check.ok and check.reason in (reasons.PATCH_WRITES_GIT_DIR, reasons.PATCH_DOES_NOT_APPLY)
    assert not (worktree / ".git/hooks/pre-commit").exists()


def test_does_not_apply_and_fuzzy_fallback(worktree: Path) -> None:
    stale = FIX.replace("    return x * 2", "    return x + x")
    assert apply_patch(worktree, stale).reason == reasons.PATCH_DOES_NOT_APPLY
    drifted = FIX.replace("@@ -1,2 +1,2 @@\n def double(x):", "@@ -1,2 +1,2 @@\n def double(y):")
    assert apply_patch(worktree, drifted).ok  # git refuses the changed context; GNU patch's fuzz applies it
    assert "2 * x" in (worktree / "pkg/mod.py").read_text()
    assert not list(worktree.rglob("*.orig")) and not list(worktree.rglob("*.rej"))


def test_read_tree_file_never_follows_links(worktree: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("token")
    os.symlink(secret, worktree / "pkg/leak.txt")
    assert read_tree_file(worktree, "pkg/mod.py") == FILES["pkg/mod.py"].encode()
    assert read_tree_file(worktree, "pkg/leak.txt") is None
    assert read_tree_file(worktree, "../secret.txt") is None


TEST_PATCH = new_file("tests/test_new.py", "def test_new():\n    assert True\n")


@pytest.mark.parametrize(
    ("patch", "flagged"),
    [
        (FIX, []),
        (FIX + new_file("tests/test_new.py", "def test_new():\n    pass\n"), ["tests/test_new.py"]),
        (new_file("conftest.py", "import pytest\n"), ["conftest.py"]),
        (new_file("deep/dir/conftest.py", "x = 1\n"), ["deep/dir/conftest.py"]),
        (new_file("pytest.ini", "[pytest]\n"), ["pytest.ini"]),
        (new_file("site/evil.pth", "import os\n"), ["site/evil.pth"]),
        (new_file("sitecustomize.py", "import os\n"), ["sitecustomize.py"]),
        (new_file("setup.cfg", "[metadata]\n"), ["setup.cfg"]),
        (new_file("README.md", "addopts\n"), []),
    ],
)
def test_touches_tests(patch: str, flagged: list[str]) -> None:
    assert touches_tests(patch, TEST_PATCH) == flagged


def test_touches_pytest_section_of_existing_setup_cfg() -> None:
    edit = "--- a/setup.cfg\n+++ b/setup.cfg\n@@ -1,2 +1,2 @@\n [tool:pytest]\n-addopts = -x\n+addopts = -p no:x\n"
    assert touches_tests(edit, "") == ["setup.cfg"]
    metadata = "--- a/setup.cfg\n+++ b/setup.cfg\n@@ -1,2 +1,2 @@\n [metadata]\n-name = a\n+name = b\n"
    assert touches_tests(metadata, "") == []
