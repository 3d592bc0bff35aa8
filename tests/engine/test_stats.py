"""Score summaries in stats.json stay exact where it matters and bounded in memory."""

import random

from trajsift import stats
from trajsift.stats import ScoreSummary


def summarise(values, name="col"):
    summary = ScoreSummary(name)
    for value in values:
        summary.add(value)
    return summary.to_json()


def test_small_columns_are_summarised_exactly():
    values = [0.3, 0.1, 0.9, 0.5, 0.7]
    result = summarise(values)
    assert result["count"] == 5 and result["mean"] == 0.5
    assert (result["min"], result["p50"], result["max"]) == (0.1, 0.5, 0.9)
    assert sum(result["histogram"]["counts"]) == 5 and "sampled" not in result["histogram"]


def test_large_columns_keep_a_bounded_deterministic_sample(monkeypatch):
    monkeypatch.setattr(stats, "SAMPLE_CAP", 1000)
    rng = random.Random(7)
    values = [rng.gauss(10, 2) for _ in range(20_000)]
    result = summarise(values)
    assert result["count"] == 20_000
    assert result["mean"] == round(sum(values) / len(values), 6)
    assert (result["min"], result["max"]) == (min(values), max(values))
    assert sum(result["histogram"]["counts"]) == 1000 == result["histogram"]["sampled"]
    assert abs(result["p50"] - sorted(values)[10_000]) < 0.3  # a uniform sample's median
    assert summarise(values) == result  # same rows, same figures


def test_stats_builder_makes_one_summary_per_column_not_per_value(monkeypatch):
    from trajsift.annotations import Annotation

    made = []

    class Counted(ScoreSummary):
        def __init__(self, name):
            made.append(name)
            super().__init__(name)

    monkeypatch.setattr(stats, "ScoreSummary", Counted)
    builder = stats.StatsBuilder(["basic_filter"], {"quality.score": "double", "quality.steps": "int64"})
    rows = [
        Annotation(meta={"trajectory_id": f"t{i}"}, scores={"quality.score": i / 10, "quality.steps": i})
        for i in range(50)
    ]
    builder.add(rows, [])
    assert sorted(made) == ["quality.score", "quality.steps"]
    assert builder.values["quality.steps"].count == 50 and builder.values["quality.score"].total == sum(
        i / 10 for i in range(50)
    )
