"""Per-partition numpy steps of the partitioned (distributed) `diversity.near` reduce; no Ray here.

The Ray executor's reduce (`executors/ray_near.py`) moves batches between partitions; the work on each
batch is here, beside the local reduce's LSH (`dedup.lsh`) and action runs (`dedup.actionseq`).

Every step works on a dict of numpy columns (a Ray Data "numpy" batch). Steps that group rows receive
one whole hash partition (column `part`), so they see every row of each bucket, gram or pair they
group on; `part_of` spreads keys over partitions. Row numbers (`row`) are global: the position of a
live row in the shard-ordered concatenation of all signature files, as in the local reduce.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trajsift.dedup import lsh
from trajsift.dedup.actionseq import gram_doc_key, gram_index, longest_common_runs
from trajsift.dedup.minhash import COMBINE, SIG_DTYPE, mix64

Batch = dict[str, np.ndarray]
I64 = np.int64


def part_of(*keys: np.ndarray, parts: int) -> np.ndarray:
    """Hash partition (0..parts-1) of rows keyed by integer columns."""
    h = np.zeros(keys[0].shape[0], dtype=np.uint64)
    for key in keys:
        h = mix64(h * COMBINE + key.astype(np.int64).view(np.uint64))
    return (h % np.uint64(parts)).astype(I64)


def _empty(*names: str) -> Batch:
    return {name: np.empty(0, dtype=I64) for name in names}


def signature_matrix(check: Any, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    """(`n x sum(num_perm)` uint16 signatures, `present` bit masks) as the local reduce reads them."""
    width = sum(check.perms.values())
    blobs = batch["minhash"]
    present = np.array([0 if v is None else int(v) for v in batch["present"]], dtype=I64)
    matrix = np.zeros((len(blobs), width), dtype=SIG_DTYPE)
    for i, blob in enumerate(blobs):
        if blob is not None and len(blob) == width * 2:
            matrix[i] = np.frombuffer(blob, dtype=SIG_DTYPE)
        else:
            present[i] = 0
    return matrix, present


def band_rows(batch: Batch, check: Any, parts: int) -> Batch:
    """One row per (clause, band) of every row valid in the clause's first view: its LSH key (`lsh.band_key`)
    and the in-bucket order value (the second view's column `band mod num_perm`, as `lsh.candidate_pairs`)."""
    p = check.params
    names, cols = list(p.views), check.view_columns()
    matrix, present = signature_matrix(check, batch)
    rows = batch["row"].astype(I64)
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("clause", "band", "key", "tie", "row")}
    for c, clause in enumerate(p.match):
        live = np.flatnonzero((present >> names.index(clause[0])) & 1 == 1)
        first = matrix[live, cols[clause[0]]]
        second = matrix[live, cols[clause[1]]] if len(clause) > 1 else None
        for band in range(p.bands):
            tie = np.zeros(live.size, I64) if second is None else second[:, band % second.shape[1]].astype(I64)
            out["clause"].append(np.full(live.size, c, dtype=I64))
            out["band"].append(np.full(live.size, band, dtype=I64))
            out["key"].append(lsh.band_key(first, band, p.rows).view(I64))
            out["tie"].append(tie)
            out["row"].append(rows[live])
    result = {k: np.concatenate(v) if v else np.empty(0, I64) for k, v in out.items()}
    result["part"] = part_of(result["clause"], result["band"], result["key"], parts=parts)
    return result


