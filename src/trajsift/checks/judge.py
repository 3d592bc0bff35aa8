"""quality.judge: LLM rubric scores (semantic coherence, reasoning) for each trajectory.

Needs an `llm:` section in the recipe (the pipeline skips the stage loudly without one). A failed
judge call leaves its column null and records `judge_failed`; it never writes a default score.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Literal

import pyarrow as pa
from pydantic import Field

from trajsift import reasons
from trajsift.checks.base import Check, CheckContext, CheckOutput, Params, Scores
from trajsift.config import LLMSpec
from trajsift.llm.client import ChatClient
from trajsift.llm.judge import RUBRICS, JudgeScore, judge
from trajsift.llm.render import RenderBudget
from trajsift.schema import Trajectory

STRONG_FLAGS = frozenset({"ignore_instructions", "role_marker", "boundary_collision", "fence_forgery"})
"""Injection signs worth a finding; invisible characters or score-like JSON alone are common in code."""


class JudgeParams(Params):
    rubrics: list[Literal["coherence", "reasoning"]] = Field(default_factory=lambda: ["coherence", "reasoning"])
    """Rubrics to score; each is one LLM call per trajectory (cached on disk)."""
    max_steps: int = Field(default=30, ge=2)
    """Steps shown to the judge; longer runs show their first and last halves."""


class JudgeCheck(Check[JudgeParams]):
    id = "quality.judge"
    description = "LLM rubric scores in [0, 1]: semantic coherence and reasoning quality."
    columns: ClassVar[dict[str, pa.DataType]] = {
        "coherence": pa.float64(),
        "reasoning": pa.float64(),
        "injection_flags": pa.string(),
    }
    requires = ("llm",)

    def __init__(self, params: JudgeParams | Mapping[str, Any] | None = None, *, llm: LLMSpec | None = None) -> None:
        """`llm`: the recipe's `llm:` section (the pipeline passes it to checks that require `llm`)."""
        super().__init__(params)
        self.llm_config = llm
        self._client: ChatClient | None = None

    def client(self) -> ChatClient:
        if self._client is None:
            if self.llm_config is None:
                raise RuntimeError("quality.judge has no LLM configured")
            self._client = ChatClient(self.llm_config)
        return self._client

    def run(self, batch: list[Trajectory], ctx: CheckContext, scores: list[Scores]) -> list[CheckOutput]:
        client = self.client()
        with ThreadPoolExecutor(max_workers=client.config.max_concurrency) as pool:
            return list(pool.map(lambda traj: self.check_one(traj, ctx, {}), batch))

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        budget = RenderBudget(max_steps=self.params.max_steps)
        results: dict[str, JudgeScore | None] = {
            name: judge(traj, self.client(), RUBRICS[name], budget) for name in self.params.rubrics
        }
        flags = sorted({flag for result in results.values() if result for flag in result.flags})
        findings = []
        if any(result is None for result in results.values()):
            findings.append(reasons.JUDGE_FAILED)
        if STRONG_FLAGS.intersection(flags):
            findings.append(reasons.INJECTION_SUSPECTED)
        metrics = {name: (result.score if result else None) for name, result in results.items()}
        return self.output(findings=findings, injection_flags=",".join(flags), **metrics)
