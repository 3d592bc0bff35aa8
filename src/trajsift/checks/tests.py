"""`correctness.tests`: run the task's tests on each trajectory's final patch in the sandbox (stage 2).

The verdict (`correct` / `partially_correct` / `incorrect` / `unknown`) and its evidence become columns; the
default recipe drops `incorrect` and sends `partially_correct` to review. Verifications are cached by (task
fingerprint, patch hash), identical (task, patch) pairs of a batch run once, and distinct ones run in a small
thread pool (the work happens in subprocesses).

A log that holds no patch (`patch_source` `unknown`, e.g. OpenHands completion logs) is not left unknown when
the task's repository is at hand: the run's edits are replayed onto the base commit
(`trajsift.harness.patch.replay`) and the rebuilt patch is verified; `patch_source` says `replayed`, and
`replay_reason` why a replay was refused.

The harness cache (verdicts, task validations, task environments, repository mirrors, scratch work trees) lives
in the `cache_dir` parameter, by default `$XDG_CACHE_HOME/trajsift/harness` (`~/.cache/...`), not in the run's
`ctx.cache_dir`: environments take minutes to build and `trajsift tasks validate` results must be seen by later
runs, so they outlive any one output folder.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import Field

from trajsift import reasons
from trajsift.checks.base import Check, CheckContext, CheckOutput, Params, Scores
from trajsift.harness.cache import default_cache_dir
from trajsift.harness.grading.verdict import INCORRECT, Verdict, unknown
from trajsift.harness.patch.git import WorktreeError
from trajsift.harness.patch.replay import GitTree, replay_patch
from trajsift.harness.patch.sources import resolve_source, source_repository
from trajsift.harness.sandbox.backends import select_sandbox
from trajsift.harness.sandbox.base import SandboxUnavailable
from trajsift.harness.verify import TEST_LIMITS, Verifier, VerifyOptions
from trajsift.reasons import NO_TASK
from trajsift.schema import PATCH_REPLAYED, PATCH_UNKNOWN, Trajectory
from trajsift.tasks import Task


class TestsParams(Params):
    repos: dict[str, str] = Field(default_factory=dict)
    """Local clones for `owner/name` repositories (SWE-bench tasks): `{"sympy/sympy": "/path/to/clone"}`."""
    parallel: int = Field(default=0, ge=0)
    """Verifications run at once inside a shard; 0 means the number of cores."""
    timeout_s: float = Field(default=TEST_LIMITS.wall_s, gt=0)
    """Wall-clock limit of one test run."""
    memory_mb: int = Field(default=TEST_LIMITS.memory_mb, gt=0)
    """Memory limit of one test run."""
    retry: bool = True
    """Run the tests once more before calling a test failed."""
    cache: bool = True
    """Reuse cached verdicts (by task fingerprint and patch hash)."""
    sandbox: str = ""
    """Sandbox backend: `bubblewrap` (default), `docker` or `podman` (the task's own image when it names one)."""
    touched_tests: bool = True
    """After a correct verdict, run the whole test files of the modules the patch touches: a regression there
    makes the reason `resolved_but_suspect` (a finding: the default recipe sends the row to review)."""
    before_fix: bool = True
    """A correct verdict whose FAIL_TO_PASS tests already pass on the base tree with the test patch alone is
    `unknown(task_invalid)` (one bare run per task, cached): such a task cannot tell a fix from no fix."""
    network: bool = False
    """Let the tests reach the network (the sandbox shares the host's network; off by default): for tasks whose
    tests call real internet hosts, which otherwise come back `unknown(network_required)`."""
    cache_dir: str = ""
    """Harness cache folder; empty means `$XDG_CACHE_HOME/trajsift/harness` (else `~/.cache/trajsift/harness`)."""


class TestsCheck(Check[TestsParams]):
    __test__ = False  # not a pytest test class, despite its name
    id = "correctness.tests"
    description = "Run the task's tests on the final patch in a sandbox; static analysis; reference comparison."
    requires = ("tasks",)
    resources = {"num_cpus": 1, "concurrency": 4, "fan_out": 1}  # one sandboxed test run per task (`fan_out`)
    columns = {
        "verdict": pa.string(),
        "reason": pa.string(),
        "confidence": pa.float64(),
        "f2p_passed": pa.int64(),
        "f2p_failed": pa.int64(),
        "p2p_passed": pa.int64(),
        "p2p_failed": pa.int64(),
        "new_syntax_errors": pa.int64(),
        "new_lint_errors": pa.int64(),
        "ref_files_jaccard": pa.float64(),
        "ref_hunk_locality": pa.float64(),
        "ref_diff_similarity": pa.float64(),
        "ref_edit_size_ratio": pa.float64(),
        "evidence": pa.string(),
        "duration_s": pa.float64(),
        "patch_source": pa.string(),
        "replay_reason": pa.string(),
    }

    def __init__(self, params: TestsParams | Mapping[str, Any] | None = None) -> None:
        super().__init__(params)
        self._verifiers: dict[tuple[str, str], Verifier] = {}

    def preflight(self) -> str:
        """Why no test can run here (the sandbox backend does not work), else empty."""
        try:
            select_sandbox(self.params.sandbox)
        except SandboxUnavailable as exc:
            return f"sandbox unavailable: {exc.reason}"
        return ""

    def verifier(self, ctx: CheckContext) -> Verifier:
        params = self.params
        cache_dir = params.cache_dir or str(default_cache_dir() / "harness")
        task_dir = getattr(ctx, "task_dir", "") or ""
        key = (cache_dir, task_dir)
        if key not in self._verifiers:
            options = VerifyOptions(
                cache_dir=Path(cache_dir),
                task_dir=Path(task_dir) if task_dir else None,
                local_repos={name: Path(path) for name, path in params.repos.items()},
                limits=replace(
                    TEST_LIMITS, wall_s=params.timeout_s, memory_mb=params.memory_mb, network=params.network
                ),
                retry=params.retry,
                use_cache=params.cache,
                sandbox=params.sandbox,
                touched_tests=params.touched_tests,
                before_fix=params.before_fix,
            )
            self._verifiers[key] = Verifier(options)
        return self._verifiers[key]

    def run(self, batch: list[Trajectory], ctx: CheckContext, scores: list[Scores]) -> list[CheckOutput]:
        finals = [self.final_patch(traj, ctx) for traj in batch]
        jobs: dict[tuple[str, str], None] = {}
        for traj, (patch, _, _) in zip(batch, finals, strict=True):
            if traj.task.task_id in ctx.tasks:
                jobs[(traj.task.task_id, patch)] = None
        verdicts = self._verify_all(list(jobs), ctx) if jobs else {}
        outputs = []
        for traj, (patch, source, replay_reason) in zip(batch, finals, strict=True):
            verdict = verdicts.get((traj.task.task_id, patch))
            if verdict is None:
                verdict = unknown(NO_TASK, f"no task {traj.task.task_id!r} in the task file")
            outputs.append(self.to_output(verdict, patch_source=source, replay_reason=replay_reason))
        return outputs

    def final_patch(self, traj: Trajectory, ctx: CheckContext) -> tuple[str, str, str]:
        """(patch, patch_source, replay refusal reason): the recorded patch, or one replayed from the edits."""
        final = traj.final
        task = ctx.tasks.get(traj.task.task_id)
        if final.patch or final.patch_source != PATCH_UNKNOWN or task is None:
            return final.patch, final.patch_source, ""
        options = self.verifier(ctx).options
        try:
            source = resolve_source(task.repo, options.task_dir, options.local_repos)
            repository = source_repository(source, options.cache_dir, task.base_commit)
            result = replay_patch(traj.steps, GitTree(str(repository), task.base_commit))
        except (WorktreeError, subprocess.SubprocessError, OSError, ValueError) as error:
            return "", PATCH_UNKNOWN, f"repository_unavailable: {error}"[:300]
        if result.reason:
            return "", PATCH_UNKNOWN, result.reason
        return result.patch, PATCH_REPLAYED, ""

    def _verify_all(self, jobs: list[tuple[str, str]], ctx: CheckContext) -> dict[tuple[str, str], Verdict]:
        verifier = self.verifier(ctx)
        if ctx.fan_out is not None:  # one remote task per (task, patch) pair (Ray)
            pairs = [(verifier.options, ctx.tasks[task_id], patch) for task_id, patch in jobs]
            return dict(zip(jobs, ctx.fan_out(verify_pair, pairs), strict=True))
        workers = self.params.parallel or os.cpu_count() or 1
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs)))) as pool:
            results = pool.map(lambda job: verifier.verify(ctx.tasks[job[0]], job[1]), jobs)
            return dict(zip(jobs, results, strict=True))

    def to_output(self, verdict: Verdict, patch_source: str = "", replay_reason: str = "") -> CheckOutput:
        static, reference = verdict.static, verdict.reference
        suspect = verdict.reason == reasons.RESOLVED_BUT_SUSPECT
        findings = [verdict.reason] if (verdict.kind == INCORRECT or suspect) and verdict.reason else []
        return self.output(
            findings=findings,
            verdict=verdict.kind,
            reason=verdict.reason,
            confidence=verdict.confidence,
            f2p_passed=verdict.f2p_passed,
            f2p_failed=verdict.f2p_failed,
            p2p_passed=verdict.p2p_passed,
            p2p_failed=verdict.p2p_failed,
            new_syntax_errors=static.get("new_syntax_errors"),
            new_lint_errors=static.get("new_lint_errors"),
            ref_files_jaccard=reference.get("files_jaccard"),
            ref_hunk_locality=reference.get("hunk_locality"),
            ref_diff_similarity=reference.get("diff_similarity"),
            ref_edit_size_ratio=reference.get("edit_size_ratio"),
            evidence=json.dumps(verdict.evidence, sort_keys=True, default=str) if verdict.evidence else "",
            duration_s=verdict.duration_s,
            patch_source=patch_source,
            replay_reason=replay_reason,
        )


_process_verifiers: dict[str, Verifier] = {}


def verify_pair(pair: tuple[VerifyOptions, Task, str]) -> Verdict:
    """One (task, patch) verification in whatever process runs it (a Ray task), with a verifier per options."""
    options, task, patch = pair
    key = repr(options)
    if key not in _process_verifiers:
        _process_verifiers[key] = Verifier(options)
    return _process_verifiers[key].verify(task, patch)
