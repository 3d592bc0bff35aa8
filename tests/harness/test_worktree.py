"""Work trees: local repos, git URLs through a cached mirror, tarballs (extracted safely), cleanup."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from trajsift.demo.writers import create_repo
from trajsift.harness.patch.git import WorktreeError, run_git
from trajsift.harness.patch.sources import RepoSource, resolve_source
from trajsift.harness.patch.worktree import prepare_worktree, remove_worktree
from trajsift.tasks import Task

FILES = {"pkg/mod.py": "VALUE = 1\n", "README.md": "# demo\n"}


def head(tree: Path) -> str:
    return run_git(["rev-parse", "HEAD"], cwd=tree).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "tasks" / "repos" / "demo"
    first = create_repo(path, FILES)
    (path / "pkg/mod.py").write_text("VALUE = 2\n")
    run_git(["commit", "-qam", "second"], cwd=path)
    return path, first


def test_relative_local_path_at_base_commit(repo: tuple[Path, str], tmp_path: Path) -> None:
    path, first = repo
    task = Task(task_id="demo/1", repo="repos/demo", base_commit=first)
    tree = prepare_worktree(task, tmp_path / "cache", task_file_dir=path.parent.parent)
    assert head(tree) == first
    assert (tree / "pkg/mod.py").read_text() == "VALUE = 1\n"
    assert (tree / ".git").is_dir() and tree.parent == (tmp_path / "cache" / "worktrees").resolve()
    assert run_git(["status", "--porcelain"], cwd=tree).stdout == ""
    remove_worktree(tree)
    assert not tree.exists()


def test_each_call_is_a_fresh_checkout(repo: tuple[Path, str], tmp_path: Path) -> None:
    path, first = repo
    task = Task(task_id="t", repo=str(path), base_commit=first)
    one = prepare_worktree(task, tmp_path / "cache")
    (one / "pkg/mod.py").write_text("broken\n")
    (one / "junk.txt").write_text("x")
    two = prepare_worktree(task, tmp_path / "cache")
    assert one != two
    assert (two / "pkg/mod.py").read_text() == "VALUE = 1\n" and not (two / "junk.txt").exists()
    assert (path / "pkg/mod.py").read_text() == "VALUE = 2\n"  # the source repository is untouched
    assert head(prepare_worktree(Task(task_id="t", repo=str(path)), tmp_path / "cache")) != first  # empty = HEAD


def test_source_hooks_never_run(repo: tuple[Path, str], tmp_path: Path) -> None:
    path, first = repo
    marker = tmp_path / "hook-ran"
    hook = path / ".git" / "hooks" / "post-checkout"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    run_git(["config", "core.hooksPath", str(hook.parent)], cwd=path)
    prepare_worktree(Task(task_id="t", repo=str(path), base_commit=first), tmp_path / "cache")
    assert not marker.exists()


def test_unknown_commit_and_missing_repo(repo: tuple[Path, str], tmp_path: Path) -> None:
    path, _ = repo
    with pytest.raises(WorktreeError, match="not found"):
        prepare_worktree(Task(task_id="t", repo=str(path), base_commit="0" * 40), tmp_path / "cache")
    with pytest.raises(WorktreeError, match="not found"):
        prepare_worktree(Task(task_id="t", repo=str(tmp_path / "nope")), tmp_path / "cache")
    assert list((tmp_path / "cache" / "worktrees").iterdir()) == []  # failed checkouts are cleaned up


def test_git_url_is_mirrored_once(repo: tuple[Path, str], tmp_path: Path) -> None:
    path, first = repo
    bare = tmp_path / "remote.git"
    run_git(["clone", "-q", "--bare", str(path), str(bare)])
    task = Task(task_id="t", repo=f"file://{bare}", base_commit=first)
    tree = prepare_worktree(task, tmp_path / "cache")
    assert head(tree) == first
    mirrors = list((tmp_path / "cache" / "mirrors").glob("url-*.git"))
    assert len(mirrors) == 1
    created = mirrors[0].stat().st_ino
    prepare_worktree(task, tmp_path / "cache")
    assert mirrors[0].stat().st_ino == created


def test_unreachable_url_is_a_clear_error(tmp_path: Path) -> None:
    task = Task(task_id="t", repo="file:///nonexistent/remote.git")
    with pytest.raises(WorktreeError, match="cannot clone"):
        prepare_worktree(task, tmp_path / "cache")


def test_resolve_source_kinds(tmp_path: Path) -> None:
    assert resolve_source("https://example.org/a/b.git").kind == "url"
    assert resolve_source("git@example.org:a/b.git").kind == "url"
    assert resolve_source("repo.tar.gz", tmp_path) == RepoSource("tarball", str(tmp_path / "repo.tar.gz"))
    assert resolve_source("sympy/sympy", tmp_path) == RepoSource("url", "https://github.com/sympy/sympy.git")
    clone = tmp_path / "clones" / "sympy"
    assert resolve_source("sympy/sympy", tmp_path, {"sympy/sympy": clone}) == RepoSource("local", str(clone))
    with pytest.raises(WorktreeError):
        resolve_source("  ")


def write_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
    return path


def file_member(name: str, data: bytes = b"x = 1\n") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def link_member(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, b""


def test_tarball_without_git_is_snapshotted(tmp_path: Path) -> None:
    archive = write_tar(tmp_path / "proj.tar.gz", [file_member("proj/pkg/mod.py"), file_member("proj/README")])
    tree = prepare_worktree(Task(task_id="t", repo="proj.tar.gz"), tmp_path / "cache", task_file_dir=tmp_path)
    assert (tree / "pkg/mod.py").read_text() == "x = 1\n" and (tree / ".git").is_dir()
    again = prepare_worktree(Task(task_id="t", repo=str(archive)), tmp_path / "cache")
    assert head(again) == head(tree)
    assert len(list((tmp_path / "cache" / "mirrors").glob("tar-*[!k]"))) == 1  # extracted once


def test_tarball_of_a_repository_at_base_commit(repo: tuple[Path, str], tmp_path: Path) -> None:
    path, first = repo
    run_git(["config", "core.fsmonitor", f"touch {tmp_path / 'fsmonitor-ran'}"], cwd=path)
    archive = tmp_path / "repo.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(path, arcname="demo")
    tree = prepare_worktree(Task(task_id="t", repo=str(archive), base_commit=first), tmp_path / "cache")
    assert head(tree) == first and (tree / "pkg/mod.py").read_text() == "VALUE = 1\n"
    assert not (tmp_path / "fsmonitor-ran").exists()


@pytest.mark.parametrize(
    "member",
    [
        file_member("/abs/evil.py"),
        file_member("proj/../../evil.py"),
        link_member("proj/link", "/etc/passwd"),
        link_member("proj/link", "../../outside"),
        link_member("proj/hard", "../etc/passwd", tarfile.LNKTYPE),
        link_member("proj/dev", "", tarfile.CHRTYPE),
        link_member("proj/fifo", "", tarfile.FIFOTYPE),
    ],
    ids=["absolute", "dotdot", "symlink-abs", "symlink-up", "hardlink-up", "device", "fifo"],
)
def test_hostile_tarballs_are_refused(tmp_path: Path, member: tuple[tarfile.TarInfo, bytes]) -> None:
    archive = write_tar(tmp_path / "bad.tar.gz", [file_member("proj/ok.py"), member])
    with pytest.raises(WorktreeError):
        prepare_worktree(Task(task_id="t", repo=str(archive)), tmp_path / "cache")
    assert not (tmp_path / "evil.py").exists() and not (tmp_path.parent / "evil.py").exists()
    assert not list((tmp_path / "cache" / "mirrors").glob("tar-*[!k]"))


def test_in_archive_symlink_is_kept(tmp_path: Path) -> None:
    write_tar(tmp_path / "p.tar", [file_member("p/pkg/mod.py"), link_member("p/alias.py", "pkg/mod.py")])
    tree = prepare_worktree(Task(task_id="t", repo=str(tmp_path / "p.tar")), tmp_path / "cache")
    assert os.readlink(tree / "alias.py") == "pkg/mod.py"


def test_remove_worktree_handles_read_only_dirs_and_links(repo: tuple[Path, str], tmp_path: Path) -> None:
    path, first = repo
    outside = tmp_path / "keep"
    outside.mkdir()
    (outside / "precious").write_text("x")
    tree = prepare_worktree(Task(task_id="t", repo=str(path), base_commit=first), tmp_path / "cache")
    os.symlink(outside, tree / "link")
    locked = tree / "locked"
    locked.mkdir()
    (locked / "f").write_text("x")
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    remove_worktree(tree)
    assert not tree.exists() and (outside / "precious").exists()
    remove_worktree(tree)  # idempotent
