"""What every sandbox backend shares: the `Sandbox` protocol, its `Limits`, its `SandboxResult` and the verdicts
a run can end with, the environment a command starts from, and `SandboxUnavailable`."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from trajsift.errors import UnavailableError

VERDICTS = (
    "ok",
    "nonzero_exit",
    "timeout",
    "memory_exceeded",
    "pids_exceeded",
    "disk_exceeded",
    "output_exceeded",
    "sandbox_error",
)
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
MB = 1 << 20


class SandboxUnavailable(UnavailableError):
    """No sandbox backend works on this host."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Limits:
    wall_s: float = 900
    memory_mb: int = 4096
    pids: int = 1024
    disk_mb: int = 4096  # growth allowed in the work dir (bytes; inodes: one per 4 KiB, at least 10k)
    output_bytes: int = 4_000_000
    network: bool = False


@dataclass(frozen=True)
class SandboxResult:
    exit_code: int | None
    output: str
    truncated: bool
    duration_s: float
    verdict: str
    evidence: bytes = b""
    """What the command wrote to the evidence pipe (`run(..., evidence=True)`), read by the host as it came."""


class Sandbox(Protocol):
    name: str

    def run(
        self,
        command: str,
        workdir: Path,
        limits: Limits,
        env: dict[str, str] | None = None,
        ro_paths: Sequence[Path] = (),
        evidence: bool = False,
        stdin: bytes = b"",
    ) -> SandboxResult: ...


def feed_stdin(proc: subprocess.Popen[bytes], data: bytes) -> None:
    """Write `data` to the command's stdin and close it (a command that is already gone just misses it)."""
    try:
        if data:
            proc.stdin.write(data)
        proc.stdin.close()
    except OSError:
        pass
