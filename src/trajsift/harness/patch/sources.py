"""Where a task's repository comes from: a local git repository (a relative path resolves against the task
file's folder), a git URL (cloned once into a bare mirror under `cache_dir/mirrors`), a tarball (`.tar`,
`.tar.gz`, ... extracted once, safely, under `cache_dir/mirrors`; one without `.git` is snapshotted into a single
commit) or `owner/name` (a SWE-bench repository: a local clone given in `local_repos`, else GitHub, which needs
the network)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from trajsift.harness.patch.git import CLONE_TIMEOUT_S, WorktreeError, git_checked, run_git

URL_PATTERN = re.compile(r"^(?:(?:https?|git|ssh|file)://|[\w.-]+@[\w.-]+:)")
OWNER_NAME = re.compile(r"^[\w.-]+/[\w.-]+$")
TARBALL_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
MAX_TAR_MEMBERS = 500_000
MAX_TAR_BYTES = 8 * 1024**3


@dataclass(frozen=True)
class RepoSource:
    kind: str  # "local" | "url" | "tarball"
    location: str


def resolve_source(
    repo: str, task_file_dir: Path | None = None, local_repos: Mapping[str, Path] | None = None
) -> RepoSource:
    """Classify a task's `repo` string; relative paths resolve against `task_file_dir` (else the cwd)."""
    repo = repo.strip()
    if not repo:
        raise WorktreeError("task has no repo")
    if URL_PATTERN.match(repo):
        return RepoSource("url", repo)
    if local_repos and repo in local_repos:
        return RepoSource("local", str(Path(local_repos[repo]).resolve()))
    path = Path(repo) if os.path.isabs(repo) else (task_file_dir or Path.cwd()) / repo
    if repo.lower().endswith(TARBALL_SUFFIXES):
        return RepoSource("tarball", str(path.resolve()))
    if not path.exists() and OWNER_NAME.match(repo):
        return RepoSource("url", f"https://github.com/{repo}.git")
    return RepoSource("local", str(path.resolve()))


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """An exclusive file lock, so parallel workers build each mirror once."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _has_commit(repo: Path, commit: str) -> bool:
    return run_git(["cat-file", "-e", f"{commit or 'HEAD'}^{{commit}}"], cwd=repo).returncode == 0


def mirror_url(url: str, cache_dir: Path, commit: str = "") -> Path:
    """A bare mirror of `url` under `cache_dir/mirrors`, cloned once; fetched again if `commit` is missing."""
    mirror = cache_dir / "mirrors" / f"url-{_key(url)}.git"
    with _locked(mirror.with_suffix(".lock")):
        if mirror.is_dir():
            if not _has_commit(mirror, commit):
                git_checked(["fetch", "-q", "--prune", "origin"], cwd=mirror, timeout=CLONE_TIMEOUT_S)
            return mirror
        staging = Path(tempfile.mkdtemp(prefix="clone-", dir=mirror.parent))
        try:
            done = run_git(
                ["clone", "-q", "--mirror", "--template=", "--", url, str(staging / "m.git")], timeout=CLONE_TIMEOUT_S
            )
            if done.returncode != 0:
                raise WorktreeError(f"cannot clone {url} (network unavailable?): {done.stderr.strip()[-300:]}")
            os.rename(staging / "m.git", mirror)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return mirror


# --- tarballs -----------------------------------------------------------------------------


def check_tar_member(member: tarfile.TarInfo) -> str | None:
    """Why an archive member is unsafe to extract, or None. Links must stay inside the archive."""
    name = member.name
    parts = name.split("/")
    if name.startswith("/") or ".." in parts or "\0" in name:
        return f"member path outside the archive: {name!r}"
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        return f"special file in archive: {name!r}"
    if member.issym() or member.islnk():
        target = member.linkname
        base = posixpath.dirname(name) if member.issym() else ""
        resolved = posixpath.normpath(posixpath.join(base, target))
        if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
            return f"link pointing outside the archive: {name!r} -> {target!r}"
    return None


def extract_tarball(archive: Path, dest: Path) -> None:
    """Extract after checking every member (no absolute or `..` paths, no escaping links, no devices)."""
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            if len(members) > MAX_TAR_MEMBERS:
                raise WorktreeError(f"archive has too many members: {len(members)}")
            if sum(member.size for member in members) > MAX_TAR_BYTES:
                raise WorktreeError("archive is too large")
            for member in members:
                problem = check_tar_member(member)
                if problem:
                    raise WorktreeError(problem)
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise WorktreeError(f"cannot extract {archive}: {exc}") from exc


def _sanitize_git_config(git_dir: Path) -> None:
    """An archive's `.git/config` could name commands git would run: keep only the format settings."""
    shutil.rmtree(git_dir / "hooks", ignore_errors=True)
    config = git_dir / "config"
    listed = run_git(["config", "-f", str(config), "--list"]).stdout if config.is_file() else ""
    kept = [line.split("=", 1) for line in listed.splitlines() if line.startswith("extensions.")]
    config.unlink(missing_ok=True)
    config.write_text("[core]\n\trepositoryformatversion = 1\n\tbare = false\n")
    for key, value in kept:
        git_checked(["config", "-f", str(config), key, value])


def _snapshot(root: Path) -> None:
    """Turn a plain directory tree into a one-commit repository (fixed identity and date)."""
    git_checked(["init", "-q", "--template=", str(root)])
    git_checked(["add", "-A", "--", "."], cwd=root)
    git_checked(["commit", "-q", "--allow-empty", "--no-verify", "-m", "snapshot"], cwd=root)


def unpack_tarball(archive: Path, cache_dir: Path) -> Path:
    """The repository inside `archive`, extracted once under `cache_dir/mirrors` (keyed by its bytes)."""
    if not archive.is_file():
        raise WorktreeError(f"tarball not found: {archive}")
    digest = hashlib.sha256()
    with open(archive, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    target = cache_dir / "mirrors" / f"tar-{digest.hexdigest()[:16]}"
    with _locked(target.with_suffix(".lock")):
        if not target.is_dir():
            staging = Path(tempfile.mkdtemp(prefix="tar-", dir=target.parent))
            try:
                extract_tarball(archive, staging)
                root = _archive_root(staging)
                if (root / ".git").is_dir() and not (root / ".git").is_symlink():
                    _sanitize_git_config(root / ".git")
                else:
                    _snapshot(root)
                os.rename(root, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    return target


def _archive_root(staging: Path) -> Path:
    """The archive's single top-level directory if it has exactly one, else the extraction dir itself."""
    entries = list(staging.iterdir())
    only = entries[0] if len(entries) == 1 else None
    if only is not None and only.is_dir() and not only.is_symlink() and only.name != ".git":
        return only
    return staging


def source_repository(source: RepoSource, cache_dir: Path, commit: str) -> Path:
    """A local repository holding the source's history (the local repo itself, or a cached mirror)."""
    if source.kind == "url":
        return mirror_url(source.location, cache_dir, commit)
    if source.kind == "tarball":
        return unpack_tarball(Path(source.location), cache_dir)
    path = Path(source.location)
    if not path.is_dir():
        raise WorktreeError(f"repository not found: {path}")
    return path
