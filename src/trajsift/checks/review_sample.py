"""Stage 5 sampling: a stratified share of the surviving rows plus edge cases go to human review.

Sampling is deterministic: each row gets a uniform value from a hash of (seed, id); per stratum
the rows with the smallest values are taken. Edge cases: quality just above the cut (the lowest
`edge_fraction` of scores per category), checks that disagree (tests pass but coherence is low),
near duplicates kept by a narrow quality margin, integrity findings (reward hacking: any
`integrity.*_step` column set, the step to open), and (opt-in) outcome labels that disagree with
the pipeline (an unresolved run that survived).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from typing import Any, ClassVar

import pyarrow as pa
from pydantic import Field

from trajsift import reasons
from trajsift.checks.base import CheckContext, CheckOutput, Params, Scores
from trajsift.checks.global_check import GlobalCheck
from trajsift.columns import COHERENCE_SCORE, NEAR_DUPLICATE_MARGIN, QUALITY_SCORE, TESTS_VERDICT
from trajsift.schema import Trajectory


class ReviewSampleParams(Params):
    fraction: float = Field(default=0.07, gt=0, le=1)
    """Share of surviving rows sampled per stratum (5-10 % is typical)."""
    strata: list[str] = Field(default_factory=lambda: ["category", "difficulty", "model", "scaffold"])
    """Columns whose value combinations are sampled separately."""
    seed: str = "trajsift"
    edge_fraction: float = Field(default=0.05, ge=0, le=1)
    """Per category, this share of the lowest surviving quality scores is an edge case."""
    low_coherence: float = 0.4
    """Tests pass but coherence below this: checks disagree."""
    duplicate_margin: float = 0.02
    """A kept row that beat its near duplicates by less than this quality margin is an edge case."""
    judge_gap: float = 0.4
    """The LLM judge's coherence and the heuristic coherence differ by more than this: checks disagree."""
    label_disagreement: bool = False
    """Also send surviving rows whose outside outcome label says unresolved."""


def integrity_steps(scores: Scores) -> dict[str, int | None]:
    """The row's integrity evidence: `integrity.<check>.<pattern>_step` column -> step index (None = absent)."""
    return {k: v for k, v in scores.items() if k.startswith("integrity.") and k.endswith("_step")}


def allocate(fraction: float, sizes: dict[str, int]) -> dict[str, int]:
    """Per-stratum sample sizes summing to round(fraction * total), proportional to stratum size
    (largest remainder; ties broken by stratum key, so the result is deterministic)."""
    total = round(fraction * sum(sizes.values()))
    exact = {s: fraction * n for s, n in sizes.items()}
    quotas = {s: math.floor(v) for s, v in exact.items()}
    by_remainder = sorted(sizes, key=lambda s: (-(exact[s] - quotas[s]), s))
    for stratum in by_remainder[: max(0, total - sum(quotas.values()))]:
        quotas[stratum] += 1
    return quotas


class ReviewSample(GlobalCheck[ReviewSampleParams]):
    id: ClassVar[str] = "review.sample"
    description: ClassVar[str] = "stratified review sample plus edge cases"
    columns: ClassVar[dict[str, pa.DataType]] = {"selected": pa.bool_(), "edge": pa.string()}
    signature_columns: ClassVar[dict[str, pa.DataType]] = {
        "stratum": pa.string(),
        "category": pa.string(),
        "draw": pa.float64(),
        "quality": pa.float64(),
    }

    def signature(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> dict[str, Any]:
        stratum = "\x1f".join(str(scores.get(col) or "") for col in self.params.strata)
        return {
            "stratum": stratum,
            "category": str(scores.get("category") or ""),
            "draw": self._draw(traj.id),
            "quality": scores.get(QUALITY_SCORE),
        }

    def _draw(self, traj_id: str) -> float:
        digest = hashlib.blake2b(f"{self.params.seed}\x1f{traj_id}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def reduce(self, signatures: pa.Table) -> dict[str, Any]:
        data = signatures.to_pydict()
        columns = (data[self.sig_col(name)] for name in ("stratum", "draw", "category", "quality"))
        draws: dict[str, list[float]] = defaultdict(list)
        qualities: dict[str, list[float]] = defaultdict(list)
        for stratum, draw, category, quality in zip(*columns, strict=True):
            draws[stratum].append(draw)
            if quality is not None:
                qualities[category].append(quality)
        quotas = allocate(self.params.fraction, {s: len(v) for s, v in draws.items()})
        cut = {s: sorted(draws[s])[q - 1] for s, q in quotas.items() if q}
        edge = {}
        for category, values in qualities.items():
            count = math.floor(self.params.edge_fraction * len(values))
            if count:
                edge[category] = sorted(values)[count - 1]
        return {"draw_cutoff": cut, "quality_edge": edge}

    def assign(self, traj_id: str, signature: dict[str, Any], scores: Scores, state: Any) -> CheckOutput:
        findings = []
        stratum = signature.get(self.sig_col("stratum"))
        if stratum in state["draw_cutoff"] and signature[self.sig_col("draw")] <= state["draw_cutoff"][stratum]:
            findings.append(reasons.SAMPLED_FOR_REVIEW)
        edges = self._edges(signature, scores, state)
        return self.output(findings=findings + edges, selected=bool(findings or edges), edge=",".join(edges) or None)

    def _edges(self, signature: dict[str, Any], scores: Scores, state: Any) -> list[str]:
        edges = []
        quality = signature.get(self.sig_col("quality"))
        limit = state["quality_edge"].get(signature.get(self.sig_col("category")))
        if quality is not None and limit is not None and quality <= limit:
            edges.append(reasons.EDGE_NEAR_THRESHOLD)
        coherence = scores.get(COHERENCE_SCORE)
        tests_pass = scores.get(TESTS_VERDICT) == "correct"
        judged = scores.get("quality.judge.coherence")
        judge_disagrees = (
            judged is not None and coherence is not None and abs(judged - coherence) > self.params.judge_gap
        )
        if (tests_pass and coherence is not None and coherence < self.params.low_coherence) or judge_disagrees:
            edges.append(reasons.EDGE_CHECKS_DISAGREE)
        margin = scores.get(NEAR_DUPLICATE_MARGIN)
        if margin is not None and margin < self.params.duplicate_margin:
            edges.append(reasons.EDGE_DUPLICATE_MARGIN)
        if any(step is not None for step in integrity_steps(scores).values()):
            edges.append(reasons.EDGE_INTEGRITY)
        if self.params.label_disagreement and scores.get("resolved_label") is False:
            edges.append(reasons.EDGE_LABEL_DISAGREES)
        return edges
