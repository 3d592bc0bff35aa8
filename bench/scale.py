"""Local 1 / 2 workers, Ray 1 / 2 workers and a simulated Ray cluster on the same generated trajectories.

Usage: python bench/scale.py [--n 5000] [--input DIR] [--data ../shared/data] [--recipe dedup|minhash|run]
       [--configs local:1,local:2,ray:1,ray:2,sim:8] [--workdir DIR] [--general]

Generates `--n` trajectories from the dev runs (`bench/gen_trajectories.py`; or reuses `--input`, a directory
it wrote), then runs the recipe once per config, each in a fresh process (`bench/scale_measure.py`), and
prints per run: wall time, CPU time and peak PSS of the whole process tree (workers, Ray's raylet, GCS and
actors included), the wall time of each phase (read, each stage, write), trajectories/s, the machine's load,
the precision / recall of the dropped rows against the planted exact and near copies, and whether every
output file (kept / rejected / review Parquet, stats.json) is byte-identical to the first config's.
`sim:N` runs Ray on this machine with `num_cpus=N` and N actors per stage: more actors than cores, so it shows
the schedule and the driver's share of the work, not a cluster's speed (labelled simulated).
`--recipe`: `dedup` is what `trajsift dedup` runs (through its lean path, `executors.lean_driver`, unless
`--general`); `minhash` drops diversity.novelty (its nearest-neighbour search is quadratic without faiss /
usearch); `run` is the default recipe without the correctness stage.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale_measure import RECIPES, planted_scores, run_child  # noqa: E402
from sources import DEFAULT_DATA_DIR  # noqa: E402

OUTPUTS = ("kept.parquet", "rejected.parquet", "review.parquet", "stats.json")


def parse_config(text: str) -> dict:
    kind, _, workers = text.partition(":")
    if kind not in ("local", "ray", "sim") or not workers.isdigit():
        raise SystemExit(f"bad config {text!r}: use local:N, ray:N or sim:N")
    config = {"label": text, "executor": "local" if kind == "local" else "ray", "workers": int(workers)}
    config["ray_cpus"] = int(workers) if kind == "sim" else (os.cpu_count() if kind == "ray" else None)
    return config


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def ensure_input(args: argparse.Namespace, workdir: Path) -> Path:
    if args.input:
        return args.input
    target = workdir / "input"
    script = Path(__file__).with_name("gen_trajectories.py")
    command = [sys.executable, str(script), str(target), "--n", str(args.n), "--data", args.data]
    subprocess.run(command + ["--seed", str(args.seed)], check=True)
    return target


def measure(config: dict, args: argparse.Namespace, source: Path, workdir: Path) -> dict:
    out = workdir / f"out-{config['label'].replace(':', '-')}"
    before = load()
    child = {**config, "inputs": [str(source / "shards")], "out": str(out), "recipe": args.recipe}
    child["lean"] = args.recipe != "run" and not args.general  # `trajsift dedup` takes the lean path
    result = run_child(child)
    result.update(load_before=before, load_after=load(), label=config["label"])
    result["digests"] = {name: digest(out / name) for name in OUTPUTS}
    result["planted"] = planted_scores(out, source / "truth.csv")
    if not args.keep_outputs:
        shutil.rmtree(out)
    return result


def report(result: dict, reference: dict | None) -> str:
    simulated = " (simulated cluster: schedule only, not speed)" if result["label"].startswith("sim") else ""
    phases = ", ".join(f"{name} {secs:.1f}s" for name, secs in result["phases"].items())
    same = "reference" if reference is None else str(result["digests"] == reference["digests"])
    planted = result["planted"]
    return (
        f"{result['label']:8s}{simulated}: {result['n']:,} traj, wall {result['wall']:.1f}s "
        f"({result['n'] / result['wall']:.0f} traj/s; run_pipeline {result['run_s']:.1f}s), "
        f"CPU {result['cpu']:.1f}s (tree), peak PSS {result['peak_pss'] / 2**30:.2f} GB (tree), "
        f"load {result['load_before']} -> {result['load_after']}\n"
        f"          phases (wall): {phases}\n"
        f"          dropped {planted['dropped']:,} of {planted['planted']:,} planted copies: "
        f"precision {planted['precision']:.4f}, recall {planted['recall']:.4f}; outputs identical: {same}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--input", type=Path, help="a directory written by bench/gen_trajectories.py")
    parser.add_argument("--data", default=DEFAULT_DATA_DIR)
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="dedup")
    parser.add_argument("--configs", default="local:1,local:2,ray:1,ray:2,sim:8")
    parser.add_argument("--workdir", type=Path, help="where inputs and outputs go (default: a temporary dir)")
    parser.add_argument("--keep-outputs", action="store_true")
    parser.add_argument("--general", action="store_true", help="dedup recipes through the general pipeline")
    args = parser.parse_args()
    configs = [parse_config(text) for text in args.configs.split(",")]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="trajsift-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        source = ensure_input(args, workdir)
        print(f"recipe {args.recipe}: {RECIPES[args.recipe]}; input {source}; {os.cpu_count()} CPUs", flush=True)
        reference = None
        for config in configs:
            result = measure(config, args, source, workdir)
            print(report(result, reference), flush=True)
            reference = reference or result
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
