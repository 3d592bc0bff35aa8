"""A private Docker daemon for the container tests, started where `dockerd` is installed but no engine answers.

CI installs Debian's docker.io but starts no daemon; Postgres and Chromium are started by their tests, and so
is this: `dockerd` with the vfs storage driver (no overlay mounts needed), no iptables rules and no bridge (the
sandbox runs every container with `--network none`), its data, state and socket in a fresh folder. The
session's `DOCKER_HOST` points at it, and it is stopped and its folder removed at the end. Where it cannot
start (not root, no privileges for namespaces), the Docker rows skip with its log's last lines.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from trajsift.executors.lifeline import _set_parent_death_signal
from trajsift.harness.sandbox.docker import engine_problem

START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30


@contextmanager
def private_docker() -> Iterator[str]:
    """Yields "" when a Docker engine answers (a running one, or one started here), else why none does."""
    if not (problem := engine_problem("docker")):
        yield ""
        return
    dockerd = shutil.which("dockerd")
    if dockerd is None or os.geteuid() != 0:
        yield problem
        return
    root = Path(tempfile.mkdtemp(prefix="tsd-"))  # short: the sockets inside must fit 108 bytes
    log = open(root / "dockerd.log", "wb")  # closed in the finally below
    process = subprocess.Popen(
        _command(dockerd, root),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=partial(_set_parent_death_signal, signal.SIGTERM),  # a killed test run does not leave it running
    )
    previous = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = f"unix://{root}/docker.sock"
    try:
        yield _wait_ready(process, root / "dockerd.log")
    finally:
        _restore(previous)
        _stop(process)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _command(dockerd: str, root: Path) -> list[str]:
    return [
        dockerd,
        "--storage-driver=vfs",
        "--iptables=false",
        "--ip6tables=false",
        "--bridge=none",
        f"--data-root={root}/data",
        f"--exec-root={root}/exec",
        f"--pidfile={root}/dockerd.pid",
        f"--host=unix://{root}/docker.sock",
    ]


def _wait_ready(process: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    problem = "dockerd did not start"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if not (problem := engine_problem("docker")):
            return ""
        time.sleep(0.5)
    tail = log.read_bytes()[-600:].decode("utf-8", "replace") if log.exists() else ""
    return f"{problem}; dockerd log: {tail}"


def _restore(previous: str | None) -> None:
    if previous is None:
        os.environ.pop("DOCKER_HOST", None)
    else:
        os.environ["DOCKER_HOST"] = previous


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the daemon (it stops its containers and its containerd), then SIGKILL to its whole group."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # containerd and shims left behind, if any
    except ProcessLookupError:
        pass
    process.wait()
