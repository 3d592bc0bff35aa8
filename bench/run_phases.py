"""Where a run's time goes, per phase: wall time and the driver's own CPU time, beside the workers' CPU time.

Usage: python bench/run_phases.py [DATA_DIR] [--workers 1 2] [--executor local]

Runs `trajsift run` (`run_pipeline`) over the dev sources once per worker count, each in a fresh process, and
prints per phase (read, each stage, write) its wall time, the CPU time of the driver process in it and of each
local pool worker in it (busiest first, from /proc), then the total CPU time of the worker processes (the pool
is shut down before the write, so it is all counted). CPU time is distorted less than wall time by other work
on a shared machine: the driver's CPU in the read and the write is the serial share that more workers cannot
shorten, and a phase's busiest worker is its straggler. `cpu path` adds per phase the driver's CPU and the
busiest worker's (and the fork server's, whose imports the workers wait for; Linux starts the local pool's
workers from it): what the run's wall time would be on otherwise idle cores if the driver's work in a phase
did not overlap the workers' (an upper bound; the driver assembles the read while workers read, and reads
groups itself while the pool starts), so the ratio of two runs' `cpu path` bounds their speedup on a quiet machine
from below. The machine's load is printed with
each run. The recipe is read + stage 1 (basic filter) + stage 3 (quality), as `bench/throughput.py` runs.
Phases are marked where the driver starts them: with fused passes (`executors.driver`), stage 1's phase
holds stage 3's annotation and stage 3's phase its reduce, assign and output pieces.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import DEFAULT_DATA, dev_inputs, write_recipe  # noqa: E402

CHILD = """
import os, resource, sys, time
from trajsift.config import load_recipe
from trajsift.executors import driver, local
from trajsift.run import run_pipeline

TICK = os.sysconf("SC_CLK_TCK")
pools = []


def worker_cpu():
    \"\"\"{pid: CPU seconds} of the local pool's worker processes (empty before the pool starts).\"\"\"
    found = {}
    for pid in (pid for pool in pools for pid in (pool._processes or {})):
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return found


def server_cpu():
    \"\"\"(own, reaped children's) CPU seconds of the local pool's fork server (its workers fork from it).\"\"\"
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return 0.0, 0.0
    return (int(fields[11]) + int(fields[12])) / TICK, (int(fields[13]) + int(fields[14])) / TICK


class Timer:
    def __init__(self):
        self.marks = []
        self.last_workers = {}

    def phase(self, name, total, done=0):
        self.marks.append((name, time.perf_counter(), time.process_time(), self.workers(), server_cpu()[0]))

    def workers(self):
        self.last_workers = worker_cpu() or self.last_workers  # after the pool's shutdown: its last sample
        return self.last_workers

    def advance(self, n):
        pass

    def shard_done(self, report):
        pass


def shares(before, after):
    return sorted((after[pid] - before.get(pid, 0.0) for pid in after), reverse=True)


if __name__ == "__main__":
    timer, write_phase, make_pool = Timer(), driver.write_phase, local.LocalExecutor._worker_pool

    def timed_write(*args, **kwargs):
        timer.phase("write", 0)
        return write_phase(*args, **kwargs)

    def kept_pool(self):
        pool = make_pool(self)
        if pool not in pools:
            pools.append(pool)
        return pool

    def sampled_close(self, close=local.LocalExecutor.close):
        timer.workers()
        close(self)

    driver.write_phase, local.LocalExecutor._worker_pool = timed_write, kept_pool
    local.LocalExecutor.close = sampled_close
    recipe, out, workers, executor, *inputs = sys.argv[1:]
    start = ("start", time.perf_counter(), time.process_time(), {}, 0.0)
    result = run_pipeline(inputs, out, load_recipe(recipe), executor, workers=int(workers), progress=timer)
    server, forked = server_cpu()
    marks = [start, *timer.marks, ("end", time.perf_counter(), time.process_time(), timer.last_workers, server)]
    path = 0.0
    for (name, wall, cpu, was, srv), (_, wall2, cpu2, now, srv2) in zip(marks, marks[1:]):
        each = shares(was, now)
        path += cpu2 - cpu + (each[0] if each else 0.0) + srv2 - srv
        per_worker = " ".join(f"{share:5.2f}" for share in each)
        server_part = f"   fork server cpu {srv2 - srv:5.2f}s" if srv2 > srv else ""
        print(f"  {name:<14} wall {wall2 - wall:6.2f}s   driver cpu {cpu2 - cpu:6.2f}s{server_part}   "
              f"worker cpu {per_worker}")
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"  {'total':<14} wall {marks[-1][1] - start[1]:6.2f}s   driver cpu {marks[-1][2] - start[2]:6.2f}s   "
          f"worker cpu {kids.ru_utime + kids.ru_stime + server + forked:.2f}s (fork server {server:.2f}s)   "
          f"({result.stats['total']} trajectories)")
    print(f"  {'cpu path':<14} {path:6.2f}s   (per phase: driver + busiest worker + fork server cpu)")
"""


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", default=DEFAULT_DATA)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--executor", default="local")
    args = parser.parse_args()
    inputs = dev_inputs(args.data)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        recipe = write_recipe(tmp)
        script = tmp / "child.py"
        script.write_text(CHILD)
        for workers in args.workers:
            print(f"{args.executor}, {workers} worker(s), load {load()}:", flush=True)
            cmd = [sys.executable, str(script), str(recipe), str(tmp / f"out{workers}"), str(workers), args.executor]
            subprocess.run([*cmd, *inputs], check=True)


if __name__ == "__main__":
    main()
