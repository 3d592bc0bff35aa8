from collections import Counter

import pytest

from trajsift.checks.stratified import StratifiedSample, fit_cells, integer_quotas
from trajsift.schema import TaskRef, Trajectory

from .helpers import run_global


def rows(spec):
    """spec: (id, task, difficulty, repo, quality, approach_cluster)"""
    trajs, scores = [], []
    for traj_id, task, difficulty, repo, quality, cluster in spec:
        trajs.append(Trajectory(id=traj_id, task=TaskRef(task_id=task, difficulty=difficulty, repo=repo)))
        cells = {"difficulty": difficulty, "repo": repo, "quality_score": quality}
        scores.append({**cells, "diversity.novelty.approach_cluster": cluster})
    return trajs, scores


def selected(check, trajs, scores):
    outputs = run_global(check, trajs, scores)
    for out in outputs.values():
        assert out.findings == ([] if out.scores["diversity.sample.selected"] else ["over_quota"])
    return {k for k, out in outputs.items() if out.scores["diversity.sample.selected"]}


def skewed():
    # 80 easy rows, 20 hard rows, one per task, repo alternating
    spec = [(f"e{i:03d}", f"te{i}", "easy", "ra" if i % 2 else "rb", i / 100, 0) for i in range(80)]
    spec += [(f"h{i:03d}", f"th{i}", "hard", "ra" if i % 2 else "rb", i / 100, 0) for i in range(20)]
    return rows(spec)


def test_defaults_select_everything():
    trajs, scores = skewed()
    assert len(selected(StratifiedSample(), trajs, scores)) == 100


def test_balance_moves_a_skewed_dataset_to_the_target():
    trajs, scores = skewed()
    chosen = selected(StratifiedSample({"size": 40, "balance": ["difficulty"]}), trajs, scores)
    counts = Counter(s["difficulty"] for t, s in zip(trajs, scores, strict=True) if t.id in chosen)
    assert counts == {"easy": 20, "hard": 20}
    # within a cell the best quality goes first
    assert "e079" in chosen and "e000" not in chosen


def test_explicit_target_over_two_dimensions():
    trajs, scores = skewed()
    check = StratifiedSample({"size": 20, "target": {"difficulty": {"easy": 0.25, "hard": 0.75}}, "balance": ["repo"]})
    chosen = selected(check, trajs, scores)
    picked = [s for t, s in zip(trajs, scores, strict=True) if t.id in chosen]
    assert len(picked) == 20
    difficulty = Counter(s["difficulty"] for s in picked)
    assert abs(difficulty["easy"] - 5) <= 1 and difficulty["easy"] + difficulty["hard"] == 20
    assert abs(Counter(s["repo"] for s in picked)["ra"] - 10) <= 1


def test_a_value_that_runs_out_keeps_its_shortfall():
    trajs, scores = skewed()
    chosen = selected(StratifiedSample({"size": 60, "balance": ["difficulty"]}), trajs, scores)
    counts = Counter(s["difficulty"] for t, s in zip(trajs, scores, strict=True) if t.id in chosen)
    assert counts == {"easy": 30, "hard": 20}


def test_per_task_cap_prefers_distinct_approaches_then_quality():
    spec = [
        ("a", "t1", "easy", "r", 0.9, 0),
        ("b", "t1", "easy", "r", 0.8, 0),
        ("c", "t1", "easy", "r", 0.3, 1),
        ("d", "t1", "easy", "r", 0.2, 2),
        ("e", "t2", "easy", "r", 0.5, None),
        ("f", "t2", "easy", "r", 0.4, None),
    ]
    trajs, scores = rows(spec)
    assert selected(StratifiedSample({"per_task_cap": 2}), trajs, scores) == {"a", "c", "e", "f"}
    assert selected(StratifiedSample({"per_task_cap": 1}), trajs, scores) == {"a", "e"}


def test_cap_then_fraction():
    trajs, scores = rows([(f"r{i}", f"t{i % 5}", "easy", "r", i / 50, i) for i in range(50)])
    chosen = selected(StratifiedSample({"per_task_cap": 4, "fraction": 0.5}), trajs, scores)
    assert len(chosen) == 10
    assert max(Counter(int(c[1:]) % 5 for c in chosen).values()) <= 4


def test_fit_and_round_respect_cell_sizes():
    sizes = {("easy",): 80, ("hard",): 5}
    alloc = fit_cells(sizes, [{"easy": 0.5, "hard": 0.5}], 40)
    assert alloc[("hard",)] == pytest.approx(5)
    assert integer_quotas(alloc, sizes) == {("easy",): 20, ("hard",): 5}


def test_unknown_dimension_is_rejected():
    with pytest.raises(ValueError):
        StratifiedSample({"balance": ["colour"]})
