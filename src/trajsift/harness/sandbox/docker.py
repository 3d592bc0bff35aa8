"""Docker / Podman sandbox backend behind the same `Sandbox` protocol as bubblewrap (`--sandbox docker`).

Each `run` is one container: `--network none` (unless the step is allowed the network), memory (swap included),
pids and CPU limits, all capabilities dropped, `no-new-privileges`, a size-limited tmpfs at /tmp, the work dir
bind-mounted read-write at its host path and every `ro_paths` entry read-only. The deadline is enforced from
the host: past it the container is killed and removed (`docker rm -f`), as it is on any exit of `run`, and
containers still alive when the process exits (a killed verification) are removed by an `atexit` hook.

The evidence pipe of the bubblewrap backend becomes a file: a host temp dir is mounted at `/trajsift-evidence`
and the command runs with `$TRAJSIFT_EVIDENCE_FD` open on a file there, read back after the run.

An instance's own image (SWE-bench's `swebench/sweb.eval.x86_64.*`, SWE-Gym, R2E-Gym) is used when the task names
one (`docker_image` / `image_name` in its metadata): `for_task` returns a backend bound to it. Without an image
the backend uses `default_image`. No engine answers on the machines this was written on: the contract tests
skip there with that reason.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from trajsift.harness.sandbox.base import BASE_ENV, Limits, SandboxResult, SandboxUnavailable, feed_stdin
from trajsift.harness.sandbox.engine_compat import EngineOptions, adapt
from trajsift.harness.sandbox.watchers import OutputCapture

EVIDENCE_DIR = "/trajsift-evidence"
EVIDENCE_FD = 9
IMAGE_KEYS = ("docker_image", "image_name", "image")
_LIVE: set[tuple[str, str]] = set()
_LIVE_LOCK = threading.Lock()
_OPTIONS: dict[str, EngineOptions] = {}
MAX_ADAPTATIONS = 3


def engine_problem(engine: str) -> str:
    """Why `engine` (docker or podman) cannot run containers here; empty when it can."""
    binary = shutil.which(engine)
    if not binary:
        return f"{engine} is not installed"
    try:
        probe = subprocess.run([binary, "info"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{engine} info failed: {exc}"
    if probe.returncode != 0:
        return f"no {engine} engine answers: {probe.stderr.decode('utf-8', 'replace').strip()[-300:]}"
    return ""


def task_image(metadata: dict) -> str:
    """The container image a task names, if any."""
    return next((str(metadata[key]) for key in IMAGE_KEYS if metadata.get(key)), "")


class DockerSandbox:
    """One container per command; `engine` is `docker` or `podman` (same CLI)."""

    def __init__(self, engine: str = "docker", default_image: str = "python:3.11-slim", check: bool = True) -> None:
        self.engine, self.name, self.image = engine, engine, default_image
        self.binary = shutil.which(engine) or engine
        if check and (problem := engine_problem(engine)):
            raise SandboxUnavailable(problem)

    def for_task(self, metadata: dict) -> DockerSandbox:
        """This backend, bound to the task's own image when it names one."""
        image = task_image(metadata)
        if not image or image == self.image:
            return self
        bound = DockerSandbox(self.engine, image, check=False)
        return bound

    def run(
        self,
        command: str,
        workdir: Path,
        limits: Limits,
        env: dict[str, str] | None = None,
        ro_paths: Sequence[Path] = (),
        evidence: bool = False,
        stdin: bytes = b"",
    ) -> SandboxResult:
        started = time.monotonic()
        workdir = Path(workdir).resolve()
        name = f"trajsift-{uuid.uuid4().hex[:16]}"
        with tempfile.TemporaryDirectory(prefix="trajsift-evidence-") as scratch:
            for _attempt in range(MAX_ADAPTATIONS + 1):
                argv = self.argv(
                    name, command, workdir, limits, env or {}, ro_paths, Path(scratch) if evidence else None
                )
                try:
                    exit_code, output, verdict = self._supervise(name, argv, limits, stdin)
                except OSError as exc:
                    return SandboxResult(None, f"{self.engine} failed to start: {exc}", False, 0.0, "sandbox_error")
                finally:
                    self.remove(name)
                if verdict != "sandbox_error" or not self._adapt(output.text()):
                    break
            proof = _read_evidence(Path(scratch)) if evidence else b""
        duration = time.monotonic() - started
        return SandboxResult(exit_code, output.text(), output.truncated, duration, verdict, proof)

    @property
    def options(self) -> EngineOptions:
        """The engine options this host needs (`engine_compat`), shared by every sandbox of the same binary."""
        return _OPTIONS.get(self.binary, EngineOptions())

    def _adapt(self, refusal: str) -> bool:
        """Learn the options that avoid the engine's refusal; False when there is nothing new to try."""
        adapted = adapt(self.engine, refusal, self.options)
        if adapted is not None:
            _OPTIONS[self.binary] = adapted
        return adapted is not None

    def argv(
        self,
        name: str,
        command: str,
        workdir: Path,
        limits: Limits,
        env: dict[str, str],
        ro_paths: Sequence[Path],
        evidence_dir: Path | None,
    ) -> list[str]:
        """The `docker run` command line for one sandboxed command."""
        memory = f"{limits.memory_mb}m"
        options = self.options
        argv = [self.binary, *options.global_args, "run", *options.run_args, "--name", name, "-i", "--init"]
        argv += ["--cap-drop", "ALL"]
        argv += ["--security-opt", "no-new-privileges", "--memory", memory, "--memory-swap", memory]
        argv += ["--pids-limit", str(limits.pids), "--tmpfs", f"/tmp:rw,size={limits.disk_mb}m"]
        argv += ["--network", "bridge" if limits.network else "none", "-w", str(workdir)]
        argv += ["-v", f"{workdir}:{workdir}:rw"]
        for path in dict.fromkeys(Path(p).resolve() for p in ro_paths):
            argv += ["-v", f"{path}:{path}:ro"]
        script = command
        if evidence_dir is not None:
            argv += ["-v", f"{evidence_dir}:{EVIDENCE_DIR}:rw"]
            env = {**env, "TRAJSIFT_EVIDENCE_FD": str(EVIDENCE_FD)}
            script = f"exec {EVIDENCE_FD}>{EVIDENCE_DIR}/evidence; {command}"
        for key, value in {**BASE_ENV, **env}.items():
            argv += ["-e", f"{key}={value}"]
        return [*argv, self.image, "/bin/sh", "-c", script]

    def _supervise(self, name: str, argv: list[str], limits: Limits, stdin: bytes) -> tuple[int | None, object, str]:
        """Run the container to its end or its deadline; (exit code, captured output, verdict)."""
        capture = OutputCapture(limits.output_bytes)
        with _LIVE_LOCK:
            _LIVE.add((self.binary, name))
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        reader = threading.Thread(target=_pump, args=(proc, capture), daemon=True)
        reader.start()
        feed_stdin(proc, stdin)
        try:
            code = proc.wait(timeout=limits.wall_s)
        except subprocess.TimeoutExpired:
            self.remove(name)
            proc.kill()
            proc.wait()
            reader.join(timeout=10)
            return None, capture, "timeout"
        reader.join(timeout=10)
        if code == 137 and self._oom_killed(name):
            return None, capture, "memory_exceeded"
        if _engine_refused(code, capture.text()):
            return None, capture, "sandbox_error"
        return code, capture, "ok" if code == 0 else "nonzero_exit"

    def _oom_killed(self, name: str) -> bool:
        probe = subprocess.run(
            [self.binary, *self.options.global_args, "inspect", "-f", "{{.State.OOMKilled}}", name],
            capture_output=True,
            text=True,
            check=False,
        )
        return probe.stdout.strip() == "true"

    def remove(self, name: str) -> None:
        """Kill and remove the container (idempotent)."""
        rm = [self.binary, *self.options.global_args, "rm", "-f", name]
        subprocess.run(rm, capture_output=True, timeout=60, check=False)
        with _LIVE_LOCK:
            _LIVE.discard((self.binary, name))


def _engine_refused(code: int, output: str) -> bool:
    """The engine itself failed (no such image, bad mount, the OCI runtime refused): not the command's doing."""
    return code == 125 or (code == 126 and "OCI " in output[:4000])


def _pump(proc: subprocess.Popen, capture: OutputCapture) -> None:
    for chunk in iter(lambda: proc.stdout.read1(65536), b""):
        capture.feed(chunk)


def _read_evidence(scratch: Path) -> bytes:
    path = scratch / "evidence"
    return path.read_bytes()[: 64 << 20] if path.is_file() else b""


@atexit.register
def _remove_leftovers() -> None:
    with _LIVE_LOCK:
        live = list(_LIVE)
    for binary, name in live:
        if os.path.exists(binary) or shutil.which(binary):
            options = _OPTIONS.get(binary, EngineOptions())
            subprocess.run(
                [binary, *options.global_args, "rm", "-f", name], capture_output=True, timeout=60, check=False
            )
