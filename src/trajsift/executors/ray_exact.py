"""Distributed reduce of `diversity.exact` on Ray: the same state as `ExactDuplicates.reduce`.

No node holds every digest. One task per shard reads its signature file's id, content and patch digests and
quality, and splits the rows twice into `parts` hash partitions: by content digest and by patch digest. One
task per content partition keeps the digests more than one run shares (`exact_dedup.duplicate_groups`: all
runs of a digest meet in one partition, and keep-best does not depend on their order), one task per patch
partition counts the shared patches (`exact_dedup.shared_patches`). Only those groups reach the driver, keyed
in sorted order.
"""

from __future__ import annotations

import zlib
from typing import Any

import pyarrow.parquet as pq
import ray

from trajsift.checks.exact_dedup import duplicate_groups, shared_patches

Columns = dict[str, list[Any]]


def exact_reduce(check: Any, sources: list[tuple[str, int]], parts: int = 8) -> dict[str, Any]:
    """`sources`: (signature Parquet file, global index of its first row) per shard, in shard order."""
    parts = max(2, parts)
    loads = [_load.options(num_returns=2 * parts).remote(check, path, parts) for path, _ in sources]
    if not loads:
        return {"best": {}, "patches": {}}
    best: dict[str, list[Any]] = {}
    for groups in ray.get([_groups.remote(*(outputs[j] for outputs in loads)) for j in range(parts)]):
        best.update(groups)
    patches: dict[str, int] = {}
    for shared in ray.get([_patches.remote(*(outputs[parts + j] for outputs in loads)) for j in range(parts)]):
        patches.update(shared)
    return {"best": dict(sorted(best.items())), "patches": dict(sorted(patches.items()))}


def _part(digest: str | None, parts: int) -> int:
    return zlib.crc32((digest or "").encode()) % parts


@ray.remote
def _load(check: Any, path: str, parts: int) -> list[Columns]:
    """The shard's rows split by content digest (the first `parts` outputs), then its patch digests by digest."""
    names = [check.sig_col(name) for name in ("content", "patch", "quality")]
    data = pq.read_table(path, columns=["trajectory_id", *names]).to_pydict()
    ids, contents, patches, qualities = data["trajectory_id"], *(data[name] for name in names)
    by_content: list[Columns] = [{"id": [], "content": [], "quality": []} for _ in range(parts)]
    for traj_id, content, quality in zip(ids, contents, qualities, strict=True):
        out = by_content[_part(content, parts)]
        out["id"].append(traj_id)
        out["content"].append(content)
        out["quality"].append(quality)
    by_patch: list[Columns] = [{"patch": []} for _ in range(parts)]
    for patch in patches:
        if patch:
            by_patch[_part(patch, parts)]["patch"].append(patch)
    return [*by_content, *by_patch]


@ray.remote
def _groups(*batches: Columns) -> dict[str, list[Any]]:
    columns = {name: [value for batch in batches for value in batch[name]] for name in ("id", "content", "quality")}
    return duplicate_groups(columns["id"], columns["content"], columns["quality"])


@ray.remote
def _patches(*batches: Columns) -> dict[str, int]:
    return shared_patches([patch for batch in batches for patch in batch["patch"]])
