"""Code from a patch, through the real sandbox: never the network, no history past the base commit, a
deadline that holds under a fork bomb."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from trajsift.harness.cache import ResultCache
from trajsift.harness.grading.verdict import CORRECT
from trajsift.harness.patch.worktree import prepare_worktree, remove_worktree
from trajsift.harness.sandbox.base import Limits
from trajsift.harness.sandbox.bubblewrap import BubblewrapSandbox
from trajsift.harness.verify import Verifier, VerifyOptions

from . import hostile_corpus as corpus
from .sandbox_helpers import SMALL, assert_nothing_left, fork_bomb, needs_bwrap
from .verify_helpers import diff, git

pytestmark = needs_bwrap


@pytest.fixture
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def _connects(port: int) -> str:
    """Python that tries to reach the host listener, then says the install lacks a dependency."""
    return (
        "import socket, sys\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
        "    print('CONNECTED')\n"
        "except OSError as exc:\n"
        "    print('refused', exc)\n"
    )


def test_patch_code_never_reaches_the_host_loopback(tmp_path, listener):
    port = listener.getsockname()[1]
    _, commit = corpus.make_repo(tmp_path)
    setup = _connects(port) + "print('ERROR: No matching distribution found for leftpad')\nsys.exit(1)\n"
    patch = diff("setup.py", corpus.SETUP, setup) + corpus.source_patch("\n" + _connects(port))
    options = VerifyOptions(cache_dir=tmp_path / "cache", task_dir=tmp_path, use_cache=False)
    verifier = Verifier(options, BubblewrapSandbox(), ResultCache(tmp_path / "results"))
    verdict = verifier.verify(corpus.make_task(commit), patch)  # the failed install used to retry online
    assert verdict.kind != CORRECT
    with pytest.raises(BlockingIOError):
        listener.accept()
    tests_only = corpus.source_patch("\n" + _connects(port))  # installs fine; the tests run (and are retried)
    verdict = verifier.verify(corpus.make_task(commit), tests_only)
    assert verdict.kind != CORRECT and verdict.evidence.get("runs") == 2
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_worktree_holds_no_history_past_the_base_commit(tmp_path):
    repo, base = corpus.make_repo(tmp_path)
    (repo / "calc.py").write_text(corpus.FIXED)
    git(repo, "commit", "-qam", "the fix")
    git(repo, "tag", "v2")
    later = git(repo, "rev-parse", "HEAD")
    worktree = prepare_worktree(corpus.make_task(base), tmp_path / "cache", tmp_path)
    try:
        probe = (
            f"git log --all --format=%H; echo ---; git show {later} >/dev/null 2>&1 && echo SHOWN; "
            f"git cat-file -e {later} 2>/dev/null && echo PRESENT; git tag; git branch -a; git remote; "
            "git reflog 2>/dev/null; echo COUNT=$(git rev-list --all --count); cat calc.py"
        )
        result = BubblewrapSandbox().run(probe, worktree, replace(SMALL, wall_s=30))
    finally:
        remove_worktree(worktree)
    history, rest = result.output.split("---\n", 1)
    assert result.verdict == "ok" and history.split() == [base]
    assert later not in result.output and "SHOWN" not in rest and "PRESENT" not in rest and "v2" not in rest
    assert "COUNT=1\n" in rest and "a - b" in rest


def test_deadline_holds_under_a_fork_bomb(tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    limits = Limits(wall_s=2, memory_mb=2048, pids=4096, disk_mb=64, output_bytes=64_000)
    bomb = fork_bomb()
    result = BubblewrapSandbox().run(f"{bomb} exec sleep 30", workdir, limits)
    assert result.verdict in ("timeout", "pids_exceeded")
    assert result.duration_s < limits.wall_s + 2
    assert_nothing_left(bomb.split("(")[0] + "()")
