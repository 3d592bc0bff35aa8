import math

import pyarrow as pa
import pytest

from trajsift.checks.base import CheckContext
from trajsift.checks.novelty import Novelty, jensen_shannon, tool_counts
from trajsift.dedup.embed import HashingEmbedder
from trajsift.schema import Action, ActionType, FinalState, Step, TaskRef, Trajectory

from .helpers import quality_scores, run_global


def patch(line: str, path: str = "src/pkg/config.py") -> str:
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1,2 +1,2 @@\n-    old = 1\n+{line}\n"


def traj(traj_id, task, patch_text, thought="I will fix the config lookup.", actions=None) -> Trajectory:
    kinds = actions or [ActionType.SEARCH, ActionType.READ, ActionType.EDIT, ActionType.RUN_TESTS, ActionType.SUBMIT]
    steps = [
        Step(index=i, thought=thought if i == len(kinds) - 1 else "", action=Action(type=k, command=f"{k.value} x"))
        for i, k in enumerate(kinds)
    ]
    return Trajectory(id=traj_id, task=TaskRef(task_id=task), steps=steps, final=FinalState(patch=patch_text))


def run_check(check, trajs, quality=None, ctx=None):
    return run_global(check, trajs, quality_scores(trajs, quality), ctx)


FIX_A = "    value = settings.get(key, default)"
FIX_B = "    raise KeyError(f'missing {key}')"


def dataset():
    return [
        traj("a1", "t1", patch(FIX_A), "Use the default when the key is missing in settings."),
        traj("a2", "t1", patch(FIX_A), "Use the default when the key is missing in settings now."),
        traj(
            "b1", "t1", patch(FIX_B, "src/pkg/errors.py"), "Raise a clear error for a missing key.", [ActionType.EDIT]
        ),
        traj("c1", "t2", patch(FIX_A), "Use the default when the key is missing in settings."),
    ]


def test_same_task_near_copy_is_a_duplicate_of_the_better_one():
    out = run_check(Novelty(), dataset(), quality={"a1": 0.4, "a2": 0.9})
    assert out["a1"].findings == ["approach_duplicate"]
    assert out["a1"].scores["diversity.novelty.duplicate_of"] == "a2"
    assert out["a2"].findings == []
    assert out["b1"].findings == [] and out["c1"].findings == []


def test_without_quality_the_smallest_id_is_kept():
    out = run_check(Novelty(), dataset())
    assert out["a1"].findings == [] and out["a2"].scores["diversity.novelty.duplicate_of"] == "a1"


def test_novelty_and_clusters():
    out = run_check(Novelty(), dataset(), quality={"a1": 0.4, "a2": 0.9})
    novelty = {k: v.scores["diversity.novelty.approach_novelty"] for k, v in out.items()}
    assert all(0.0 <= v <= 1.0 for v in novelty.values())
    assert novelty["b1"] > novelty["a1"] + 0.2
    clusters = {k: v.scores["diversity.novelty.approach_cluster"] for k, v in out.items()}
    assert clusters["a2"] == 0 and clusters["a1"] == 0 and clusters["b1"] == 1
    assert clusters["c1"] == 0
    assert out["a1"].scores["diversity.novelty.task_approaches"] == 2


def test_tool_novelty_is_highest_for_unusual_tool_use():
    out = run_check(Novelty(), dataset())
    tools = {k: v.scores["diversity.novelty.tool_novelty"] for k, v in out.items()}
    assert tools["b1"] > max(tools["a1"], tools["a2"], tools["c1"])


def test_empty_trajectory_gets_null_novelty_and_is_never_a_duplicate():
    trajs = [
        *dataset(),
        Trajectory(id="e1", task=TaskRef(task_id="t1")),
        Trajectory(id="e2", task=TaskRef(task_id="t1")),
    ]
    out = run_check(Novelty(), trajs)
    for key in ("e1", "e2"):
        assert out[key].findings == []
        scores = out[key].scores
        assert scores["diversity.novelty.approach_novelty"] is None and scores["diversity.novelty.tool_novelty"] is None


