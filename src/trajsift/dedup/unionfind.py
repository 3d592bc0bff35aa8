"""Union-find over numpy edge arrays: connected components without a Python object per pair.

Hook-and-compress (as in Shiloach-Vishkin): every edge hooks the larger root under the smaller one
(`np.minimum.at`), then pointer jumping flattens the trees; repeat until every edge joins equal roots.
Each component's label is its smallest member index.
"""

from __future__ import annotations

import numpy as np


def _compress(parent: np.ndarray) -> np.ndarray:
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return parent
        parent = grand


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label (smallest member index) of each of `n` nodes joined by edges `left[i]-right[i]`."""
    return join(np.arange(n, dtype=np.int64), left, right)


def join(parent: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Flattened `parent` after adding edges `left[i]-right[i]` (edges may come in any order and batches:
    the labels, each component's smallest member, are the same)."""
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    while left.size:
        root_left, root_right = parent[left], parent[right]
        pending = root_left != root_right
        if not pending.any():
            break
        low = np.minimum(root_left[pending], root_right[pending])
        high = np.maximum(root_left[pending], root_right[pending])
        np.minimum.at(parent, high, low)
        parent = _compress(parent)
        left, right = left[pending], right[pending]
    return _compress(parent)


class UnionFind:
    """Incremental union-find for small, Python-side use (approach duplicates within a task, tests, benchmarks)."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, node: int) -> int:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def keep_best(labels: np.ndarray, quality: np.ndarray, ids: list[str]) -> dict[int, tuple[int, int]]:
    """For every row in a component of size > 1: (component's kept row, component size).

    The kept row has the highest `quality` (NaN counts as lowest), then the smallest id."""
    sizes = np.bincount(labels, minlength=labels.size)
    members = np.flatnonzero(sizes[labels] > 1)
    if not members.size:
        return {}
    score = np.where(np.isnan(quality[members]), -np.inf, quality[members])
    best: dict[int, tuple[float, str, int]] = {}
    for row, label, value in zip(members.tolist(), labels[members].tolist(), score.tolist(), strict=True):
        candidate = (-value, ids[row], row)
        if label not in best or candidate < best[label]:
            best[label] = candidate
    rows_labels = zip(members.tolist(), labels[members].tolist(), strict=True)
    return {row: (best[label][2], int(sizes[label])) for row, label in rows_labels}


def cluster_entries(kept: dict[int, tuple[int, int]], quality: np.ndarray, ids: list[str]) -> dict[str, list]:
    """`{id: [kept id, size, margin]}` from `keep_best`; margin is the kept row's quality minus the
    runner-up's (None when a member has no quality): a narrow margin is an edge case for review."""
    members: dict[int, list[float]] = {}
    for row, (best, _size) in kept.items():
        members.setdefault(best, []).append(float(quality[row]))
    margins: dict[int, float | None] = {}
    for best, values in members.items():
        ordered = sorted(values, reverse=True)
        known = len(ordered) >= 2 and not any(np.isnan(ordered))
        margins[best] = round(ordered[0] - ordered[1], 6) if known else None
    return {ids[row]: [ids[best], size, margins[best]] for row, (best, size) in kept.items()}
