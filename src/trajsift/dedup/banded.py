"""LSH banding and clustering with memory bounded for 10M+ signatures: band keys spilled to disk, one band
in memory at a time, candidate pairs verified and joined as they come.

One pass over the signature matrix (in-memory, or an `np.memmap` of a file) in row chunks writes each
band's 64-bit keys (and the in-bucket order value, see `lsh.window_pairs`) to its own file. Then, band by
band: the keys are loaded (8 bytes a row), sorted, and each row paired with the next `window` rows of its
bucket; pairs whose rows are already in one component are dropped (they cannot change the clusters),
the rest are verified in chunks (`verify`, e.g. estimated Jaccard >= threshold, reading only those rows'
signatures) and joined into a union-find parent array. Peak memory is O(rows) small arrays (keys, sort
order, parent: ~40 bytes a row), never O(rows x num_perm), and never the set of all pairs.

Labels are each component's smallest row index, so they are deterministic: the same whichever order bands,
chunks or edges arrive in, and equal to `components` over the verified pairs of the in-memory path.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from trajsift.dedup.lsh import band_key, window_pairs
from trajsift.dedup.unionfind import join

CHUNK_ROWS = 1 << 18
"""Signature rows read per chunk when spilling band keys."""
PAIR_CHUNK = 1 << 20
"""Candidate pairs verified per call (bounds the gathered signature rows)."""

Verify = Callable[[np.ndarray, np.ndarray], np.ndarray]


def spill_bands(
    signatures: np.ndarray, bands: int, rows: int, workdir: str, tiebreak: np.ndarray | None = None
) -> list[tuple[str, str | None]]:
    """Write each band's keys (`uint64`) and in-bucket order (`uint16`, band `i` uses tiebreak column
    `i mod m`) to files under `workdir`; returns their paths per band."""
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"bands x rows ({bands} x {rows}) exceeds num_perm ({signatures.shape[1]})")
    paths = [
        (os.path.join(workdir, f"band{b}.keys"), None if tiebreak is None else os.path.join(workdir, f"band{b}.order"))
        for b in range(bands)
    ]
    handles = [(open(keys, "wb"), order and open(order, "wb")) for keys, order in paths]
    try:
        for start in range(0, signatures.shape[0], CHUNK_ROWS):
            block = np.asarray(signatures[start : start + CHUNK_ROWS])
            ties = None if tiebreak is None else np.asarray(tiebreak[start : start + CHUNK_ROWS])
            for band, (keys, order) in enumerate(handles):
                band_key(block, band, rows).tofile(keys)
                if order:
                    ties[:, band % ties.shape[1]].astype(np.uint16).tofile(order)
    finally:
        for keys, order in handles:
            keys.close()
            if order:
                order.close()
    return paths


def band_labels(
    n: int,
    band_files: list[tuple[str, str | None]],
    valid: np.ndarray,
    verify: Verify,
    window: int = 8,
    parent: np.ndarray | None = None,
) -> np.ndarray:
    """Join the verified candidate pairs of every spilled band into `parent` (default: every row alone)
    and return it flattened: each row's component label (its smallest member)."""
    parent = np.arange(n, dtype=np.int64) if parent is None else parent
    live = np.flatnonzero(valid)
    for keys_path, order_path in band_files:  # one band's keys in memory at a time
        keys = np.fromfile(keys_path, dtype=np.uint64)[live]
        order = None if order_path is None else np.fromfile(order_path, dtype=np.uint16)[live]
        left, right = window_pairs(keys, live, window, order)
        del keys, order
        parent = _join_verified(parent, left, right, verify)
    return parent


def _join_verified(parent: np.ndarray, left: np.ndarray, right: np.ndarray, verify: Verify) -> np.ndarray:
    for start in range(0, left.size, PAIR_CHUNK):
        a, b = left[start : start + PAIR_CHUNK], right[start : start + PAIR_CHUNK]
        apart = parent[a] != parent[b]  # pairs inside one component already cannot change the clusters
        a, b = a[apart], b[apart]
        if a.size:
            ok = verify(a, b)
            parent = join(parent, a[ok], b[ok])
    return parent
