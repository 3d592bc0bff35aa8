"""Distributed reduce of `diversity.near` on Ray: the same state as `NearDuplicates.reduce`.

Registered for the check in `ray_executor.DISTRIBUTED_REDUCES`; the per-partition work is numpy in
`dedup/partitioned.py`, this module only moves batches between Ray tasks.

No node ever holds all signatures. Signature files are loaded by one task per shard and split into
`parts` hash partitions by row; every later step is one task per partition whose output is split
again by the key of the next step (a map-side hash shuffle through the object store):

- MinHash LSH: one row per (clause, band, row) with its band key, shuffled by key; each partition
  pairs the rows of its buckets (same window and in-bucket order as the local reduce); pairs are
  deduplicated by a shuffle on the pair, joined with the signatures of both rows (shuffles on `low`
  then `high`, each partition meeting the signature partition of the same rows) and verified per view.
- Action runs: step k-grams shuffled by gram; pairs sharing grams counted per pair; each row keeps its
  best candidates; the exact longest common run is computed on pairs joined with both rows' tokens.

Only outcomes reach the driver: the verified edges (a few per duplicate, for connected components),
the ids and quality scores of rows in clusters, and each row's longest run (part of the state anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import ray

from trajsift.dedup import partitioned as steps
from trajsift.dedup.unionfind import cluster_entries, components, keep_best

ACTION_WINDOW = 4
"""In-gram window of the local action-run candidates (`NearDuplicates.reduce` passes 4)."""
Refs = list[list[Any]]
"""`refs[i][j]`: partition `j` of the output of task `i`."""


def near_reduce(check: Any, sources: list[tuple[str, int]], parts: int = 8) -> dict[str, Any]:
    """`sources`: (signature Parquet file, global index of its first row) per shard, in shard order."""
    parts = max(2, parts)
    loads = [_load.options(num_returns=parts).remote(check, path, offset, parts) for path, offset in sources]
    sigs = _column(loads, parts)  # sigs[j]: every load's partition j (rows with part_of(row) == j)
    n = sum(int(count) for count in ray.get([_count.remote(*refs) for refs in sigs]))
    if n == 0:
        return {"clusters": {}, "runs": {}}
    left, right = _near_edges(check, sigs, parts)
    runs = _action_runs(check, sigs, parts)
    p = check.params
    if p.action_rule and runs["row"].size:
        dup = (runs["length"] >= p.action_min_steps) & (runs["run"] > p.action_coverage * runs["length"])
        left, right = np.concatenate([left, runs["row"][dup]]), np.concatenate([right, runs["partner"][dup]])
    labels = components(n, left, right)
    shared = dict(zip(runs["trajectory_id"].tolist(), runs["run"].tolist(), strict=True))
    return {"clusters": _clusters(labels, sigs), "runs": shared}


def _column(refs: Refs, parts: int) -> list[list[Any]]:
    return [[outputs[j] for outputs in refs] for j in range(parts)]


def _concat(batches: tuple[steps.Batch, ...]) -> steps.Batch:
    keys = batches[0].keys()
    return {k: np.concatenate([b[k] for b in batches]) for k in keys}


def _split(batch: steps.Batch, by: tuple[str, ...], parts: int) -> list[steps.Batch]:
    part = steps.part_of(*(batch[c] for c in by), parts=parts) if len(batch[by[0]]) else np.empty(0, np.int64)
    return [{k: v[part == j] for k, v in batch.items()} for j in range(parts)]


@ray.remote
def _load(check: Any, path: str, offset: int, parts: int) -> list[steps.Batch]:
    table = pq.read_table(path)
    col = check.sig_col
    actions = [b or b"" for b in table.column(col("actions")).to_pylist()]
    present = table.column(col("present")).fill_null(0).to_numpy(zero_copy_only=False)
    batch = {
        "row": np.arange(offset, offset + table.num_rows, dtype=np.int64),
        "trajectory_id": np.array(table.column("trajectory_id").to_pylist(), dtype=object),
        "minhash": np.array(table.column(col("minhash")).to_pylist() + [None], dtype=object)[:-1],
        "present": present.astype(np.int64),
        "actions": np.array(actions + [None], dtype=object)[:-1],
        "quality": table.column(col("quality")).to_numpy(zero_copy_only=False).astype(np.float64),
        "length": np.array([len(a) // 4 for a in actions], dtype=np.int64),
    }
    return _split(batch, ("row",), parts)


@ray.remote
def _count(*batches: steps.Batch) -> int:
    return sum(len(b["row"]) for b in batches)


@ray.remote
def _step(fn: Callable, kwargs: dict, by: tuple[str, ...], parts: int, *inputs: steps.Batch) -> list[steps.Batch]:
    return _split(fn(_concat(inputs), **kwargs), by, parts)


@ray.remote
def _attach(side: str, columns: dict, by: tuple[str, ...], parts: int, n_pairs: int, *inputs) -> list[steps.Batch]:
    """Pairs (first `n_pairs` inputs) with `columns` of the row `side`, taken from the other inputs."""
    pairs, rows = _concat(inputs[:n_pairs]), _concat(inputs[n_pairs:])
    order = np.argsort(rows["row"])
    at = order[np.searchsorted(rows["row"], pairs[side], sorter=order)] if len(pairs[side]) else np.empty(0, int)
    out = {**pairs, **{name: rows[src][at] for src, name in columns.items()}}
    return _split(out, by, parts) if by else [out] + [{k: v[:0] for k, v in out.items()}] * (parts - 1)


def _shuffle(fn: Callable, inputs: list[list[Any]], by: tuple[str, ...], n_parts: int, /, **kwargs: Any) -> Refs:
    """`fn(batch, **kwargs)` on every partition; each output split by `by` into `n_parts` partitions."""
    return [_step.options(num_returns=n_parts).remote(fn, kwargs, by, n_parts, *refs) for refs in inputs]


def _join(pairs: Refs, sigs: list[list[Any]], columns: dict, then: tuple[str, ...], parts: int) -> Refs:
    """Attach both rows' `columns` (shuffling on `low`, then `high`), output split by `then`."""
    for side, by in (("low", ("high",)), ("high", then)):
        named = {src: f"{dst}_{side}" for src, dst in columns.items()}
        inputs = _column(pairs, parts)
        pairs = [
            _attach.options(num_returns=parts).remote(side, named, by, parts, len(inputs[j]), *inputs[j], *sigs[j])
            for j in range(parts)
        ]
    return pairs


