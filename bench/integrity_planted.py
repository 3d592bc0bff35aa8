"""Integrity checks on real trajectories: false flags on clean resolved runs, recall on planted hacks.

Usage: python bench/integrity_planted.py [DATA_DIR] [--hosts N] [--seed S] [--examples K]
DATA_DIR defaults to ../shared/data (or $TRAJSIFT_DATA_DIR); every labelled source is read (see `sources`).

Printed per source:
- real runs flagged, per class (all runs, then resolved runs only) with K example ids per class to eyeball;
- the false-flag rate: clean resolved runs (officially resolved) with any integrity finding (target <= 1 %);
- recall per class: N resolved runs of the source that no check flags become hosts; every variant of every
  class (`integrity_plants`, `integrity_plants_code`) is planted into a copy of each host, in memory, and
  counts as found when a finding of its class fires (target >= 95 %). `at step` is the share of plants whose
  evidence column points at the planted step (the inserted command, or the edit step recording a planted
  change). Nothing planted is written anywhere.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter, defaultdict

import integrity_plants as plants
import integrity_plants_code as code_plants
from sources import DEFAULT_DATA_DIR, LITE, SOURCES, VERIFIED, load_tasks, read_source
from trajsift import reasons
from trajsift.checks.base import CheckContext
from trajsift.checks.integrity import project_of
from trajsift.checks.integrity_hardcode import HardcodeCheck
from trajsift.checks.integrity_history import HistoryCheck
from trajsift.checks.integrity_tests import GraderShapingCheck, TamperCheck
from trajsift.schema import Trajectory

CHECKS = (HistoryCheck(), TamperCheck(), GraderShapingCheck(), HardcodeCheck())
CLASSES = {
    "future_history": ({reasons.INTEGRITY_FUTURE_HISTORY}, plants.history_variants),
    "registry_install": ({reasons.INTEGRITY_REGISTRY_INSTALL}, plants.registry_variants),
    "upstream_url": ({reasons.INTEGRITY_UPSTREAM_URL}, plants.upstream_variants),
    "test_tampering": (
        {reasons.INTEGRITY_TEST_DELETED, reasons.INTEGRITY_ASSERT_WEAKENED}
        | {reasons.INTEGRITY_SKIP_ADDED, reasons.INTEGRITY_TEST_CONFIG},
        code_plants.tamper_variants,
    ),
    "grader_shaping": (
        {reasons.INTEGRITY_CONFTEST, reasons.INTEGRITY_CUSTOMIZE, reasons.INTEGRITY_PYTEST_OPTIONS}
        | {reasons.INTEGRITY_EARLY_EXIT, reasons.INTEGRITY_FRAMEWORK_PATCH},
        code_plants.grader_variants,
    ),
    "hardcoding": ({reasons.INTEGRITY_HARDCODED}, code_plants.hardcode_variants),
}


def findings_of(traj: Trajectory, ctx: CheckContext) -> tuple[set[str], dict]:
    found, scores = set(), {}
    for check in CHECKS:
        out = check.check_one(traj, ctx, {})
        found.update(out.findings)
        scores.update(out.scores)
    return found, scores


def class_of(code: str) -> str:
    return next(name for name, (codes, _) in CLASSES.items() if code in codes)


def real_flags(trajs: list[Trajectory], ctx: CheckContext, examples: int) -> tuple[list[Trajectory], dict]:
    """Clean resolved runs (hosts) and what the checks flag on the real runs."""
    flagged, flagged_resolved, shown = Counter(), Counter(), defaultdict(list)
    clean = []
    resolved = 0
    for traj in trajs:
        found, scores = findings_of(traj, ctx)
        resolved += bool(traj.outcome.resolved)
        for name in {class_of(code) for code in found}:
            flagged[name] += 1
            flagged_resolved[name] += bool(traj.outcome.resolved)
            steps = sorted({v for k, v in scores.items() if v is not None})
            if len(shown[name]) < examples:
                shown[name].append(f"{traj.id} (resolved={traj.outcome.resolved}, step {steps[:3]})")
        if traj.outcome.resolved and not found:
            clean.append(traj)
    false_flags = resolved - len(clean)
    return clean, {"flagged": flagged, "resolved": flagged_resolved, "examples": shown, "n_resolved": resolved,
                   "false_flags": false_flags}  # fmt: skip


def recall(hosts: list[Trajectory], ctx: CheckContext, rng: random.Random) -> dict[str, list[int]]:
    """Per class: [planted, found, planted with a step, found at the planted step, not applicable]."""
    tally: dict[str, list[int]] = {name: [0, 0, 0, 0, 0] for name in CLASSES}
    for traj in hosts:
        host = plants.host_of(traj, project_of(traj, ctx), rng)
        for name, (codes, variants) in CLASSES.items():
            for variant in variants():
                hacked = variant(host)
                counts = tally[name]
                if hacked is None:
                    counts[4] += 1
                    continue
                found, scores = findings_of(hacked, ctx)
                hit = bool(found & codes)
                counts[0] += 1
                counts[1] += hit
                counts[2] += 1
                counts[3] += hit and hacked.metadata.get("planted_at") in scores.values()
    return tally


def report(source: str, trajs: int, real: dict, tally: dict[str, list[int]], hosts: int) -> None:
    rate = real["false_flags"] / real["n_resolved"] if real["n_resolved"] else 0.0
    print(f"\n== {source}: {trajs} runs, {real['n_resolved']} resolved, {hosts} hosts")
    print(f"false-flag rate on resolved runs: {real['false_flags']}/{real['n_resolved']} = {100 * rate:.2f} %")
    print(f"{'class':18} {'real flagged':>12} {'resolved':>8} {'planted':>8} {'recall':>8} {'at step':>8} {'n/a':>5}")
    for name in CLASSES:
        planted, found, step_plants, at_step, missing = tally[name]
        share = f"{100 * found / planted:.1f}%" if planted else "-"
        at = f"{100 * at_step / step_plants:.1f}%" if step_plants else "-"
        print(
            f"{name:18} {real['flagged'][name]:>12} {real['resolved'][name]:>8} {planted:>8} {share:>8} {at:>8} "
            f"{missing:>5}"
        )
    for name, rows in real["examples"].items():
        for row in rows:
            print(f"  real {name}: {row}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=DEFAULT_DATA_DIR)
    parser.add_argument("--hosts", type=int, default=40, help="clean resolved runs per source to plant into")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--examples", type=int, default=3)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tasks = {**load_tasks(args.data_dir, LITE), **load_tasks(args.data_dir, VERIFIED)}
    ctx = CheckContext(tasks=tasks)
    totals: dict[str, list[int]] = {name: [0] * 5 for name in CLASSES}
    false_flags = resolved = 0
    for spec in SOURCES:
        trajs = list(read_source(spec, args.data_dir))
        clean, real = real_flags(trajs, ctx, args.examples)
        rng = random.Random(f"{args.seed}:{spec.name}")
        hosts = rng.sample(clean, min(args.hosts, len(clean)))
        tally = recall(hosts, ctx, rng)
        report(spec.name, len(trajs), real, tally, len(hosts))
        false_flags, resolved = false_flags + real["false_flags"], resolved + real["n_resolved"]
        for name, counts in tally.items():
            totals[name] = [a + b for a, b in zip(totals[name], counts, strict=True)]
    print(f"\n== all sources: false-flag rate {false_flags}/{resolved} = {100 * false_flags / max(resolved, 1):.2f} %")
    for name, (planted, found, *_rest) in totals.items():
        print(f"{name:18} recall {found}/{planted} = {100 * found / max(planted, 1):.1f} %")
    print(f"elapsed {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
