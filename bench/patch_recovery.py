"""Where each real source's final patch comes from, and how its runs ended, as the readers record them.

Usage: python bench/patch_recovery.py [DATA_DIR]
DATA_DIR defaults to ../shared/data relative to the project root (or $TRAJSIFT_DATA_DIR).

Per source: trajectories read, the share of each `final.patch_source` (recorded / observed_diff / none /
unknown), the share of each normalised exit status (`trajsift.checks._exit_status.run_end`) and the raw
exit statuses behind the step limits. For every source with a labels file keyed by instance id (the
verified-dev sources), the resolved runs that now carry a non-empty patch or a `patch_unknown` source
(nothing in the log tells), against the resolved runs the reader left with an empty `none` patch, and
how those resolved runs ended.
"""

from __future__ import annotations

import collections
import csv
import os
import sys

from trajsift.checks._exit_status import run_end
from trajsift.readers.read import read_trajectories
from trajsift.schema import PATCH_UNKNOWN, Quarantined, Trajectory

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA_DIR = os.environ.get("TRAJSIFT_DATA_DIR", os.path.join(PROJECT_ROOT, "..", "shared", "data"))
SOURCES = {
    "lite/swe-agent": "swe-agent-gpt4-lite/results/swe-agent-results",
    "lite/coder": "coder-gpt4-lite/trajs",
    "lite/autocoderover": "autocoderover-gpt4-lite.tar.gz",
    "verified/mini-swe-agent": "verified-dev/mini-swe-agent-gemini3/trajs",
    "verified/openhands": "verified-dev/openhands-fncall-claude35/trajs",
    "samples/mini-swe-agent": "format-samples/mini-swe-agent",
    "samples/openhands-fncall": "format-samples/openhands-fncall",
    "samples/openhands-codeact": "format-samples/openhands-codeact",
}
LABELLED = {
    "verified/mini-swe-agent": "verified-dev/mini-swe-agent-gemini3/labels.csv",
    "verified/openhands": "verified-dev/openhands-fncall-claude35/labels.csv",
}


def read_source(path: str) -> tuple[list[Trajectory], collections.Counter]:
    trajectories, quarantined = [], collections.Counter()
    for item in read_trajectories([path]):
        if isinstance(item, Quarantined):
            quarantined[item.reason] += 1
        else:
            trajectories.append(item)
    return trajectories, quarantined


def shares(counter: collections.Counter, total: int) -> str:
    return ", ".join(f"{key or '-'} {count / total:.1%} ({count})" for key, count in counter.most_common())


def resolved_ids(labels_path: str) -> set[str]:
    with open(labels_path, newline="") as handle:
        return {row["instance_id"] for row in csv.DictReader(handle) if row["resolved"].strip().lower() == "true"}


def report_resolved(trajectories: list[Trajectory], labels_path: str) -> None:
    resolved = resolved_ids(labels_path)
    runs = [t for t in trajectories if t.task.task_id in resolved]
    with_patch = sum(1 for t in runs if t.final.patch.strip())
    unknown = sum(1 for t in runs if not t.final.patch.strip() and t.final.patch_source == PATCH_UNKNOWN)
    empty = len(runs) - with_patch - unknown
    statuses = collections.Counter(run_end(t).status for t in runs)
    print(f"  resolved runs: {len(runs)} of {len(resolved)} labelled resolved")
    print(f"    non-empty patch {with_patch}, patch_unknown {unknown}, empty patch said none {empty}")
    print(f"    by exit status: {shares(statuses, len(runs))}")


def report(name: str, path: str, data_dir: str) -> None:
    trajectories, quarantined = read_source(path)
    total = len(trajectories)
    print(f"{name}: {total} trajectories" + (f", quarantined {dict(quarantined)}" if quarantined else ""))
    if not total:
        return
    sources = collections.Counter(t.final.patch_source for t in trajectories)
    ends = [run_end(t) for t in trajectories]
    statuses = collections.Counter(end.status for end in ends)
    limits = collections.Counter(end.raw for end in ends if end.status == "step_limit")
    print(f"  patch_source: {shares(sources, total)}")
    print(f"  exit status:  {shares(statuses, total)}")
    if limits:
        print(f"  step_limit raw: {shares(limits, sum(limits.values()))}")
    if name in LABELLED:
        report_resolved(trajectories, os.path.join(data_dir, LABELLED[name]))


def main(argv: list[str]) -> int:
    data_dir = argv[1] if len(argv) > 1 else DEFAULT_DATA_DIR
    if not os.path.isdir(data_dir):
        print(f"data dir not found: {data_dir}", file=sys.stderr)
        return 2
    for name, relative in SOURCES.items():
        path = os.path.join(data_dir, relative)
        if os.path.exists(path):
            report(name, path, data_dir)
        else:
            print(f"{name}: missing ({relative})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
