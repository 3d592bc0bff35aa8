"""Vectorised tokenizers and XXH3 token hashes agree with the reference ones token for token."""

import random
import re

import numpy as np
import pytest
from xxhash import xxh3_64_intdigest

from trajsift.dedup.minhash import MinHasher
from trajsift.dedup.tokenhash import hash_spans, spans, token_hashes

REFERENCE = {  # the tokenizers' definitions as regular expressions over bytes (`\w` is ASCII for bytes)
    "words": re.compile(rb"[\w\x80-\xff]+").findall,
    "code": re.compile(rb"[\w\x80-\xff]+|[^\w\s\x80-\xff]").findall,
    "lines": lambda data: [line for line in data.split(b"\n") if line],
    "spaces": bytes.split,
}
ALPHABET = b"ab Z9_-.,;(){}\n\t\r\x0b\x0c\x00\x1f\x7f\xc3\xa9\xff"


def test_token_hashes_are_xxh3_for_every_length():
    rng = random.Random(5)
    tokens = [bytes(rng.randrange(256) for _ in range(length)) for length in range(40) for _ in range(50)]
    assert token_hashes(tokens).tolist() == [xxh3_64_intdigest(token) for token in tokens]


@pytest.mark.parametrize("tokenizer", sorted(REFERENCE))
def test_spans_match_the_reference_tokenizers(tokenizer):
    rng = random.Random(9)
    for _ in range(200):
        data = bytes(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 120)))
        starts, ends = spans(data, tokenizer)
        assert [data[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)] == REFERENCE[tokenizer](data)
        expected = [xxh3_64_intdigest(token) for token in REFERENCE[tokenizer](data)]
        assert hash_spans(data, starts, ends).tolist() == expected


@pytest.mark.parametrize("scheme", ["oph", "classic"])
@pytest.mark.parametrize("ngram", [1, 2, 3])
def test_sign_texts_equals_from_text_row_by_row(scheme, ngram, monkeypatch):
    from trajsift.dedup import batchsign

    monkeypatch.setattr(batchsign, "BLOCK_BYTES", 300)  # many blocks, and texts longer than a block
    rng = random.Random(ngram)
    vocabulary = [f"w{i}" for i in range(300)] + ["caf\u00e9", "x,y", "(z)"]
    texts = [" ".join(rng.choice(vocabulary) for _ in range(rng.randrange(0, 90))) for _ in range(60)]
    texts += ["", "   ", "one", "two words", "\u00e9\u00e9 \ud800 tail"]  # empty, blank, short, lone surrogate
    hasher = MinHasher(64, seed=2)
    matrix, present = batchsign.sign_texts(hasher, texts, "words", ngram, scheme)
    assert matrix.shape == (len(texts), 64) and present.dtype == bool
    for row, text in enumerate(texts):
        one = hasher.from_text(text, "words", ngram, scheme)
        assert present[row] == (one is not None)
        assert np.array_equal(matrix[row], one if one is not None else np.zeros(64, matrix.dtype))


def test_text_shingles_group_by_text():
    from trajsift.dedup.batchsign import text_shingles

    shingles, offsets = text_shingles(["a b c", "", "a b"], "words", 2)
    assert offsets.tolist() == [0, 2, 2, 3]
    assert shingles[2] == shingles[0]  # "a b" in both texts
