"""How the rewards relate to the official resolved labels of real trajectories.

Usage: python bench/rewards_real.py [DATA_DIR] [--out DIR]
DATA_DIR defaults to ../shared/data relative to the project root (or $TRAJSIFT_DATA_DIR).

Reads and scores the data through `run_pipeline` with the default recipe's basic filter, signals and quality
stages (the calibrated probability that correctness falls back to without tests), the SWE-bench Lite task
file (for reference patches; no tests are run, no labels are given to the pipeline), then computes rewards
from the run directory exactly as `trajsift reward` does. Prints per
source and per half of a split by task id (stable hash: even = tune, odd = held-out): the AUC of the
reward and of each component against `resolved`; then per-step behaviour on resolved versus unresolved
runs: mean cumulative progress (toward the run's own final patch and toward the reference patch) at
tenths of the run, the share of runs whose last step reward is positive, mean summed step reward.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signals_real import DEFAULT_DATA_DIR, auc, is_held_out, label_of, load_labels  # noqa: E402
from trajsift.checks.base import CheckContext  # noqa: E402
from trajsift.config import load_recipe  # noqa: E402
from trajsift.rewards.export import iter_run_dir, reward_row, score_all  # noqa: E402
from trajsift.rewards.trajectory import COMPONENTS  # noqa: E402
from trajsift.run import run_pipeline  # noqa: E402
from trajsift.tasks import load_tasks  # noqa: E402

INPUTS = {
    "swe-agent": "swe-agent-gpt4-lite/results/swe-agent-results",
    "coder": "coder-gpt4-lite/trajs",
    "autocoderover": "autocoderover-gpt4-lite.tar.gz",
}
TASKS = "swebench-lite-metadata.jsonl"
BINS = 10


def source_of(path: str) -> str:
    return next((name for name, part in INPUTS.items() if part.split("/")[0] in path), "other")


def run(data_dir: str, out: str) -> list[dict]:
    recipe = load_recipe(None, [f"tasks={os.path.join(data_dir, TASKS)}"])
    wanted = ("basic_filter", "signals", "quality")
    recipe = recipe.model_copy(update={"stages": [s for s in recipe.stages if s.name in wanted]})
    inputs = [os.path.join(data_dir, part) for part in INPUTS.values()]
    start = time.perf_counter()
    run_pipeline(inputs, out, recipe, workers=4)
    print(f"pipeline (basic filter, signals, quality): {time.perf_counter() - start:.1f}s")
    labels = load_labels(data_dir)
    ctx = CheckContext(tasks=load_tasks(recipe.tasks))
    start = time.perf_counter()
    rows = []
    pairs = list(iter_run_dir(out))
    for scored, (traj, _) in zip(score_all(iter(pairs), recipe, ctx), pairs, strict=True):
        label = label_of(traj, labels, data_dir)
        if label is None:
            continue
        row = reward_row(scored)
        row.update(resolved=label, source=source_of(traj.source.path), held=is_held_out(traj.task.task_id))
        row["steps"] = scored.steps
        rows.append(row)
    print(f"rewards: {len(rows)} labelled trajectories in {time.perf_counter() - start:.1f}s")
    return rows


def auc_table(rows: list[dict]) -> None:
    names = ["reward", *COMPONENTS, "final_reference_progress", "step_reward_sum"]
    print(f"{'signal':28s} {'tune':>6s} {'held':>6s} {'n known':>8s}")
    for name in names:
        cells = []
        for held in (False, True):
            part = [r for r in rows if r["held"] is held and r.get(name) is not None]
            y = np.array([r["resolved"] for r in part], dtype=bool)
            cells.append(auc(np.array([r[name] for r in part], dtype=float), y) if part else None)
        known = sum(1 for r in rows if r.get(name) is not None)
        print(f"{name:28s} {_fmt(cells[0])} {_fmt(cells[1])} {known:8d}")


def step_table(rows: list[dict]) -> None:
    for resolved in (True, False):
        part = [r for r in rows if r["resolved"] is resolved]
        if not part:
            continue
        own = _mean_curve([[s.progress for s in r["steps"]] for r in part])
        ref = _mean_curve([[s.reference_progress for s in r["steps"]] for r in part])
        last_positive = np.mean([bool(r["steps"]) and r["steps"][-1].reward > 0 for r in part])
        any_positive = np.mean([any(s.reward > 0 for s in r["steps"]) for r in part])
        label = "resolved" if resolved else "unresolved"
        print(
            f"  {label:10s} n={len(part):4d}  mean step-reward sum {np.mean([r['step_reward_sum'] for r in part]):.3f}"
        )
        print(f"    share with last step reward > 0: {last_positive:.3f}; with any positive step: {any_positive:.3f}")
        print("    task progress by tenth: " + " ".join(_fmt(v) for v in own))
        print("    reference progress by tenth: " + " ".join(_fmt(v) for v in ref))


def _mean_curve(curves: list[list[float | None]]) -> list[float | None]:
    sums, counts = np.zeros(BINS), np.zeros(BINS)
    for curve in curves:
        if not curve or all(v is None for v in curve):
            continue
        for b in range(BINS):
            value = curve[max(0, min(len(curve) - 1, int((b + 1) * len(curve) / BINS) - 1))]
            if value is not None:
                sums[b] += value
                counts[b] += 1
    return [float(s / c) if c else None for s, c in zip(sums, counts, strict=True)]


def _fmt(value: float | None) -> str:
    return f"{value:6.3f}" if value is not None else "   n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", nargs="?", default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", default=None, help="Run directory to keep (default: a temporary one).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = run(args.data_dir, args.out or os.path.join(tmp, "run"))
    for row in rows:
        steps = row["steps"]
        row["final_reference_progress"] = steps[-1].reference_progress if steps else None
        row["step_reward_sum"] = float(sum(s.reward for s in steps))
    by_source = defaultdict(list)
    for row in rows:
        by_source[row["source"]].append(row)
    for source, part in sorted(by_source.items()):
        resolved = sum(r["resolved"] for r in part)
        print(f"\n## {source}: {len(part)} labelled, {resolved} resolved")
        auc_table(part)
        print("per-step rewards:")
        step_table(part)


if __name__ == "__main__":
    main()