class CacheableHashing(HashingEmbedder):
    """The hashing embedder marked worth caching, as a model embedder is."""

    cacheable = True


def test_embeddings_are_cached_in_the_cache_dir(tmp_path):
    check = Novelty({"dims": 64})
    check._embedder = CacheableHashing(64)
    run_check(check, dataset(), ctx=CheckContext(cache_dir=str(tmp_path)))
    assert list(tmp_path.glob("embeddings-hashing-v1-64.sqlite"))


def test_feature_hashing_is_not_cached_and_scores_the_same(tmp_path):
    plain = run_check(Novelty({"dims": 64}), dataset())
    with_dir = run_check(Novelty({"dims": 64}), dataset(), ctx=CheckContext(cache_dir=str(tmp_path)))
    assert not list(tmp_path.glob("*.sqlite"))  # embedding again costs less than a lookup
    assert {k: (v.scores, v.findings) for k, v in plain.items()} == {
        k: (v.scores, v.findings) for k, v in with_dir.items()
    }


def test_columns_include_the_shared_metrics():
    types = Novelty.column_types()
    shared = {"approach_novelty", "tool_novelty", "approach_cluster", "duplicate_of"}
    assert {f"diversity.novelty.{name}" for name in shared} <= set(types)


def test_jensen_shannon_distance_bounds():
    assert jensen_shannon({"a": 1.0}, {"a": 1.0}) == 0.0
    assert jensen_shannon({"a": 1.0}, {"b": 1.0}) == pytest.approx(1.0)
    assert 0 < jensen_shannon({"a": 0.5, "b": 0.5}, {"a": 1.0}) < 1
    assert math.isclose(
        jensen_shannon({"a": 0.3, "b": 0.7}, {"a": 0.6, "b": 0.4}),
        jensen_shannon({"a": 0.6, "b": 0.4}, {"a": 0.3, "b": 0.7}),
    )


def test_tool_counts_views():
    t = traj("x", "t", "", actions=[ActionType.READ, ActionType.READ, ActionType.EDIT])
    assert tool_counts(t) == {"read": 2, "edit": 1}
    assert tool_counts(t, "type_tool") == {"read:": 2, "edit:": 1}


def test_bad_params_are_rejected():
    with pytest.raises(ValueError):
        Novelty({"duplicate_similarity": 1.5})
    with pytest.raises(ValueError):
        Novelty({"embedder": "bert"})


def test_signature_matrix_is_read_chunk_by_chunk_as_one():
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(3)
    rows = [rng.standard_normal(8).astype(np.float16).tobytes() for _ in range(7)]
    rows[2], rows[4], rows[5] = None, rows[4][:6], bytes(16)  # missing, too short, all zero
    column = pa.chunked_array([pa.array(rows[:3], pa.binary()), pa.array([], pa.binary()), pa.array(rows[3:])])
    expected = np.zeros((7, 8), np.float32)
    for i, blob in enumerate(rows):
        if blob is not None and len(blob) == 16:
            vector = np.frombuffer(blob, np.float16).astype(np.float32)
            norm = np.linalg.norm(vector)
            expected[i] = vector / norm if norm else 0
    chunks = column.chunks
    matrix = Novelty._matrix(chunks, 7)
    assert matrix.dtype == np.float32 and np.allclose(matrix, expected, atol=1e-7)
    assert chunks == [None, None, None]  # each chunk let go once converted: its bytes can be freed
    assert np.array_equal(matrix, Novelty._matrix([column.combine_chunks()], 7))


def test_reduce_reads_only_its_own_signature_columns():
    trajs = dataset()
    baseline = run_check(Novelty({"dims": 64}), trajs)

    class WithForeignColumn(Novelty):  # another check's signatures in the same table must change nothing
        def reduce(self, signatures):
            extra = pa.array([b"\x00" * 64] * signatures.num_rows, pa.binary())
            return super().reduce(signatures.append_column("_sig.diversity.near.minhash", extra))

    widened = run_check(WithForeignColumn({"dims": 64}), trajs)
    assert {k: v.scores for k, v in widened.items()} == {k: v.scores for k, v in baseline.items()}
