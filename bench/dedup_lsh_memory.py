"""LSH memory: in-memory banding vs band keys spilled to disk (`trajsift.dedup.banded`), same clusters.

Usage: python bench/dedup_lsh_memory.py [--rows 1000000] [--perm 128] [--workdir DIR]

Writes a memory-mapped signature file of `--rows` random b-bit signatures (10 % near copies: 80 % of the
slots kept, every tenth of them in a large bucket of identical rows), then clusters it twice, each in a fresh
process so that its memory is its own: (1) in memory, as `diversity.near` below `spill_rows`
(`lsh.candidate_pairs` over the loaded matrix, verification, `components`); (2) spilled, reading the
matrix through the memory map in chunks. Prints CPU time, wall time, peak anonymous memory (what the algorithm
allocates, sampled from /proc every 20 ms; pages of the memory-mapped file are page cache, reclaimable),
peak RSS (both), and whether the labels are identical. 32 bands x 4 rows, window 8, threshold 0.5.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from trajsift.dedup import banded, lsh
from trajsift.dedup.unionfind import components

BANDS, ROWS, WINDOW, THRESHOLD = 32, 4, 8, 0.5


def write_signatures(path: str, rows: int, perm: int) -> None:
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint16, shape=(rows, perm))
    rng = np.random.default_rng(1)
    for start in range(0, rows, 100_000):
        block = rng.integers(0, 2**16, size=(min(100_000, rows - start), perm), dtype=np.uint16)
        copies = np.arange(0, block.shape[0] - 1, 10)  # row i + 1 is a near copy of row i
        keep = rng.random((copies.size, perm)) < 0.8
        block[copies + 1] = np.where(keep, block[copies], block[copies + 1])
        block[copies[::10] + 1] = block[0]  # a large bucket of identical rows in every 100,000
        out[start : start + block.shape[0]] = block
    out.flush()


def _verify(matrix: np.ndarray):
    def verify(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        out = np.zeros(left.size, dtype=bool)
        for start in range(0, left.size, 65536):
            a, b = left[start : start + 65536], right[start : start + 65536]
            out[start : start + a.size] = np.mean(matrix[a] == matrix[b], axis=1) >= THRESHOLD
        return out

    return verify


class AnonPeak:
    """Peak of this process's anonymous resident memory (`RssAnon`), sampled by a thread."""

    def __init__(self) -> None:
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("RssAnon:"):
                        self.peak = max(self.peak, int(line.split()[1]) // 1024)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def in_memory(path: str) -> tuple[np.ndarray, float, float, int, float]:
    anon, cpu, wall = AnonPeak(), time.process_time(), time.perf_counter()
    matrix = np.load(path)  # what the reduce holds today: the whole matrix
    left, right = lsh.candidate_pairs(matrix, np.ones(matrix.shape[0], bool), BANDS, ROWS, WINDOW)
    keep = _verify(matrix)(left, right)
    labels = components(matrix.shape[0], left[keep], right[keep])
    return labels, time.process_time() - cpu, time.perf_counter() - wall, anon.stop(), _peak_mb()


def spilled(path: str) -> tuple[np.ndarray, float, float, int, float]:
    anon, cpu, wall = AnonPeak(), time.process_time(), time.perf_counter()
    matrix = np.load(path, mmap_mode="r")
    with tempfile.TemporaryDirectory(dir=os.path.dirname(path)) as workdir:
        files = banded.spill_bands(matrix, BANDS, ROWS, workdir)
        valid = np.ones(matrix.shape[0], bool)
        labels = banded.band_labels(matrix.shape[0], files, valid, _verify(matrix), WINDOW)
    return labels, time.process_time() - cpu, time.perf_counter() - wall, anon.stop(), _peak_mb()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--perm", type=int, default=128)
    parser.add_argument("--workdir", default=None, help="where the signature file and band files go")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        path = os.path.join(tmp, "signatures.npy")
        write_signatures(path, args.rows, args.perm)
        size_mb = os.path.getsize(path) / 2**20
        print(f"{args.rows:,} signatures x {args.perm} slots ({size_mb:.0f} MB on disk)")
        results = {}
        for name, fn in (("in memory", in_memory), ("spilled bands", spilled)):
            with ProcessPoolExecutor(1) as pool:  # a fresh process: its memory is this variant's alone
                labels, cpu, wall, anon, peak = pool.submit(fn, path).result()
            joined = int(np.count_nonzero(labels != np.arange(labels.size)))
            print(f"  {name:14s} {cpu:6.1f} cpu s {wall:6.1f} wall s, peak anonymous {anon} MB, peak RSS {peak:.0f} MB")
            print(f"  {'':14s} {joined:,} rows joined to a smaller row")
            results[name] = labels
        print(f"  identical labels: {np.array_equal(results['in memory'], results['spilled bands'])}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
