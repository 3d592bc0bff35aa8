"""Planted near-duplicate benchmark on real trajectories: precision and recall of each detector.

Usage: python bench/dedup_quality.py [DATA_DIR] [--half test|tune|all] [--sample N] [--seed S]

Reads the real SWE-agent, CodeR and AutoCodeRover trajectories under DATA_DIR (default ../shared/data).
Tasks are split by a stable hash of the task id (even = tune half, odd = test half; defaults were chosen
on the tune half). For N sampled trajectories of the chosen half, a planted near duplicate is made with
one of: paraphrased thoughts, renamed variables, reordered independent steps, re-run noise, or two of
these mixed (see bench/dedup_planting.py). Positives: (original, planted copy). Negatives: every pair of
trajectories of the same task that are different real runs (and planted copies against those runs).
Each detector runs through the real `diversity.near` check (signature -> reduce -> assign) over the
whole pool; a pair is predicted duplicate when both rows land in the same cluster.
Target: recall >= 95 % at precision >= 99 % for the combined detector.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import zlib
from collections import defaultdict
from itertools import combinations

import pyarrow as pa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dedup_planting as planting  # noqa: E402
from trajsift.checks.base import CheckContext  # noqa: E402
from trajsift.checks.exact_dedup import trajectory_hash  # noqa: E402
from trajsift.checks.near_dedup import NearDuplicates  # noqa: E402
from trajsift.readers.read import read_trajectories  # noqa: E402
from trajsift.schema import Trajectory  # noqa: E402

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA_DIR = os.environ.get("TRAJSIFT_DATA_DIR", os.path.join(PROJECT_ROOT, "..", "shared", "data"))
INPUTS = ("swe-agent-gpt4-lite/results/swe-agent-results", "coder-gpt4-lite/trajs", "autocoderover-gpt4-lite.tar.gz")
PLANTS = ["paraphrase", "rename", "reorder", "noise", "mixed"]
VIEW_THRESHOLDS = {"actions": ("lines", 1, 0.6), "patch": ("code", 3, 0.6), "thoughts": ("words", 2, 0.42)}
VIEW_THRESHOLDS["commands"] = ("code", 3, 0.7)


def load(data_dir: str, half: str) -> list[Trajectory]:
    paths = [os.path.join(data_dir, p) for p in INPUTS if os.path.exists(os.path.join(data_dir, p))]
    trajs = [t for t in read_trajectories(paths) if isinstance(t, Trajectory) and len(t.steps) >= 3]
    if half == "all":
        return trajs
    parity = 0 if half == "tune" else 1
    return [t for t in trajs if zlib.crc32(t.task.task_id.encode()) % 2 == parity]


def build_pool(trajs: list[Trajectory], sample: int, seed: int):
    rng = random.Random(seed)
    pool = list(trajs)
    positives: dict[tuple[str, str], str] = {}
    for i, orig in enumerate(rng.sample(trajs, min(sample, len(trajs)))):
        kind = PLANTS[i % len(PLANTS)]
        copy = planting.mixed(orig, rng) if kind == "mixed" else planting.TRANSFORMS[kind](orig, rng)
        copy.id = f"{orig.id}~planted{i}"
        pool.append(copy)
        positives[(orig.id, copy.id)] = kind
    by_task: dict[str, list[Trajectory]] = defaultdict(list)
    for traj in pool:
        by_task[traj.task.task_id].append(traj)
    negatives = []
    for members in by_task.values():
        for a, b in combinations(members, 2):
            same_origin = a.id.split("~")[0] == b.id.split("~")[0]  # a run and its planted copy
            if not same_origin and trajectory_hash(a) != trajectory_hash(b):
                negatives.append((a.id, b.id))
    return pool, positives, negatives


def run_check(check: NearDuplicates, pool: list[Trajectory], seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    ctx = CheckContext()
    rows = []
    for traj in pool:
        sig = check.signature(traj, ctx, {"quality_score": rng.random()})
        rows.append({"trajectory_id": traj.id, **{check.sig_col(k): v for k, v in sig.items()}})
    types = {"trajectory_id": pa.string(), **check.signature_types()}
    table = pa.Table.from_pylist(rows, schema=pa.schema(list(types.items())))
    state = check.reduce(table)
    by_id = {row["trajectory_id"]: row for row in rows}
    return {t.id: check.assign(t.id, by_id[t.id], {}, state).scores["diversity.near.cluster_id"] for t in pool}


def detectors() -> dict[str, NearDuplicates | str]:
    found: dict[str, NearDuplicates | str] = {"exact": "exact"}
    for view, (tokenizer, ngram, threshold) in VIEW_THRESHOLDS.items():
        spec = {view: {"tokenizer": tokenizer, "ngram": ngram, "threshold": threshold, "num_perm": 256}}
        found[f"minhash:{view}"] = NearDuplicates({"views": spec, "match": [[view]], "action_rule": False})
    found["minhash:combined (default)"] = NearDuplicates({"action_rule": False})
    found["action-seq (run > 80 %)"] = NearDuplicates({"match": [], "action_rule": True})
    found["diversity.near default"] = NearDuplicates()
    return found


def evaluate(clusters: dict[str, str], positives: dict, negatives: list) -> tuple[float, float, dict[str, float]]:
    hits = {pair: clusters[pair[0]] == clusters[pair[1]] for pair in positives}
    false_pos = sum(clusters[a] == clusters[b] for a, b in negatives)
    true_pos = sum(hits.values())
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    per_kind: dict[str, list[bool]] = defaultdict(list)
    for pair, kind in positives.items():
        per_kind[kind].append(hits[pair])
    return precision, true_pos / max(1, len(positives)), {k: sum(v) / len(v) for k, v in per_kind.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=DEFAULT_DATA_DIR)
    parser.add_argument("--half", choices=["test", "tune", "all"], default="test")
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    trajs = load(args.data_dir, args.half)
    if not trajs:  # a wrong path would otherwise print precision 1.000 over nothing
        sys.exit(f"no trajectories under {args.data_dir} (expected {', '.join(INPUTS)})")
    pool, positives, negatives = build_pool(trajs, args.sample, args.seed)
    print(
        f"{args.half} half: {len(trajs)} real trajectories, {len(pool)} in pool, "
        f"{len(positives)} planted pairs, {len(negatives)} same-task non-duplicate pairs"
    )
    print(f"{'detector':30s} {'precision':>9s} {'recall':>7s} {'FP':>4s} {'secs':>6s}  recall by plant")
    for name, check in detectors().items():
        start = time.perf_counter()
        if check == "exact":
            clusters = {t.id: trajectory_hash(t) for t in pool}
        else:
            clusters = run_check(check, pool, args.seed)
        secs = time.perf_counter() - start
        precision, recall, kinds = evaluate(clusters, positives, negatives)
        false_pos = sum(clusters[a] == clusters[b] for a, b in negatives)
        by_kind = " ".join(f"{k}={v:.2f}" for k, v in sorted(kinds.items()))
        print(f"{name:30s} {precision:9.3f} {recall:7.3f} {false_pos:4d} {secs:6.2f}  {by_kind}")


if __name__ == "__main__":
    main()
