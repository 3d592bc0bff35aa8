"""Run a command in a sandbox with a deadline and resource limits; classify how it ended.

The default backend is bubblewrap: no network, private PID/IPC/UTS namespaces (the whole PID namespace dies
at the deadline or when the command ends), all capabilities dropped, a read-only minimal host view and one
writable work dir. Memory and pids are capped by per-run cgroups (v1) when this host lets us create them,
else by rlimits; disk growth by a host-side watchdog plus RLIMIT_FSIZE; /tmp is a size-limited tmpfs.
`BubblewrapSandbox.enforcement` says what enforces each limit on this host.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from trajsift.harness.sandbox.base import BASE_ENV, MB, Limits, Sandbox, SandboxResult, SandboxUnavailable, feed_stdin
from trajsift.harness.sandbox.bwrap import bwrap_argv, read_status, wait_gone
from trajsift.harness.sandbox.cgroups import RunCgroups, cgroups_available, sweep_stale_groups
from trajsift.harness.sandbox.supervise import Run, drain_evidence, supervise
from trajsift.harness.sandbox.watchers import DiskWatch, OutputCapture

FLOOD_FACTOR = 8  # output beyond FLOOD_FACTOR * output_bytes (at least 8 MiB) is a flood: kill
MIN_FLOOD_BYTES = 8 << 20
NOBODY = 65534


class BubblewrapSandbox:
    """bubblewrap + cgroups v1 (or rlimits) sandbox."""

    name = "bubblewrap"

    def __init__(self, use_cgroups: bool | None = None, drop_privileges: bool | None = None) -> None:
        self.bwrap = shutil.which("bwrap")
        self.prlimit = shutil.which("prlimit") or "/usr/bin/prlimit"
        self.setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
        cgroup_problem = cgroups_available() if use_cgroups in (None, True) else "disabled"
        if use_cgroups and cgroup_problem:
            raise SandboxUnavailable(f"cgroups requested but unusable: {cgroup_problem}")
        self.use_cgroups = not cgroup_problem
        if self.use_cgroups:
            sweep_stale_groups()
        # Without a pids cgroup, RLIMIT_NPROC only binds a non-root uid: drop to nobody (needs a user namespace).
        self.drop_privileges = (
            (not self.use_cgroups and os.geteuid() == 0) if drop_privileges is None else drop_privileges
        )
        self.enforcement = self._describe()

    def _describe(self) -> dict[str, str]:
        if self.use_cgroups:
            memory, pids = "cgroup v1 memory.limit_in_bytes (+memsw), OOM kills counted", "cgroup v1 pids.max"
        else:
            memory = "RLIMIT_AS (no verdict: allocation failures look like a nonzero exit)"
            pids = "RLIMIT_NPROC" + (f" as uid {NOBODY}" if self.drop_privileges else " (root: NOT enforced)")
        return {
            "memory": memory,
            "pids": pids,
            "disk": "host watchdog on work dir bytes+inodes, RLIMIT_FSIZE; /tmp tmpfs of disk_mb",
            "wall": "deadline, then SIGKILL of the bwrap group; PID namespace dies with its init",
            "network": "bwrap --unshare-net (loopback only)",
            "filesystem": "read-only /usr, /lib*, selected /etc, ro_paths; writable work dir and /tmp only",
        }

    def check(self) -> None:
        """Raise SandboxUnavailable unless a trivial command runs in the sandbox."""
        if not self.bwrap:
            raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install -y bubblewrap")
        with tempfile.TemporaryDirectory(prefix="trajsift-probe-") as probe:
            result = self.run("true", Path(probe), Limits(wall_s=20, disk_mb=1))
        if result.verdict != "ok":
            raise SandboxUnavailable(f"bubblewrap probe failed ({result.verdict}): {result.output[-500:]}")

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
        """Run `command`; with `evidence`, a pipe is open in it as fd `$TRAJSIFT_EVIDENCE_FD` and what is
        written there comes back in `SandboxResult.evidence` (at most `MAX_EVIDENCE_BYTES`). `stdin` (small:
        it must fit the pipe buffer) is what the command reads on its standard input, else /dev/null."""
        started = time.monotonic()
        workdir = Path(workdir).resolve()
        if not self.bwrap or not workdir.is_dir():
            problem = "bwrap not installed" if not self.bwrap else f"work dir {workdir} is not a directory"
            return SandboxResult(None, problem, False, 0.0, "sandbox_error")
        groups = None
        try:
            groups = RunCgroups(limits.memory_mb * MB, limits.pids) if self.use_cgroups else None
            run = self._start(command, workdir, limits, env, ro_paths, groups, evidence)
            feed_stdin(run.proc, stdin)
            try:
                supervise(run)
            finally:
                self._stop(run)
            return self._result(run, started)
        except OSError as exc:
            duration = time.monotonic() - started
            return SandboxResult(None, f"sandbox failed to start: {exc}", False, duration, "sandbox_error")
        finally:
            if groups:
                groups.remove()

    def _start(self, command, workdir, limits, env, ro_paths, groups, evidence) -> Run:
        disk = DiskWatch([workdir], limits.disk_mb * MB)
        status_r, status_w = os.pipe()
        evidence_r, evidence_w = os.pipe() if evidence else (-1, -1)
        env = {**(env or {}), "TRAJSIFT_EVIDENCE_FD": str(evidence_w)} if evidence else env
        bwrap = bwrap_argv(
            command, workdir, ro_paths, limits.disk_mb * MB, status_w, limits.network, self.drop_privileges
        )
        argv = ["/bin/sh", "-c", (groups.join_script() if groups else "") + 'exec "$@"', "sandbox-wrapper"]
        argv += self._rlimits(limits) + self._privilege_drop() + [self.bwrap, *bwrap[1:]]
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env={**BASE_ENV, **(env or {})},
                start_new_session=True,
                pass_fds=(status_w,) if not evidence else (status_w, evidence_w),
            )
        except OSError:
            os.close(status_r)
            _close(evidence_r)
            raise
        finally:
            os.close(status_w)
            _close(evidence_w)
        flood = max(FLOOD_FACTOR * limits.output_bytes, MIN_FLOOD_BYTES)
        deadline = time.monotonic() + limits.wall_s
        capture = OutputCapture(limits.output_bytes)
        return Run(proc, capture, disk, deadline, flood, groups=groups, status_fd=status_r, evidence_fd=evidence_r)

    def _rlimits(self, limits: Limits) -> list[str]:
        # One file may not outgrow the disk allowance (plus slack so the watchdog still sees the overrun).
        args = [self.prlimit, f"--fsize={limits.disk_mb * MB + MB}", "--core=0"]
        if not self.use_cgroups:
            args += [f"--as={limits.memory_mb * MB}", f"--nproc={limits.pids}"]
        return [*args, "--"]

    def _privilege_drop(self) -> list[str]:
        if not self.drop_privileges:
            return []
        return [self.setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]

    def _stop(self, run: Run) -> None:
        """Kill the bwrap process group (its PID namespace dies with it), every cgroup member, reap."""
        try:
            os.killpg(run.proc.pid, 9)
        except ProcessLookupError:
            pass
        if run.groups:
            run.groups.kill_all()
        run.proc.wait()
        run.proc.stdout.close()
        drain_evidence(run)
        run.status = read_status(run.status_fd)
        child = run.status.get("child-pid")
        if child:
            wait_gone(child)

    def _result(self, run: Run, started: float) -> SandboxResult:
        exit_code = None if run.killed_for else run.status.get("exit-code", run.proc.returncode)
        verdict = self._verdict(run, exit_code)
        output = run.capture.text()
        duration = time.monotonic() - started
        return SandboxResult(exit_code, output, run.capture.truncated, duration, verdict, bytes(run.evidence))

    def _verdict(self, run: Run, exit_code: int | None) -> str:
        if run.groups and run.groups.oom_kills():
            return "memory_exceeded"
        if run.groups and run.groups.pids_hits():
            return "pids_exceeded"
        if run.killed_for == "disk_exceeded" or (run.killed_for != "output_exceeded" and run.disk.exceeded()):
            return "disk_exceeded"
        if run.killed_for:
            return run.killed_for
        if "exit-code" not in run.status:  # bwrap reports the command's exit; it never got that far
            return "sandbox_error"
        return "ok" if exit_code == 0 else "nonzero_exit"


def _close(fd: int) -> None:
    if fd >= 0:
        os.close(fd)


def default_sandbox() -> Sandbox:
    """The bubblewrap sandbox, checked to work here; SandboxUnavailable otherwise."""
    sandbox = BubblewrapSandbox()
    sandbox.check()
    return sandbox
