"""The host side of a sandbox run while it lasts: pump its output and evidence pipes, watch deadline and disk."""

from __future__ import annotations

import os
import select
import subprocess
import time
from dataclasses import dataclass, field

from trajsift.harness.sandbox.cgroups import RunCgroups
from trajsift.harness.sandbox.watchers import DiskWatch, OutputCapture

MAX_EVIDENCE_BYTES = 64 << 20  # beyond this the evidence is cut (the grader then distrusts it)


@dataclass
class Run:
    """Mutable state of one run."""

    proc: subprocess.Popen[bytes]
    capture: OutputCapture
    disk: DiskWatch
    deadline: float
    flood_bytes: int
    killed_for: str = ""
    groups: RunCgroups | None = None
    status_fd: int = -1
    status: dict = field(default_factory=dict)
    evidence_fd: int = -1
    evidence: bytearray = field(default_factory=bytearray)


def supervise(run: Run) -> None:
    """Pump output until EOF, the deadline, a flood or a disk overrun; then wait for the exit."""
    fd = run.proc.stdout.fileno()
    open_fds = {fd, run.evidence_fd} - {-1}
    poller = select.poll()
    for each in open_fds:
        os.set_blocking(each, False)
        poller.register(each, select.POLLIN | select.POLLHUP)
    while not run.killed_for and open_fds:
        timeout = _tick(run)
        if run.killed_for:
            return
        for ready, _ in poller.poll(timeout * 1000):
            if not _pump(run, ready):
                poller.unregister(ready)
                open_fds.discard(ready)
    while not run.killed_for:
        try:
            run.proc.wait(timeout=_tick(run))
            return
        except subprocess.TimeoutExpired:
            continue


def _tick(run: Run) -> float:
    """Check deadline and disk; return seconds until the next check is due."""
    now = time.monotonic()
    if now >= run.deadline:
        run.killed_for = "timeout"
    elif run.disk.due(now) and run.disk.exceeded():
        run.killed_for = "disk_exceeded"
    return max(0.0, min(run.deadline, run.disk.next_check) - time.monotonic())


def _pump(run: Run, fd: int) -> bool:
    """Read what is there; False at EOF."""
    try:
        data = os.read(fd, 1 << 16)
    except BlockingIOError:
        return True
    if not data:
        return False
    if fd == run.evidence_fd:
        run.evidence += data[: max(0, MAX_EVIDENCE_BYTES - len(run.evidence))]
        return True
    run.capture.feed(data)
    if run.capture.total > run.flood_bytes:
        run.killed_for = "output_exceeded"
    return True


def drain_evidence(run: Run) -> None:
    """Read what is left in the evidence pipe once every writer is gone, then close it."""
    if run.evidence_fd < 0:
        return
    for _ in range(MAX_EVIDENCE_BYTES >> 16):
        try:
            data = os.read(run.evidence_fd, 1 << 16)
        except BlockingIOError:
            break
        if not data:
            break
        run.evidence += data[: max(0, MAX_EVIDENCE_BYTES - len(run.evidence))]
    os.close(run.evidence_fd)
    run.evidence_fd = -1
