import importlib.util

import numpy as np
import pytest

from trajsift.dedup import ann_lsh
from trajsift.dedup.ann import nearest
from trajsift.errors import ConfigError


def unit_rows(n, dims=16, seed=0):
    data = np.random.default_rng(seed).normal(size=(n, dims)).astype(np.float32)
    return data / np.linalg.norm(data, axis=1, keepdims=True)


def brute_force(data, k):
    sims = data @ data.T
    np.fill_diagonal(sims, -np.inf)
    idx = np.argsort(-sims, axis=1)[:, :k]
    return np.take_along_axis(sims, idx, axis=1), idx


def test_exact_matches_brute_force_and_excludes_self():
    data = unit_rows(2500)
    sims, idx = nearest(data, k=3, backend="exact")
    want_sims, want_idx = brute_force(data, 3)
    assert np.allclose(sims, want_sims, atol=1e-5)
    assert (idx == want_idx).mean() > 0.999
    assert not (idx == np.arange(len(data))[:, None]).any()


def test_identical_vectors_find_each_other():
    data = unit_rows(5)
    data[3] = data[1]
    sims, idx = nearest(data, k=1, backend="exact")
    assert idx[1, 0] == 3 and idx[3, 0] == 1
    assert sims[1, 0] == pytest.approx(1.0, abs=1e-6)


def test_fewer_rows_than_k_are_padded():
    sims, idx = nearest(unit_rows(2), k=3, backend="exact")
    assert idx[0].tolist() == [1, -1, -1]
    assert np.isneginf(sims[0, 1:]).all()
    assert nearest(np.zeros((0, 4), np.float32), k=1)[0].shape == (0, 1)


def test_unknown_backend_is_a_config_error():
    with pytest.raises(ConfigError):
        nearest(unit_rows(3), backend="annoy")


@pytest.mark.parametrize("backend", ["faiss", "usearch"])
def test_ann_backends_agree_with_exact_search(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} not installed")
    data = unit_rows(3000, dims=32, seed=1)
    _, want = brute_force(data, 1)
    _, idx = nearest(data, k=1, backend=backend, exact_limit=1000)
    assert (idx[:, 0] == want[:, 0]).mean() > 0.9


def near_pairs(n, dims=64, noise=0.15, seed=2):
    """Rows 2i and 2i+1 are close (cosine ~0.99), every pair far from the others."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n // 2, dims))
    data = np.repeat(centres, 2, axis=0) + noise * rng.normal(size=(n // 2 * 2, dims))
    return (data / np.linalg.norm(data, axis=1, keepdims=True)).astype(np.float32)


def test_lsh_finds_close_neighbours_and_never_itself():
    data = near_pairs(4000)
    sims, idx = nearest(data, k=1, backend="lsh")
    partner = np.arange(len(data)) ^ 1
    assert (idx[:, 0] == partner).mean() > 0.99
    assert not (idx == np.arange(len(data))[:, None]).any()
    found = idx[:, 0] >= 0
    exact = np.einsum("ij,ij->i", data[found], data[idx[found, 0]])
    assert np.allclose(sims[found, 0], exact, atol=1e-5)  # reported similarities are the exact ones


def test_lsh_top_k_has_no_repeats_and_is_deterministic():
    data = near_pairs(3000, noise=0.6)
    sims, idx = nearest(data, k=3, backend="lsh")
    for row in idx:
        found = row[row >= 0]
        assert len(set(found.tolist())) == len(found)
    assert (np.diff(sims, axis=1) <= 1e-6).all()  # best first
    again = nearest(data, k=3, backend="lsh")
    assert np.array_equal(idx, again[1]) and np.array_equal(sims, again[0])


@pytest.mark.parametrize("installed", [None, "faiss-and-usearch"])
def test_auto_does_not_depend_on_installed_ann_packages(monkeypatch, installed):
    import trajsift.dedup.ann as ann

    monkeypatch.setattr(ann.importlib.util, "find_spec", lambda name: installed and object())
    assert ann._choose("auto", 10, 100) == "exact"
    assert ann._choose("auto", 1000, 100) == "lsh"
    assert ann._choose("lsh", 10, 100) == "lsh"
    if installed:
        assert ann._choose("faiss", 10, 100) == "faiss"  # named: used
    else:
        with pytest.raises(ConfigError, match="not installed"):
            ann._choose("faiss", 10, 100)


def _merge_by_rule(data, block, sims, idx):
    """What `ann_lsh._merge` must do, row by row in Python: candidates in order (the row's current best, then
    the block's other rows not already among them); the k best, the earlier of equal ones first."""
    products = data[block] @ data[block].T
    for i, row in enumerate(block):
        candidates = [(float(s), int(j)) for s, j in zip(sims[row], idx[row], strict=True)]
        known = set(idx[row].tolist())
        for position, j in enumerate(block):
            if j != row and j not in known:
                candidates.append((float(products[i, position]), int(j)))
        order = sorted(range(len(candidates)), key=lambda c: -candidates[c][0])  # stable: ties keep their order
        best = [candidates[c] for c in order[: sims.shape[1]]]
        sims[row] = [s for s, _ in best]
        idx[row] = [-1 if s == -np.inf else j for s, j in best]


@pytest.mark.parametrize("k", [1, 2])
def test_lsh_merge_keeps_the_first_of_equal_candidates(k):
    rng = np.random.default_rng(5)
    centres = rng.normal(size=(6, 8)).astype(np.float32)
    data = centres[rng.integers(0, 6, 40)]  # many exact repeats: ties everywhere
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    sims = np.full((40, k), -np.inf, np.float32)
    idx = np.full((40, k), -1, np.int64)
    expected_sims, expected_idx = sims.copy(), idx.copy()
    for block in (np.arange(0, 40, 2), np.arange(1, 40, 3), np.arange(0, 40)):  # rows met again in later blocks
        ann_lsh._merge(data, block, sims, idx)
        _merge_by_rule(data, block, expected_sims, expected_idx)
        assert np.array_equal(idx, expected_idx)
        assert np.allclose(sims, expected_sims, atol=1e-6)
