"""`trajsift export` on real sources: does every export load in `datasets` (per source and mixed), and how long
does exporting a 10,000-trajectory run take against writing the same rows as Parquet.

Usage: python bench/export_speed.py [DATA_DIR] [--per-source N] [--rows 10000]
DATA_DIR defaults to ../shared/data (or $TRAJSIFT_DATA_DIR).

1. Reads up to N trajectories from each real source (SWE-agent, CodeR, AutoCodeRover, mini-swe-agent,
   OpenHands, the verified-dev sources), writes them as a run directory (kept.parquet) per source and one
   for the mix, exports each with `--to hf|openai|sharegpt|parquet --rows kept` and loads the result with
   `datasets` (load_from_disk / load_dataset json / parquet). Also loads `convert --to openai` output of
   the mix. Prints ok / the error per source and format.
2. Replicates the mixed trajectories (new ids) into a run directory of `--rows` trajectories and times
   each export target against the baseline: read the same kept.parquet rows, decode every trajectory and
   write them as trajsift Parquet (what `trajsift convert` does). Prints CPU and wall seconds; the ratio is
   on CPU seconds of this process (wall time swings with other load on a shared machine).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import io
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import orjson
import pyarrow.parquet as pq

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from read_real import DEFAULT_DATA_DIR  # noqa: E402  (bench scripts share their source list helpers)
from trajsift.arrow import TRAJECTORY_COLUMN, from_row, to_table, trajectory_schema  # noqa: E402
from trajsift.export.openai import to_openai, to_openai_stable  # noqa: E402
from trajsift.export.rows import RowCounts, RowSet, iter_labelled  # noqa: E402
from trajsift.export.training import training_record  # noqa: E402
from trajsift.export.writers import ExportTarget, write_records  # noqa: E402
from trajsift.readers.read import read_trajectories  # noqa: E402
from trajsift.schema import Trajectory  # noqa: E402

SOURCES = {
    "swe-agent-gpt4-lite": "swe-agent-gpt4-lite/results/swe-agent-results/cost_2_1/*.traj.gz",
    "coder-gpt4-lite": "coder-gpt4-lite/trajs/*.traj.gz",
    "autocoderover-gpt4-lite": "autocoderover-gpt4-lite.tar.gz",
    "mini-swe-agent (samples)": "format-samples/mini-swe-agent",
    "openhands-fncall (samples)": "format-samples/openhands-fncall",
    "openhands-codeact (samples)": "format-samples/openhands-codeact",
    "verified mini-swe-agent-gemini3": "verified-dev/mini-swe-agent-gemini3/trajs/*",
    "verified openhands-fncall-claude35": "verified-dev/openhands-fncall-claude35/trajs/*",
}
SUFFIX = {
    ExportTarget.hf: "ds",
    ExportTarget.openai: "jsonl",
    ExportTarget.sharegpt: "jsonl",
    ExportTarget.parquet: "parquet",
}
BATCH = 256


def read_source(data_dir: str, pattern: str, limit: int) -> list[Trajectory]:
    paths = sorted(glob.glob(os.path.join(data_dir, pattern)))
    out = []
    for path in paths:
        for item in read_trajectories([path]):
            if isinstance(item, Trajectory):
                out.append(item)
        if len(out) >= limit:
            break
    return out[:limit]


def write_run(run_dir: Path, trajectories) -> int:
    """A run directory whose kept.parquet holds `trajectories` (an iterable), in row-group batches."""
    run_dir.mkdir(parents=True, exist_ok=True)
    schema = trajectory_schema([pq_field("trajectory_id"), pq_field("decision")])
    count = 0
    with pq.ParquetWriter(run_dir / "kept.parquet", schema, compression="zstd") as writer:
        for batch in (
            itertools.batched(trajectories, BATCH) if hasattr(itertools, "batched") else _batched(trajectories)
        ):
            extra = {"trajectory_id": [t.id for t in batch], "decision": ["keep"] * len(batch)}
            writer.write_table(to_table(batch, extra).cast(schema))
            count += len(batch)
    return count


def pq_field(name: str):
    import pyarrow as pa

    return pa.field(name, pa.string())


def _batched(items):
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, BATCH)):
        yield batch


def export(run_dir: Path, target: ExportTarget, out: Path) -> int:
    counts = RowCounts()
    rows = iter_labelled(run_dir, RowSet.kept, {}, counts)
    return write_records(target, out, (training_record(r.trajectory, r.labels, r.subset) for r in rows))


def load(target: ExportTarget, out: Path):
    import datasets

    with contextlib.redirect_stderr(io.StringIO()):
        datasets.disable_progress_bars()
        if target is ExportTarget.hf:
            return datasets.load_from_disk(str(out))
        kind = "parquet" if target is ExportTarget.parquet else "json"
        return datasets.load_dataset(kind, data_files=str(out), split="train", cache_dir=str(out.parent / "cache"))


def check_loads(name: str, trajectories: list[Trajectory], tmp: Path) -> None:
    run_dir = tmp / f"run-{abs(hash(name))}"
    write_run(run_dir, trajectories)
    cells = []
    for target in ExportTarget:
        out = tmp / f"{run_dir.name}.{target.value}.{SUFFIX[target]}"
        try:
            written = export(run_dir, target, out)
            loaded = load(target, out)
            cells.append(f"{target.value} ok ({loaded.num_rows}/{written})")
        except Exception as exc:  # noqa: BLE001  (the bench reports any failure to load)
            cells.append(f"{target.value} FAILED: {type(exc).__name__}: {str(exc)[:120]}")
    print(f"  {name:36s} n={len(trajectories):4d}  " + "; ".join(cells))


def check_convert_openai(trajectories: list[Trajectory], tmp: Path) -> None:
    """`convert --to openai` (stable shape) and, for comparison, the plain OpenAI API shape of the same records."""
    shapes = {"convert --to openai": to_openai_stable, "plain OpenAI shape (tools as objects)": to_openai}
    for name, shape in shapes.items():
        out = tmp / f"{shape.__name__}.jsonl"
        out.write_bytes(b"".join(orjson.dumps(shape(t)) + b"\n" for t in trajectories))
        try:
            print(f"  {name}, mixed: ok ({load(ExportTarget.openai, out).num_rows} rows)")
        except Exception as exc:  # noqa: BLE001
            cause = exc.__cause__ or exc
            print(f"  {name}, mixed: FAILED: {type(cause).__name__}: {str(cause)[:160]}")


def replicated(trajectories: list[Trajectory], rows: int):
    for i in range(rows):
        original = trajectories[i % len(trajectories)]
        yield Trajectory.from_dict({**original.to_dict(), "id": f"{original.id}#{i}"})


def baseline(run_dir: Path, out: Path) -> int:
    """Read kept.parquet, decode every trajectory, write them as trajsift Parquet (what `convert` does)."""
    count = 0
    with pq.ParquetWriter(out, trajectory_schema(), compression="zstd") as writer:
        for batch in pq.ParquetFile(run_dir / "kept.parquet").iter_batches(
            batch_size=BATCH, columns=[TRAJECTORY_COLUMN]
        ):
            trajectories = [from_row(row) for row in batch.column(0).to_pylist()]
            writer.write_table(to_table(trajectories))
            count += len(trajectories)
    return count


def timed(fn, *args) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process, result): CPU time keeps the ratio meaningful on a loaded machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def speed(trajectories: list[Trajectory], rows: int, tmp: Path) -> None:
    run_dir = tmp / "big-run"
    start = time.perf_counter()
    write_run(run_dir, replicated(trajectories, rows))
    size = (run_dir / "kept.parquet").stat().st_size / 1e6
    built = time.perf_counter() - start
    print(f"\n## speed: run of {rows} trajectories ({size:.0f} MB kept.parquet, built in {built:.0f}s)")
    print("  ratio = CPU seconds of the export / CPU seconds of the baseline (wall seconds shown too)")
    wall, base, count = timed(baseline, run_dir, tmp / "baseline.parquet")
    print(f"  baseline (read + decode + write trajsift Parquet): CPU {base:6.1f}s  wall {wall:6.1f}s  {count} rows")
    for target in ExportTarget:
        out = tmp / f"big.{target.value}.{SUFFIX[target]}"
        wall, cpu, written = timed(export, run_dir, target, out)
        figures = f"CPU {cpu:6.1f}s  wall {wall:6.1f}s  {written} rows"
        print(f"  export --to {target.value:9s}: {figures}  ratio {cpu / base:.2f}x")
    wall, again, _ = timed(baseline, run_dir, tmp / "baseline.parquet")
    print(f"  baseline again: CPU {again:6.1f}s  wall {wall:6.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", nargs="?", default=DEFAULT_DATA_DIR)
    parser.add_argument("--per-source", type=int, default=100)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    if not os.path.isdir(args.data_dir):
        sys.exit(f"no data directory {args.data_dir}")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        print(f"## loads in datasets (per source, up to {args.per_source} trajectories each, --rows kept)")
        mixed: list[Trajectory] = []
        for source, pattern in SOURCES.items():
            trajectories = read_source(args.data_dir, pattern, args.per_source)
            if trajectories:
                check_loads(source, trajectories, tmp)
                mixed += trajectories
        check_loads("MIXED (all sources)", mixed, tmp)
        check_convert_openai(mixed, tmp)
        speed(mixed, args.rows, tmp)


if __name__ == "__main__":
    main()
