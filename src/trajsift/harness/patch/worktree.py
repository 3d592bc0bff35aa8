"""Fresh checkouts of a task's repository at its base commit.

Each `prepare_worktree` call makes a new repository in a new temp dir under `cache_dir/worktrees` that holds the
base commit alone (a depth-1 fetch of that commit: no later commits, tags, branches, remote or reflog), and
checks it out detached: a replayed patch or a test cannot read the fix from the repository's future. Its `.git`
is a real directory inside the work tree, so git works in the sandbox, and `remove_worktree` is a plain delete.
A repository copy that lacks some of the commit's blobs gets the rest checked out (`patch.incomplete`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from trajsift.harness.patch.git import CLONE_TIMEOUT_S, WorktreeError, git_checked, run_git
from trajsift.harness.patch.incomplete import MAX_MISSING, checkout_present, commit_objects
from trajsift.harness.patch.sources import resolve_source, source_repository
from trajsift.tasks import Task


def prepare_worktree(
    task: Task, cache_dir: Path, task_file_dir: Path | None = None, local_repos: Mapping[str, Path] | None = None
) -> Path:
    """A fresh checkout of `task.repo` at `task.base_commit` (HEAD when empty) in a new dir under `cache_dir`."""
    cache_dir = Path(cache_dir).resolve()
    source = resolve_source(task.repo, task_file_dir, local_repos)
    repository = source_repository(source, cache_dir, task.base_commit)
    parent = cache_dir / "worktrees"
    parent.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^\w.-]+", "_", task.task_id)[:60] or "task"
    workdir = Path(tempfile.mkdtemp(prefix=f"{slug}-", dir=parent))
    try:
        _clone_at(repository, workdir, task.base_commit)
    except BaseException:
        remove_worktree(workdir)
        raise
    return workdir


def _clone_at(repository: Path, workdir: Path, commit: str) -> None:
    """A new repository in `workdir` holding the base commit alone: a depth-1 fetch of that one commit (no
    tags, branches, remote, reflog or later objects), so nothing run there can read the fix from the future."""
    resolved = run_git(["rev-parse", "--verify", "-q", f"{commit or 'HEAD'}^{{commit}}"], cwd=repository)
    sha = resolved.stdout.strip()
    if resolved.returncode != 0 or not sha:
        raise WorktreeError(f"commit {commit or 'HEAD'!r} not found in {repository}")
    git_checked(["init", "-q", "--template=", str(workdir)])
    upload = "git -c uploadpack.allowAnySHA1InWant=true upload-pack"
    source = Path(repository).resolve().as_uri()
    fetch = ["fetch", "-q", "--depth=1", "--no-tags", "--no-write-fetch-head", f"--upload-pack={upload}", source, sha]
    fetched = run_git(fetch, cwd=workdir, timeout=CLONE_TIMEOUT_S)
    if fetched.returncode == 0:
        git_checked(["-c", "core.logAllRefUpdates=false", "checkout", "-q", "--detach", sha], cwd=workdir)
    else:  # a copy lacking some of the commit's objects: what is there, the rest named (`incomplete`)
        objects = commit_objects(repository, sha)
        if not objects[1] or len(objects[1]) > MAX_MISSING:
            raise WorktreeError(f"git fetch failed: {fetched.stderr.strip()[-500:]}")
        checkout_present(repository, workdir, sha, objects)
    settings = (
        ("core.hooksPath", os.devnull),
        ("core.logAllRefUpdates", "false"),
        ("user.name", "trajsift"),
        ("user.email", "trajsift@localhost"),
    )
    for key, value in settings:
        git_checked(["config", key, value], cwd=workdir)
    shutil.rmtree(workdir / ".git" / "logs", ignore_errors=True)


def remove_worktree(path: Path) -> None:
    """Delete a work tree made by `prepare_worktree` (symlinks inside are removed, never followed)."""
    path = Path(path)
    if path.is_symlink():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, onerror=_make_writable_and_retry)


def _make_writable_and_retry(function, failed_path, _exc_info) -> None:  # type: ignore[no-untyped-def]
    """Tests may leave read-only directories behind: open them up (without following links) and retry."""
    os.chmod(os.path.dirname(failed_path), 0o700)
    if not os.path.islink(failed_path) and os.path.isdir(failed_path):
        os.chmod(failed_path, 0o700)
    function(failed_path)
