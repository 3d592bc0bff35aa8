"""`diversity.novelty`'s reduce at scale: CPU time and peak memory, with OpenBLAS's default threads and with one.

Usage: python bench/novelty_reduce.py [--rows 100000] [--dims 512]

Builds a signature table of `--rows` random unit vectors (float16, as the check stores them), 7 rows per task,
and runs `Novelty.reduce` in a fresh process per setting: the nearest neighbour of every row (`auto`: the numpy
LSH backend above `exact_limit` when neither faiss nor usearch is installed) and the per-task approach
clusters (one small matrix product per task). Prints the reduce's CPU seconds and the process's peak RSS
growth during the reduce. With several busy processes on few cores, OpenBLAS's worker threads spin on
every small product: compare the two lines (and the machine's load, printed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

CHILD = """
import resource, sys, time
import numpy as np, pyarrow as pa
from trajsift.checks.novelty import Novelty
rows, dims = int(sys.argv[1]), int(sys.argv[2])
check = Novelty()
rng = np.random.default_rng(0)
blobs = []
for start in range(0, rows, 65536):
    block = rng.standard_normal((min(65536, rows - start), dims)).astype(np.float32)
    block /= np.linalg.norm(block, axis=1, keepdims=True)
    blobs.extend(v.tobytes() for v in block.astype(np.float16))
table = pa.table({
    "trajectory_id": [f"t{i:09d}" for i in range(rows)],
    check.sig_col("vector"): pa.array(blobs, pa.binary()),
    check.sig_col("tools"): ['{"read": 3, "edit": 2}'] * rows,
    check.sig_col("task"): [f"task{i // 7}" for i in range(rows)],
    check.sig_col("quality"): pa.nulls(rows, pa.float64()),
})
del blobs
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.process_time()
check.reduce(table)
cpu = time.process_time() - start
print(cpu, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dims", type=int, default=512)
    args = parser.parse_args()
    for threads in (None, "1"):
        env = dict(os.environ)
        if threads:
            env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = threads
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        command = [sys.executable, "-c", CHILD, str(args.rows), str(args.dims)]
        out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout.split()
        label = f"OPENBLAS_NUM_THREADS={threads}" if threads else "OpenBLAS default threads"
        print(
            f"novelty reduce, {args.rows:,} rows x {args.dims} dims, {label}: {float(out[0]):.1f} cpu-s, "
            f"peak RSS growth {float(out[1]):.0f} MB (load {load})"
        )


if __name__ == "__main__":
    main()
