"""Column names read by more than one module: one table, so a rename happens here and nowhere else.

A check writes `<check id>.<metric>` (`Check.col`, `Check.output`). The one exception is `QUALITY_SCORE`, the
headline score `quality.score` writes under its own name: recipes, alerts, exports and stored runs name it.
Columns that used to be written bare are listed in `RENAMED` (old name -> name now), so a reader of a run
written before can still find them (`current_name`).
"""

from __future__ import annotations

from collections.abc import Iterable


def column(check_id: str, metric: str) -> str:
    """The name of a check's column: `<check id>.<metric>`."""
    return f"{check_id}.{metric}"


QUALITY_SCORE = "quality_score"
"""The headline quality score in [0, 1] (`quality.score`); named in recipes, alerts and exports."""
HEADLINE = frozenset({QUALITY_SCORE})
"""Columns a check writes under a name of their own instead of `<check id>.<metric>`."""

TESTS = "correctness.tests"
TESTS_VERDICT = column(TESTS, "verdict")
"""`correct` / `partially_correct` / `incorrect` / `unknown` (see `trajsift.harness.verdict`)."""

COHERENCE_SCORE = column("quality.coherence", "score")
COMPLETENESS_SCORE = column("quality.completeness", "score")
EFFICIENCY_SCORE = column("quality.efficiency", "score")

NEAR = "diversity.near"
NEAR_IS_DUPLICATE = column(NEAR, "is_duplicate")
NEAR_DUPLICATE_OF = column(NEAR, "duplicate_of")
NEAR_CLUSTER_ID = column(NEAR, "cluster_id")
NEAR_ACTION_NOVELTY = column(NEAR, "action_novelty")
NEAR_DUPLICATE_MARGIN = column(NEAR, "duplicate_margin")
"""How far a kept row's quality beat its nearest duplicate's (None when it has none)."""

NOVELTY = "diversity.novelty"
APPROACH_NOVELTY = column(NOVELTY, "approach_novelty")
TOOL_NOVELTY = column(NOVELTY, "tool_novelty")
APPROACH_CLUSTER = column(NOVELTY, "approach_cluster")

RENAMED: dict[str, str] = {
    "is_duplicate": NEAR_IS_DUPLICATE,
    "duplicate_of": NEAR_DUPLICATE_OF,
    "cluster_id": NEAR_CLUSTER_ID,
    "action_novelty": NEAR_ACTION_NOVELTY,
    "duplicate_margin": NEAR_DUPLICATE_MARGIN,
    "approach_novelty": APPROACH_NOVELTY,
    "tool_novelty": TOOL_NOVELTY,
    "approach_cluster": APPROACH_CLUSTER,
}
"""Bare names `diversity.near` and `diversity.novelty` wrote before they followed `<check id>.<metric>`."""


def current_name(name: str) -> str:
    """The name a column has now (a bare name from an older run maps to its `<check id>.<metric>`)."""
    return RENAMED.get(name, name)


def current_names(names: Iterable[str]) -> dict[str, str]:
    """For the columns of a stored table: old name -> name now, only for the columns that were renamed."""
    return {name: RENAMED[name] for name in names if name in RENAMED}
