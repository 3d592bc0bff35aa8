"""The verdict cache: keys, what is cached, concurrent writers, validations; and verdict (de)serialisation."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

from trajsift.harness.cache import ResultCache, default_cache_dir, patch_hash, task_fingerprint
from trajsift.harness.grading.verdict import (
    MAX_EVIDENCE_BYTES,
    MAX_NAMES,
    Verdict,
    bounded_evidence,
    correct,
    incorrect,
    partially_correct,
    unknown,
)
from trajsift.tasks import Environment, Task

TASK = Task(
    task_id="t-1", repo="repos/x", base_commit="abc", fail_to_pass=["a"], environment=Environment(python="3.11")
)


def test_fingerprint_ignores_wording_but_not_what_changes_a_verdict():
    base = task_fingerprint(TASK)
    assert task_fingerprint(Task(**{**_fields(TASK), "instruction": "new words", "category": "x"})) == base
    for change in ({"fail_to_pass": ["b"]}, {"test_command": "pytest"}, {"base_commit": "def"}, {"test_patch": "x"}):
        assert task_fingerprint(Task(**{**_fields(TASK), **change})) != base
    no_commit = Task(task_id="t", repo="r")
    assert task_fingerprint(no_commit, "/a") != task_fingerprint(no_commit, "/b")  # HEAD of which repository
    assert task_fingerprint(TASK, "/a") == task_fingerprint(TASK, "/b")  # the commit pins the content


def test_patch_hash_is_exact():
    assert patch_hash("a\n") != patch_hash("a") and len(patch_hash("")) == 64


def test_judged_verdicts_round_trip_and_unknown_is_not_cached(tmp_path: Path):
    cache = ResultCache(tmp_path)
    verdict = partially_correct(1, 1, 0.7, evidence={"f2p_failed": ["x"]}, duration_s=2.5)
    cache.put("fp", "p1", verdict)
    cache.put("fp", "p2", unknown("sandbox_error", "boom"))
    got = cache.get("fp", "p1")
    assert got == verdict.with_(cached=True) and got.cached and not verdict.cached
    assert cache.get("fp", "p2") is None and cache.get("other", "p1") is None
    with sqlite3.connect(cache.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _writer(directory: str, worker: int) -> None:
    cache = ResultCache(Path(directory))
    for index in range(25):
        cache.put(f"task-{index % 5}", f"patch-{worker}-{index}", correct(0.9))
        assert cache.get(f"task-{index % 5}", f"patch-{worker}-{index}") is not None


def test_several_processes_share_one_cache(tmp_path: Path):
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_writer, args=(str(tmp_path), worker)) for worker in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    with sqlite3.connect(ResultCache(tmp_path).path) as db:
        assert db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 100


def test_validations(tmp_path: Path):
    cache = ResultCache(tmp_path)
    assert cache.get_validation("fp") is None
    cache.put_validation("fp", "t-1", "flaky", {"runs": ["correct:", "incorrect:tests_fail"]})
    assert cache.get_validation("fp") == {"status": "flaky", "runs": ["correct:", "incorrect:tests_fail"]}
    cache.put_validation("fp", "t-1", "valid", {})
    assert cache.get_validation("fp")["status"] == "valid"


def test_default_cache_dir_follows_xdg(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "trajsift"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "trajsift"


def test_verdict_constructors_and_bounds():
    assert correct(1.3).confidence == 1.0 and incorrect("tests_fail", confidence=-1).confidence == 0.0
    assert unknown("no_patch").confidence is None and not unknown("no_patch").is_judged
    names = [f"test_{i}" for i in range(100)]
    evidence = bounded_evidence({"f2p_failed": names, "log_tail": "x" * 50_000, "runs": 2})
    assert evidence["f2p_failed"] == names[:MAX_NAMES] and evidence["f2p_failed_total"] == 100
    assert evidence["log_tail"].endswith("x") and len(evidence["log_tail"]) < 3_000 and evidence["runs"] == 2
    huge = bounded_evidence({f"k{i}": "y" * 1_900 for i in range(20)})
    assert len(Verdict("unknown", evidence=huge).to_json()) < MAX_EVIDENCE_BYTES + 1_000
    verdict = incorrect("tests_fail", {"f2p_failed": ["a"]}, static={"new_syntax_errors": 1}, duration_s=1.0)
    assert Verdict.from_json(verdict.to_json()) == verdict


def _fields(task: Task) -> dict:
    return {name: getattr(task, name) for name in task.__struct_fields__}
