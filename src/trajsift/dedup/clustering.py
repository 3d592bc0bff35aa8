"""Approach clusters within a task, near-duplicate groups with keep-best, and coverage of the task space.

Tasks have few trajectories, so clustering is exact within each task: average-linkage agglomerative
clustering on cosine distance, stopped at a distance threshold (leader clustering above
`MAX_AGGLOMERATIVE` rows, where the cubic cost would bite). Rows come in preference order (best
quality first), so cluster 0 holds the best trajectory and every leader is its cluster's best.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from trajsift.columns import APPROACH_CLUSTER
from trajsift.dedup.unionfind import UnionFind
from trajsift.rundir import Decision

MAX_AGGLOMERATIVE = 300
TASK_SPACE = ("category", "difficulty", "repo")


def best_first(quality: float | None, traj_id: str) -> tuple[float, str]:
    """Sort key of the keep-best rule: highest quality first (a missing one counts as -1, below any score),
    then the smallest id."""
    return (-(quality if quality is not None else -1.0), traj_id)


def average_linkage(sims: np.ndarray, max_distance: float) -> list[int]:
    """Cluster labels (numbered by first row) merging while the average similarity is >= 1 - max_distance."""
    n = len(sims)
    if n > MAX_AGGLOMERATIVE:
        return leader_clusters(sims, max_distance)
    matrix = sims.astype(np.float64, copy=True)
    np.fill_diagonal(matrix, -np.inf)
    sizes = np.ones(n)
    owner = list(range(n))
    while n > 1:
        i, j = divmod(int(np.argmax(matrix)), n)
        if matrix[i, j] < 1.0 - max_distance:
            break
        i, j = min(i, j), max(i, j)
        merged = (matrix[i] * sizes[i] + matrix[j] * sizes[j]) / (sizes[i] + sizes[j])
        matrix[i], matrix[:, i] = merged, merged
        matrix[i, i] = -np.inf
        matrix[j], matrix[:, j] = -np.inf, -np.inf
        sizes[i] += sizes[j]
        owner = [i if o == j else o for o in owner]
    return _relabel(owner)


def leader_clusters(sims: np.ndarray, max_distance: float) -> list[int]:
    """Each row joins the first earlier leader within `max_distance`, else leads a new cluster."""
    leaders: list[int] = []
    owner = []
    for row in range(len(sims)):
        near = [leader for leader in leaders if sims[row, leader] >= 1.0 - max_distance]
        if not near:
            leaders.append(row)
        owner.append(near[0] if near else row)
    return _relabel(owner)


def _relabel(owner: Sequence[int]) -> list[int]:
    labels: dict[int, int] = {}
    return [labels.setdefault(o, len(labels)) for o in owner]


def duplicate_of(sims: np.ndarray, min_similarity: float) -> list[int]:
    """For rows in preference order: the index of the row each one duplicates, or -1 if it is kept.

    Rows linked (directly or through others) by similarity >= `min_similarity` form a group; the
    first (best) row of each group is kept and the others point at it."""
    groups = UnionFind(len(sims))  # a group's root is its smallest (best) row
    for i, j in zip(*np.nonzero(np.triu(sims >= min_similarity, k=1)), strict=True):
        groups.union(int(i), int(j))
    roots = [groups.find(i) for i in range(len(sims))]
    return [-1 if root == i else root for i, root in enumerate(roots)]


class CoverageTally:
    """Accumulates, row by row, the share of the task space (category x difficulty x repo cells present
    in the input) that kept rows cover, and the approach clusters per task (all rows and kept rows)."""

    def __init__(self) -> None:
        self.cells: set[tuple[str, ...]] = set()
        self.covered: set[tuple[str, ...]] = set()
        self.clusters: dict[str, set[Any]] = defaultdict(set)
        self.kept_clusters: dict[str, set[Any]] = defaultdict(set)

    def add(self, columns: Mapping[str, Any], decision: str) -> None:
        cell = tuple(str(columns.get(key) or "unknown") for key in TASK_SPACE)
        self.cells.add(cell)
        kept = decision == Decision.KEEP
        if kept:
            self.covered.add(cell)
        cluster = columns.get(APPROACH_CLUSTER)
        if cluster is not None:
            task = str(columns.get("task_id") or "")
            self.clusters[task].add(cluster)
            if kept:
                self.kept_clusters[task].add(cluster)

    def summary(self) -> dict[str, Any]:
        return {
            "diversity_coverage": round(len(self.covered) / len(self.cells), 4) if self.cells else None,
            "task_space_cells": len(self.cells),
            "task_space_cells_covered": len(self.covered),
            "approach_clusters_per_task": {
                "input": _count_summary(self.clusters),
                "kept": _count_summary(self.kept_clusters),
            },
        }


def diversity_coverage(rows: Iterable[tuple[Mapping[str, Any], str]]) -> dict[str, Any]:
    """`CoverageTally` over (columns, decision) pairs."""
    tally = CoverageTally()
    for columns, decision in rows:
        tally.add(columns, decision)
    return tally.summary()


def _count_summary(groups: Mapping[str, set[Any]]) -> dict[str, Any] | None:
    counts = sorted(len(members) for members in groups.values())
    if not counts:
        return None
    histogram: dict[str, int] = defaultdict(int)
    for count in counts:
        histogram[str(count)] += 1
    return {
        "tasks": len(counts),
        "mean": round(sum(counts) / len(counts), 4),
        "min": counts[0],
        "p50": counts[len(counts) // 2],
        "max": counts[-1],
        "histogram": dict(sorted(histogram.items(), key=lambda kv: int(kv[0]))),
    }
