"""Build the ordered stages of a run from a recipe; stages that cannot run say why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from trajsift.checks import CapabilityMissing, load_check_class
from trajsift.checks.base import Check
from trajsift.config import LLMSpec, Recipe, StageSpec
from trajsift.errors import ConfigError, UnavailableError
from trajsift.rules.tree import compile_rule
from trajsift.stages import Stage
from trajsift.tasks import Task


@dataclass
class Pipeline:
    stages: list[Stage] = field(default_factory=list)

    @property
    def active(self) -> list[Stage]:
        return [s for s in self.stages if not s.skipped]

    def preflight(self, required: bool = True) -> list[str]:
        """What keeps an active check from working here, one line each. With `required` (the recipe's
        `correctness: required`) any such problem stops the run before it starts: never a quiet pass."""
        problems = [
            f"stage {stage.name} ({check.id}): {p.strip()}"
            for stage in self.active
            for check in stage.checks
            if (p := check.preflight())
        ]
        if problems and required:
            raise UnavailableError(
                "; ".join(problems) + ". Fix this, or run with correctness=optional to go on with `unknown` "
                "verdicts (counted in the funnel, alerted on)"
            )
        return problems

    def column_types(self) -> dict[str, pa.DataType]:
        types: dict[str, pa.DataType] = {}
        for stage in self.active:
            types.update(stage.column_types())
        return types


MISSING = {
    "tasks": "no tasks given ({check} needs a task file: --tasks or recipe `tasks:`)",
    "llm": "no LLM configured ({check} needs an endpoint: recipe `llm:` section)",
}
"""Why a stage is skipped when one of its checks `requires` an input the run does not have."""


def build_pipeline(recipe: Recipe, tasks: Mapping[str, Task] | None = None) -> Pipeline:
    names = [spec.name for spec in recipe.stages]
    if len(set(names)) != len(names):
        raise ConfigError(f"stage names must be unique: {names}")
    return Pipeline(stages=[build_stage(spec, tasks or {}, recipe.llm) for spec in recipe.stages])


def build_stage(spec: StageSpec, tasks: Mapping[str, Task], llm: LLMSpec | None = None) -> Stage:
    keep = compile_rule(spec.keep, f"{spec.name}.keep") if spec.keep else None
    review = compile_rule(spec.review, f"{spec.name}.review") if spec.review else None
    stage = Stage(name=spec.name, keep=keep, review=review, skip_dropped=spec.skip_dropped)
    if not spec.enabled:
        stage.skipped = "disabled in the recipe"
        return stage
    for check_spec in spec.checks:
        try:
            cls = load_check_class(check_spec.id)
        except CapabilityMissing as exc:
            stage.skipped = f"capability not installed: {exc}"
            return stage
        available = {"tasks": bool(tasks), "llm": llm is not None}
        if missing := [need for need in cls.requires if not available.get(need, True)]:
            stage.skipped = MISSING[missing[0]].format(check=check_spec.id)
            return stage
        inputs = {"llm": llm} if "llm" in cls.requires else {}
        stage.checks.append(_instantiate(cls, check_spec.params, f"{spec.name}.{check_spec.id}", inputs))
    return stage


def _instantiate(cls: type[Check], params: dict, where: str, inputs: dict[str, Any]) -> Check:
    """The check with its params and the run inputs its `requires` names as keywords (`llm`)."""
    try:
        return cls(params, **inputs)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"check {where} params: {problems}") from exc
