"""Hostile patches through the real sandbox: none may be graded `correct`; the honest fix is."""

from __future__ import annotations

import pytest

from trajsift.harness.cache import ResultCache
from trajsift.harness.grading.verdict import CORRECT
from trajsift.harness.sandbox.bubblewrap import BubblewrapSandbox
from trajsift.harness.verify import Verifier, VerifyOptions

from .hostile_corpus import honest_patch, hostile_patches, make_repo, make_task
from .sandbox_helpers import needs_bwrap

pytestmark = needs_bwrap
PATCHES = hostile_patches()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("hostile")
    _, commit = make_repo(root)
    options = VerifyOptions(cache_dir=root / "cache", task_dir=root, use_cache=False)
    return Verifier(options, BubblewrapSandbox(), ResultCache(root / "results")), make_task(commit)


def test_the_honest_fix_is_correct(corpus):
    verifier, task = corpus
    verdict = verifier.verify(task, honest_patch())
    assert verdict.kind == CORRECT, verdict.evidence


@pytest.mark.parametrize("case", sorted(PATCHES))
def test_hostile_patch_is_never_correct(corpus, case):
    verifier, task = corpus
    verdict = verifier.verify(task, PATCHES[case])
    assert verdict.kind != CORRECT, (case, verdict.evidence)
