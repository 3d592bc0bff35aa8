"""Approximate nearest neighbours in numpy alone: random-hyperplane LSH (SimHash), exact search per bucket.

`ann.nearest(backend="lsh")`, and `auto` above `exact_limit`, whatever is installed
(exact search is quadratic: a million vectors would take hours). Each of `TABLES` tables hashes every
vector to the signs of `bits` random projections (`bits` grows with n so buckets hold ~`BUCKET_ROWS` rows);
rows sharing a bucket in any table are compared exactly (blocks of at most `MAX_BLOCK` rows of a sorted
bucket). Two unit vectors at cosine similarity s share one table's bucket with probability
(1 - arccos(s) / pi) ** bits, so close neighbours (s >= 0.9) are nearly always found and far ones may be
missed: a row's reported similarity is a lower bound of the exact one. Deterministic (fixed seed); memory
is the projections (n x TABLES x bits bits) plus one bucket at a time; vectors are read in their own dtype.
"""

from __future__ import annotations

import math

import numpy as np

TABLES = 8
BUCKET_ROWS = 256
MAX_BLOCK = 1024
PROJECT_ROWS = 65536


def lsh_nearest(data: np.ndarray, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """For every row, up to `k` most similar *other* rows found through shared buckets (-inf / -1 pads)."""
    n = len(data)
    sims = np.full((n, k), -np.inf, np.float32)
    idx = np.full((n, k), -1, np.int64)
    bits = int(min(30, max(1, round(math.log2(max(n / BUCKET_ROWS, 1)))))) if n > 1 else 1
    keys = _keys(data, bits, seed)
    for table in range(keys.shape[1]):
        order = np.argsort(keys[:, table], kind="stable")
        sorted_keys = keys[order, table]
        edges = np.flatnonzero(np.diff(sorted_keys)) + 1
        for bucket in np.split(order, edges):
            for start in range(0, len(bucket), MAX_BLOCK):
                block = bucket[start : start + MAX_BLOCK]
                if len(block) > 1:
                    _merge(data, block, sims, idx)
    return sims, idx


def _keys(data: np.ndarray, bits: int, seed: int) -> np.ndarray:
    """Per row and table, the bucket key: `bits` signs of random projections packed into an int64."""
    planes = np.random.default_rng(seed).standard_normal((data.shape[1], TABLES * bits)).astype(np.float32)
    weights = (1 << np.arange(bits, dtype=np.int64))[None, None, :]
    keys = np.empty((len(data), TABLES), np.int64)
    for start in range(0, len(data), PROJECT_ROWS):
        block = np.asarray(data[start : start + PROJECT_ROWS], dtype=np.float32) @ planes
        signs = (block > 0).reshape(len(block), TABLES, bits)
        keys[start : start + len(block)] = (signs * weights).sum(axis=2)
    return keys


def _merge(data: np.ndarray, block: np.ndarray, sims: np.ndarray, idx: np.ndarray) -> None:
    """Fold the exact similarities inside `block` into each of its rows' best `k` (no row twice, never itself).
    `block` is ascending (a run of a stable argsort): membership is a binary search. Ties keep the earlier
    candidate, the row's current best first, then the block's rows in order."""
    vectors = np.asarray(data[block], dtype=np.float32)
    found = vectors @ vectors.T
    np.fill_diagonal(found, -np.inf)
    current_idx, current = idx[block], sims[block]
    _drop_seen(found, block, current_idx)  # already among the row's best (from another table)
    k = sims.shape[1]
    if k == 1 and not np.isnan(found).any() and not np.isnan(current).any():
        _merge_best(found, block, current, current_idx, sims, idx)
        return
    all_sims = np.concatenate([current, found], axis=1)
    all_idx = np.concatenate([current_idx, np.broadcast_to(block, found.shape)], axis=1)
    top = np.argsort(-all_sims, axis=1, kind="stable")[:, :k]
    best = np.take_along_axis(all_sims, top, axis=1)
    sims[block] = best
    idx[block] = np.where(np.isneginf(best), -1, np.take_along_axis(all_idx, top, axis=1))


def _drop_seen(found: np.ndarray, block: np.ndarray, current_idx: np.ndarray) -> None:
    """Set `found[i, j]` to -inf where `block[j]` is already among row i's best (`current_idx[i]`)."""
    where = np.minimum(np.searchsorted(block, current_idx), len(block) - 1)
    hit = block[where] == current_idx
    rows = np.nonzero(hit)[0]
    found[rows, where[hit]] = -np.inf


def _merge_best(found: np.ndarray, block: np.ndarray, current: np.ndarray, current_idx: np.ndarray, sims, idx) -> None:
    """`k == 1`, no NaN: what the stable sort picks, by argmax (its first maximum) against the current best."""
    column = np.argmax(found, axis=1)
    value = found[np.arange(len(block)), column]
    better = value > current[:, 0]
    best = np.where(better, value, current[:, 0])
    chosen = np.where(better, block[column], current_idx[:, 0])
    sims[block, 0] = best
    idx[block, 0] = np.where(np.isneginf(best), -1, chosen)
