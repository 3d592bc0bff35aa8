"""The local executor's process pool: workers forked from a preloaded fork server where there is one.

A spawned worker is a fresh interpreter that pays its start-up and imports (trajsift's read and stage modules,
pyarrow; never pandas: `arrow.skip_pandas`) before its first task. On
Linux the pool uses multiprocessing's fork server instead: one single-threaded process that imports those
modules once (`PRELOAD`), from which each worker forks. `warm_up` starts it early so its imports overlap the
driver's work. The fork server keeps the environment it started with, so it is started with the pool's BLAS
thread settings; a pool whose settings differ from the running server's is spawned instead. Elsewhere (no
fork server) the pool is spawned as before.
"""

from __future__ import annotations

import concurrent.futures as cf
import gc
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import os
import signal
import threading
from typing import Any

from trajsift.checks import CHECKS
from trajsift.executors import shard_work

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")
"""Inherited by the workers, read when they load numpy."""

HEAVY_CHECKS = ("correctness.tests", "quality.judge")
"""Checks whose modules (the test harness, an LLM client) only a recipe that runs them should load."""
PRELOAD = (
    "trajsift.executors.shard_work",
    "trajsift.executors.read_parts",
    "trajsift.executors.read_units",
    "trajsift.executors.reading",
    "trajsift.executors.output_pieces",
    "trajsift.pipeline",
    "trajsift.readers.registry",
    "trajsift.readers.read",
    "trajsift.rules",
    "pyarrow",
    "pyarrow.parquet",
    *sorted({path.partition(":")[0] for check, path in CHECKS.items() if check not in HEAVY_CHECKS}),
)
"""What every worker imports: imported once in the fork server (a module that fails to import is skipped): the
read and stage modules and every check's module (0.075 cpu-s here, else paid by each worker)."""

SERVER_ONLY_ENV = {"JE_ARROW_MALLOC_CONF": "background_thread:false"}
"""Set (unless the user did) only while the fork server starts: pyarrow's jemalloc would start a background
thread at import, and a process that forks should have one thread."""

_server_env: dict[str, str] | None = None
"""The BLAS settings the fork server was started with by `warm_up` (None: not started here)."""


def blas_env() -> dict[str, str]:
    """One BLAS thread per worker process (the pool already fills the cores): OpenBLAS's default of one thread
    per core made the novelty reduce cost ~6x its CPU (bench/novelty_reduce.py); a user's own setting wins."""
    for name in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    return {name: os.environ[name] for name in BLAS_THREAD_VARIABLES}


def has_fork_server() -> bool:
    return "forkserver" in multiprocessing.get_all_start_methods()


def warm_up() -> None:
    """Start the fork server (with the pool's BLAS settings and `PRELOAD`) if it is not running yet."""
    global _server_env
    if _server_env is None and has_fork_server():
        _server_env = blas_env()
        multiprocessing.set_forkserver_preload(list(PRELOAD))
        added = {name: value for name, value in SERVER_ONLY_ENV.items() if name not in os.environ}
        os.environ.update(added)
        try:
            multiprocessing.forkserver.ensure_running()
        finally:
            for name in added:
                del os.environ[name]


def make_pool(workers: int, initargs: tuple[Any, ...]) -> cf.ProcessPoolExecutor:
    """A pool of `workers` processes, each initialised by `shard_work.init_worker(*initargs)`."""
    env = blas_env()
    warm_up()
    method = "forkserver" if _server_env == env else "spawn"
    return cf.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=init_pool_worker,
        initargs=(os.getpid(), env, initargs),
    )


def init_pool_worker(driver_pid: int, env: dict[str, str], initargs: tuple[Any, ...]) -> None:
    """A worker's initializer: the pool's BLAS settings, then `init_worker`, ending with the driver. A spawned
    worker's parent is the driver (`lifeline`); a forked one's is the fork server, which outlives the driver
    while any worker holds its lifeline pipe, so a forked worker watches the driver's end of its own pipe."""
    os.environ.update(env)
    recipe_data, tasks_path, cache_dir = initargs
    spawned = os.getppid() == driver_pid
    shard_work.init_worker(recipe_data, tasks_path, cache_dir, driver_pid if spawned else 0)
    if not spawned:
        sentinel = multiprocessing.parent_process().sentinel  # end of file once the driver has exited
        threading.Thread(target=_die_with, args=(sentinel,), name="trajsift-driver-watchdog", daemon=True).start()
    gc.freeze()  # modules and the pipeline live as long as the worker: full collections skip them


class FrozenHeap:
    """While a run's work runs in this process, the objects that exist when it starts (modules, the pipeline)
    are left out of the garbage collector's full collections (`gc.freeze`), then handed back (`gc.unfreeze`,
    nothing leaks); a process that froze objects itself is left as it is. Full collections walking them cost
    ~12 % of the stages' CPU on the dev set (`bench/run_phases.py`)."""

    def __init__(self) -> None:
        self.frozen = False

    def freeze(self) -> None:
        if not self.frozen and gc.get_freeze_count() == 0:
            gc.freeze()
            self.frozen = True

    def unfreeze(self) -> None:
        if self.frozen:
            gc.unfreeze()
            self.frozen = False


def _die_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os.kill(os.getpid(), signal.SIGKILL)
