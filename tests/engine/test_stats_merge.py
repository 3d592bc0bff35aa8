"""Partial stats built per shard and merged in shard order give exactly the stats of one builder over every row."""

import json
import random

import pytest

from trajsift import stats
from trajsift.annotations import Annotation
from trajsift.stats import ScoreSummary, StatsBuilder

TYPES = {"quality.score": "double", "quality.steps": "int64", "tests.verdict": "string"}
STAGES = ["basic_filter", "quality"]


def make_rows(n, seed=5):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        decision = rng.choice(["keep", "drop", "review"])
        reasons = rng.sample(["too_short", "no_patch", "loop", "cost"], rng.randint(0, 2)) if decision == "drop" else []
        meta = {"trajectory_id": f"t{i}", "model": rng.choice(["a", "b", None]), "task_id": f"task{i % 7}"}
        if rng.random() < 0.7:
            meta["resolved_label"] = rng.random() < 0.4
        scores = {"quality.score": rng.gauss(0.5, 0.3), "quality.steps": rng.randint(1, 90)}
        if rng.random() < 0.2:
            scores["quality.score"] = float("nan")
        if rng.random() < 0.5:
            scores["tests.verdict"] = rng.choice(["pass", "fail", "unknown"])
        findings = rng.sample(["basic:loop", "integrity:test_tampering", "x:y"], rng.randint(0, 2))
        row = Annotation(meta=meta, scores=scores, findings=findings, reasons=reasons)
        row.decision, row.decided_by = decision, rng.choice(STAGES)
        rows.append(row)
    return rows


def times(rows, seed=9):
    rng = random.Random(seed)
    stamp = lambda: f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T0{rng.randint(0, 9)}:00:00Z"  # noqa: E731
    return [(stamp(), stamp() if rng.random() < 0.9 else "") for _ in rows]


def built(builder):
    return json.dumps(builder.build({"shards": 1}, [{"name": s, "status": "ran"} for s in STAGES]))


@pytest.mark.parametrize("cap", [100_000, 50])
def test_merged_shards_equal_one_builder(monkeypatch, cap):
    monkeypatch.setattr(stats, "SAMPLE_CAP", cap)  # 50: the merged summaries sample past the cap
    rows, stamps = make_rows(700), []
    stamps = times(rows)
    whole = StatsBuilder(STAGES, TYPES, labels_given=True)
    whole.add(rows, stamps)
    merged = StatsBuilder(STAGES, TYPES, labels_given=True)
    for start in range(0, len(rows), 64):
        part = StatsBuilder([], TYPES, keep_every_value=True)
        part.add(rows[start : start + 64], stamps[start : start + 64])
        merged.merge(part)
    assert built(merged) == built(whole)
    assert merged.values["quality.score"].total == whole.values["quality.score"].total  # the same rounding


def test_extend_equals_add_one_by_one(monkeypatch):
    monkeypatch.setattr(stats, "SAMPLE_CAP", 30)
    rng = random.Random(1)
    values = [rng.uniform(-5, 5) for _ in range(200)] + [0.0, -0.0]
    one, many = ScoreSummary("s"), ScoreSummary("s")
    for value in values:
        one.add(value)
    for start in range(0, len(values), 17):
        part = ScoreSummary("s")
        part.cap = float("inf")
        for value in values[start : start + 17]:
            part.add(value)
        many.extend(part.every_value())
    assert (many.count, many.total, many.lo, many.hi, list(many.sample)) == (
        one.count,
        one.total,
        one.lo,
        one.hi,
        list(one.sample),
    )
    assert many.to_json() == one.to_json()


def test_a_sampled_summary_refuses_to_merge(monkeypatch):
    monkeypatch.setattr(stats, "SAMPLE_CAP", 3)
    summary = ScoreSummary("s")
    for value in range(5):
        summary.add(float(value))
    with pytest.raises(ValueError, match="sampled"):
        summary.every_value()
