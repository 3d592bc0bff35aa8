"""MinHash signatures with numpy: text -> tokens -> n-gram shingles -> 64-bit hashes -> signature.

Tokens are found and hashed with XXH3-64 (seed 0) over the whole text at once (`trajsift.dedup.tokenhash`:
bit for bit `xxhash`'s value, `xxhash` being a core dependency with no fallback hash), so signatures,
and every near-duplicate decision, are the same on every installation. Shingles combine `n` consecutive
token hashes (vectorised) and go through a splitmix64 finaliser. The `num_perm` permutations are
universal hashes `a * x + b mod 2**64` (odd `a`) evaluated for every shingle and permutation at once;
the minimum per permutation is kept (`classic`), or one permutation fills `num_perm` bins (`oph`).

Signatures are b-bit MinHash (the low 16 bits of each minimum, `uint16`): a quarter of the memory of
64-bit values, and two different minima collide with probability 2**-16, a negligible bias on the
estimated Jaccard similarity (fraction of equal positions). `trajsift.dedup.batchsign.sign_texts(hasher, ...)`
signs many texts per numpy call, with the same result as `from_text` one by one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from trajsift.dedup.tokenhash import CLASSES, hash_spans, spans
from trajsift.dedup.tokenhash import token_hashes as token_hashes  # re-exported: the one token hash

SIG_DTYPE = np.uint16
_MASK64 = (1 << 64) - 1
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
COMBINE = np.uint64(0x9E3779B97F4A7C15)
"""Multiplier folding a sequence of 64-bit hashes into one (`h * COMBINE + next`)."""
_CHUNK = 2048
"""Shingles per block when evaluating permutations (bounds memory at CHUNK x num_perm x 8 bytes)."""

_PROBES = 256
"""Probe sequence length per bin for densification (a fallback covers sets too sparse to be reached)."""


def _tokenizer(name: str) -> Callable[[bytes], list[bytes]]:
    def tokens(data: bytes) -> list[bytes]:
        starts, ends = spans(data, name)
        return [data[start:end] for start, end in zip(starts.tolist(), ends.tolist(), strict=True)]

    return tokens


TOKENIZERS: dict[str, Callable[[bytes], list[bytes]]] = {name: _tokenizer(name) for name in CLASSES}
"""Tokenizer name -> function: `words` (runs of word characters), `code` (words and single punctuation),
`lines`, `spaces` (see `trajsift.dedup.tokenhash.CLASSES`). Signing never builds these lists: it hashes
the token spans in place."""


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised over a `uint64` array."""
    x = values.astype(np.uint64, copy=True)
    x ^= x >> np.uint64(30)
    x *= _MIX1
    x ^= x >> np.uint64(27)
    x *= _MIX2
    x ^= x >> np.uint64(31)
    return x


def shingle_hashes(hashes: np.ndarray, n: int) -> np.ndarray:
    """Hashes of the `n`-grams of a token-hash sequence (one shingle if shorter than `n`).

    Repeated shingles are kept: they do not change a minimum, and deduplicating costs more than it saves."""
    if hashes.size == 0:
        return hashes
    n = max(1, min(n, hashes.size))
    count = hashes.size - n + 1
    combined = hashes[:count].copy()
    for offset in range(1, n):  # loop over the n-gram width, vectorised over positions
        combined = combined * COMBINE + hashes[offset : offset + count]
    return mix64(combined)


