"""Install a task's repository and run its tests in a work tree, inside the sandbox.

The task's environment (a venv with the pinned packages, `environments.build_environment`) is built once per
fingerprint on the host and shared read-only by every run. A task whose recipe installs the repository
(`pip install -e .`) gets, per work tree, a tiny overlay venv in `<worktree>/.trajsift-venv`: its interpreter is
the shared one, a `.pth` file adds the shared site-packages, and the editable install goes into the overlay only
(so the shared env stays untouched and each run sees its own patched tree). That install runs in the sandbox
with no network (`--no-build-isolation --no-index`; the build tools are added to the shared env). Code from the
patch never runs with the network: steps that need it (those calling pip, other than the editable install) run
by `prepare_base` on the base tree, before the patch is applied; after it, `prepare` runs the offline steps
only, and a tree that needs a dependency the env lacks fails its install.

Tests run with `PYTHONHASHSEED` pinned, the task's test files restored and bound read-only, bytecode swept
(`protect`), pytest imported from the environment by the runner bootstrap (`pytest_command`), and the results
read from the evidence pipe, cross-checked (`integrity`) before a pass counts. Services the spec names (requests'
local httpbin) start in the sandbox first (`services`).
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from trajsift.harness.build_cache import TreeBuild
from trajsift.harness.environments import Environment, EnvSpec
from trajsift.harness.grading.checkout_paths import alias_checkout_paths
from trajsift.harness.grading.integrity import RunEvidence, judge_evidence, split_evidence
from trajsift.harness.grading.logs import combine, parse_junit, parse_log
from trajsift.harness.grading.protect import ProtectedFiles
from trajsift.harness.grading.pytest_command import BOOT, is_pytest, runner_command, runner_config, split_pytest
from trajsift.harness.grading.services import check_services, service_paths, with_services
from trajsift.harness.sandbox.base import BASE_ENV, Limits, Sandbox, SandboxResult
from trajsift.harness.swebench_specs import directives_for
from trajsift.harness.task_env import EDITABLE_INSTALL
from trajsift.patches import parse_patch
from trajsift.tasks import Task

OVERLAY = ".trajsift-venv"
HASH_SEED = "0"
OFFLINE_EDITABLE = "python -m pip install --no-build-isolation --no-index --disable-pip-version-check -q -e ."
REGISTRY_ENV = (
    "PIP_INDEX_URL",
    "PIP_CERT",
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "http_proxy",
    "https_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
)
SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def install_steps(spec: EnvSpec) -> list[tuple[str, bool]]:
    """(command, needs network) for each step run in the work tree: pre_install, then install."""
    steps = []
    for command in [*spec.pre_install, spec.install]:
        if not command.strip():
            continue
        if EDITABLE_INSTALL.match(command):
            steps.append((OFFLINE_EDITABLE, False))
        else:
            steps.append((command, bool(re.search(r"\bpip\d?(\.\d+)?\s+install\b", command))))
    return steps


def test_directives(task: Task) -> list[str]:
    """What `{tests}` stands for: the test patch's test files (as SWE-bench), else the files of node ids."""
    if task.test_patch and parse_patch(task.test_patch):
        return directives_for(task)
    files = [name.split("::", 1)[0] for name in (*task.fail_to_pass, *task.pass_to_pass) if "::" in name]
    return list(dict.fromkeys(files))


def test_command(task: Task) -> str:
    tests = " ".join(shlex.quote(t) for t in test_directives(task))
    return task.test_command.replace("{tests}", tests) if "{tests}" in task.test_command else task.test_command


@dataclass
class TestRun:
    result: SandboxResult
    status: dict[str, str]
    command: str
    junit_used: bool
    integrity: list[str] = field(default_factory=list)
    """Why the run's evidence is not trusted (empty when it is)."""
    forged: bool = False
    swept: list[str] = field(default_factory=list)
    startup_exit: int | None = None
    """pytest's exit status when it stopped before any test (`integrity.RunEvidence.startup_exit`)."""


