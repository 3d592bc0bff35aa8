"""Many texts signed per numpy call: the same signatures as `MinHasher.from_text`, one block at a time.

Texts are encoded and joined by a separator into blocks of about `BLOCK_BYTES`; each block is tokenized
and hashed in one pass (`trajsift.dedup.tokenhash`), its n-gram shingles are built over the whole block
and those spanning two documents dropped, and one-permutation minima are taken for every document at
once (`np.minimum.at` over document x bin). Documents shorter than the shingle width get their one
shingle as `shingle_hashes` makes it, and sparse rows are densified as in `one_permutation`, so row `i`
is bit for bit `from_text(texts[i])`. Memory is bounded by the block, not by the number of texts.
"""

from __future__ import annotations

import numpy as np

from trajsift.dedup.minhash import SIG_DTYPE, MinHasher, encode, mix64, shingle_hashes
from trajsift.dedup.tokenhash import SEPARATOR, hash_spans, spans

BLOCK_BYTES = 1 << 18
"""Text bytes per block: its temporaries (a few dozen bytes per text byte) stay in the CPU caches."""
_EMPTY = np.uint64(np.iinfo(np.uint64).max)


def sign_texts(
    hasher: MinHasher, texts: list[str], tokenizer: str, ngram: int, scheme: str
) -> tuple[np.ndarray, np.ndarray]:
    """`len(texts) x num_perm` signatures (`uint16`, zeros for an empty text) and the non-empty mask."""
    out = np.zeros((len(texts), hasher.num_perm), dtype=SIG_DTYPE)
    present = np.zeros(len(texts), dtype=bool)
    for first, last in _blocks([len(text) for text in texts]):
        hashes, owner = _block_tokens([encode(t) for t in texts[first:last]], tokenizer)
        shingles, owner = _block_shingles(hashes, owner, last - first, ngram)
        out[first:last], present[first:last] = sign_shingles(hasher, shingles, owner, last - first, scheme)
    return out, present


def text_shingles(texts: list[str], tokenizer: str, ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """All texts' shingle hashes grouped by text, and `len(texts) + 1` offsets (text `i`: `[off[i], off[i+1])`)."""
    parts, counts = [], []
    for first, last in _blocks([len(text) for text in texts]):
        hashes, owner = _block_tokens([encode(t) for t in texts[first:last]], tokenizer)
        shingles, owner = _block_shingles(hashes, owner, last - first, ngram)
        parts.append(shingles[np.argsort(owner, kind="stable")])
        counts.append(np.bincount(owner, minlength=last - first))
    sizes = np.concatenate([np.zeros(1, np.int64), *counts])
    return np.concatenate([np.empty(0, np.uint64), *parts]), np.cumsum(sizes)


def sign_shingles(
    hasher: MinHasher, shingles: np.ndarray, owner: np.ndarray, docs: int, scheme: str
) -> tuple[np.ndarray, np.ndarray]:
    """Signatures of `docs` documents from their shingle hashes (`owner[i]`: the document of shingle `i`)."""
    return (_oph_rows if scheme == "oph" else _classic_rows)(hasher, shingles, owner, docs)


def _blocks(sizes: list[int]) -> list[tuple[int, int]]:
    """Consecutive `[first, last)` ranges of about `BLOCK_BYTES` characters (a long text is a block alone)."""
    bounds, first, total = [], 0, 0
    for i, size in enumerate(sizes):
        if total and total + size > BLOCK_BYTES:
            bounds.append((first, i))
            first, total = i, 0
        total += size + 1
    if first < len(sizes):
        bounds.append((first, len(sizes)))
    return bounds


def _block_tokens(encoded: list[bytes], tokenizer: str) -> tuple[np.ndarray, np.ndarray]:
    """Token hashes of a block of documents, in order, and the document (row in the block) of each."""
    data = SEPARATOR.join(encoded)
    starts, ends = spans(data, tokenizer)
    sizes = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)) + len(SEPARATOR)
    doc_starts = np.cumsum(sizes) - sizes
    owner = np.searchsorted(doc_starts, starts, side="right") - 1
    return hash_spans(data, starts, ends), owner


def _block_shingles(hashes: np.ndarray, owner: np.ndarray, docs: int, ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes within each document, and their document; as `shingle_hashes` per document."""
    shingles, owners = [np.empty(0, np.uint64)], [np.empty(0, np.int64)]
    if hashes.size >= ngram:
        inside = owner[: owner.size - ngram + 1] == owner[ngram - 1 :]  # windows within one document
        shingles.append(shingle_hashes(hashes, ngram)[inside])
        owners.append(owner[: owner.size - ngram + 1][inside])
    counts = np.bincount(owner, minlength=docs)
    offsets = np.cumsum(counts) - counts
    for doc in np.flatnonzero((counts > 0) & (counts < ngram)).tolist():  # shorter than a shingle: one shingle
        shingles.append(shingle_hashes(hashes[offsets[doc] : offsets[doc] + counts[doc]], ngram))
        owners.append(np.array([doc], dtype=np.int64))
    return np.concatenate(shingles), np.concatenate(owners)


def _oph_rows(hasher: MinHasher, shingles: np.ndarray, owner: np.ndarray, docs: int) -> tuple[np.ndarray, np.ndarray]:
    perms = hasher.num_perm
    values = mix64(shingles ^ hasher.b[0])
    bins = (((values >> np.uint64(32)) * np.uint64(perms)) >> np.uint64(32)).astype(np.int64)
    minimum = np.full(docs * perms, _EMPTY, dtype=np.uint64)
    np.minimum.at(minimum, owner * perms + bins, values)
    minimum = minimum.reshape(docs, perms)
    filled = minimum != _EMPTY
    present = filled.any(axis=1)
    for row in np.flatnonzero(present & ~filled.all(axis=1)).tolist():
        minimum[row] = hasher.densify(minimum[row], filled[row])
    sigs = (minimum & np.uint64(0xFFFF)).astype(SIG_DTYPE)
    sigs[~present] = 0
    return sigs, present


def _classic_rows(
    hasher: MinHasher, shingles: np.ndarray, owner: np.ndarray, docs: int
) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(owner, kind="stable")
    counts = np.bincount(owner, minlength=docs)
    sigs = np.zeros((docs, hasher.num_perm), dtype=SIG_DTYPE)
    for doc, rows in enumerate(np.split(shingles[order], np.cumsum(counts)[:-1])):
        if rows.size:
            sigs[doc] = hasher.from_shingles(rows)
    return sigs, counts > 0
