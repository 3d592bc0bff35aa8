"""Nearest neighbours by inner product (cosine similarity for unit vectors), exact or approximate.

Backends: `exact` (numpy, blocked matrix products; fine up to a few tens of thousands of vectors),
`faiss` (extra `trajsift[ann]`: a flat index up to `exact_limit` vectors, IVF above), `usearch`
(HNSW) and `lsh` (numpy random-hyperplane buckets, `trajsift.dedup.ann_lsh`). `auto` takes exact search up
to `exact_limit` and `lsh` above it (exact search over a million vectors would take hours), whatever is
installed: a run's results never depend on which optional packages happen to be there. faiss and usearch
are used when named.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np

from trajsift.dedup.ann_lsh import lsh_nearest
from trajsift.errors import ConfigError

BACKENDS = ("auto", "exact", "faiss", "usearch", "lsh")
BLOCK_ROWS = 1024


def nearest(
    vectors: np.ndarray, k: int = 1, backend: str = "auto", exact_limit: int = 20_000
) -> tuple[np.ndarray, np.ndarray]:
    """For every row, its `k` most similar *other* rows: (similarities, indices), shape (n, k).

    Missing neighbours (fewer than k+1 rows) are similarity -inf and index -1."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown ANN backend {backend!r}; known: {', '.join(BACKENDS)}")
    n = len(vectors)
    if n == 0 or k < 1:
        return np.zeros((n, max(k, 0)), np.float32), np.zeros((n, max(k, 0)), np.int64)
    chosen = _choose(backend, n, exact_limit)
    if chosen == "lsh":  # reads the vectors in their own dtype, never itself: no copy, no self to drop
        return lsh_nearest(vectors, k)
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    if chosen == "faiss":
        sims, idx = _faiss(data, k + 1, exact=n <= exact_limit)
    elif chosen == "usearch":
        sims, idx = _usearch(data, k + 1)
    else:
        sims, idx = _exact(data, k + 1)
    return _drop_self(sims, idx, k)


def _choose(backend: str, n: int, exact_limit: int) -> str:
    if backend != "auto":
        if backend not in ("exact", "lsh") and importlib.util.find_spec(backend) is None:
            raise ConfigError(f"ANN backend {backend!r} is not installed: pip install 'trajsift[ann]'")
        return backend
    return "exact" if n <= exact_limit else "lsh"


def _exact(data: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(data)
    k = min(k, n)
    sims = np.empty((n, k), np.float32)
    idx = np.empty((n, k), np.int64)
    for start in range(0, n, BLOCK_ROWS):
        block = data[start : start + BLOCK_ROWS] @ data.T
        top = np.argpartition(-block, k - 1, axis=1)[:, :k] if k < n else np.tile(np.arange(n), (len(block), 1))
        values = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-values, axis=1, kind="stable")
        sims[start : start + len(block)] = np.take_along_axis(values, order, axis=1)
        idx[start : start + len(block)] = np.take_along_axis(top, order, axis=1)
    return sims, idx


def _faiss(data: np.ndarray, k: int, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    import faiss

    dims = data.shape[1]
    if exact:
        index = faiss.IndexFlatIP(dims)
    else:
        nlist = int(max(1, min(4096, 4 * math.sqrt(len(data)), len(data) // 100)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dims), dims, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(data[np.random.default_rng(0).permutation(len(data))[: 64 * nlist]])
        index.nprobe = max(16, nlist // 64)
    index.add(data)
    sims, idx = index.search(data, min(k, len(data)))
    return sims, idx.astype(np.int64)


def _usearch(data: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    from usearch.index import Index

    index = Index(ndim=data.shape[1], metric="ip", dtype="f32")
    index.add(np.arange(len(data)), data)
    matches = index.search(data, min(k, len(data)))
    keys = np.asarray(matches.keys, dtype=np.int64).reshape(len(data), -1)
    sims = 1.0 - np.asarray(matches.distances, dtype=np.float32).reshape(len(data), -1)
    return sims, np.where(keys >= len(data), -1, keys)


def _drop_self(sims: np.ndarray, idx: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own index from its results and pad to k columns."""
    n = len(idx)
    out_sims = np.full((n, k), -np.inf, np.float32)
    out_idx = np.full((n, k), -1, np.int64)
    for row in range(n):
        keep = (idx[row] != row) & (idx[row] >= 0)
        found = idx[row][keep][:k]
        out_idx[row, : len(found)] = found
        out_sims[row, : len(found)] = sims[row][keep][:k]
    return out_sims, out_idx
