"""Per-run SWE-agent result files against the official per-trajectory labels.

Loads the three runs' `final_report.json` (each in its run folder, passed together as `--labels` would)
and labels every SWE-agent trajectory listed in `labels.csv` (its run is its folder's name, as the reader
sets `source.run`). Prints how many are labelled, how many agree with `labels.csv`, and the resolved rate.

    python bench/labels_real.py [DATA_DIR]     # default ../shared/data
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

from trajsift.labels import load_labels
from trajsift.schema import Source, TaskRef, Trajectory

SWE_AGENT = "swe-agent-gpt4-lite/results/swe-agent-results"


def main(data: Path) -> None:
    reports = sorted(str(p) for p in (data / SWE_AGENT).glob("*/final_report.json"))
    labels = load_labels(reports)
    tally: Counter[str] = Counter()
    with open(data / "labels.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if not row["path"].startswith(SWE_AGENT):
                continue
            run = Path(row["path"]).parent.name
            source = Source(run=run, path=str(data / row["path"]))
            found = labels.lookup(Trajectory(id=row["path"], task=TaskRef(task_id=row["instance_id"]), source=source))
            official = row["resolved"] == "True"
            tally["trajectories"] += 1
            tally["official resolved"] += official
            if found is None:
                tally["unlabelled"] += 1
                continue
            tally["labelled"] += 1
            tally["labelled resolved"] += found[0]
            tally["agree" if found[0] == official else "disagree"] += 1
    print(f"report files: {len(reports)}")
    for name in ("trajectories", "official resolved", "labelled", "unlabelled", "labelled resolved", "agree"):
        print(f"{name:>18}: {tally[name]}")
    print(f"{'disagree':>18}: {tally['disagree']}")
    rate = tally["labelled resolved"] / tally["labelled"] if tally["labelled"] else float("nan")
    print(f"{'resolved rate':>18}: {rate:.1%} over labelled rows")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data")
