"""MinHash peers for bench/dedup_speed.py, each on its fastest documented path (imports are lazy: a peer
that is not installed is reported as missing, the others still run).

Every peer signs the same texts with the same shingles: whitespace tokens, word 2-grams, 128 slots.
- rensa: `RMinHash.digest_matrix_from_token_sets` over 2-gram strings (its bulk path for token strings),
  and `hash_token_sets` + 2-grams combined in numpy + `digest_matrix_from_flat_token_hashes` (its
  pre-hashed bulk path); its native `RMinHashLSH` over the digest matrix.
- datasketch: `MinHash.bulk` with `xxhash.xxh32_intdigest` as `hashfunc` (the fast hash its docs suggest
  instead of the default sha1); `MinHashLSH` insert + query.
- datatrove: `MinhashDedupSignature` shingling and signing with `HashConfig(hash_fc="xxhash")`, and its
  four MinHash stages end to end on a local executor. Its xxhash wrapper passes `str` to xxhash, which
  xxhash >= 4 refuses, so the bench gives it the same hash over UTF-8 bytes (what xxhash 3 did inside).
"""

from __future__ import annotations

import tempfile

import numpy as np

from trajsift.dedup.minhash import COMBINE

NUM_PERM, SEED, THRESHOLD, BANDS = 128, 1, 0.5, 32


def bigram_strings(texts: list[str]) -> list[list[str]]:
    out = []
    for text in texts:
        words = text.split()
        out.append([f"{a} {b}" for a, b in zip(words, words[1:], strict=False)] or words)
    return out


def rensa_strings(texts: list[str]):
    from rensa import RMinHash

    return RMinHash.digest_matrix_from_token_sets(bigram_strings(texts), NUM_PERM, SEED)


def rensa_prehashed(texts: list[str]):
    from rensa import RMinHash

    flat, offsets = [], [0]
    for hashes in RMinHash.hash_token_sets([text.split() for text in texts]):
        values = np.asarray(hashes, dtype=np.uint64)
        shingles = values[:-1] * COMBINE + values[1:] if values.size > 1 else values
        flat.append(shingles)
        offsets.append(offsets[-1] + shingles.size)
    offsets = np.asarray(offsets, dtype=np.uint64)
    return RMinHash.digest_matrix_from_flat_token_hashes(np.concatenate(flat), offsets, NUM_PERM, SEED)


def rensa_flat(shingles: np.ndarray, offsets: np.ndarray):
    from rensa import RMinHash

    return RMinHash.digest_matrix_from_flat_token_hashes(shingles, offsets.astype(np.uint64), NUM_PERM, SEED)


def rensa_lsh(matrix) -> int:
    from rensa import RMinHashLSH

    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=BANDS)
    return int(np.count_nonzero(lsh.query_duplicate_flags_matrix_one_shot(matrix)))


def datasketch_text(texts: list[str]):
    from datasketch import MinHash
    from xxhash import xxh32_intdigest

    tokens = [[s.encode() for s in row] for row in bigram_strings(texts)]
    return MinHash.bulk(tokens, num_perm=NUM_PERM, seed=SEED, hashfunc=xxh32_intdigest)


def datasketch_prehashed(shingle_lists: list[list[int]]):
    """The same algorithm as trajsift's `classic` scheme: affine permutations of 64-bit input hashes."""
    from datasketch import MinHash

    return MinHash.bulk(shingle_lists, num_perm=NUM_PERM, seed=SEED, hashfunc=int, scheme="affine64")


def datasketch_lsh(sketches) -> int:
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    for i, sketch in enumerate(sketches):
        lsh.insert(str(i), sketch)
    return sum(len(lsh.query(sketch)) > 1 for sketch in sketches)


def _datatrove_xxhash() -> None:
    import datatrove.utils.hashes.xxhash as wrapper
    from xxhash import xxh32_intdigest, xxh64_intdigest

    wrapper.xxhash32 = lambda text: xxh32_intdigest(text.encode())
    wrapper.xxhash64 = lambda text: xxh64_intdigest(text.encode())


def _datatrove_stages(tmp: str):
    from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupSignature
    from datatrove.utils.hashing import HashConfig
    from datatrove.utils.word_tokenizers import WordTokenizer

    class Whitespace(WordTokenizer):
        def word_tokenize(self, text: str) -> list[str]:
            return text.split()

        def sent_tokenize(self, text: str) -> list[str]:
            return text.split("\n")

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return []

    _datatrove_xxhash()
    config = MinhashConfig(n_grams=2, num_buckets=16, hashes_per_bucket=8, hash_config=HashConfig(hash_fc="xxhash"))
    return config, MinhashDedupSignature(f"{tmp}/sig", config=config, language=Whitespace())


def datatrove_sign(texts: list[str]) -> list:
    with tempfile.TemporaryDirectory() as tmp:
        _, stage = _datatrove_stages(tmp)
        return [stage.get_signature(stage.get_shingles(text)) for text in texts]


def datatrove_pipeline(texts: list[str]) -> None:
    from datatrove.data import Document
    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter
    from loguru import logger

    logger.remove()
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]

    def source(data, rank: int = 0, world_size: int = 1):
        yield from docs

    with tempfile.TemporaryDirectory() as tmp:
        config, signature = _datatrove_stages(tmp)
        stages = [
            ([source, signature], 1),
            ([MinhashDedupBuckets(f"{tmp}/sig", f"{tmp}/buckets", config=config)], 16),
            ([MinhashDedupCluster(f"{tmp}/buckets", f"{tmp}/remove", config=config)], 1),
            ([source, MinhashDedupFilter(f"{tmp}/remove")], 1),
        ]
        for i, (pipeline, tasks) in enumerate(stages):
            LocalPipelineExecutor(pipeline, tasks=tasks, workers=1, logging_dir=f"{tmp}/logs{i}").run()
