"""The driver's reduce of `trajsift dedup`'s first stage (exact, near, novelty), alone, from a finished run.

Usage: python bench/dedup_reduce.py OUT [--repeat 1] [--digest] [--check ID]

OUT is the folder of a finished `trajsift dedup ... --out OUT` run: its `_work` keeps the stage's `sig-*.parquet`
files. Runs `shard_work.reduce_stage` in this process as the driver does, and prints
its CPU-s, wall time, the growth of peak RSS during it and the load; `--digest` adds the sha256 of the state
as the driver writes it (compare two versions of the code on the same files). `--check ID` runs that global
check's reduce alone (its own columns, as `Stage.reduce_from` loads them): one process per check shows each one's
peak, which a whole-stage run hides behind the first check's high-water mark.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import time
from functools import partial
from pathlib import Path

from trajsift.executors.shard_work import StageJob, build_state, reduce_stage, signature_loader
from trajsift.files import read_json
from trajsift.stages import Stage


def stage_dir(out: Path) -> Path:
    found = sorted((out / "_work").glob("stage0-*"))
    if not found:
        raise SystemExit(f"no stage0-* folder under {out / '_work'} (a finished `trajsift dedup` run?)")
    return found[0]


def reduce_check(stage: Stage, check_id: str, job: StageJob, shards: int) -> dict:
    """One global check's reduce over the columns `Stage.reduce_from` gives it, loaded as the driver loads them."""
    check = next((c for c in stage.global_checks if c.id == check_id), None)
    if check is None:
        raise SystemExit(f"no global check {check_id!r} in the first stage")
    return check.reduce(signature_loader(job, list(range(shards)))(stage.reduce_columns(check)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--digest", action="store_true")
    parser.add_argument("--check", help="one global check's reduce alone, e.g. diversity.novelty")
    args = parser.parse_args()
    recipe = read_json(args.out / "run.json")["recipe"]
    directory = stage_dir(args.out)
    shards = len(list(directory.glob("sig-*.parquet")))
    pipeline = build_state(recipe, None).pipeline
    stage = next(s for s in pipeline.stages if not s.skipped)
    job = StageJob(0, "", "", str(directory))
    reduce = partial(reduce_stage, stage, job, list(range(shards)))
    if args.check:
        reduce = partial(reduce_check, stage, args.check, job, shards)
    for _ in range(args.repeat):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        load = os.getloadavg()
        cpu, wall = time.process_time(), time.perf_counter()
        state = reduce()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        line = f"{shards} shards: reduce {cpu:.1f} CPU-s (this process, BLAS threads included), wall {wall:.1f} s"
        line += f", peak RSS +{grown:.0f} MB, load {load[0]:.2f}"
        if args.digest:
            line += f", state sha256 {hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]}"
        print(line, flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
