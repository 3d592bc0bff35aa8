"""Checks by id, in one explicit dict. Values are `module:Class` so that optional capabilities
(test execution, embeddings, ...) are imported only when a recipe uses them; a check whose
module cannot be imported is a missing capability, reported as such, never a silent pass.
"""

from __future__ import annotations

import importlib

from trajsift.checks.base import Check, CheckContext, CheckOutput, Params
from trajsift.checks.global_check import GlobalCheck
from trajsift.errors import ConfigError, UnavailableError

CHECKS: dict[str, str] = {
    # stage 0: integrity (reward hacking), on every row before anything drops
    "integrity.history": "trajsift.checks.integrity_history:HistoryCheck",
    "integrity.tests": "trajsift.checks.integrity_tests:TamperCheck",
    "integrity.grader": "trajsift.checks.integrity_tests:GraderShapingCheck",
    "integrity.hardcode": "trajsift.checks.integrity_hardcode:HardcodeCheck",
    # stage 1: basic filter
    "basic.status": "trajsift.checks.basic:StatusCheck",
    "basic.content": "trajsift.checks.basic:ContentCheck",
    "basic.limits": "trajsift.checks.basic:LimitsCheck",
    # stage 2: correctness
    "correctness.tests": "trajsift.checks.tests:TestsCheck",
    # stage 3: quality scoring
    "quality.completeness": "trajsift.checks.completeness:CompletenessCheck",
    "quality.coherence": "trajsift.checks.coherence:CoherenceCheck",
    "quality.efficiency": "trajsift.checks.efficiency:EfficiencyCheck",
    "quality.evidence": "trajsift.checks.evidence:EvidenceCheck",
    "quality.reference": "trajsift.checks.reference:ReferenceCheck",
    "quality.cohort": "trajsift.checks.cohort:CohortCheck",
    "quality.wording": "trajsift.checks.wording:WordingCheck",
    "quality.relative": "trajsift.checks.relative:RelativeCheck",
    "quality.score": "trajsift.checks.composite:QualityScore",
    "quality.judge": "trajsift.checks.judge:JudgeCheck",
    # stage 4: diversity
    "diversity.exact": "trajsift.checks.exact_dedup:ExactDuplicates",
    "diversity.near": "trajsift.checks.near_dedup:NearDuplicates",
    "diversity.novelty": "trajsift.checks.novelty:Novelty",
    "diversity.sample": "trajsift.checks.stratified:StratifiedSample",
    # stage 5: human review
    "review.sample": "trajsift.checks.review_sample:ReviewSample",
}


class CapabilityMissing(UnavailableError):
    """A check's module is not importable here (extra not installed or not built yet)."""


def load_check_class(check_id: str) -> type[Check]:
    if check_id not in CHECKS:
        raise ConfigError(f"unknown check {check_id!r}; known: {', '.join(sorted(CHECKS))}")
    module_name, _, class_name = CHECKS[check_id].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise CapabilityMissing(f"{check_id}: {module_name} is not available ({exc})") from exc
    return getattr(module, class_name)


__all__ = ["CHECKS", "CapabilityMissing", "Check", "CheckContext", "CheckOutput", "GlobalCheck", "Params"]
