"""Tokens and their XXH3-64 hashes for a whole buffer at once, with numpy: no Python object per token.

A tokenizer is a byte-class table: `bytes.translate` maps every byte to 0 (separator), 1 (part of a run:
a run of such bytes is one token) or 2 (a token on its own, e.g. punctuation in `code`). Token boundaries
are where the class changes, found on the whole buffer in a few vector operations, so a batch of documents
joined by a newline (a separator for every tokenizer) is tokenized in one pass.

Each token is hashed with XXH3-64 (seed 0), bit for bit the value `xxhash.xxh3_64_intdigest` gives: tokens
of 1-16 bytes (nearly all words) with the specification's short-input formulas evaluated over arrays; the
rare empty or longer token through `xxhash` itself (a core dependency, no fallback hash). Signatures are
therefore the same as hashing token by token, whichever path a caller takes.
"""

from __future__ import annotations

import numpy as np
from xxhash import xxh3_64_intdigest

_WORD = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz" + bytes(range(0x80, 0x100))
_SPACE = b" \t\n\r\x0b\x0c"


def _table(run: bytes, single: bytes = b"", everything_but: bytes | None = None) -> bytes:
    classes = bytearray(256)
    for byte in range(256):
        if everything_but is not None:
            classes[byte] = 0 if byte in everything_but else 1
        elif byte in run:
            classes[byte] = 1
        elif byte in single:
            classes[byte] = 2
    return bytes(classes)


CLASSES: dict[str, bytes] = {
    "words": _table(_WORD),
    "code": _table(_WORD, single=bytes(b for b in range(256) if b not in _WORD and b not in _SPACE)),
    "lines": _table(b"", everything_but=b"\n"),
    "spaces": _table(b"", everything_but=_SPACE),
}
"""Tokenizer name -> byte classes: `words` (runs of [A-Za-z0-9_] and bytes >= 0x80), `code` (words, and
every other non-space byte alone), `lines` (non-empty lines), `spaces` (runs of non-whitespace)."""

SEPARATOR = b"\n"
"""Joins documents in a batch: a separator for every tokenizer, so no token spans two documents."""

# XXH3 constants (the specification's primes and the first 56 bytes of its default secret)
_SECRET = bytes.fromhex(
    "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671fcb79e64eccc0e578825ad07dccff7221b8084674f743248e"
)


def _le(offset: int, size: int) -> int:
    return int.from_bytes(_SECRET[offset : offset + size], "little")


_FLIP_1TO3 = np.uint64(_le(0, 4) ^ _le(4, 4))
_FLIP_4TO8 = np.uint64(_le(8, 8) ^ _le(16, 8))
_FLIP_LO = np.uint64(_le(24, 8) ^ _le(32, 8))
_FLIP_HI = np.uint64(_le(40, 8) ^ _le(48, 8))
_P64_2, _P64_3 = np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9)
_MX1, _MX2 = np.uint64(0x165667919E3779F9), np.uint64(0x9FB21C651E98DF25)
_LOW32 = np.uint64(0xFFFFFFFF)


def spans(data: bytes, tokenizer: str) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets (`int64`, end exclusive) of the tokens of `data`, in order."""
    kind = np.frombuffer(b"\0" + data.translate(CLASSES[tokenizer]) + b"\0", dtype=np.uint8)
    run = kind == 1
    edges = np.flatnonzero(run[1:] != run[:-1])
    starts, ends = edges[0::2], edges[1::2]
    if tokenizer != "code":
        return starts, ends
    single = np.flatnonzero(kind[1:-1] == 2)
    starts, ends = np.concatenate([starts, single]), np.concatenate([ends, single + 1])
    order = np.argsort(starts, kind="stable")
    return starts[order], ends[order]


def hash_spans(data: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """XXH3-64 (seed 0) of every `data[starts[i]:ends[i]]`, as `uint64`."""
    padded = data + bytes(8)  # 8-byte reads at any token offset stay inside the buffer
    words = np.ndarray((len(data) + 1,), dtype="<u8", buffer=padded, strides=(1,))  # unaligned 8-byte reads
    lengths = ends - starts
    head = words[starts]  # the first 8 bytes of every token: all a token of up to 8 bytes needs
    out = np.empty(starts.size, dtype=np.uint64)
    for low, high, formula in ((1, 3, _len_1to3), (4, 8, _len_4to8)):
        group = (lengths >= low) & (lengths <= high)
        out[group] = formula(head[group], lengths[group].astype(np.uint64))
    group = (lengths >= 9) & (lengths <= 16)
    out[group] = _len_9to16(head[group], words[ends[group] - 8], lengths[group].astype(np.uint64))
    for i in np.flatnonzero((lengths == 0) | (lengths > 16)).tolist():
        out[i] = xxh3_64_intdigest(data[starts[i] : ends[i]])
    return out


def token_hashes(tokens: list[bytes]) -> np.ndarray:
    """XXH3-64 (seed 0) of every token of a list (`uint64`)."""
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    ends = np.cumsum(lengths)
    return hash_spans(b"".join(tokens), ends - lengths, ends)


def _avalanche64(h: np.ndarray) -> np.ndarray:
    h ^= h >> 33
    h *= _P64_2
    h ^= h >> 29
    h *= _P64_3
    h ^= h >> 32
    return h


def _len_1to3(head: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    first = head & 0xFF
    middle = (head >> ((lengths >> 1) << 3)) & 0xFF
    last = (head >> ((lengths - 1) << 3)) & 0xFF
    return _avalanche64(((first << 16) | (middle << 24) | last | (lengths << 8)) ^ _FLIP_1TO3)


def _len_4to8(head: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    tail = (head >> ((lengths - 4) << 3)) & _LOW32  # the last 4 bytes, inside the first 8
    h = (tail + (head << 32)) ^ _FLIP_4TO8  # the shift drops all but the first 4 bytes
    h ^= ((h << 49) | (h >> 15)) ^ ((h << 24) | (h >> 40))  # rotl 49 and rotl 24
    h *= _MX2
    h ^= (h >> 35) + lengths
    h *= _MX2
    h ^= h >> 28
    return h


def _mul128_fold64(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Low 64 bits XOR high 64 bits of the 128-bit product, from 32-bit halves."""
    left_lo, left_hi = left & _LOW32, left >> 32
    right_lo, right_hi = right & _LOW32, right >> 32
    lo_lo, hi_lo = left_lo * right_lo, left_hi * right_lo
    cross = (lo_lo >> 32) + (hi_lo & _LOW32) + left_lo * right_hi
    upper = (hi_lo >> 32) + (cross >> 32) + left_hi * right_hi
    return ((cross << 32) | (lo_lo & _LOW32)) ^ upper


def _len_9to16(head: np.ndarray, last8: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    low = head ^ _FLIP_LO
    high = last8 ^ _FLIP_HI
    acc = lengths + low.byteswap() + high + _mul128_fold64(low, high)
    acc ^= acc >> 37
    acc *= _MX1
    acc ^= acc >> 32
    return acc
