"""Where a run's time goes, per phase: wall time and the driver's own CPU time, beside the workers' CPU time.

Usage: python bench/run_phases.py [DATA_DIR] [--workers 1 2] [--executor local]

Runs `trajsift run` (`run_pipeline`) over the dev sources once per worker count, each in a fresh process, and
prints per phase (read, each stage, write) its wall time and the CPU time of the driver process in it, then
the total CPU time of the worker processes (the pool is shut down before the write, so it is all counted).
CPU time is distorted less than wall time by other work on a shared machine: the driver's CPU in the read
and the write is the serial share that more workers cannot shorten. The machine's load is printed with
each run. The recipe is read + stage 1 (basic filter) + stage 3 (quality), as `bench/throughput.py` runs.
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
import resource, sys, time
from trajsift.config import load_recipe
from trajsift.executors import driver
from trajsift.run import run_pipeline


class Timer:
    def __init__(self):
        self.marks = []

    def phase(self, name, total, done=0):
        self.marks.append((name, time.perf_counter(), time.process_time()))

    def advance(self, n):
        pass

    def shard_done(self, report):
        pass


if __name__ == "__main__":
    timer, write_phase = Timer(), driver.write_phase

    def timed_write(*args, **kwargs):
        timer.phase("write", 0)
        return write_phase(*args, **kwargs)

    driver.write_phase = timed_write
    recipe, out, workers, executor, *inputs = sys.argv[1:]
    start = ("start", time.perf_counter(), time.process_time())
    result = run_pipeline(inputs, out, load_recipe(recipe), executor, workers=int(workers), progress=timer)
    marks = [start, *timer.marks, ("end", time.perf_counter(), time.process_time())]
    for (name, wall, cpu), (_, wall2, cpu2) in zip(marks, marks[1:]):
        print(f"  {name:<14} wall {wall2 - wall:6.2f}s   driver cpu {cpu2 - cpu:6.2f}s")
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"  {'total':<14} wall {marks[-1][1] - start[1]:6.2f}s   driver cpu {marks[-1][2] - start[2]:6.2f}s   "
          f"worker cpu {kids.ru_utime + kids.ru_stime:.2f}s   ({result.stats['total']} trajectories)")
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
