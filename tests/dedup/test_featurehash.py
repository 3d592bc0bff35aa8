import random
import string

import numpy as np

from trajsift.dedup.embed import HashingEmbedder, tokens
from trajsift.dedup.featurehash import feature_rows, word_spans

EDGE_CASES = [
    "",
    "   \t\n",
    "maxLen = my_var != 2",
    "12ab 3_x x1 a1b2 007 _ __init__ _x_ HTTPServer getURL2x FOOs fooBAR ABCdef aB Ab",
    "+=- ++++++++ ... .... a->b (x)[y]{z} #!/bin/sh \x00\x07\x7f \x1cfield\x1dsep\x1e\x1f end",
    "a" * 17 + " " + "B" * 70 + " " + "9" * 200 + " x" + "_y" * 40 + " " + "Ab" * 40,
    "diff --git a/src/pkg/config.py\n+    value = settings.get(key, default)\n-    old = 1\nedit src/pkg/config.py",
]


def _random_texts(count, seed=7):
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "_" * 6 + " " * 12 + "\n\t.,:;()[]+-=*/'\"#\x00\x1c\x7f"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 300))) for _ in range(count)]


def _reference_rows(texts, dims):
    embedder = HashingEmbedder(dims)
    matrix = np.zeros((len(texts), dims), dtype=np.float32)
    for row, text in enumerate(texts):
        embedder._add_features(matrix[row], text)
    return matrix


def test_words_are_the_tokens_of_the_reference():
    for text in EDGE_CASES + _random_texts(300):
        data = text.encode()
        starts, ends = word_spans(data)
        assert [data[a:b].decode().lower() for a, b in zip(starts.tolist(), ends.tolist(), strict=True)] == tokens(text)


def test_rows_are_bit_identical_to_the_text_by_text_sums():
    texts = EDGE_CASES + _random_texts(400)
    for dims in (8, 512):
        got = feature_rows(texts, dims)
        assert np.array_equal(got.view(np.uint32), _reference_rows(texts, dims).view(np.uint32))


def test_embed_mixes_ascii_batches_and_other_texts_in_place():
    texts = ["straße maxLen", *EDGE_CASES, "é٣é HTTPServer", *_random_texts(600, seed=3)]
    embedder = HashingEmbedder(64)
    reference = _reference_rows([text[:20_000] for text in texts], 64)
    norms = np.linalg.norm(reference, axis=1, keepdims=True)
    expected = np.divide(reference, norms, out=np.zeros_like(reference), where=norms > 0)
    assert np.array_equal(embedder.embed(texts).view(np.uint32), expected.view(np.uint32))