class TaskRunner:
    """Runs install steps and tests for one task environment."""

    def __init__(
        self,
        sandbox: Sandbox,
        environment: Environment,
        spec: EnvSpec,
        limits: Limits,
        install_limits: Limits,
        build: TreeBuild | None = None,
    ) -> None:
        self.sandbox, self.environment, self.spec = sandbox, environment, spec
        self.limits, self.install_limits = limits, install_limits
        self.steps = install_steps(spec)
        check_services(spec.services)
        self.build = build
        """Compiled extensions: reused from the build cache, or built on the base tree and stored there."""

    @property
    def uses_overlay(self) -> bool:
        return bool(self.steps)

    def env_vars(self, worktree: Path) -> dict[str, str]:
        bins = [str(self.environment.bin_dir)]
        venv = str(self.environment.path)
        if self.uses_overlay:
            venv = str(worktree / OVERLAY)
            bins.insert(0, f"{venv}/bin")
        path = ":".join([*bins, BASE_ENV["PATH"]])
        return {**self.spec.env, "PATH": path, "VIRTUAL_ENV": venv, "PYTHONHASHSEED": HASH_SEED}

    def ro_paths(self, worktree: Path) -> list[Path]:
        """The env and its interpreter."""
        return list(self.environment.ro_paths)

    def prepare_base(self, worktree: Path) -> tuple[str, SandboxResult] | None:
        """On the base tree (no patch yet): the overlay, and every step up to the last that needs the network."""
        if not self.uses_overlay:
            return None
        self._make_overlay(worktree)
        build = self.build is not None and self.build.start(worktree)
        last = max((index for index, (_, network) in enumerate(self.steps) if network), default=-1)
        failed = self._run_steps(worktree, self.steps[: last + 1])
        if build and failed is None:  # nothing cached: build the unpatched tree now and keep what it adds
            self.build.finish_base(worktree, self._run_steps(worktree, self.steps[last + 1 :]) is None)
        return failed

    def prepare(self, worktree: Path) -> tuple[str, SandboxResult] | None:
        """After the patch: the steps that need no network; (failing command, its result) or None."""
        if not self.uses_overlay:
            return None
        if not (worktree / OVERLAY).exists():
            self._make_overlay(worktree)
        if self.build is not None:
            self.build.check_patched(worktree)
        return self._run_steps(worktree, [step for step in self.steps if not step[1]])

    def _make_overlay(self, worktree: Path) -> None:
        make_overlay(self.environment, worktree / OVERLAY)
        exclude = worktree / ".git" / "info" / "exclude"
        exclude.parent.mkdir(exist_ok=True)
        with open(exclude, "a") as handle:
            handle.write(f"/{OVERLAY}/\n")

    def _run_steps(self, worktree: Path, steps: list[tuple[str, bool]]) -> tuple[str, SandboxResult] | None:
        for command, network in steps:
            result = self._install_step(worktree, command, network)
            if result.verdict != "ok":
                return command, result
        return None

    def _install_step(self, worktree: Path, command: str, network: bool) -> SandboxResult:
        limits = dataclasses.replace(self.install_limits, network=network)
        env = {**self.env_vars(worktree), **(registry_env() if network else {})}
        return self.sandbox.run(command, worktree, limits, env=env, ro_paths=self.ro_paths(worktree))

    def run_tests(self, worktree: Path, task: Task, parser: str, protected: ProtectedFiles | None = None) -> TestRun:
        """One test run: protected files restored and bound read-only, bytecode swept, results from the pipe."""
        protected = protected or ProtectedFiles(worktree)
        protected.skip_dirs = frozenset({*protected.skip_dirs, OVERLAY})
        swept = protected.sweep()
        bound = protected.restore()
        original = test_command(task)
        if parser != "pytest" or not is_pytest(original):
            result = self._sandbox_run(original, worktree, bound, {})
            return TestRun(result, parse_log(result.output, parser), original, False, swept=swept)
        command = runner_command(original, self.environment.python, self.spec.python)
        own = [path for path in protected.contents if path.endswith("conftest.py")] + protected.plugins
        conftests = [worktree / path for path in own]  # the task's own pytest plugins: allowed to register
        executable = worktree / OVERLAY / "bin" / "python" if self.uses_overlay else None
        sites = self._sites(self.environment.path)
        config = runner_config(original, sites, self._overlay_sites(worktree), conftests, executable)
        plain = split_pytest(original) is not None
        key = secrets.token_hex(32).encode() if plain else b""  # the bootstrap signs its records with it
        result = self._sandbox_run(command, worktree, bound, {"TRAJSIFT_RUNNER": config}, key)
        judged = judge_evidence(result.evidence, result.exit_code, key)
        if not plain:  # no bootstrap in the run: the JUnit report alone
            judged = RunEvidence(parse_junit(split_evidence(result.evidence)[1]))
        status = combine(judged.statuses, parse_log(result.output, parser), structured_expected=True)
        status = alias_checkout_paths(status, str(worktree.resolve()), [*task.fail_to_pass, *task.pass_to_pass])
        return TestRun(result, status, command, True, judged.problems, judged.forged, swept, judged.startup_exit)

    def _sandbox_run(
        self, command: str, worktree: Path, bound: list[Path], extra: dict, key: bytes = b""
    ) -> SandboxResult:
        env = {**self.env_vars(worktree), "PYTHONDONTWRITEBYTECODE": "1", **extra}
        ro_paths = [*self.ro_paths(worktree), BOOT, *service_paths(self.spec.services), *bound]
        command = with_services(command, self.spec.services, self.environment.python)
        sandbox, limits = self.sandbox, self.limits
        return sandbox.run(command, worktree, limits, env=env, ro_paths=ro_paths, evidence=True, stdin=key)

    def _overlay_sites(self, worktree: Path) -> list[Path]:
        return self._sites(worktree / OVERLAY) if self.uses_overlay else []

    @staticmethod
    def _sites(venv: Path) -> list[Path]:
        return sorted(venv.glob("lib/python*/site-packages"))


def make_overlay(environment: Environment, overlay: Path) -> None:
    """A venv at `overlay` using the shared env's interpreter, seeing the shared site-packages after its own."""
    shared_site = sorted(environment.path.glob("lib/python*/site-packages"))
    if not shared_site:
        raise OSError(f"no site-packages in {environment.path}")
    site = overlay / shared_site[0].relative_to(environment.path)
    site.mkdir(parents=True)
    (overlay / "bin").mkdir()
    (overlay / "pyvenv.cfg").write_text((environment.path / "pyvenv.cfg").read_text())
    interpreter = os.path.realpath(environment.python)
    version = shared_site[0].parent.name  # pythonX.Y
    for name in ("python", "python3", version):
        (overlay / "bin" / name).symlink_to(interpreter)
    (site / "_trajsift_shared.pth").write_text(f"import site; site.addsitedir({str(shared_site[0])!r})\n")


def registry_env() -> dict[str, str]:
    """How this host reaches the package registry (index, proxy, CA bundle), for a step allowed the network.
    Without an explicit bundle pip is pointed at the system CA store, which the sandbox mounts."""
    env = {name: os.environ[name] for name in REGISTRY_ENV if os.environ.get(name, "").startswith(("http", "/"))}
    if "PIP_CERT" not in env and os.path.isfile(SYSTEM_CA_BUNDLE):
        env["PIP_CERT"] = SYSTEM_CA_BUNDLE
    return env
