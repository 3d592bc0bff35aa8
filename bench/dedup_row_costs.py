"""Per-row CPU of the steps of `trajsift dedup`'s read pass, one process, on generated trajectories.

Usage: python bench/dedup_row_costs.py INPUT_DIR [--rows 2000] [--batch 500]

INPUT_DIR is written by `bench/gen_trajectories.py`. Reads `--rows` trajectories with trajsift's reader, then
times each step of the lean read (`executors.lean_read`) over them in batches of `--batch`: the records laid
out in Arrow (`pa.array` of `to_row`), the summary texts, novelty's feature hashing (`HashingEmbedder.embed`
against the text-by-text reference sums, checked identical) and each dedup check's `run` and `signature`. Every
step runs twice and the second round is reported (the first pays for memory the allocators then keep: a cold
`pa.array` cost twice a warm one). Prints CPU ms per row (process time) and the load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trajsift.arrow import TRAJECTORY, to_row  # noqa: E402
from trajsift.checks.base import CheckContext  # noqa: E402
from trajsift.checks.exact_dedup import ExactDuplicates  # noqa: E402
from trajsift.checks.near_dedup import NearDuplicates  # noqa: E402
from trajsift.checks.novelty import Novelty  # noqa: E402
from trajsift.dedup.embed import MAX_TEXT_CHARS, HashingEmbedder, normalise  # noqa: E402
from trajsift.dedup.summary import summary_sections  # noqa: E402
from trajsift.readers.read import read_trajectories  # noqa: E402
from trajsift.schema import Trajectory  # noqa: E402


def load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 1)[0]


def reference_embed(embedder: HashingEmbedder, texts: list[str]) -> np.ndarray:
    """The embedder's text-by-text path for every text (what it did before `featurehash`)."""
    matrix = np.zeros((len(texts), embedder.dims), dtype=np.float32)
    for row, text in enumerate(texts):
        embedder._add_features(matrix[row], text[:MAX_TEXT_CHARS])
    return normalise(matrix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    print(f"load at start {load()}")
    started = time.process_time()
    trajectories: list[Trajectory] = []
    for item in read_trajectories([str(args.input / "shards")]):
        if isinstance(item, Trajectory):
            trajectories.append(item)
            if len(trajectories) >= args.rows:
                break
    rows = len(trajectories)
    print(f"read {rows:,} trajectories: {(time.process_time() - started) / rows * 1e3:.3f} CPU-ms per row")
    batches = [trajectories[i : i + args.batch] for i in range(0, rows, args.batch)]
    costs: dict[str, float] = {}

    def timed(name: str, step: Callable[[Any], Any], inputs: list[Any] = batches) -> list[Any]:
        for _ in range(2):
            start = time.process_time()
            results = [step(batch) for batch in inputs]
            costs[name] = (time.process_time() - start) / rows * 1e3
        return results

    timed("records in Arrow: pa.array of to_row", lambda b: pa.array([to_row(t) for t in b], type=TRAJECTORY))
    texts = timed("summary texts", lambda b: [text for t in b for text in summary_sections(t).values()])
    embedder = HashingEmbedder(512)
    for _ in range(2):  # alternated: both warm in the second round
        reference = timed("novelty features: text by text", partial(reference_embed, embedder), texts)
        batched = timed("novelty features: featurehash", embedder.embed, texts)
    same_vectors = all(np.array_equal(a, b) for a, b in zip(reference, batched, strict=True))
    ctx = CheckContext()
    for check in (ExactDuplicates(), NearDuplicates(), Novelty()):
        for batch in batches:  # a first round, not counted
            check.run(batch, ctx, [{} for _ in batch])
            [check.signature(t, ctx, {}) for t in batch]
        spent = {"run": 0.0, "signature": 0.0}
        for batch in batches:  # `signature` reads what `run` kept of the same batch
            start = time.process_time()
            check.run(batch, ctx, [{} for _ in batch])
            middle = time.process_time()
            [check.signature(t, ctx, {}) for t in batch]
            spent["run"] += middle - start
            spent["signature"] += time.process_time() - middle
        costs.update({f"{check.id}: {phase}": secs / rows * 1e3 for phase, secs in spent.items()})
    for name, cost in costs.items():
        print(f"  {name:40s} {cost:.3f} CPU-ms per row")
    print(f"feature vectors identical: {same_vectors}; load at end {load()}")


if __name__ == "__main__":
    main()
