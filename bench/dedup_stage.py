"""The dedup stage alone over generated trajectories: read + signatures in worker processes, then one reduce.

Usage: python bench/dedup_stage.py INPUT_DIR [--workers 2] [--shards K] [--novelty] [--workdir DIR]

INPUT_DIR is written by `bench/gen_trajectories.py` (`shards/*.jsonl.zst` and `truth.csv`). Each worker reads
whole input shards with trajsift's reader and computes the signatures of `diversity.exact` and
`diversity.near` (and `diversity.novelty` with `--novelty`: the diversity stage of `trajsift dedup`; default
parameters) in batches of 500 like a stage, written as one Arrow IPC file per shard; the parent
then memory-maps them, runs both checks' `reduce` and `assign` (as the executors do), and scores the
duplicates found against the planted copies. This is the stage's own work: the pipeline's extra passes
(re-encoding the input into work shards, writing kept / rejected Parquet) are not in it; `bench/scale.py`
measures the whole `trajsift dedup`. Prints wall time, CPU time (this process plus its waited workers) and
peak PSS of the process tree for each phase, and the machine's load.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale_measure import TreeSampler  # noqa: E402
from trajsift.checks.base import CheckContext  # noqa: E402
from trajsift.checks.exact_dedup import ExactDuplicates  # noqa: E402
from trajsift.checks.near_dedup import NearDuplicates  # noqa: E402
from trajsift.checks.novelty import Novelty  # noqa: E402
from trajsift.readers.read import read_trajectories  # noqa: E402
from trajsift.schema import Trajectory  # noqa: E402

CHECKS = {cls.id: cls for cls in (ExactDuplicates, NearDuplicates, Novelty)}
BATCH = 500
"""Rows per `run` call, as a stage's shard (the recipe's `shard_size`)."""


def _schema(ids: list[str]) -> pa.Schema:
    fields = [pa.field("trajectory_id", pa.string())]
    for cls in (CHECKS[i] for i in ids):
        fields += [pa.field(name, dtype) for name, dtype in cls.signature_types().items()]
    return pa.schema(fields)


def _sign_batch(batch: list[Trajectory], checks: list, columns: dict[str, list]) -> None:
    ctx = CheckContext()
    for check in checks:
        check.run(batch, ctx, [{} for _ in batch])  # batch work (novelty embeds the batch at once)
    for traj in batch:
        columns["trajectory_id"].append(traj.id)
        for check in checks:
            for name, value in check.signature(traj, ctx, {}).items():
                columns[check.sig_col(name)].append(value)


def sign_shard(args: tuple[str, str, list[str]]) -> tuple[str, int]:
    """Every trajectory of one input shard -> one Arrow IPC file of signatures; returns (path, rows)."""
    source, target, ids = args
    checks, schema = [CHECKS[i]() for i in ids], _schema(ids)
    columns: dict[str, list] = {name: [] for name in schema.names}
    batch: list[Trajectory] = []
    for item in read_trajectories([source]):
        if isinstance(item, Trajectory):
            batch.append(item)
        if len(batch) == BATCH:
            _sign_batch(batch, checks, columns)
            batch = []
    if batch:
        _sign_batch(batch, checks, columns)
    table = pa.table(columns, schema=schema)
    with pa.OSFile(target, "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        writer.write_table(table)
    return target, table.num_rows


def sign_all(shards: list[Path], workdir: Path, workers: int, ids: list[str]) -> tuple[list[str], int]:
    """Signature files of every shard (in `workers` processes) and the number of trajectories signed."""
    work = [(str(path), str(workdir / f"{path.name}.arrow"), ids) for path in shards]
    with ProcessPoolExecutor(workers) as pool:
        done = list(pool.map(sign_shard, work))
    return [target for target, _ in done], sum(rows for _, rows in done)


def reduce_and_assign(files: list[str], ids: list[str]) -> set[str]:
    """Both checks' reduce over all signatures (memory-mapped), then `assign`: the ids marked duplicate."""
    table = pa.concat_tables(pa.ipc.open_file(pa.memory_map(path)).read_all() for path in files)
    rows = table.column("trajectory_id").to_pylist()
    duplicates: set[str] = set()
    for check in (CHECKS[i]() for i in ids):
        names = list(check.signature_types())
        state = check.reduce(table.select(["trajectory_id", *names]))
        values = [table.column(name).to_pylist() for name in names]
        for i, traj_id in enumerate(rows):
            signature = {name: column[i] for name, column in zip(names, values, strict=True)}
            if check.assign(traj_id, signature, {}, state).findings:
                duplicates.add(traj_id)
    return duplicates


def planted(truth: Path, limit: int) -> set[str]:
    with open(truth, newline="") as handle:
        rows = list(csv.DictReader(handle))[:limit]
    return {row["id"] for row in rows if row["kind"] != "unique"}


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shards", type=int, help="only the first K input shards")
    parser.add_argument("--novelty", action="store_true", help="diversity.novelty too (as `trajsift dedup`)")
    parser.add_argument("--workdir", type=Path, help="where the signature files go (default: a temporary dir)")
    args = parser.parse_args()
    ids = ["diversity.exact", "diversity.near"] + (["diversity.novelty"] if args.novelty else [])
    shards = sorted((args.input / "shards").glob("*.jsonl.zst"))[: args.shards]
    workdir = Path(tempfile.mkdtemp(prefix="trajsift-dedup-stage-", dir=args.workdir))
    sampler, load_before = TreeSampler(os.getpid()), load()
    marks = [(time.perf_counter(), cpu_seconds())]
    try:
        files, n = sign_all(shards, workdir, args.workers, ids)
        marks.append((time.perf_counter(), cpu_seconds()))
        dropped = reduce_and_assign(files, ids)
        marks.append((time.perf_counter(), cpu_seconds()))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _, peak = sampler.stop()
    truth = planted(args.input / "truth.csv", n)
    hits = len(dropped & truth)
    (t0, c0), (t1, c1), (t2, c2) = marks
    print(f"dedup stage ({' + '.join(ids)}), {n:,} trajectories, {args.workers} workers, load {load_before}")
    print(f"  read + signatures: wall {t1 - t0:.1f}s, CPU {c1 - c0:.1f}s ({n / (c1 - c0):.0f} traj/s per CPU-s)")
    print(f"  reduce + assign:   wall {t2 - t1:.1f}s, CPU {c2 - c1:.1f}s")
    print(
        f"  total: wall {t2 - t0:.1f}s ({n / (t2 - t0):.0f} traj/s), CPU {c2 - c0:.1f}s, peak PSS {peak / 2**30:.2f} GB"
    )
    print(
        f"  planted copies: {len(truth):,}; marked duplicate: {len(dropped):,}; "
        f"precision {hits / max(len(dropped), 1):.4f}, recall {hits / max(len(truth), 1):.4f}; load now {load()}"
    )


if __name__ == "__main__":
    main()
