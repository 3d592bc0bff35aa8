"""Out-of-core banding gives the clusters of the in-memory path, from a memory-mapped signature file."""

import random

import numpy as np
import pyarrow as pa

from trajsift.checks.base import CheckContext
from trajsift.checks.near_dedup import NearDuplicates
from trajsift.dedup import banded, lsh
from trajsift.dedup.unionfind import components
from trajsift.schema import Action, ActionType, Step, TaskRef, Trajectory


def _matrix(rng: np.random.Generator) -> np.ndarray:
    base = rng.integers(0, 2**16, size=(300, 64), dtype=np.uint16)
    copies = base[:60].copy()
    noise = rng.random(copies.shape) < 0.2  # near copies: 80 % of the slots kept
    copies[noise] = rng.integers(0, 2**16, size=int(noise.sum()), dtype=np.uint16)
    same = np.repeat(base[:1], 40, axis=0)  # one huge bucket of identical rows
    return np.concatenate([base, copies, same])


def test_spilled_bands_match_in_memory_components(tmp_path, monkeypatch):
    monkeypatch.setattr(banded, "CHUNK_ROWS", 37)  # many chunks
    monkeypatch.setattr(banded, "PAIR_CHUNK", 5)
    matrix = _matrix(np.random.default_rng(3))
    stored = np.lib.format.open_memmap(tmp_path / "sigs.npy", mode="w+", dtype=np.uint16, shape=matrix.shape)
    stored[:] = matrix
    stored.flush()
    on_disk = np.load(tmp_path / "sigs.npy", mmap_mode="r")
    valid = np.ones(len(matrix), bool)
    valid[[5, 305]] = False  # a row and its near copy without the view: never paired

    def verify(left, right):
        return np.mean(on_disk[left] == on_disk[right], axis=1) >= 0.5

    tiebreak = matrix[:, ::-1]
    left, right = lsh.candidate_pairs(matrix, valid, 16, 4, window=3, tiebreak=tiebreak)
    keep = np.mean(matrix[left] == matrix[right], axis=1) >= 0.5
    expected = components(len(matrix), left[keep], right[keep])
    files = banded.spill_bands(on_disk, 16, 4, str(tmp_path), on_disk[:, ::-1])
    labels = banded.band_labels(len(matrix), files, valid, verify, window=3)
    assert labels.tolist() == expected.tolist()
    assert labels[300] == 0 and labels[305] == 305  # a near copy joins its original; invalid rows stay alone
    assert np.all(labels[360:] == 0)  # the huge bucket is one cluster, through overlapping windows


def _trajectories(count: int) -> list[Trajectory]:
    rng = random.Random(4)
    words = [f"word{i}" for i in range(400)]
    kinds = [ActionType.READ, ActionType.EDIT, ActionType.RUN_TESTS, ActionType.SEARCH]
    out = []
    for i in range(count):
        if i % 5 == 4:  # a near copy of the previous trajectory: a few words changed
            steps = [
                Step(
                    index=s.index,
                    thought=" ".join(w if rng.random() > 0.1 else "x" for w in s.thought.split()),
                    action=s.action,
                )
                for s in out[-1].steps
            ]
        else:
            steps = [
                Step(
                    index=j,
                    thought=" ".join(rng.choice(words) for _ in range(40)),
                    action=Action(type=kinds[(i + j) % 4], target=f"f{i % 7}_{j}.py"),
                )
                for j in range(8)
            ]
        out.append(Trajectory(id=f"t{i:03d}", task=TaskRef(task_id=f"task{i // 10}"), steps=steps))
    return out


def _signatures(check: NearDuplicates, trajs: list[Trajectory]) -> pa.Table:
    rows = []
    for i, t in enumerate(trajs):
        sig = check.signature(t, CheckContext(), {"quality_score": (i * 37 % 11) / 11})
        rows.append({"trajectory_id": t.id, **{check.sig_col(k): v for k, v in sig.items()}})
    types = {"trajectory_id": pa.string(), **check.signature_types()}
    return pa.Table.from_pylist(rows, schema=pa.schema(list(types.items())))


def test_check_reduce_spilled_equals_in_memory():
    params = {"action_rule": True, "action_min_steps": 4}
    trajs = _trajectories(60)
    table = _signatures(NearDuplicates(params), trajs)
    in_memory = NearDuplicates(params).reduce(table)
    spilled = NearDuplicates({**params, "spill_rows": 1}).reduce(table)
    assert spilled == in_memory
    assert len(in_memory["clusters"]) >= 20  # the planted copies were found
