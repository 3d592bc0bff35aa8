"""The hashing embedder's features for a batch of ASCII texts at once, with numpy: no Python object per token.

Bit for bit what `embed.HashingEmbedder` computes text by text (`embed.tokens`, then a `Counter` of unigrams and
bigrams, `zlib.crc32` of each feature, signed `np.add.at` into the row): the same tokens and sub-words, the same
CRC-32 values, the same features in the same order, so every float32 sum is done in the same order. Only ASCII
texts come here: for them the token pattern, lower-casing and `\\s` are fixed byte classes.

- tokens: runs of `[A-Za-z0-9_]` (a leading digit run is a token of its own), runs of punctuation cut in threes;
- sub-words of an identifier: digit runs, lower-case runs (with the capital before them), capital runs;
- features are told apart by the XXH3-64 of each word (`tokenhash`) and pairs of word ids;
- CRC-32 of every distinct word, and of every distinct bigram `a + " " + b` continued from `a`'s register, byte
  position by byte position over all of them at once (words longer than `LONG` through `zlib`).
"""

from __future__ import annotations

import zlib

import numpy as np

from trajsift.dedup.tokenhash import hash_spans

SPACE, IDENT, DIGIT, PUNCT = 0, 1, 2, 3
"""Token classes of a byte."""
LOWER, UPPER, NUMBER, UNDERSCORE = 1, 2, 3, 4
"""Sub-word classes of a byte (0: none)."""
LONG = 64
"""Words past this many bytes are hashed by `zlib` one by one (rare; keeps the byte loop short)."""


def _classes() -> tuple[bytes, bytes]:
    token, case = bytearray([PUNCT] * 256), bytearray(256)
    for byte in b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f":  # what `\s` matches in ASCII
        token[byte] = SPACE
    for byte in range(256):
        char = chr(byte)
        if char.isascii() and char.isalpha() or char == "_":
            token[byte] = IDENT
        elif char.isascii() and char.isdigit():
            token[byte], case[byte] = DIGIT, NUMBER
        case[byte] = LOWER if "a" <= char <= "z" else UPPER if "A" <= char <= "Z" else case[byte]
    case[ord("_")] = UNDERSCORE
    return bytes(token), bytes(case)


_TOKEN_CLASS, _CASE_CLASS = _classes()


def _crc_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0xEDB88320), table >> 1).astype(np.uint32)
    return table


_CRC = _crc_table()


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) of the runs of True in `mask`."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], mask, [False]]).view(np.int8)))
    return edges[0::2], edges[1::2]


