"""Pool workers die with the process that started them.

A worker whose parent is killed (even with SIGKILL) would otherwise block forever on the pool's
queue, and keep the multiprocessing resource tracker alive through the descriptor it inherited.
Two independent guards: the kernel's parent-death signal (`PR_SET_PDEATHSIG`, Linux), and a daemon
thread that notices the worker has been re-parented. Both end the worker at once; with every worker
gone the resource tracker reads end-of-file on its pipe and exits too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import threading
import time

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5


def die_with_parent(parent_pid: int) -> None:
    """Arrange for this process to be killed when `parent_pid` (its parent) exits."""
    _set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        _die()
    watchdog = threading.Thread(target=_watch, args=(parent_pid,), name="trajsift-parent-watchdog", daemon=True)
    watchdog.start()


def _set_parent_death_signal(signum: int) -> bool:
    """`prctl(PR_SET_PDEATHSIG, signum)`; False where the call does not exist (not Linux)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_SECONDS)
    _die()


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
