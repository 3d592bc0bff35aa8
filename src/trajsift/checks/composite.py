"""`quality.score`: `quality_score`, the calibrated probability that the run is correct.

The shipped model (`quality_model.json`, fitted by `bench/transfer.py --write-model` on the labelled dev
sources; its provenance is in the file) reads evidence, cohort-relative and reference-overlap columns, so it
runs after `quality.evidence`, `quality.cohort` and `quality.reference`. A missing column is a learned
"missing" term, never a zero. Test verdicts and outside labels dominate when present (`source` says which):
a passing verdict or a resolved label puts the run above every model-only score, a failing one below.
`weights` instead gives the uncalibrated weighted mean of the given columns (the first build's score).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import ClassVar

import pyarrow as pa

from trajsift.calibration import ModelSet, load_model
from trajsift.checks.base import Check, CheckContext, CheckOutput, Params, Scores
from trajsift.columns import QUALITY_SCORE, TESTS_VERDICT
from trajsift.schema import Trajectory

DOMINANT = {"correct": (0.9, 0.1), "partially_correct": (0.3, 0.4), "incorrect": (0.0, 0.1)}
"""Test verdict -> (floor, span): the score becomes floor + span * model probability."""
LABELLED = {True: (0.95, 0.05), False: (0.0, 0.05)}


class QualityScoreParams(Params):
    model: str = ""
    """Path of a model JSON (same shape as the shipped one); "" = the shipped model."""
    weights: dict[str, float] | None = None
    """If set: the uncalibrated weighted mean of these columns (in [0, 1]) instead of the model."""
    verdicts_dominate: bool = True
    """A test verdict (`correctness.tests.verdict`) outranks the model's estimate."""
    labels_dominate: bool = True
    """An outside outcome label (`--labels`, the harness's resolved) outranks the model's estimate."""


@lru_cache(maxsize=8)
def _model(path: str) -> ModelSet:
    return load_model(path)


class QualityScore(Check[QualityScoreParams]):
    id = "quality.score"
    description = "Calibrated probability that the run is correct (test verdicts and outside labels dominate)."
    columns: ClassVar[dict[str, pa.DataType]] = {"model_probability": pa.float64(), "source": pa.string()}

    @classmethod
    def column_types(cls) -> dict[str, pa.DataType]:
        return {QUALITY_SCORE: pa.float64(), **super().column_types()}

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        params = self.params
        if params.weights is not None:
            return CheckOutput(scores={QUALITY_SCORE: weighted_mean(scores, params.weights)})
        probability = _model(params.model).probability(scores)
        score, source = probability, "model"
        verdict = scores.get(TESTS_VERDICT)
        if params.verdicts_dominate and verdict in DOMINANT:
            floor, span = DOMINANT[verdict]
            score, source = floor + span * probability, "tests"
        elif params.labels_dominate and traj.outcome.resolved is not None:
            floor, span = LABELLED[traj.outcome.resolved]
            score, source = floor + span * probability, "label"
        return CheckOutput(
            scores={QUALITY_SCORE: score, self.col("model_probability"): probability, self.col("source"): source}
        )


def weighted_mean(scores: Scores, weights: dict[str, float]) -> float | None:
    total = weighted = 0.0
    for column, weight in weights.items():
        value = scores.get(column)
        if weight <= 0 or not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
            continue
        total += weight
        weighted += weight * min(1.0, max(0.0, float(value)))
    return weighted / total if total else None
