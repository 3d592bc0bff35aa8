"""Measure the stage-1 basic filter (`basic.status`, `basic.content`, `basic.limits`) on real labelled runs.

Usage: python bench/basic_filter_real.py [DATA_DIR]
DATA_DIR defaults to ../shared/data relative to the project root (or $TRAJSIFT_DATA_DIR); it must hold
labels.csv (columns source, instance_id, resolved, path; `path` relative to DATA_DIR).

Prints, per source and outcome (resolved / unresolved): the number of rows and the share each finding
hits, then the share of resolved rows stage 1 rejects (the budget is <= 1 %) overall and on each half of
a split by task id (stable hash: even = tune half, odd = held-out half), then a table of normalised exit
status against the resolved rate, which is what decides which statuses are findings.
"""

from __future__ import annotations

import csv
import os
import sys
import time
import zlib
from collections import Counter, defaultdict

from trajsift.checks.base import CheckContext
from trajsift.checks.basic import ContentCheck, LimitsCheck, StatusCheck
from trajsift.readers.read import read_trajectories
from trajsift.schema import Trajectory

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA_DIR = os.environ.get("TRAJSIFT_DATA_DIR", os.path.join(PROJECT_ROOT, "..", "shared", "data"))
INPUTS = (
    "swe-agent-gpt4-lite/results/swe-agent-results",
    "coder-gpt4-lite/trajs",
    "autocoderover-gpt4-lite.tar.gz",
    "format-samples",
)
CHECKS = (StatusCheck(), ContentCheck(), LimitsCheck())
BUDGET = 0.01


def load_label_rows(data_dir: str) -> dict[str, dict[str, str]]:
    with open(os.path.join(data_dir, "labels.csv"), newline="") as handle:
        return {row["path"]: row for row in csv.DictReader(handle)}


def label_of(traj: Trajectory, rows: dict[str, dict[str, str]], data_dir: str) -> dict[str, str] | None:
    """The labels.csv row whose `path` is a trailing part of the trajectory's source path."""
    path = traj.source.path.replace("\\", "/")
    prefix = os.path.abspath(data_dir).replace("\\", "/") + "/"
    if path.startswith(prefix):
        return rows.get(path[len(prefix) :])
    return next((row for key, row in rows.items() if path.endswith("/" + key)), None)


def evaluate(traj: Trajectory) -> tuple[list[str], dict]:
    ctx, findings, scores = CheckContext(), [], {}
    for check in CHECKS:
        out = check.check_one(traj, ctx, scores)
        findings += out.findings
        scores.update(out.scores)
    return findings, scores


def half_of(task_id: str) -> str:
    return "tune" if zlib.crc32(task_id.encode()) % 2 == 0 else "held-out"


def collect(data_dir: str) -> tuple[list[tuple[dict, list[str], dict]], int, float]:
    rows = load_label_rows(data_dir)
    inputs = [os.path.join(data_dir, name) for name in INPUTS if os.path.exists(os.path.join(data_dir, name))]
    results, unlabelled, check_seconds = [], 0, 0.0
    for item in read_trajectories(inputs):
        if not isinstance(item, Trajectory):
            continue
        row = label_of(item, rows, data_dir)
        if row is None:
            unlabelled += 1
            continue
        start = time.perf_counter()
        findings, scores = evaluate(item)
        check_seconds += time.perf_counter() - start
        results.append((row, findings, scores))
    return results, unlabelled, check_seconds


def print_finding_table(results: list[tuple[dict, list[str], dict]]) -> None:
    totals: Counter = Counter()
    hits: Counter = Counter()
    codes = sorted({code for _, findings, _ in results for code in findings})
    for row, findings, _ in results:
        key = (row["source"], row["resolved"] == "True")
        totals[key] += 1
        for code in set(findings):
            hits[key, code] += 1
        hits[key, "ANY"] += bool(findings)
    header = ["source", "outcome", "n", *codes, "ANY"]
    print("\t".join(header))
    for source, resolved in sorted(totals):
        n = totals[source, resolved]
        cells = [f"{100 * hits[(source, resolved), code] / n:.1f}%" for code in [*codes, "ANY"]]
        print("\t".join([source, "resolved" if resolved else "unresolved", str(n), *cells]))


def print_budget(results: list[tuple[dict, list[str], dict]]) -> None:
    per_half: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row, findings, _ in results:
        if row["resolved"] != "True":
            continue
        for half in ("all", half_of(row["instance_id"])):
            per_half[half][0] += bool(findings)
            per_half[half][1] += 1
    for half, (rejected, total) in sorted(per_half.items()):
        share = rejected / total if total else 0.0
        verdict = "OK" if share <= BUDGET else "OVER BUDGET"
        print(f"resolved rejected by stage 1 ({half}): {rejected}/{total} = {100 * share:.2f}% [{verdict}]")
    for row, findings, _ in results:
        if row["resolved"] == "True" and findings:
            print(f"  resolved but rejected: {row['path']} {sorted(set(findings))}")


def print_status_table(results: list[tuple[dict, list[str], dict]]) -> None:
    counts: Counter = Counter()
    for row, _, scores in results:
        raw = scores.get("basic.status.raw_exit_status") or "-"
        key = (row["source"], scores.get("basic.status.exit_status"), raw)
        counts[key, row["resolved"] == "True"] += 1
    print("source\texit_status\traw_exit_status\tn\tresolved")
    for key in sorted({key for key, _ in counts}):
        resolved, unresolved = counts[key, True], counts[key, False]
        print(
            "\t".join(
                [*key, str(resolved + unresolved), f"{resolved} ({100 * resolved / (resolved + unresolved):.0f}%)"]
            )
        )


def main(argv: list[str]) -> int:
    data_dir = argv[1] if len(argv) > 1 else DEFAULT_DATA_DIR
    if not os.path.exists(os.path.join(data_dir, "labels.csv")):
        print(f"no labels.csv under {data_dir}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    results, unlabelled, check_seconds = collect(data_dir)
    elapsed = time.perf_counter() - start
    print(
        f"{len(results)} labelled trajectories ({unlabelled} unlabelled skipped); "
        f"read+check {elapsed:.1f}s, of which checks {check_seconds:.2f}s\n"
    )
    print_finding_table(results)
    print()
    print_budget(results)
    print()
    print_status_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
