"""Per-run result files against the official per-trajectory labels, through the real readers.

Reads the SWE-agent runs (three runs, each with its `final_report.json` listing only resolved ids) and
the CodeR run (`results.json`), with all four result files passed as `--labels` would pass them, and
compares every trajectory's `outcome.resolved` with `labels.csv`. Prints, per source: trajectories,
labelled, unlabelled, agreeing and disagreeing labels, and the resolved rate over labelled rows.

    python bench/labels_real.py [DATA_DIR]     # default ../shared/data
"""

from __future__ import annotations

import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

from trajsift.readers.labels import load_labels
from trajsift.readers.read import ReadOptions, read_trajectories
from trajsift.schema import Trajectory

SOURCES = {
    "swe-agent": ("swe-agent-gpt4-lite/results/swe-agent-results", "*/final_report.json"),
    "coder": ("coder-gpt4-lite", "results.json"),
}


def official(data: Path) -> dict[str, bool]:
    with open(data / "labels.csv", newline="") as handle:
        return {row["path"]: row["resolved"] == "True" for row in csv.DictReader(handle)}


def main(data: Path) -> None:
    truth = official(data)
    reports = [str(p) for folder, pattern in SOURCES.values() for p in sorted((data / folder).glob(pattern))]
    labels = load_labels(reports)
    print(f"label files: {len(reports)} ({', '.join(str(Path(r).relative_to(data)) for r in reports)})")
    tallies: dict[str, Counter[str]] = defaultdict(Counter)
    for name, (folder, _) in SOURCES.items():
        for item in read_trajectories([str(data / folder)], ReadOptions(labels=labels)):
            if isinstance(item, Trajectory):
                relative = str(Path(item.source.path).resolve().relative_to(data.resolve()))
                _count(tallies[name], item.outcome.resolved, truth.get(relative))
    for name, tally in tallies.items():
        rate = tally["labelled resolved"] / tally["labelled"] if tally["labelled"] else float("nan")
        figures = ", ".join(f"{key} {tally[key]}" for key in ("trajectories", "labelled", "unlabelled", "agree"))
        print(f"{name}: {figures}, disagree {tally['disagree']}, resolved rate {rate:.1%} over labelled rows")


def _count(tally: Counter[str], label: bool | None, truth: bool | None) -> None:
    tally["trajectories"] += 1
    if label is None:
        tally["unlabelled"] += 1
        return
    tally["labelled"] += 1
    tally["labelled resolved"] += label
    tally["agree" if label == truth else "disagree"] += 1


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data")
