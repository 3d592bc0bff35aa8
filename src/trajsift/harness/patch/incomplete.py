"""A base commit whose repository copy lacks some of its files' objects: check out what is there, name the rest.

A partial clone (`--filter=blob:...`) used offline, or a mirror that drops its largest files, holds the commit
and its trees but not every blob; `git fetch` of the commit then fails on the first missing object. Here the
commit's objects that exist are packed into the new repository (the same commit, shallow: still no history),
the missing paths are marked skip-worktree (git leaves them alone, `git status` stays clean) and everything else
is checked out. The missing paths are recorded in `.git/trajsift-missing.json`; `missing_files` reads them, and
the verifier names them and grades a run on such a tree `correct` or `unknown(worktree_incomplete)`, never
`incorrect` (the missing file may be why a test failed).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from trajsift import reasons
from trajsift.harness.grading.verdict import CORRECT, MAX_NAMES, UNKNOWN, Verdict, bounded_evidence
from trajsift.harness.patch.git import CLONE_TIMEOUT_S, WorktreeError, git_argv, git_checked, git_env, run_git

RECORD = "trajsift-missing.json"
MAX_MISSING = 1000
"""More missing blobs than this and the copy is not worth checking out: the fetch's own error stands."""


def missing_objects(repository: Path, sha: str) -> list[str]:
    """Objects of commit `sha` itself (its trees and blobs, not its history) that `repository` lacks."""
    done = run_git(["rev-list", "--objects", "--no-walk", "--missing=print", sha], cwd=repository)
    if done.returncode != 0:
        return []
    return [line[1:].strip() for line in done.stdout.splitlines() if line.startswith("?")]


def checkout_present(repository: Path, workdir: Path, sha: str, missing: list[str]) -> list[str]:
    """Check out `sha` from `repository` into the new repository at `workdir` without the `missing` blobs;
    returns (and records) the paths left out."""
    _copy_objects(repository, workdir, sha)
    (workdir / ".git" / "shallow").write_text(sha + "\n")
    git_checked(["read-tree", sha], cwd=workdir)
    absent = set(missing)
    listing = git_checked(["ls-tree", "-r", "-z", "--full-tree", sha], cwd=workdir)
    paths = sorted(path for meta, _, path in _entries(listing) if meta.split()[2] in absent)
    for start in range(0, len(paths), 200):
        git_checked(["update-index", "--skip-worktree", "--", *paths[start : start + 200]], cwd=workdir)
    git_checked(["checkout-index", "-a", "-f"], cwd=workdir)
    git_checked(["update-ref", "--no-deref", "HEAD", sha], cwd=workdir)
    (workdir / ".git" / RECORD).write_text(json.dumps(paths))
    return paths


def missing_files(workdir: Path) -> list[str]:
    """The paths `checkout_present` left out of this work tree (none for a complete checkout)."""
    record = Path(workdir) / ".git" / RECORD
    if record.is_symlink() or not record.is_file():
        return []
    try:
        paths = json.loads(record.read_text())
    except (OSError, ValueError):
        return []
    return [str(path) for path in paths] if isinstance(paths, list) else []


def judged_without(verdict: Verdict, missing: list[str]) -> Verdict:
    """`verdict` reached on a tree lacking the `missing` paths: they go into its evidence, and anything short of
    `correct` becomes unknown(worktree_incomplete), the verdict it would have been kept beside (a missing file may
    be why a test failed, a hunk did not apply or the tests could not start); `correct` stands (the listed tests
    passed without the file)."""
    if not missing:
        return verdict
    evidence = {**verdict.evidence, "missing_from_repository": missing[:MAX_NAMES]}
    if verdict.kind == CORRECT:
        return verdict.with_(evidence=bounded_evidence(evidence))
    evidence["graded_on_incomplete_tree"] = f"{verdict.kind}:{verdict.reason}"
    return verdict.with_(
        kind=UNKNOWN, reason=reasons.WORKTREE_INCOMPLETE, confidence=None, evidence=bounded_evidence(evidence)
    )


def _copy_objects(repository: Path, workdir: Path, sha: str) -> None:
    """Pack the commit's present objects in `repository` and index the pack in `workdir`."""
    listed = git_checked(["rev-list", "--objects", "--no-walk", "--missing=allow-any", sha], cwd=repository)
    oids = "".join(line.split(" ", 1)[0] + "\n" for line in listed.splitlines() if line)
    pack = subprocess.run(
        git_argv(["pack-objects", "--stdout", "-q", "--missing=allow-any"]),
        cwd=repository,
        env=git_env(),
        input=oids.encode(),
        capture_output=True,
        timeout=CLONE_TIMEOUT_S,
    )
    if pack.returncode != 0:
        raise WorktreeError(f"git pack-objects failed: {pack.stderr.decode('utf-8', 'replace')[-300:]}")
    index = subprocess.run(
        git_argv(["index-pack", "--stdin"]),
        cwd=workdir,
        env=git_env(),
        input=pack.stdout,
        capture_output=True,
        timeout=CLONE_TIMEOUT_S,
    )
    if index.returncode != 0:
        raise WorktreeError(f"git index-pack failed: {index.stderr.decode('utf-8', 'replace')[-300:]}")


def _entries(listing: str) -> list[tuple[str, str, str]]:
    """`ls-tree -z` records as (mode type oid, tab, path)."""
    return [record.partition("\t") for record in listing.split("\0") if record]
