"""One verification: a task and an agent's patch in, a `Verdict` with evidence out.

Flow: inspect the patch -> build (or reuse) the task environment -> fresh work tree at the base commit -> apply
the patch (does not apply: incorrect) -> static analysis and reference comparison -> test tampering (test-runner
configuration such as `conftest.py`: incorrect) -> the patch's edits to the test patch's files are reverted (as
SWE-bench does) and the test patch applied -> install steps -> tests in the sandbox -> parse and grade; anything
short of fully resolved is run once more and a test passing in either run counts as passed (flaky ones are noted).

Decisions:
- An empty patch is `unknown(no_patch)`: some formats do not record the patch at all, and a run that produced
  nothing is already the basic filter's and the completeness check's business. A patch that fails to apply, is
  malformed or unsafe (paths outside the tree, symlinks, `.git`) is incorrect.
- Infrastructure failures (no sandbox, no environment, worktree, sandbox error, task problems) are unknown.
- A failed install step after the patch (e.g. the patch deletes `setup.py`) does not stop the tests, as in the
  SWE-bench harness: the tests decide, and the failure is kept in the evidence (`install_failed`).
- Failed tests whose log shows the missing network (`network.judge_offline`): PASS_TO_PASS ones are neutral (as
  skips), FAIL_TO_PASS ones give `unknown(network_required)` with their names when they are the only failures left:
  the sandbox has no network, the SWE-bench harness had.
- Resource verdicts (timeout, memory / pids / disk / output exceeded, twice) and runs in
  which none of the listed tests ran (a collection or start-up failure) can be the patch's doing or the harness's:
  the task's reference patch is verified the same way (cached); if it is correct there, the agent's patch caused
  it and the verdict is incorrect (`resource_exceeded` / `tests_fail`), else unknown.
  So a bad patch cannot dodge "incorrect" by hanging or blowing up.
- pytest stopping before any test (usage or internal error, e.g. a conftest that cannot import here) is compared
  with the base tree: the same stop without the patch is unknown (an environment problem), else incorrect (`blame`).
- A task whose validation (`trajsift tasks validate`) found it invalid or flaky gives `unknown(task_invalid)`; so
  does a correct verdict whose FAIL_TO_PASS tests pass without the fix (one bare run per task, cached).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from trajsift import reasons
from trajsift.harness import swebench_specs
from trajsift.harness.blame import BaseLock, blame_on_reference, blame_startup, needs_the_fix
from trajsift.harness.build_cache import BuildCache, TreeBuild
from trajsift.harness.cache import ResultCache, patch_hash, task_fingerprint
from trajsift.harness.environments import EnvironmentUnavailable, build_environment
from trajsift.harness.grading.grading import FULL, NO_FAIL_TO_PASS, grade
from trajsift.harness.grading.logs import parser_for_repo
from trajsift.harness.grading.network import judge_offline
from trajsift.harness.grading.outcome import best_of, graded_verdict, run_evidence
from trajsift.harness.grading.protect import ROOT_CONFIGS, ProtectedFiles, revert_to_base
from trajsift.harness.grading.testrun import OVERLAY, TaskRunner
from trajsift.harness.grading.touched import check_generalization
from trajsift.harness.grading.verdict import (
    CORRECT,
    Verdict,
    incorrect,
    unknown,
)
from trajsift.harness.image_runner import ImageRunner
from trajsift.harness.patch.git import WorktreeError
from trajsift.harness.patch.incomplete import judged_without, missing_files, touches
from trajsift.harness.patch.patching import apply_patch, inspect_patch, patch_paths, touches_tests
from trajsift.harness.patch.reference import compare_to_reference
from trajsift.harness.patch.sources import resolve_source
from trajsift.harness.patch.static import analyze_patch
from trajsift.harness.patch.worktree import prepare_worktree, remove_worktree
from trajsift.harness.sandbox.backends import select_sandbox
from trajsift.harness.sandbox.base import Limits, Sandbox, SandboxUnavailable
from trajsift.harness.sandbox.docker import task_image
from trajsift.harness.system_deps import require_system_packages
from trajsift.harness.task_env import environment_key, spec_for_task, with_build_tools
from trajsift.tasks import Task, task_problems

TEST_LIMITS = Limits(wall_s=1800, memory_mb=8192, pids=4096, disk_mb=4096)
# a compiled tree's first build must fit (scikit-learn 0.21: 16 min on 2 loaded cores); a timed-out one is not cached
INSTALL_LIMITS = Limits(wall_s=2700, memory_mb=8192, pids=4096, disk_mb=4096)
RESOURCE_VERDICTS = frozenset({"timeout", "memory_exceeded", "pids_exceeded", "disk_exceeded", "output_exceeded"})
INVALID_STATUSES = frozenset({"invalid", "flaky"})


@dataclass(frozen=True)
class VerifyOptions:
    cache_dir: Path
    task_dir: Path | None = None
    """Folder of the task file: relative repository paths resolve against it."""
    local_repos: Mapping[str, Path] = field(default_factory=dict)
    """`owner/name` -> local clone, for SWE-bench tasks (no network needed)."""
    limits: Limits = TEST_LIMITS
    install_limits: Limits = INSTALL_LIMITS
    retry: bool = True
    use_cache: bool = True
    env_timeout_s: float = 1800
    sandbox: str = ""
    """Backend: `bubblewrap` (default), `docker` or `podman` (`sandbox.backends.select_sandbox`)."""
    build_cache: bool = True
    """Compiled extensions built once per environment and build inputs, copied into each work tree (`build_cache`)."""
    touched_tests: bool = True
    """After a correct verdict, run the touched modules' whole test files (`grading.touched`)."""
    before_fix: bool = True
    """A correct verdict stands only if its FAIL_TO_PASS tests fail on the base tree (`blame.needs_the_fix`);
    the reference patch's is not checked (`tasks validate --before` checks the task)."""


