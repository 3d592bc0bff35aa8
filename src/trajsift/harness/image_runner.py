"""Verification inside a task's own container image (SWE-bench's `sweb.eval.*`, SWE-smith, SWE-Gym and the like).

Such an image already holds the repository at its base commit (`/testbed`) and the environment its tests need, so
nothing is built on the host. The host still checks the patch out in a work tree, as for every backend (static
checks, test tampering, the test patch, protected test files restored); what the tests then see is that tree's
whole difference from the base commit, taken as one binary diff and applied to the image's copy of the repository
in a fresh container. As the SWE-bench harness's evaluation script does, the run activates the image's
environment, applies the diff, re-runs the install step (its failure does not stop the tests) and runs the tests;
statuses are read from the log with the repository's parser.

Image layout, from the task's metadata where it differs from SWE-bench's: `image_repo_dir` (default `/testbed`),
`image_setup` (default: activate `/opt/miniconda3`'s `testbed` env when the image has one).
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from pathlib import Path

from trajsift.harness.environments import EnvSpec
from trajsift.harness.grading.logs import parse_log
from trajsift.harness.grading.protect import ProtectedFiles
from trajsift.harness.grading.testrun import TestRun, test_command
from trajsift.harness.patch.git import WorktreeError, git_bytes, git_env
from trajsift.harness.sandbox.base import Limits, Sandbox, SandboxResult
from trajsift.tasks import Task

REPO_DIR = "/testbed"
CONDA_SETUP = (
    "if [ -f /opt/miniconda3/bin/activate ]; then . /opt/miniconda3/bin/activate && conda activate testbed; fi"
)
DIFF_NAME = "tree.diff"
SCRIPT_NAME = "run.sh"
LAUNCH = f"if command -v bash >/dev/null 2>&1; then exec bash {SCRIPT_NAME}; else exec sh {SCRIPT_NAME}; fi"
MAX_DIFF_BYTES = 64 << 20


def tree_diff(worktree: Path) -> bytes:
    """The work tree's whole difference from its HEAD (untracked files included), as a binary git diff. Staged in
    a copy of the tree's own index, so the paths an incomplete copy marked skip-worktree (`patch.incomplete`)
    stay as they are in HEAD instead of reading as deleted."""
    with tempfile.TemporaryDirectory(prefix="trajsift-index-") as scratch:
        index = os.path.join(scratch, "index")
        env = {**git_env(), "GIT_INDEX_FILE": index}
        own = worktree / ".git" / "index"
        steps = [["add", "-A"], ["diff", "--cached", "--binary", "--no-color", "HEAD"]]
        if own.is_file() and not own.is_symlink():
            shutil.copy2(own, index)  # its mtime too: git's check of entries racily clean against the index
        else:
            steps.insert(0, ["read-tree", "HEAD"])
        for args in steps:
            diff = git_bytes(args, worktree, env=env)
    if len(diff) > MAX_DIFF_BYTES:
        raise WorktreeError(f"the tree's diff is {len(diff)} bytes, over {MAX_DIFF_BYTES}")
    return diff


class ImageRunner:
    """The `TaskRunner` interface for a task whose image carries the repository and its environment."""

    build = None
    uses_overlay = False

    def __init__(self, sandbox: Sandbox, task: Task, spec: EnvSpec | None, limits: Limits) -> None:
        self.sandbox, self.spec, self.limits = sandbox, spec, limits
        self.repo_dir = str(task.metadata.get("image_repo_dir") or REPO_DIR)
        self.setup = str(task.metadata.get("image_setup") or CONDA_SETUP)

    def prepare_base(self, worktree: Path) -> tuple[str, SandboxResult] | None:
        return None  # the image's environment is built already

    def prepare(self, worktree: Path) -> tuple[str, SandboxResult] | None:
        return None  # the install step runs in the test container, after the diff is applied

    def script(self, command: str, diff_path: str) -> str:
        """setup; apply the tree's diff to the image's repository; install (allowed to fail); the tests."""
        repo = shlex.quote(self.repo_dir)
        apply = f"git -c safe.directory='*' apply --binary --whitespace=nowarn {shlex.quote(diff_path)}"
        install = (self.spec.install if self.spec else "").strip()
        # exit 125 is the engine's own failure code: the backend reports it as `sandbox_error`, never as the tests'
        steps = [self.setup, f"cd {repo}", f"{apply} || {{ echo 'trajsift: the diff does not apply' >&2; exit 125; }}"]
        if install:
            steps.append(f"{{ {install} ; }} > /tmp/trajsift-install.log 2>&1 || echo 'trajsift: install failed'")
        return "\n".join([*steps, command])

    def run_tests(self, worktree: Path, task: Task, parser: str, protected: ProtectedFiles | None = None) -> TestRun:
        """One run in a fresh container of the image: statuses from the log (no evidence pipe in the image)."""
        if protected is not None:
            protected.restore()  # the task's test files as the test patch left them, before the diff is taken
        command = test_command(task)
        with tempfile.TemporaryDirectory(prefix="trajsift-image-") as scratch:
            (Path(scratch) / DIFF_NAME).write_bytes(tree_diff(worktree))
            (Path(scratch) / SCRIPT_NAME).write_text(self.script(command, f"{scratch}/{DIFF_NAME}"))
            env = {**(self.spec.env if self.spec else {}), "PYTHONHASHSEED": "0"}
            result = self.sandbox.run(LAUNCH, Path(scratch), self.limits, env=env)
        return TestRun(result, parse_log(result.output, parser), command, False)