def _gather(refs: Refs, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Concatenated small results on the driver, ordered by the first column."""
    merged = _concat(tuple(ray.get([ref for outputs in refs for ref in outputs])))
    order = np.argsort(merged[names[0]], kind="stable")
    return {name: merged[name][order] for name in names}


def _near_edges(check: Any, sigs: list[list[Any]], parts: int) -> tuple[np.ndarray, np.ndarray]:
    bands = _shuffle(steps.band_rows, sigs, ("clause", "band", "key"), parts, check=check, parts=parts)
    pairs = _shuffle(steps.bucket_pairs, _column(bands, parts), ("low", "high"), parts, check=check, parts=1)
    unique = _shuffle(steps.unique_pairs, _column(pairs, parts), ("low",), parts)
    joined = _join(unique, sigs, {"minhash": "m", "present": "p"}, ("low",), parts)
    matched = _shuffle(steps.match_pairs, _column(joined, parts), ("low",), parts, check=check)
    edges = _gather(matched, ("low", "high"))
    return edges["low"], edges["high"]


def _action_runs(check: Any, sigs: list[list[Any]], parts: int) -> dict[str, np.ndarray]:
    p = check.params
    grams = _shuffle(steps.gram_rows, sigs, ("gram",), parts, k=p.action_kgram, parts=1)
    pairs = _shuffle(steps.gram_pairs, _column(grams, parts), ("low", "high"), parts, window=ACTION_WINDOW, parts=1)
    counted = _shuffle(steps.pair_counts, _column(pairs, parts), ("owner",), parts, parts=1)
    top = _shuffle(
        steps.top_candidates,
        _column(counted, parts),
        ("low", "high"),
        parts,
        max_candidates=p.action_candidates,
        parts=1,
    )
    unique = _shuffle(steps.unique_pairs, _column(top, parts), ("low",), parts)
    joined = _join(unique, sigs, {"actions": "a"}, ("low",), parts)
    runs = _shuffle(steps.pair_runs, _column(joined, parts), ("row",), parts, parts=1)
    best = _shuffle(steps.best_runs, _column(runs, parts), ("row",), parts)
    named = {"trajectory_id": "trajectory_id", "length": "length"}
    inputs = _column(best, parts)
    attached = [
        _attach.options(num_returns=parts).remote("row", named, (), parts, len(inputs[j]), *inputs[j], *sigs[j])
        for j in range(parts)
    ]
    return _gather(attached, ("row", "run", "partner", "length", "trajectory_id"))


@ray.remote
def _members(rows: np.ndarray, *batches: steps.Batch) -> steps.Batch:
    batch = _concat(batches)
    keep = np.isin(batch["row"], rows)
    return {k: batch[k][keep] for k in ("row", "trajectory_id", "quality")}


def _clusters(labels: np.ndarray, sigs: list[list[Any]]) -> dict[str, list[Any]]:
    """`{id: [kept id, size, margin]}` for rows of components of more than one row (as the local reduce)."""
    sizes = np.bincount(labels, minlength=labels.size)
    members = np.flatnonzero(sizes[labels] > 1)
    if not members.size:
        return {}
    wanted = _gather([[_members.remote(members, *refs)] for refs in sigs], ("row", "trajectory_id", "quality"))
    rows, ids = wanted["row"], wanted["trajectory_id"].tolist()
    compact = np.searchsorted(rows, labels[rows])  # a component's label is its smallest member: a member too
    kept = keep_best(compact, wanted["quality"].astype(np.float64), ids)
    return cluster_entries(kept, wanted["quality"].astype(np.float64), ids)