def token_spans(kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of every token (`embed._TOKEN`) of a buffer of byte classes, in order."""
    word_starts, word_ends = _runs((kind == IDENT) | (kind == DIGIT))
    digit_starts, digit_ends = _runs(kind == DIGIT)
    before = kind[np.maximum(digit_starts - 1, 0)]
    after = kind[np.minimum(digit_ends, kind.size - 1)]
    leading = ((digit_starts == 0) | (before != IDENT)) & (digit_ends < kind.size) & (after == IDENT)
    cuts = digit_ends[leading]  # a word's leading digits are a token, the identifier after them another
    punct_starts, punct_ends = _runs(kind == PUNCT)
    chunks = (punct_ends - punct_starts + 2) // 3
    first = np.repeat(punct_starts, chunks)
    offset = np.arange(first.size) - np.repeat(np.cumsum(chunks) - chunks, chunks)
    chunk_starts = first + 3 * offset
    chunk_ends = np.minimum(chunk_starts + 3, np.repeat(punct_ends, chunks))
    return _positions(kind.size, word_starts, cuts, chunk_starts), _positions(kind.size, word_ends, cuts, chunk_ends)


def _positions(size: int, *parts: np.ndarray) -> np.ndarray:
    """The distinct positions of `parts` (each in [0, size]), ascending: a mask, no sort."""
    mask = np.zeros(size + 1, dtype=bool)
    for part in parts:
        mask[part] = True
    return np.flatnonzero(mask)


def subword_spans(case: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sub-words (`embed._SUBWORD`) of the identifier tokens `starts`/`ends`: (owner token, start, end). Only
    their bytes are looked at, gathered into one array (`case` ends with a 0: the byte after the last token)."""
    lengths = ends - starts
    offsets = np.cumsum(lengths) - lengths
    where = np.arange(int(lengths.sum())) + np.repeat(starts - offsets, lengths)  # buffer position of each byte
    sub = case[where]
    attached = (sub == UPPER) & (case[where + 1] == LOWER)  # a capital before lower case starts their sub-word
    part = np.where(attached, LOWER, sub)
    part[sub == UNDERSCORE] = 0
    changed = np.ones(sub.size, dtype=bool)
    changed[1:] = part[1:] != part[:-1]
    changed[offsets] = True
    begins = np.flatnonzero((part > 0) & (changed | attached))
    stops = _positions(sub.size, begins, np.flatnonzero(sub == UNDERSCORE), offsets + lengths)
    part_ends = stops[np.searchsorted(stops, begins, side="right")]
    owner = np.searchsorted(offsets, begins, side="right") - 1
    return owner, where[begins], where[part_ends - 1] + 1


def word_spans(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of every word `embed.tokens` yields for ASCII `data`, in its order."""
    kind = np.frombuffer(data.translate(_TOKEN_CLASS), dtype=np.uint8)
    starts, ends = token_spans(kind)
    case = np.frombuffer(data.translate(_CASE_CLASS) + b"\0", dtype=np.uint8)
    marked = np.zeros(case.size + 1, dtype=np.int32)
    np.cumsum(case > LOWER, out=marked[1:])  # capitals, digits and underscores: all a sub-word search needs
    ident = np.flatnonzero((kind[starts] == IDENT) & (marked[ends] > marked[starts])) if starts.size else starts
    owner, part_starts, part_ends = subword_spans(case, starts[ident], ends[ident])
    parts = np.bincount(owner, minlength=ident.size)
    keep = parts[owner] > 1
    owner, part_starts, part_ends = ident[owner[keep]], part_starts[keep], part_ends[keep]
    extra = np.zeros(starts.size, dtype=np.int64)
    extra[ident] = np.where(parts > 1, parts, 0)
    position = np.arange(starts.size) + np.cumsum(extra) - extra  # each token's place, its sub-words after it
    rank = np.arange(owner.size) - np.searchsorted(owner, owner)  # a sub-word's place among its token's
    out_starts = np.empty(starts.size + owner.size, dtype=np.int64)
    out_ends = np.empty_like(out_starts)
    out_starts[position], out_ends[position] = starts, ends
    slots = position[owner] + 1 + rank
    out_starts[slots], out_ends[slots] = part_starts, part_ends
    return out_starts, out_ends


def crc_spans(data: bytes, starts: np.ndarray, ends: np.ndarray, registers: np.ndarray) -> np.ndarray:
    """CRC-32 registers (zlib's, before the final inversion) after feeding each span to its register."""
    lengths = ends - starts
    registers = registers.astype(np.uint32)
    short = np.flatnonzero(lengths <= LONG)
    order = short[np.argsort(-lengths[short].astype(np.int16), kind="stable")]  # a radix sort
    buffer = np.frombuffer(data, dtype=np.uint8)
    reg, first, size = registers[order], starts[order], lengths[order]
    longest = int(size[0]) if size.size else 0
    actives = np.searchsorted(-size, -np.arange(longest), side="left").tolist()  # spans longer than k
    for k, active in enumerate(actives):
        head = reg[:active]
        reg[:active] = _CRC[(head ^ buffer[first[:active] + k]) & 0xFF] ^ (head >> 8)
    registers[order] = reg
    for i in np.flatnonzero(lengths > LONG).tolist():
        registers[i] = ~zlib.crc32(data[starts[i] : ends[i]], ~int(registers[i]) & 0xFFFFFFFF) & 0xFFFFFFFF
    return registers


def _distinct(keys: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, ...]:
    """One stable sort: a dense id per distinct key and a position of each id; per document, the positions of
    its distinct keys' first occurrences, ascending (`doc` ascends), and their counts."""
    order = np.argsort(keys, kind="stable")  # equal keys stay in position order
    ordered, docs = keys[order], doc[order]
    new_key = np.ones(keys.size, dtype=bool)
    new_key[1:] = ordered[1:] != ordered[:-1]
    new_group = new_key.copy()
    new_group[1:] |= docs[1:] != docs[:-1]
    ids = np.empty(keys.size, dtype=np.int64)
    ids[order] = np.cumsum(new_key) - 1
    heads = np.flatnonzero(new_group)
    counts = np.zeros(keys.size, dtype=np.int64)
    counts[order[heads]] = np.diff(np.append(heads, keys.size))
    firsts = np.flatnonzero(counts)  # a mask, not a sort, puts them in order
    return ids, order[new_key], firsts, counts[firsts]


def _per_text(texts: int, unigram_docs: np.ndarray, bigram_docs: np.ndarray) -> np.ndarray:
    """Where each unigram and each bigram goes so that every text has its unigrams, then its bigrams."""
    ones = np.bincount(unigram_docs, minlength=texts)
    twos = np.bincount(bigram_docs, minlength=texts)
    offset = np.cumsum(ones + twos) - ones - twos
    rank_one = np.arange(unigram_docs.size) - (np.cumsum(ones) - ones)[unigram_docs]
    rank_two = np.arange(bigram_docs.size) - (np.cumsum(twos) - twos)[bigram_docs]
    return np.concatenate([offset[unigram_docs] + rank_one, (offset + ones)[bigram_docs] + rank_two])


def feature_rows(texts: list[str], dims: int) -> np.ndarray:
    """The unnormalised (len(texts), dims) float32 rows `HashingEmbedder` sums for ASCII `texts`."""
    data = "\n".join(texts).encode("ascii")  # "\n" separates: no token spans two texts
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
    lowered = data.lower()
    starts, ends = word_spans(data)
    doc = np.searchsorted(np.cumsum(lengths) - lengths, starts, side="right") - 1
    ids, words, word_firsts, word_counts = _distinct(hash_spans(lowered, starts, ends), doc)
    word_crcs = ~crc_spans(lowered, starts[words], ends[words], np.full(words.size, 0xFFFFFFFF, np.uint32))
    pairs = np.flatnonzero(doc[1:] == doc[:-1])
    pair_keys = ids[pairs] * np.int64(words.size) + ids[pairs + 1]
    pair_ids, bigrams, pair_firsts, pair_counts = _distinct(pair_keys, doc[pairs])
    register = ~word_crcs[ids[pairs[bigrams]]]
    spaced = _CRC[(register ^ 0x20) & 0xFF] ^ (register >> 8)  # the register after "a "
    right = pairs[bigrams] + 1
    pair_crcs = ~crc_spans(lowered, starts[right], ends[right], spaced)
    word_docs, pair_docs = doc[word_firsts], doc[pairs[pair_firsts]]
    place = _per_text(len(texts), word_docs, pair_docs)  # the order `Counter` holds them in, so sums match
    crcs, docs, counts = (np.empty(place.size, dtype=dtype) for dtype in (np.uint64, np.int64, np.int64))
    crcs[place] = np.concatenate([word_crcs[ids[word_firsts]], pair_crcs[pair_ids[pair_firsts]]])
    docs[place] = np.concatenate([word_docs, pair_docs])
    counts[place] = np.concatenate([word_counts, pair_counts])
    weights = 1.0 + np.log(counts.astype(np.float64))
    signs = np.where(crcs & np.uint64(1 << 31), -1.0, 1.0)
    matrix = np.zeros((len(texts), dims), dtype=np.float32)
    cells = docs * dims + (crcs % np.uint64(dims)).astype(np.intp)
    np.add.at(matrix.reshape(-1), cells, (weights * signs).astype(np.float32))
    return matrix