class Verifier:
    """Verifies (task, patch) pairs; thread-safe, results cached in `options.cache_dir`."""

    def __init__(
        self, options: VerifyOptions, sandbox: Sandbox | None = None, cache: ResultCache | None = None
    ) -> None:
        self.options = options
        Path(options.cache_dir).mkdir(parents=True, exist_ok=True)
        self.cache = cache or ResultCache(options.cache_dir)
        self._sandbox, self._sandbox_problem = sandbox, ""
        self._lock = threading.Lock()
        self._base_locks: dict[str, BaseLock] = {}
        self._env_failures: dict[str, str] = {}

    def sandbox(self) -> Sandbox:
        with self._lock:
            if self._sandbox is None and not self._sandbox_problem:
                try:
                    self._sandbox = select_sandbox(self.options.sandbox)
                except SandboxUnavailable as exc:
                    self._sandbox_problem = exc.reason
            if self._sandbox is None:
                raise SandboxUnavailable(self._sandbox_problem)
            return self._sandbox

    def base_lock(self, task_fp: str) -> BaseLock:
        """Held while the task's bare run is looked up or made (`blame.base_verdict`)."""
        with self._lock:
            return self._base_locks.setdefault(task_fp, BaseLock())

    def fingerprint(self, task: Task) -> str:
        try:
            source = resolve_source(task.repo, self.options.task_dir, self.options.local_repos)
            repo_key = source.location
        except WorktreeError:
            repo_key = task.repo
        network = "+network" if self.options.limits.network else ""  # a verdict with the network is another verdict
        return task_fingerprint(task, repo_key, environment_key(task) + network)

    def verify(self, task: Task, patch: str, use_cache: bool | None = None, retry: bool | None = None) -> Verdict:
        """The verdict for `patch` on `task`, from the cache when it holds one."""
        started = time.monotonic()
        use_cache = self.options.use_cache if use_cache is None else use_cache
        if not patch.strip():
            return unknown(reasons.NO_PATCH, "the trajectory has no patch")
        problems = task_problems(task)
        if problems:  # rejected at load: never graded
            return unknown(reasons.TASK_INVALID, "; ".join(problems))
        task_fp, digest = self.fingerprint(task), patch_hash(patch)
        validation = self.cache.get_validation(task_fp)
        if validation and validation["status"] in INVALID_STATUSES:
            return unknown(reasons.TASK_INVALID, f"task validation: {validation['status']}")
        verdict = self.cache.get(task_fp, digest) if use_cache else None
        if verdict is None:
            verdict = self.run(task, patch, self.options.retry if retry is None else retry)
            verdict = verdict.with_(duration_s=round(time.monotonic() - started, 3))
            if use_cache:
                self.cache.put(task_fp, digest, verdict)
        checked = self.options.before_fix and patch != task.reference_patch  # the reference is what the tests want
        return needs_the_fix(self, task, verdict, task_fp) if checked else verdict

    def run(self, task: Task, patch: str, retry: bool = True, bare: bool = False) -> Verdict:
        """One uncached verification; infrastructure problems become unknown verdicts. `bare` with an empty
        `patch`: the tests on the base tree with the test patch alone (what `tasks validate` expects to fail)."""
        check = inspect_patch(patch)
        if not check.ok and not (bare and check.reason == reasons.PATCH_EMPTY):
            if check.reason == reasons.PATCH_EMPTY:
                return unknown(reasons.NO_PATCH, check.detail)
            return incorrect(check.reason, {"detail": check.detail}, confidence=1.0)
        try:
            task = self._with_test_command(task)
            runner = self._runner(task)
            worktree = prepare_worktree(task, self.options.cache_dir, self.options.task_dir, self.options.local_repos)
        except EnvironmentUnavailable as exc:
            return unknown(reasons.ENVIRONMENT_UNAVAILABLE, exc.reason)
        except SandboxUnavailable as exc:
            return unknown(reasons.SANDBOX_UNAVAILABLE, exc.reason)
        except WorktreeError as exc:
            return unknown(reasons.WORKTREE_ERROR, str(exc))
        missing = missing_files(worktree)  # read before any patch or test runs there
        in_image = isinstance(runner, ImageRunner) and not touches(missing, patch, task.test_patch)
        try:
            return judged_without(self._in_worktree(task, patch, runner, worktree, retry), missing, in_image)
        except (OSError, WorktreeError) as exc:
            return unknown(reasons.WORKTREE_ERROR, f"{type(exc).__name__}: {exc}")
        finally:
            remove_worktree(worktree)

    def _with_test_command(self, task: Task) -> Task:
        if not task.test_command and swebench_specs.looks_like_swebench(task):
            task = swebench_specs.task_with_spec(task)
        if not task.test_command:
            raise EnvironmentUnavailable("the task has no test command")
        return task

    def _runner(self, task: Task) -> TaskRunner | ImageRunner:
        sandbox = self.sandbox()
        if hasattr(sandbox, "for_task") and task_image(task.metadata):  # the image carries repo and environment
            return ImageRunner(sandbox.for_task(task.metadata), task, spec_for_task(task), self.options.limits)
        require_system_packages(task)
        spec = spec_for_task(task)
        if spec is None:
            raise EnvironmentUnavailable("the task declares no environment")
        spec = with_build_tools(spec)
        key = spec.fingerprint()
        if key in self._env_failures:
            raise EnvironmentUnavailable(self._env_failures[key])
        try:
            environment = build_environment(spec, Path(self.options.cache_dir), self.options.env_timeout_s)
        except EnvironmentUnavailable as exc:
            self._env_failures[key] = exc.reason
            raise
        builds = Path(self.options.cache_dir) / "builds"
        build = TreeBuild(BuildCache(builds, key, skip=(f"{OVERLAY}/",))) if self.options.build_cache else None
        return TaskRunner(sandbox, environment, spec, self.options.limits, self.options.install_limits, build)

    def _in_worktree(self, task: Task, patch: str, runner: TaskRunner, worktree: Path, retry: bool) -> Verdict:
        failed = runner.prepare_base(worktree)  # steps that need the network: before any patch code is present
        if failed is not None:
            command, result = failed
            evidence = {"command": command, "sandbox_verdict": result.verdict, "log_tail": result.output[-2000:]}
            return unknown(reasons.INSTALL_FAILED, evidence=evidence)
        helpers = set(ProtectedFiles.capture(worktree, task.test_patch).contents) - set(ROOT_CONFIGS)
        applied = apply_patch(worktree, patch) if patch.strip() else None  # empty: a bare run (see `run`)
        if applied is not None and not applied.ok:
            return incorrect(applied.reason, {"detail": applied.detail}, confidence=1.0)
        extras = _static_and_reference(worktree, patch, task.reference_patch)
        test_files = patch_paths(task.test_patch)
        tampered = [path for path in touches_tests(patch, task.test_patch) if path not in test_files]
        if tampered:
            return incorrect(reasons.TEST_TAMPERING, {"tampered_files": tampered}, confidence=1.0, **extras)
        reverted = revert_to_base(worktree, sorted(patch_paths(patch) & (test_files | helpers)))
        if task.test_patch:
            applied = apply_patch(worktree, task.test_patch)
            if not applied.ok:
                return unknown(reasons.TEST_PATCH_DOES_NOT_APPLY, applied.detail, **extras)
        failed = runner.prepare(worktree)  # as the SWE-bench harness: a failed install step does not stop the tests
        protected = ProtectedFiles.capture(worktree, task.test_patch, patch=patch)
        verdict = self._test(task, patch, runner, worktree, retry, extras, protected)
        if runner.build is not None and runner.build.note:
            verdict = verdict.with_(evidence={**verdict.evidence, "build_cache": runner.build.note})
        if failed is not None:
            note = {"command": failed[0], "sandbox_verdict": failed[1].verdict, "log_tail": failed[1].output[-1000:]}
            verdict = verdict.with_(evidence={**verdict.evidence, "install_failed": note})
        return verdict.with_(evidence={**verdict.evidence, "reverted_test_files": reverted}) if reverted else verdict

    def _test(
        self, task: Task, patch: str, runner: TaskRunner, worktree: Path, retry: bool, extras: dict, protected
    ) -> Verdict:
        parser = str(task.metadata.get("log_parser") or parser_for_repo(task.repo))
        runs = [runner.run_tests(worktree, task, parser, protected)]
        graded = grade(runs[0].status, task.fail_to_pass, task.pass_to_pass)
        if graded.resolution != FULL and retry and runs[0].result.verdict != "sandbox_error":
            runs.append(runner.run_tests(worktree, task, parser, protected))
            graded = grade(best_of(runs), task.fail_to_pass, task.pass_to_pass)
        last = runs[-1].result
        evidence = run_evidence(runs, graded)
        if last.verdict == "sandbox_error":
            return unknown(reasons.SANDBOX_ERROR, last.output[-500:], **extras)
        forged = [problem for run in runs if run.forged for problem in run.integrity]
        if forged:  # the run ended normally but its evidence contradicts itself: the grader was shaped
            return incorrect(reasons.TEST_TAMPERING, {**evidence, "integrity": forged[:10]}, confidence=1.0, **extras)
        if graded.reason == NO_FAIL_TO_PASS:
            return unknown(reasons.NO_FAIL_TO_PASS, "the task lists no FAIL_TO_PASS tests", **extras)
        if graded.resolution != FULL and all(run.startup_exit is not None for run in runs):
            return blame_startup(self, task, patch, runs[-1].startup_exit, evidence, extras)
        limited = all(run.result.verdict in RESOURCE_VERDICTS for run in runs)
        if graded.resolution != FULL and limited:
            reason = reasons.TEST_RUN_TIMEOUT if last.verdict == "timeout" else reasons.TEST_RUN_RESOURCE_LIMIT
            return blame_on_reference(self, task, patch, reason, reasons.RESOURCE_EXCEEDED, evidence, extras)
        listed = [*graded.f2p_passed, *graded.f2p_failed, *graded.p2p_passed, *graded.p2p_failed]
        if graded.resolution != FULL and len(graded.missing) == len(listed):
            # nothing listed ran (collection or startup failure): the patch's doing only if the reference runs
            return blame_on_reference(self, task, patch, reasons.TESTS_NOT_RUN, reasons.TESTS_FAIL, evidence, extras)
        status = best_of(runs)
        graded, offline, unjudged = judge_offline(graded, status, last.output, task.fail_to_pass, task.pass_to_pass)
        if offline:
            evidence = {**run_evidence(runs, graded), "network_tests": offline}
        if unjudged:
            return unknown(reasons.NETWORK_REQUIRED, evidence=evidence, **extras)
        verdict = graded_verdict(graded, evidence, extras)
        if verdict.kind == CORRECT and self.options.touched_tests and patch != task.reference_patch:
            verdict = check_generalization(verdict, task, patch, runner, worktree, parser, protected)
        return verdict


def _static_and_reference(worktree: Path, patch: str, reference_patch: str) -> dict:
    metrics = analyze_patch(worktree, patch)
    static = {"new_syntax_errors": metrics.new_syntax_errors, "new_lint_errors": metrics.new_lint_errors}
    compared = compare_to_reference(patch, reference_patch)
    reference = {
        "files_jaccard": compared.files_jaccard,
        "hunk_locality": compared.hunk_locality,
        "diff_similarity": compared.diff_similarity,
        "edit_size_ratio": compared.edit_size_ratio,
    }
    return {"static": static, "reference": reference}
