"""Does the shipped model's judgment hold on *other instances* of agents it was fitted on? Instance-held-out folds.

Usage: python bench/transfer_instances.py [DATA_DIR] [--rows-cache FILE] [--folds K] [--strength C]
       [--without-alone-models]

`bench/transfer.py` holds a whole source out (an agent never seen). This is the other half of #11's judgment:
held-out runs of the same agents on instances the model never saw. The task ids of all five sources are split
into K folds (seeded); for each fold the model is fitted on every source's runs of the other folds' instances
(all sources, as `--write-model` fits the shipped model) and scores the fold's runs. Per source, over the
pooled out-of-fold scores: AUC, AUC over runs with a patch, AUC with the difficulty label unknown (`AUC-d`),
the AUC of the same fold models on the source run alone (`alone`: no other agent on its tasks), ECE; and the
within-instance pairs of two sources (one resolved, one not) ranked right. No test execution.
The rows are the ones `transfer.py` computes (same recipe, correctness disabled; `--rows-cache` shares them).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from itertools import combinations

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import transfer  # noqa: E402
from sources import DEFAULT_DATA_DIR, SOURCES  # noqa: E402
from trajsift.calibration import BASE_FEATURES, REFERENCE_AVAILABLE, REFERENCE_FEATURES  # noqa: E402
from transfer import DIFFICULTY, _fmt, auc, ece, fit_on, load_rows, scored  # noqa: E402


def out_of_fold(rows, alone, truth, features, requires, strength, folds: int, seed: int) -> tuple[dict, dict, dict]:
    """Out-of-fold probabilities per trajectory id, with the difficulty label known and unknown, and of the same
    trajectory in its source's run alone (`alone`: no other agent on its task)."""
    rows, alone = scored(rows), scored(alone)
    tasks = sorted({r.get("task_id") or r["trajectory_id"] for r in rows})
    order = np.random.default_rng(seed).permutation(len(tasks))
    fold_of = {tasks[i]: rank % folds for rank, i in enumerate(order)}
    known, unknown, lone = {}, {}, {}
    for fold in range(folds):
        held = [r for r in rows if fold_of[r.get("task_id") or r["trajectory_id"]] == fold]
        train = [r for r in rows if fold_of[r.get("task_id") or r["trajectory_id"]] != fold]
        model = fit_on(train, truth, features, requires, strength)
        for r in held:
            known[r["trajectory_id"]] = model.probability(r)
            unknown[r["trajectory_id"]] = model.probability({**r, **dict.fromkeys(DIFFICULTY)})
        for r in alone:
            if fold_of.get(r.get("task_id") or r["trajectory_id"]) == fold:
                lone[r["trajectory_id"]] = model.probability(r)
    return known, unknown, lone


def report(title, rows, alone, truth, features, requires, strength, folds, seed) -> None:
    known, unknown, lone = out_of_fold(rows, alone, truth, features, requires, strength, folds, seed)
    print(f"\n## {title}: {folds} instance folds (seed {seed}), fitted on all sources' other instances; worst first")
    print(f"{'source':26s} {'n':>5s} {'AUC':>6s} {'AUCpat':>6s} {'AUC-d':>6s} {'alone':>6s} {'ECE':>6s}")
    lines = []
    for spec in SOURCES:
        held = [r for r in scored(rows) if truth[r["trajectory_id"]][0] == spec.name]
        ids = [r["trajectory_id"] for r in held]
        y = [truth[i][1] for i in ids]
        patched = [r["trajectory_id"] for r in held if r.get("basic.content.patch_status") == "present"]
        lines.append(
            (
                auc([known[i] for i in ids], y) or 1.0,
                f"{spec.name:26s} {len(ids):5d} {_fmt(auc([known[i] for i in ids], y))} "
                f"{_fmt(auc([known[i] for i in patched], [truth[i][1] for i in patched]))} "
                f"{_fmt(auc([unknown[i] for i in ids], y))} {_fmt(alone_auc(lone, truth, spec.name))} "
                f"{ece([known[i] for i in ids], y):.3f}",
            )
        )
    for _, line in sorted(lines):
        print(line)
    print("within-instance pairs (out-of-fold scores): share ranked right")
    for a, b, share, total in pairs(rows, truth, known):
        print(f"  {a} vs {b}: {share:.3f} of {total} pairs")


def alone_auc(lone: dict, truth: dict, source: str) -> float | None:
    ids = [i for i in lone if truth[i][0] == source]
    return auc([lone[i] for i in ids], [truth[i][1] for i in ids])


def pairs(rows, truth, scores) -> list[tuple[str, str, float, int]]:
    by = defaultdict(list)
    for r in scored(rows):
        by[(truth[r["trajectory_id"]][0], r.get("task_id"))].append(r["trajectory_id"])
    out = []
    for a, b in combinations([s.name for s in SOURCES], 2):
        right = total = 0
        for (source, task), ids in by.items():
            if source != a or (b, task) not in by:
                continue
            for ia in ids:
                for ib in by[(b, task)]:
                    if truth[ia][1] == truth[ib][1]:
                        continue
                    sa, sb = scores[ia], scores[ib]
                    right += ((sa > sb) == truth[ia][1]) if sa != sb else 0.5
                    total += 1
        if total:
            out.append((a, b, right / total, total))
    return sorted(out, key=lambda x: x[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=DEFAULT_DATA_DIR)
    parser.add_argument("--rows-cache", default="", help="pickle of transfer.py's runs: reused if present")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strength", type=float, default=0.3)
    parser.add_argument("--without-alone-models", action="store_true", help="no models without the task's other runs")
    args = parser.parse_args()
    transfer.ALONE_MODELS = not args.without_alone_models
    rows_ref, rows_base, truth, _, alone = load_rows(args.data_dir, args.rows_cache)
    print(f"machine load: {os.getloadavg()[0]:.1f}; rows {len(rows_ref)} / {len(rows_base)}")
    common = (args.strength, args.folds, args.seed)
    ref = (rows_ref, alone["ref"], truth, REFERENCE_FEATURES, REFERENCE_AVAILABLE)
    report("with reference patches (--tasks)", *ref, *common)
    report("no tasks file", rows_base, alone["base"], truth, BASE_FEATURES, "", *common)


if __name__ == "__main__":
    main()