class MinHasher:
    """`num_perm` universal hash permutations, fixed by `seed` (same seed -> comparable signatures)."""

    def __init__(self, num_perm: int = 128, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.num_perm = num_perm
        self.a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
        self.seed = seed
        self._buffer = np.empty((_CHUNK, num_perm), dtype=np.uint64)
        self._probe_table: np.ndarray | None = None

    def from_shingles(self, shingles: np.ndarray) -> np.ndarray | None:
        """Signature (`uint16`, length `num_perm`) of a set of shingle hashes; None for an empty set."""
        if shingles.size == 0:
            return None
        if shingles.size <= _CHUNK:
            block = self._buffer[: shingles.size]
            np.multiply(shingles[:, None], self.a, out=block)
            np.add(block, self.b, out=block)
            return (block.min(axis=0) & np.uint64(0xFFFF)).astype(SIG_DTYPE)
        minimum = np.full(self.num_perm, _MASK64, dtype=np.uint64)
        for start in range(0, shingles.size, _CHUNK):
            chunk = shingles[start : start + _CHUNK]
            block = self._buffer[: chunk.size]  # in place: fresh temporaries cost more than the arithmetic
            np.multiply(chunk[:, None], self.a, out=block)
            np.add(block, self.b, out=block)
            np.minimum(minimum, block.min(axis=0), out=minimum)
        return (minimum & np.uint64(0xFFFF)).astype(SIG_DTYPE)

    def one_permutation(self, shingles: np.ndarray) -> np.ndarray | None:
        """One-permutation hashing with optimal densification: O(shingles + num_perm), not O(product).

        Each shingle hash falls in one of `num_perm` bins (its high bits) and each bin keeps its minimum.
        An empty bin copies the bin its fixed probe sequence reaches first among the non-empty ones
        (the same sequence for every document, so equal sets give equal signatures); the fraction of equal
        bins estimates the Jaccard similarity, as with `num_perm` permutations."""
        if shingles.size == 0:
            return None
        values = mix64(shingles ^ self.b[0])
        bins = ((values >> np.uint64(32)) * np.uint64(self.num_perm)) >> np.uint64(32)
        minimum = np.full(self.num_perm, _MASK64, dtype=np.uint64)
        np.minimum.at(minimum, bins.astype(np.intp), values)
        filled = minimum != _MASK64
        if not filled.all():
            minimum = self.densify(minimum, filled)
        return (minimum & np.uint64(0xFFFF)).astype(SIG_DTYPE)

    def densify(self, minimum: np.ndarray, filled: np.ndarray) -> np.ndarray:
        """Empty bins (`~filled`) of a one-permutation minimum copy a filled bin (see `one_permutation`)."""
        empty = np.flatnonzero(~filled)
        hits = filled[self._probes[empty]]
        found = hits.any(axis=1)
        source = self._probes[empty, hits.argmax(axis=1)]
        if not found.all():  # probes exhausted (very sparse set): next filled bin to the right, circularly
            ring = np.flatnonzero(filled)
            right = np.searchsorted(ring, empty[~found]) % ring.size
            source[~found] = ring[right]
        out = minimum.copy()
        out[empty] = minimum[source]
        return out

    @property
    def _probes(self) -> np.ndarray:
        if self._probe_table is None:
            rng = np.random.default_rng(self.seed + 7919)
            self._probe_table = rng.integers(0, self.num_perm, size=(self.num_perm, _PROBES))
        return self._probe_table

    def from_tokens(self, tokens: list[bytes], ngram: int, scheme: str = "classic") -> np.ndarray | None:
        return self.sign(shingle_hashes(token_hashes(tokens), ngram), scheme)

    def sign(self, shingles: np.ndarray, scheme: str = "classic") -> np.ndarray | None:
        """`classic`: `num_perm` permutations; `oph`: one permutation, densified (faster on long texts)."""
        return self.one_permutation(shingles) if scheme == "oph" else self.from_shingles(shingles)

    def from_text(
        self, text: str, tokenizer: str = "words", ngram: int = 3, scheme: str = "classic"
    ) -> np.ndarray | None:
        data = encode(text)
        return self.sign(shingle_hashes(hash_spans(data, *spans(data, tokenizer)), ngram), scheme)


def jaccard_estimate(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of row-aligned signature matrices (or two signatures)."""
    return np.mean(left == right, axis=-1)


def exact_jaccard(left: set, right: set) -> float:
    """Reference Jaccard similarity of two sets (for tests and benchmarks)."""
    if not left and not right:
        return 0.0
    return len(left & right) / len(left | right)
