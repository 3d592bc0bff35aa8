"""A repository copy that lacks some of the base commit's blobs: the rest is checked out, the gaps are named,
and no run on such a tree is graded `incorrect`."""

from __future__ import annotations

from pathlib import Path

import pytest

from trajsift import reasons
from trajsift.harness.cache import ResultCache
from trajsift.harness.grading.verdict import CORRECT, UNKNOWN, correct, incorrect, unknown
from trajsift.harness.patch import worktree
from trajsift.harness.patch.git import WorktreeError
from trajsift.harness.patch.incomplete import judged_without, missing_files, touches
from trajsift.harness.verify import Verifier, VerifyOptions

from .verify_helpers import (
    GOLD,
    SOURCE,
    TESTS,
    WRONG,
    Outcome,
    ScriptedSandbox,
    all_tests,
    commit_repo,
    git,
    make_task,
)

DATA = "data/table.bin"


def drop_blob(repo: Path, commit: str, path: str) -> None:
    """Delete `path`'s blob from the repository's object store (as a mirror that drops large files does)."""
    blob = git(repo, "rev-parse", f"{commit}:{path}")
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()


def verifier_with(tmp_path: Path, script) -> Verifier:
    options = VerifyOptions(cache_dir=tmp_path / "env", task_dir=tmp_path)
    return Verifier(options, ScriptedSandbox(script), ResultCache(tmp_path))


@pytest.fixture
def incomplete(tmp_path: Path) -> tuple[Path, str]:
    files = {"calc.py": SOURCE, "tests/test_calc.py": TESTS, DATA: "0123456789" * 50, "README": "calc\n"}
    repo, commit = commit_repo(tmp_path, files)
    drop_blob(repo, commit, DATA)
    return repo, commit


def test_the_present_files_are_checked_out_at_the_same_commit(tmp_path, incomplete):
    repo, commit = incomplete
    tree = worktree.prepare_worktree(make_task(commit), tmp_path / "cache", task_file_dir=tmp_path)
    assert missing_files(tree) == [DATA]
    assert (tree / "calc.py").read_text() == SOURCE and (tree / "README").read_text() == "calc\n"
    assert not (tree / DATA).exists()
    assert git(tree, "rev-parse", "HEAD") == commit and git(tree, "status", "--porcelain") == ""
    assert git(tree, "rev-list", "--count", "HEAD") == "1"  # shallow: the base commit alone, as a full fetch


def test_a_complete_copy_records_nothing(tmp_path):
    _, commit = commit_repo(tmp_path, {"calc.py": SOURCE, "tests/test_calc.py": TESTS})
    tree = worktree.prepare_worktree(make_task(commit), tmp_path / "cache", task_file_dir=tmp_path)
    assert missing_files(tree) == [] and (tree / "calc.py").exists()


def test_a_copy_missing_too_much_keeps_the_fetch_error(tmp_path, incomplete, monkeypatch):
    monkeypatch.setattr(worktree, "MAX_MISSING", 0)
    with pytest.raises(WorktreeError, match="git fetch failed"):
        worktree.prepare_worktree(make_task(incomplete[1]), tmp_path / "cache", task_file_dir=tmp_path)


def test_only_a_correct_verdict_stands_on_an_incomplete_tree():
    failing = incorrect(reasons.TESTS_FAIL, {"f2p_failed": ["t::a"]})
    turned = judged_without(failing, [DATA])
    assert turned.kind == UNKNOWN and turned.reason == reasons.WORKTREE_INCOMPLETE and turned.confidence is None
    assert turned.evidence["missing_from_repository"] == [DATA] and turned.evidence["f2p_failed"] == ["t::a"]
    assert turned.evidence["graded_on_incomplete_tree"] == f"incorrect:{reasons.TESTS_FAIL}"
    passed = judged_without(correct(0.9), [DATA])
    assert passed.kind == CORRECT and passed.evidence["missing_from_repository"] == [DATA]
    not_run = judged_without(unknown(reasons.TESTS_NOT_RUN), [DATA])
    assert not_run.reason == reasons.WORKTREE_INCOMPLETE
    assert not_run.evidence["graded_on_incomplete_tree"] == f"unknown:{reasons.TESTS_NOT_RUN}"
    assert judged_without(failing, []) is failing
    assert reasons.WORKTREE_INCOMPLETE in reasons.UNKNOWN_INFRASTRUCTURE


def test_a_verdict_reached_on_a_complete_copy_elsewhere_stands():
    failing = incorrect(reasons.TESTS_FAIL, {"f2p_failed": ["t::a"]})
    kept = judged_without(failing, [DATA], elsewhere=True)
    assert (kept.kind, kept.reason) == ("incorrect", reasons.TESTS_FAIL)
    assert kept.evidence["missing_from_repository"] == [DATA] and "graded_on_incomplete_tree" not in kept.evidence


def test_touches_reads_every_path_a_patch_names():
    edit = "--- a/data/table.bin\n+++ b/data/table.bin\n@@ -1 +1 @@\n-0\n+1\n"
    rename = "diff --git a/x.py b/data/table.bin\nsimilarity index 100%\nrename from x.py\nrename to data/table.bin\n"
    assert touches([DATA], GOLD, edit) and touches([DATA], rename)
    assert not touches([DATA], GOLD, WRONG) and not touches([], edit) and not touches([DATA], "")


def test_verify_names_the_missing_files_and_never_says_incorrect(tmp_path, incomplete):
    passing = verifier_with(tmp_path, lambda command, workdir, number: Outcome(statuses=all_tests()))
    gold = passing.verify(make_task(incomplete[1]), GOLD)
    assert gold.kind == CORRECT and gold.evidence["missing_from_repository"] == [DATA]
    failing = verifier_with(tmp_path, lambda command, workdir, number: Outcome(statuses=all_tests("FAILED")))
    wrong = failing.verify(make_task(incomplete[1]), WRONG)
    assert wrong.kind == UNKNOWN and wrong.reason == reasons.WORKTREE_INCOMPLETE
    assert wrong.evidence["missing_from_repository"] == [DATA]


def test_a_record_written_during_the_run_changes_nothing(tmp_path):
    """Code under test could write the record to turn its `incorrect` into `unknown`: it is read before."""
    _, commit = commit_repo(tmp_path, {"calc.py": SOURCE, "tests/test_calc.py": TESTS})

    def forge(command, workdir, number):
        (Path(workdir) / ".git" / "trajsift-missing.json").write_text('["calc.py"]')
        return Outcome(statuses=all_tests("FAILED"))

    verdict = verifier_with(tmp_path, forge).verify(make_task(commit), WRONG)
    assert verdict.kind == "incorrect" and "missing_from_repository" not in verdict.evidence