def _window(sorted_keys: list[np.ndarray], sorted_rows: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of each row with the next `window` rows of equal keys (rows already in bucket order)."""
    lefts, rights = [], []
    for offset in range(1, window + 1):
        if offset >= sorted_rows.size:
            break
        same = np.ones(sorted_rows.size - offset, dtype=bool)
        for key in sorted_keys:
            same &= key[offset:] == key[:-offset]
        lefts.append(sorted_rows[:-offset][same])
        rights.append(sorted_rows[offset:][same])
    if not lefts:
        return np.empty(0, I64), np.empty(0, I64)
    return np.concatenate(lefts), np.concatenate(rights)


def _pair_batch(left: np.ndarray, right: np.ndarray, parts: int) -> Batch:
    low, high = np.minimum(left, right).astype(I64), np.maximum(left, right).astype(I64)
    keep = low != high
    low, high = low[keep], high[keep]
    return {"low": low, "high": high, "part": part_of(low, high, parts=parts)}


def bucket_pairs(group: Batch, check: Any, parts: int) -> Batch:
    """Candidate pairs of one partition of LSH buckets: `lsh.window_pairs` per (clause, band), rows in
    row order first (the local order of a band's live rows), so buckets are windowed exactly as locally."""
    if not group["row"].size:
        return _empty("low", "high", "part")
    p = check.params
    order = np.lexsort((group["row"], group["band"], group["clause"]))
    clause, band, key, tie, row = (group[c][order] for c in ("clause", "band", "key", "tie", "row"))
    starts = np.flatnonzero(np.r_[True, (clause[1:] != clause[:-1]) | (band[1:] != band[:-1])])
    lefts, rights = [], []
    for lo, hi in zip(starts, np.r_[starts[1:], row.size], strict=True):
        order_by = tie[lo:hi] if len(p.match[clause[lo]]) > 1 else None
        left, right = lsh.window_pairs(key[lo:hi].view(np.uint64), row[lo:hi], p.bucket_window, order_by)
        lefts.append(left)
        rights.append(right)
    return _pair_batch(np.concatenate(lefts).astype(I64), np.concatenate(rights).astype(I64), parts)


def unique_pairs(group: Batch) -> Batch:
    """Deduplicated pairs of one pair partition (`lsh.unique_pairs` on the partition's rows)."""
    if not group["low"].size:
        return _empty("low", "high")
    low, high = lsh.unique_pairs(group["low"], group["high"], int(group["high"].max()) + 1)
    return {"low": low, "high": high}


def pair_counts(group: Batch, parts: int) -> Batch:
    """Each distinct pair of one pair partition, in both directions, with how often it occurs (`shared`)."""
    if not group["low"].size:
        return _empty("owner", "other", "shared", "part")
    n = int(group["high"].max()) + 1
    codes, counts = np.unique(lsh.pair_codes(group["low"], group["high"], n), return_counts=True)
    low, high = codes // n, codes % n
    owner, other = np.concatenate([low, high]), np.concatenate([high, low])
    shared = np.concatenate([counts, counts]).astype(I64)
    return {"owner": owner, "other": other, "shared": shared, "part": part_of(owner, parts=parts)}


def match_pairs(batch: Batch, check: Any) -> Batch:
    """Pairs (joined with both rows' signatures) that satisfy one `match` clause, tested by the check's own
    `pairs_matching` (the local per-pair test) on a matrix of the low rows then the high rows."""
    low, p_low = signature_matrix(check, {"minhash": batch["m_low"], "present": batch["p_low"]})
    high, p_high = signature_matrix(check, {"minhash": batch["m_high"], "present": batch["p_high"]})
    matrix, present = np.concatenate([low, high]), np.concatenate([p_low, p_high])
    m = batch["low"].size
    left, right = np.arange(m, dtype=I64), np.arange(m, 2 * m, dtype=I64)
    matched = check.pairs_matching(matrix, present, left, right)
    return {"low": batch["low"][matched].astype(I64), "high": batch["high"][matched].astype(I64)}


def _tokens(blobs: np.ndarray) -> list[np.ndarray]:
    return [np.frombuffer(b or b"", dtype=np.uint8)[: len(b or b"") // 4 * 4].view(np.uint32) for b in blobs]


def gram_rows(batch: Batch, k: int, parts: int) -> Batch:
    """(gram, row) for every distinct step k-gram of every row."""
    seqs = _tokens(batch["actions"])
    lengths = np.array([len(s) for s in seqs], dtype=I64)
    offsets = np.r_[0, np.cumsum(lengths)].astype(I64)
    tokens = np.concatenate(seqs).astype(np.uint64) if seqs else np.empty(0, np.uint64)
    if not tokens.size:
        return _empty("gram", "row", "part")
    grams, docs = gram_index(tokens, offsets, k)
    gram = grams.view(I64)
    return {"gram": gram, "row": batch["row"].astype(I64)[docs], "part": part_of(gram, parts=parts)}


def gram_pairs(group: Batch, window: int, parts: int) -> Batch:
    """Pairs of rows sharing a gram: each row with the next `window` in the gram's seeded order."""
    if not group["row"].size:
        return _empty("low", "high", "part")
    grams, rows = group["gram"].view(np.uint64), group["row"].astype(I64)
    first = np.lexsort((rows, grams))  # the local index is sorted by (gram, row) before the seeded order
    grams, rows = grams[first], rows[first]
    order = np.lexsort((gram_doc_key(grams, rows), grams))
    left, right = _window([grams[order]], rows[order], window)
    return _pair_batch(left, right, parts)


def top_candidates(group: Batch, max_candidates: int, parts: int) -> Batch:
    """Per owner, the partners sharing the most grams (ties: smaller partner first)."""
    if not group["owner"].size:
        return _empty("low", "high", "part")
    owner, other, shared = group["owner"], group["other"], group["shared"]
    order = np.lexsort((other, -shared, owner))
    owner, other = owner[order], other[order]
    first = np.r_[0, np.flatnonzero(owner[1:] != owner[:-1]) + 1]
    rank = np.arange(owner.size) - np.repeat(first, np.diff(np.r_[first, owner.size]))
    keep = rank < max_candidates
    return _pair_batch(owner[keep], other[keep], parts)


def pair_runs(batch: Batch, parts: int) -> Batch:
    """Exact longest common action run of each pair (joined with both rows' tokens), per side."""
    seqs = [s for pair in zip(_tokens(batch["a_low"]), _tokens(batch["a_high"]), strict=True) for s in pair]
    lengths = np.array([len(s) for s in seqs], dtype=I64)
    offsets = np.r_[0, np.cumsum(lengths)].astype(I64)
    tokens = np.concatenate(seqs).astype(np.uint64) if seqs else np.empty(0, np.uint64)
    pairs = np.arange(len(seqs), dtype=I64).reshape(-1, 2)
    runs = longest_common_runs(tokens, offsets, pairs)
    low, high = batch["low"].astype(I64), batch["high"].astype(I64)
    row = np.concatenate([low, high])
    return {
        "row": row,
        "other": np.concatenate([high, low]),
        "run": np.concatenate([runs, runs]).astype(I64),
        "side": np.r_[np.zeros(low.size, I64), np.ones(low.size, I64)],
        "part": part_of(row, parts=parts),
    }


def best_runs(group: Batch) -> Batch:
    """Per row: longest run and its partner, with the local tie rules (own side first, smaller partner)."""
    if not group["row"].size:
        return _empty("row", "run", "partner")
    order = np.lexsort((group["other"], -group["run"], group["side"], group["row"]))
    rows, sides, others, runs = (group[c][order] for c in ("row", "side", "other", "run"))
    first = np.r_[True, (rows[1:] != rows[:-1]) | (sides[1:] != sides[:-1])]
    rows, sides, others, runs = rows[first], sides[first], others[first], runs[first]
    unique, index = np.unique(rows, return_inverse=True)
    best, partner = np.zeros(unique.size, I64), np.full(unique.size, -1, I64)
    for side in (0, 1):  # side 0 (row is the smaller of the pair) first; the other side must beat it
        on = np.flatnonzero((sides == side) & (runs > best[index]))
        best[index[on]], partner[index[on]] = runs[on], others[on]
    keep = best > 0
    return {"row": unique[keep], "run": best[keep], "partner": partner[keep]}
