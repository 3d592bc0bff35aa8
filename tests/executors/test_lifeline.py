"""Killing the main process of a `--workers 2` run ends its pool workers and the resource tracker.

The processes are found and watched through /proc (no psutil): children of the run's process whose
command line is a multiprocessing spawn worker, the fork server or the resource tracker, and the fork
server's children (the workers forked from it).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.executors.conftest import make_dataset

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
WAIT_SECONDS = 60  # a generous bound for a loaded 2-core machine; the guards act within a second


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a live process, None once it is gone or a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = text.rsplit(")", 1)[1].split()[:2]
    return None if state in ("Z", "X") else (state, int(ppid))


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _children(parent: int) -> dict[int, str]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None and stat[1] == parent:
            found[int(entry)] = _cmdline(int(entry))
    return found


def _pool_processes(run_pid: int) -> tuple[dict[int, str], list[int], list[int]]:
    """(the processes to watch, the workers, the resource trackers) of the run."""
    children = _children(run_pid)
    servers = [pid for pid, cmd in children.items() if "multiprocessing.forkserver" in cmd]
    forked = {pid: cmd for server in servers for pid, cmd in _children(server).items()}
    workers = [pid for pid, cmd in children.items() if "multiprocessing.spawn" in cmd] + list(forked)
    children.update(forked)
    trackers = [pid for pid, cmd in children.items() if "resource_tracker" in cmd]
    return {pid: children[pid] for pid in (*workers, *trackers, *servers)}, workers, trackers


def _wait_for_pool(run: subprocess.Popen) -> dict[int, str]:
    """The run's two pool workers, its resource tracker and its fork server (if any), once all are up."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        assert run.poll() is None, "the run ended before its pool could be observed"
        watched, workers, trackers = _pool_processes(run.pid)
        if len(workers) == 2 and trackers:
            return watched
        time.sleep(0.02)
    raise AssertionError(f"no pool of 2 workers appeared: {_children(run.pid)}")


def test_pool_workers_and_resource_tracker_exit_when_the_run_is_killed(tmp_path, recipe_file):
    dataset = make_dataset(tmp_path / "input.jsonl", n=1500)
    cmd = [sys.executable, "-m", "trajsift", "run", str(dataset), "--out", str(tmp_path / "out")]
    cmd += ["--recipe", str(recipe_file), "--workers", "2", "shard_size=2"]
    run = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pool: dict[int, str] = {}
    try:
        pool = _wait_for_pool(run)
        os.kill(run.pid, signal.SIGKILL)
        assert run.wait(timeout=WAIT_SECONDS) == -signal.SIGKILL
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and any(_stat(pid) for pid in pool):
            time.sleep(0.05)
        alive = {pid: cmd for pid, cmd in pool.items() if _stat(pid)}
        assert not alive, f"still running after the run was killed: {alive}"
    finally:
        for pid in [pid for pid in (run.pid, *pool) if _stat(pid)]:
            os.kill(pid, signal.SIGKILL)  # only on failure: the processes this test started
        run.wait()
