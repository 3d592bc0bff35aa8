"""Precision and recall of the `mistake` step label on real failed runs, against edits whose effect is identifiable.

Usage: python bench/step_labels.py [DATA_DIR] [--limit N]
DATA_DIR defaults to ../shared/data (or $TRAJSIFT_DATA_DIR); --limit caps trajectories per source.

Method (printed with the figures):
- Runs: the unresolved runs (official labels) of every source: SWE-agent, CodeR, AutoCodeRover (labels.csv)
  and the verified-dev sources (their labels.csv).
- Reference: an edit is *identifiable* when the same command (a test run or the agent's reproduction
  script, unchanged in between) ran before it and again after it with no other real edit in between, so
  the change in that command's result is this edit's alone. It is a reference mistake when the
  later run shows more failing tests (or the command ran cleanly before and fails after), else not.
  The `persistent` variant only counts regressions the run never got back from (the command's last
  result in the run is no better), evidence from later steps that the labeller never looks at.
- Prediction: the step label of that edit (`trajsift.steplabels.label_steps`) is `mistake`.
- Caveat: the labeller's `caused_regression` rule reads the same kind of evidence (test results around an
  edit), so recall mostly measures attribution; precision also counts the edits its other rules (failed
  edit, revert, syntax error) call mistakes while their tests did not regress.
- Outcome check, independent of the reference: the share of steps labelled `mistake` per run, resolved vs
  unresolved runs (AUC of that share for predicting "unresolved").
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from signals_real import DEFAULT_DATA_DIR, auc, label_of, load_labels
from trajsift.facts import steps as st
from trajsift.facts.edits import step_edit
from trajsift.facts.testruns import TestCounts, parse_test_counts
from trajsift.readers.read import read_trajectories
from trajsift.schema import Step, Trajectory
from trajsift.steplabels import MISTAKE, label_steps

LITE = {
    "swe-agent-gpt4-lite": "swe-agent-gpt4-lite/results/swe-agent-results/cost_2_*/*.traj.gz",
    "coder-gpt4-lite": "coder-gpt4-lite/trajs/*.traj.gz",
    "autocoderover-gpt4-lite": "autocoderover-gpt4-lite.tar.gz",
}
VERIFIED = ("mini-swe-agent-gemini3", "openhands-fncall-claude35")


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    fp_rules: Counter = field(default_factory=Counter)

    def add(self, predicted: bool, actual: bool, rule: str) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
            self.fp_rules[rule] += 1
        elif actual:
            self.fn += 1
        else:
            self.tn += 1

    def line(self) -> str:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")
        return (
            f"edits {self.tp + self.fp + self.fn + self.tn:5d}, reference mistakes {self.tp + self.fn:4d}, "
            f"labelled mistake {self.tp + self.fp:4d}: precision {precision:.3f}, recall {recall:.3f}"
        )


def is_real_edit(step: Step) -> bool:
    if step.action.type not in st.CHANGES or st.is_scratch(step.action.target):
        return False
    edit = step_edit(step)
    return edit.applied if edit is not None else not st.flagged(step.observation)


def worse(after: tuple[bool, TestCounts | None], before: tuple[bool, TestCounts | None]) -> bool:
    if after[1] is not None and before[1] is not None:
        return after[1].failed > before[1].failed
    return after[0] and not before[0]


def identifiable_edits(traj: Trajectory) -> dict[int, tuple[bool, bool]]:
    """Edit index -> (reference mistake, persistent reference mistake) for the identifiable edits."""
    last: dict[str, tuple[bool, TestCounts | None]] = {}
    between: dict[str, list[int]] = defaultdict(list)
    regressions: dict[int, tuple[str, tuple[bool, TestCounts | None]]] = {}
    found: dict[int, bool] = {}
    final: dict[str, tuple[bool, TestCounts | None]] = {}  # each command's last result in the run
    for index, step in enumerate(traj.steps):
        if step.action.type in st.CHANGES and st.is_scratch(step.action.target):
            name = st.base_name(step.action.target)  # a changed script: its runs before and after differ
            last = {key: value for key, value in last.items() if not name or name not in key}
        elif is_real_edit(step):
            for edits in between.values():
                edits.append(index)
        if step.action.type not in st.EXECUTIONS:
            continue
        key = st.command_key(step)
        result = (st.failed(step.observation), parse_test_counts(step.observation.text))
        if key in last and len(between[key]) == 1:
            edit = between[key][0]
            found[edit] = worse(result, last[key])
            if found[edit]:
                regressions[edit] = (key, last[key])
        last[key], final[key], between[key] = result, result, []
    return {
        edit: (bad, bad and worse(final[regressions[edit][0]], regressions[edit][1])) for edit, bad in found.items()
    }


def read_source(paths: list[str], limit: int) -> list[Trajectory]:
    out: list[Trajectory] = []
    for path in paths:
        out += [item for item in read_trajectories([path]) if isinstance(item, Trajectory)]
        if len(out) >= limit:
            break
    return out[:limit]


def verified_labels(data_dir: str, name: str) -> dict[str, bool]:
    with open(os.path.join(data_dir, "verified-dev", name, "labels.csv"), newline="") as handle:
        return {row["instance_id"]: row["resolved"] in ("True", "true", "1") for row in csv.DictReader(handle)}


def labelled_sources(data_dir: str, limit: int):
    """(source name, [(trajectory, resolved)])."""
    lite = load_labels(data_dir)
    for name, pattern in LITE.items():
        trajs = read_source(sorted(glob.glob(os.path.join(data_dir, pattern))), limit)
        yield name, [(t, label_of(t, lite, data_dir)) for t in trajs]
    for name in VERIFIED:
        labels = verified_labels(data_dir, name)
        trajs = read_source(sorted(glob.glob(os.path.join(data_dir, "verified-dev", name, "trajs", "*"))), limit)
        yield f"verified/{name}", [(t, labels.get(t.task.task_id)) for t in trajs]


def evaluate(name: str, pairs: list[tuple[Trajectory, bool | None]], totals: dict[str, Tally], shares: list) -> None:
    tallies = {"all": Tally(), "persistent": Tally()}
    runs = identifiable_runs = 0
    for traj, resolved in pairs:
        if resolved is None:
            continue
        labels = label_steps(traj)
        shares.append((sum(label.label == MISTAKE for label in labels) / max(1, len(labels)), resolved, name))
        if resolved:
            continue
        runs += 1
        reference = identifiable_edits(traj)
        identifiable_runs += bool(reference)
        for edit, (bad, persistent) in reference.items():
            predicted = labels[edit].label == MISTAKE
            for kind, actual in (("all", bad), ("persistent", persistent)):
                if kind == "persistent" and bad and not persistent:
                    continue  # a regression the run recovered from: left out of the persistent variant
                tallies[kind].add(predicted, actual, labels[edit].rule)
                totals[kind].add(predicted, actual, labels[edit].rule)
    print(f"\n## {name}: {runs} unresolved runs, {identifiable_runs} with identifiable edits")
    for kind, tally in tallies.items():
        print(f"  {kind:10s} {tally.line()}")


def outcome_check(shares: list) -> None:
    print("\n## outcome check: share of steps labelled mistake per run")
    for name in sorted({s[2] for s in shares}) + ["ALL"]:
        part = [s for s in shares if name in ("ALL", s[2])]
        values = np.array([s[0] for s in part])
        unresolved = np.array([not s[1] for s in part], dtype=bool)
        resolved_mean = values[~unresolved].mean() if (~unresolved).any() else float("nan")
        unresolved_mean = values[unresolved].mean() if unresolved.any() else float("nan")
        score = auc(values, unresolved)
        score_text = f"{score:.3f}" if score is not None else "n/a"
        print(
            f"  {name:36s} n={len(part):4d} resolved {resolved_mean:.3f}, unresolved {unresolved_mean:.3f}, "
            f"AUC(unresolved) {score_text}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", nargs="?", default=DEFAULT_DATA_DIR)
    parser.add_argument("--limit", type=int, default=1_000_000, help="Trajectories per source.")
    args = parser.parse_args()
    if not os.path.isdir(args.data_dir):
        sys.exit(f"no data directory {args.data_dir}")
    print(__doc__.split("Method (printed with the figures):", 1)[1].split("\n\n", 1)[0].rstrip())
    start = time.perf_counter()
    totals = {"all": Tally(), "persistent": Tally()}
    shares: list = []
    for name, pairs in labelled_sources(args.data_dir, args.limit):
        evaluate(name, pairs, totals, shares)
    print("\n## ALL sources")
    for kind, tally in totals.items():
        print(f"  {kind:10s} {tally.line()}")
        print(f"  {'':10s} false positives by rule: {dict(tally.fp_rules.most_common())}")
    outcome_check(shares)
    print(f"\n{time.perf_counter() - start:.0f}s")


if __name__ == "__main__":
    main()
