"""Structured output: the LAST verdict-shaped JSON object in the model's answer decides.

Anything verdict-like a trajectory smuggles into the answer (an echo, a quote) comes before the
model's own final verdict; an out-of-range or malformed final verdict is rejected (no fallback to
an earlier object, which could be an echo).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError

MAX_ANSWER_CHARS = 50_000
_DECODER = json.JSONDecoder(parse_constant=lambda name: _reject(name))


def _reject(name: str) -> Any:
    raise ValueError(f"{name} is not a valid score")


class JudgeAnswer(BaseModel):
    """The judge model's final score object for one rubric."""

    model_config = ConfigDict(extra="ignore")
    score: StrictInt | StrictFloat = Field(ge=0, le=10, allow_inf_nan=False)
    """0 (worst) to 10 (best)."""
    rationale: str = ""


def json_objects(text: str) -> list[tuple[int, int, dict[str, Any]]]:
    """Every JSON object in the text as (start, end, object), nested ones included."""
    found = []
    start = text.find("{")
    while start != -1:
        try:
            obj, end = _DECODER.raw_decode(text, start)
        except ValueError:
            obj, end = None, 0
        if isinstance(obj, dict):
            found.append((start, end, obj))
        start = text.find("{", start + 1)
    return found


def last_verdict(answer: str) -> JudgeAnswer | None:
    """The verdict object ending last (outermost on ties), validated; None when absent or invalid."""
    text = answer[-MAX_ANSWER_CHARS:]
    candidates = [(end, -start, obj) for start, end, obj in json_objects(text) if "score" in obj]
    if not candidates:
        return None
    _, _, obj = max(candidates, key=lambda c: (c[0], c[1]))
    try:
        return JudgeAnswer.model_validate(obj)
    except ValidationError:
        return None
