"""Calibrate the stage-3 quality signals against the official resolved labels of real trajectories.

Usage: python bench/signals_real.py [DATA_DIR] [--columns all|score]
DATA_DIR defaults to ../shared/data relative to the project root (or $TRAJSIFT_DATA_DIR).

Per source, trajectories are split by task id (stable hash, even = tune half, odd = held-out half; never
by trajectory, the runs of one task are related). Printed per source and half: AUC of `quality_score`
and of every numeric signal column against `resolved` (Mann-Whitney with ties; higher = more often
resolved, so an AUC below 0.5 means the signal points the wrong way), the best single signal chosen on
the tune half and its held-out AUC, and how many resolved / unresolved rows each stage-3 drop finding hits.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
import zlib
from collections import defaultdict

import numpy as np

from trajsift.checks.base import CheckContext
from trajsift.checks.coherence import CoherenceCheck
from trajsift.checks.completeness import CompletenessCheck
from trajsift.checks.composite import QualityScore
from trajsift.checks.efficiency import EfficiencyCheck
from trajsift.readers.read import read_trajectories
from trajsift.schema import Trajectory

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA_DIR = os.environ.get("TRAJSIFT_DATA_DIR", os.path.join(PROJECT_ROOT, "..", "shared", "data"))
SOURCES = {
    "swe-agent-gpt4-lite": "swe-agent-gpt4-lite/results/swe-agent-results",
    "coder-gpt4-lite": "coder-gpt4-lite/trajs",
    "autocoderover-gpt4-lite": "autocoderover-gpt4-lite.tar.gz",
}
DROP_FINDINGS = ("gave_up", "no_submission", "premature_submission", "stuck_loop")
CHECKS = (CompletenessCheck(), CoherenceCheck(), EfficiencyCheck(), QualityScore())


def auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """Mann-Whitney AUC with average ranks for ties; None when one class is absent."""
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores))
    start = 0
    while start < len(scores):
        end = start
        while end + 1 < len(scores) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def load_labels(data_dir: str) -> dict[str, bool]:
    labels = {}
    with open(os.path.join(data_dir, "labels.csv"), newline="") as handle:
        for row in csv.DictReader(handle):
            labels[row["path"].split(".tar.gz:", 1)[-1]] = row["resolved"] == "True"
    return labels


def label_of(traj: Trajectory, labels: dict[str, bool], data_dir: str) -> bool | None:
    path = traj.source.path.split(".tar.gz:", 1)[-1]
    path = os.path.relpath(path, data_dir) if os.path.isabs(path) else path
    while path and path not in labels:
        path = os.path.dirname(path)  # AutoCodeRover: a member file inside the labelled folder
    return labels.get(path)


def score_rows(trajs: list[Trajectory]) -> list[tuple[dict, list[str]]]:
    ctx = CheckContext()
    rows = []
    for traj in trajs:
        columns: dict = {}
        findings: list[str] = []
        for check in CHECKS:
            out = check.check_one(traj, ctx, columns)
            columns.update(out.scores)
            findings.extend(out.findings)
        rows.append((columns, findings))
    return rows


def is_held_out(task_id: str) -> bool:
    return zlib.crc32(task_id.encode()) % 2 == 1


def report_source(name: str, trajs: list[Trajectory], labels: dict[str, bool], data_dir: str) -> None:
    pairs = [(t, label_of(t, labels, data_dir)) for t in trajs]
    pairs = [(t, y) for t, y in pairs if y is not None]
    start = time.perf_counter()
    rows = score_rows([t for t, _ in pairs])
    seconds = time.perf_counter() - start
    y = np.array([label for _, label in pairs], dtype=bool)
    held = np.array([is_held_out(t.task.task_id) for t, _ in pairs])
    print(f"\n## {name}: {len(pairs)} labelled, {int(y.sum())} resolved; scored in {seconds:.2f}s")
    table = signal_table(rows, y, held)
    print(f"{'signal':52s} {'tune':>6s} {'held':>6s}")
    for column, (tune_auc, held_auc) in sorted(table.items(), key=lambda kv: -abs((kv[1][0] or 0.5) - 0.5)):
        print(f"{column:52s} {_fmt(tune_auc)} {_fmt(held_auc)}")
    singles = {c: _oriented(v) for c, v in table.items() if c != "quality_score" and v[0] is not None}
    best = max(singles, key=lambda c: singles[c][0]) if singles else None
    if best:
        tune_auc, held_auc = singles[best]
        print(
            f"best single signal on tune half (either direction): {best} (tune {_fmt(tune_auc)}, held {_fmt(held_auc)})"
        )
        print(f"quality_score: tune {_fmt(table['quality_score'][0])}, held {_fmt(table['quality_score'][1])}")
    hits = defaultdict(lambda: [0, 0])
    for (_, findings), label in zip(rows, y, strict=True):
        for code in set(findings):
            hits[code][0 if label else 1] += 1
    print(
        "findings (resolved hit / unresolved hit): " + ", ".join(f"{c} {r}/{u}" for c, (r, u) in sorted(hits.items()))
    )
    dropped = sum(1 for (_, f), label in zip(rows, y, strict=True) if label and set(f) & set(DROP_FINDINGS))
    print(f"resolved rows hit by a drop finding: {dropped}/{int(y.sum())}")


def signal_table(rows: list[tuple[dict, list[str]]], y: np.ndarray, held: np.ndarray) -> dict:
    columns = sorted({c for columns, _ in rows for c, v in columns.items() if isinstance(v, (int, float))})
    table = {}
    for column in columns:
        values = np.array([_number(columns.get(column)) for columns, _ in rows])
        known = ~np.isnan(values)
        if known.sum() < 10 or len(set(values[known])) < 2:
            continue
        filled = np.where(known, values, np.nanmedian(values))
        table[column] = (auc(filled[~held], y[~held]), auc(filled[held], y[held]))
    return table


def _oriented(pair: tuple[float | None, float | None]) -> tuple[float, float | None]:
    """A signal used in the direction that works on the tune half (a fair single-signal baseline)."""
    tune_auc, held_auc = pair
    if tune_auc is not None and tune_auc < 0.5:
        return 1.0 - tune_auc, None if held_auc is None else 1.0 - held_auc
    return tune_auc, held_auc  # type: ignore[return-value]


def _number(value: object) -> float:
    if value is None:
        return float("nan")
    return float(value)


def _fmt(value: float | None) -> str:
    return f"{value:6.3f}" if value is not None else "   n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    data_dir = os.path.abspath(args.data_dir)
    labels = load_labels(data_dir)
    for name, relative in SOURCES.items():
        trajs = [r for r in read_trajectories([os.path.join(data_dir, relative)]) if isinstance(r, Trajectory)]
        report_source(name, trajs, labels, data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
