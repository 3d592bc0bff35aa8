"""The outcome of one verification: a verdict kind, why, how sure, the test counts and bounded evidence.

Kinds: `correct` (every FAIL_TO_PASS and PASS_TO_PASS test passed), `partially_correct` (some FAIL_TO_PASS
passed, none regressed), `incorrect` (tests fail, the patch does not apply, tampers with the tests, or breaks
the build/resources where the reference patch does not) and `unknown` (nothing could be judged: no task, no
patch, environment or sandbox problems, an invalid task). Unknown is never a quality rejection.
`confidence` is how sure the verdict is, in [0, 1]; None for unknown.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

CORRECT = "correct"
PARTIALLY_CORRECT = "partially_correct"
INCORRECT = "incorrect"
UNKNOWN = "unknown"
KINDS = (CORRECT, PARTIALLY_CORRECT, INCORRECT, UNKNOWN)

MAX_NAMES = 20
MAX_TEXT = 2_000
MAX_EVIDENCE_BYTES = 8_000


@dataclass(frozen=True)
class Verdict:
    kind: str
    reason: str = ""
    confidence: float | None = None
    f2p_passed: int = 0
    f2p_failed: int = 0
    p2p_passed: int = 0
    p2p_failed: int = 0
    static: dict[str, Any] = field(default_factory=dict)
    """`new_syntax_errors`, `new_lint_errors` (None when not measured)."""
    reference: dict[str, Any] = field(default_factory=dict)
    """`files_jaccard`, `hunk_locality`, `diff_similarity`, `edit_size_ratio` (None when not comparable)."""
    evidence: dict[str, Any] = field(default_factory=dict)
    """Failing/missing/flaky test names, log excerpt, sandbox verdict, details; bounded by `bounded_evidence`."""
    duration_s: float = 0.0
    cached: bool = False

    @property
    def is_judged(self) -> bool:
        return self.kind != UNKNOWN

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("cached")
        return json.dumps(data, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> Verdict:
        data = json.loads(text)
        return cls(**{key: value for key, value in data.items() if key in cls.__dataclass_fields__})

    def with_(self, **changes: Any) -> Verdict:
        return replace(self, **changes)


def correct(confidence: float, **fields: Any) -> Verdict:
    fields["evidence"] = bounded_evidence(fields.get("evidence"))
    return Verdict(CORRECT, confidence=_clamp(confidence), **fields)


def partially_correct(passed: int, failed: int, confidence: float, **fields: Any) -> Verdict:
    fields["evidence"] = bounded_evidence(fields.get("evidence"))
    return Verdict(PARTIALLY_CORRECT, confidence=_clamp(confidence), f2p_passed=passed, f2p_failed=failed, **fields)


def incorrect(reason: str, evidence: dict[str, Any] | None = None, confidence: float = 0.95, **fields: Any) -> Verdict:
    return Verdict(
        INCORRECT, reason=reason, confidence=_clamp(confidence), evidence=bounded_evidence(evidence), **fields
    )


def unknown(reason: str, detail: str = "", **fields: Any) -> Verdict:
    evidence = dict(fields.pop("evidence", None) or {})
    if detail:
        evidence["detail"] = detail
    evidence = bounded_evidence(evidence)
    return Verdict(UNKNOWN, reason=reason, evidence=evidence, **fields)


def _clamp(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)


def bounded_evidence(evidence: dict[str, Any] | None) -> dict[str, Any]:
    """Lists cut to MAX_NAMES (with a `<key>_total` count), strings to MAX_TEXT (log excerpts keep the tail),
    and the whole JSON under MAX_EVIDENCE_BYTES (the log excerpt shrinks first)."""
    if not evidence:
        return {}
    bounded: dict[str, Any] = {}
    for key, value in evidence.items():
        if isinstance(value, (list, tuple)):
            bounded[key] = [str(item)[:300] for item in value[:MAX_NAMES]]
            if len(value) > MAX_NAMES:
                bounded[f"{key}_total"] = len(value)
        elif isinstance(value, str):
            bounded[key] = value if len(value) <= MAX_TEXT else "..." + value[-MAX_TEXT:]
        else:
            bounded[key] = value
    while len(json.dumps(bounded, default=str)) > MAX_EVIDENCE_BYTES:
        largest = max((k for k in bounded if isinstance(bounded[k], (str, list))), key=lambda k: len(str(bounded[k])))
        value = bounded[largest]
        bounded[largest] = value[len(value) // 2 :] if isinstance(value, str) else value[: len(value) // 2]
    return bounded
