"""Exact duplicates: identical normalised trajectories (same task, actions and patch) and identical patches.

From each group of identical trajectories the best by `quality_score` (then the smallest id) is
kept; the others are marked `exact_duplicate` with `duplicate_of`. Identical patches reached by
different trajectories are not duplicates; their group size is recorded for the diversity view.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from typing import Any, ClassVar

import pyarrow as pa

from trajsift import reasons
from trajsift.checks.base import CheckContext, CheckOutput, Scores
from trajsift.checks.global_check import GlobalCheck
from trajsift.columns import QUALITY_SCORE
from trajsift.dedup.clustering import best_first
from trajsift.schema import Trajectory

_INDEX_LINE = re.compile(r"^index [0-9a-f]+\.\.[0-9a-f]+.*$", re.MULTILINE)


def _squeeze(text: str) -> str:
    """Each whitespace run as one space, ends stripped (`str.split` and regex `\\s` agree on whitespace)."""
    return " ".join(text.split())


def normalise_patch(patch: str) -> str:
    """Drop `index` lines and whitespace differences that do not change what a patch does."""
    return "\n".join(map(_squeeze, _INDEX_LINE.sub("", patch).strip().splitlines()))


def trajectory_hash(traj: Trajectory, normalised_patch: str | None = None) -> str:
    """Digest of the task, the actions and the patch (`normalised_patch`: `normalise_patch` of it, if known):
    task id and RS, then per step its type, US, squeezed command and RS, then the patch; hashed in one call."""
    parts = [f"{traj.task.task_id}\x1e"]
    parts += [f"{step.action.type.value}\x1f{_squeeze(step.action.command)}\x1e" for step in traj.steps]
    parts.append(normalise_patch(traj.final.patch) if normalised_patch is None else normalised_patch)
    return hashlib.blake2b("".join(parts).encode(), digest_size=16).hexdigest()


def patch_hash(patch: str, normalised: bool = False) -> str:
    text = patch if normalised else normalise_patch(patch)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest() if text else ""


def duplicate_groups(ids: list[str], contents: list[str], qualities: list[float | None]) -> dict[str, list[Any]]:
    """Content digest -> [kept id, group size] for each digest more than one run has (keep-best: highest
    quality, then smallest id; the same whatever the rows' order)."""
    groups: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for traj_id, content, quality in zip(ids, contents, qualities, strict=True):
        groups[content].append(best_first(quality, traj_id))
    return {digest: [min(members)[1], len(members)] for digest, members in groups.items() if len(members) > 1}


def shared_patches(patches: list[str]) -> dict[str, int]:
    """Patch digest -> number of runs, for each non-empty patch more than one run reached."""
    counts = Counter(patch for patch in patches if patch)
    return {digest: n for digest, n in counts.items() if n > 1}


class ExactDuplicates(GlobalCheck):
    id: ClassVar[str] = "diversity.exact"
    description: ClassVar[str] = "identical trajectories (actions + patch) and identical final patches"
    columns: ClassVar[dict[str, pa.DataType]] = {
        "is_duplicate": pa.bool_(),
        "duplicate_of": pa.string(),
        "group_size": pa.int64(),
        "patch_group_size": pa.int64(),
    }
    signature_columns: ClassVar[dict[str, pa.DataType]] = {
        "content": pa.string(),
        "patch": pa.string(),
        "quality": pa.float64(),
    }

    def signature(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> dict[str, Any]:
        quality = scores.get(QUALITY_SCORE)
        patch = normalise_patch(traj.final.patch)  # once for both digests
        return {"content": trajectory_hash(traj, patch), "patch": patch_hash(patch, True), "quality": quality}

    def reduce(self, signatures: pa.Table) -> dict[str, Any]:
        names = [self.sig_col(name) for name in ("content", "patch", "quality")]
        data = signatures.select(["trajectory_id", *names]).to_pydict()  # not the other checks' signatures
        ids, contents, patches, qualities = data["trajectory_id"], *(data[name] for name in names)
        return {"best": duplicate_groups(ids, contents, qualities), "patches": shared_patches(patches)}

    def assign(self, traj_id: str, signature: dict[str, Any], scores: Scores, state: Any) -> CheckOutput:
        content = signature.get(self.sig_col("content"))
        patch = signature.get(self.sig_col("patch"))
        best, size = state["best"].get(content, [traj_id, 1])
        patch_size = state["patches"].get(patch, 1 if patch else 0)
        duplicate = best != traj_id
        return self.output(
            findings=[reasons.EXACT_DUPLICATE] if duplicate else [],
            is_duplicate=duplicate,
            duplicate_of=best if duplicate else None,
            group_size=size,
            patch_group_size=patch_size,
        )
