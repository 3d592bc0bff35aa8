"""Per-run cgroup v1 groups (memory + pids): create, join, read limit hits, kill everything, remove.

The sandbox starts its command through a tiny shell wrapper that writes its own pid into each group's
`cgroup.procs` before exec'ing bubblewrap, so every process of the run (bwrap included) is born inside.
"""

from __future__ import annotations

import os
import shlex
import signal
import time
import uuid
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PARENT_NAME = "trajsift"
CONTROLLERS = ("memory", "pids")


def cgroups_available(root: Path = CGROUP_ROOT) -> str:
    """Return "" when per-run memory and pids groups can be created here, else the reason why not."""
    for controller in CONTROLLERS:
        base = root / controller
        if not (base / "cgroup.procs").exists():
            return f"cgroup v1 {controller} controller not mounted at {base}"
        probe = base / PARENT_NAME / f"probe-{uuid.uuid4().hex[:8]}"
        try:
            probe.mkdir(parents=True)
            probe.rmdir()
        except OSError as exc:
            return f"cannot create a {controller} cgroup: {exc}"
    return ""


class RunCgroups:
    """A memory group and a pids group for one sandbox run."""

    def __init__(self, memory_bytes: int, max_pids: int, root: Path = CGROUP_ROOT) -> None:
        name = f"run-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.memory = root / "memory" / PARENT_NAME / name
        self.pids = root / "pids" / PARENT_NAME / name
        self.memory.mkdir(parents=True)
        self.pids.mkdir(parents=True)
        _write(self.memory / "memory.limit_in_bytes", memory_bytes)
        memsw = self.memory / "memory.memsw.limit_in_bytes"
        if memsw.exists():  # no swap escape either
            _write(memsw, memory_bytes)
        _write(self.pids / "pids.max", max_pids)

    def join_script(self) -> str:
        """Shell prefix that moves the current shell into both groups (exit 125 before bwrap if it cannot)."""
        targets = (self.memory / "cgroup.procs", self.pids / "cgroup.procs")
        return " && ".join(f"echo $$ > {shlex.quote(str(t))}" for t in targets) + " || exit 125; "

    def oom_kills(self) -> int:
        """How many processes the kernel OOM-killed in this group."""
        for line in _read(self.memory / "memory.oom_control").splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def pids_hits(self) -> int:
        """How many forks the pids limit refused."""
        key, _, value = _read(self.pids / "pids.events").partition(" ")
        return int(value) if key == "max" and value.strip() else 0

    def members(self) -> set[int]:
        found: set[int] = set()
        for group in (self.memory, self.pids):
            found.update(int(pid) for pid in _read(group / "cgroup.procs").split())
        return found

    def kill_all(self, timeout_s: float = 5.0) -> bool:
        """SIGKILL every member until both groups are empty; True when they are."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pids = self.members()
            if not pids:
                return True
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.002)
        return not self.members()

    def remove(self) -> None:
        """Kill what is left and remove both groups (retrying while the kernel reaps the dead)."""
        self.kill_all()
        for group in (self.memory, self.pids):
            for _ in range(200):
                try:
                    group.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.005)


def sweep_stale_groups(root: Path = CGROUP_ROOT) -> None:
    """Remove empty per-run groups left by sandbox processes that died before cleaning up."""
    for controller in CONTROLLERS:
        parent = root / controller / PARENT_NAME
        for group in parent.glob("run-*-*") if parent.is_dir() else ():
            owner = group.name.split("-")[1]
            if owner.isdigit() and not Path(f"/proc/{owner}").exists() and not _read(group / "cgroup.procs").strip():
                try:
                    group.rmdir()
                except OSError:
                    continue


def _write(path: Path, value: int) -> None:
    path.write_text(str(value))


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
