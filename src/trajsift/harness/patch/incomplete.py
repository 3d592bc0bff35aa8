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
from pathlib import Path

from trajsift import reasons
from trajsift.harness.grading.verdict import CORRECT, MAX_NAMES, UNKNOWN, Verdict, bounded_evidence
from trajsift.harness.patch.git import CLONE_TIMEOUT_S, git_bytes, git_checked, run_git
from trajsift.patches import parse_patch

RECORD = "trajsift-missing.json"
MAX_MISSING = 1000
"""More missing blobs than this and the copy is not worth checking out: the fetch's own error stands."""


def commit_objects(repository: Path, sha: str) -> tuple[list[str], list[str]]:
    """Commit `sha`'s own objects (itself, its trees and blobs, not its history) in `repository`: (the present
    ones, the missing ones); both empty when git cannot list them."""
    done = run_git(["rev-list", "--objects", "--no-walk", "--missing=print", sha], cwd=repository)
    present, missing = [], []
    for line in done.stdout.splitlines() if done.returncode == 0 else []:
        if line.startswith("?"):
            missing.append(line[1:].strip())
        elif line:
            present.append(line.split(" ", 1)[0])
    return present, missing


def checkout_present(repository: Path, workdir: Path, sha: str, objects: tuple[list[str], list[str]]) -> list[str]:
    """Check out `sha` from `repository` into the new repository at `workdir` from its present objects
    (`commit_objects`), the missing blobs' paths left out; returns (and records) those paths."""
    present, missing = objects
    listed = "".join(oid + "\n" for oid in present).encode()
    pack = git_bytes(["pack-objects", "--stdout", "-q", "--missing=allow-any"], repository, listed, CLONE_TIMEOUT_S)
    git_bytes(["index-pack", "--stdin"], workdir, pack, CLONE_TIMEOUT_S)
    (workdir / ".git" / "shallow").write_text(sha + "\n")
    git_checked(["read-tree", sha], cwd=workdir)
    absent = set(missing)
    listing = git_checked(["ls-tree", "-r", "-z", "--full-tree", sha], cwd=workdir)
    paths = sorted(path for meta, _, path in _entries(listing) if meta.split()[2] in absent)
    git_checked(
        ["update-index", "--skip-worktree", "-z", "--stdin"], cwd=workdir, stdin="".join(p + "\0" for p in paths)
    )
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


def judged_without(verdict: Verdict, missing: list[str], elsewhere: bool = False) -> Verdict:
    """`verdict` reached on a tree lacking the `missing` paths: they go into its evidence, and anything short of
    `correct` becomes unknown(worktree_incomplete), the verdict it would have been kept beside (a missing file may
    be why a test failed, a hunk did not apply or the tests could not start); `correct` stands (the listed tests
    passed without the file). `elsewhere`: the tests ran on a complete copy (the task's image holds the whole
    repository) and nothing applied here touched a missing path, so the verdict stands too."""
    if not missing:
        return verdict
    evidence = {**verdict.evidence, "missing_from_repository": missing[:MAX_NAMES]}
    if verdict.kind == CORRECT or elsewhere:
        return verdict.with_(evidence=bounded_evidence(evidence))
    evidence["graded_on_incomplete_tree"] = f"{verdict.kind}:{verdict.reason}"
    return verdict.with_(
        kind=UNKNOWN, reason=reasons.WORKTREE_INCOMPLETE, confidence=None, evidence=bounded_evidence(evidence)
    )


def touches(missing: list[str], *patches: str) -> bool:
    """Whether any of `patches` changes, creates over, renames or deletes one of the `missing` paths."""
    if not missing:  # a complete copy: no patch parsed
        return False
    absent = set(missing)
    return any(absent & {diff.old_path, diff.new_path} for patch in patches for diff in parse_patch(patch))


def _entries(listing: str) -> list[tuple[str, str, str]]:
    """`ls-tree -z` records as (mode type oid, tab, path)."""
    return [record.partition("\t") for record in listing.split("\0") if record]
