"""Small numeric helpers shared by checks and rewards: ratios, clamping and means that skip unknown values."""

from __future__ import annotations


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator; None when the denominator is 0 (nothing to measure)."""
    return numerator / denominator if denominator else None


def clamp(value: float) -> float:
    """The value bounded to [0, 1]."""
    return max(0.0, min(1.0, value))


def mean_known(values: list[float | None]) -> float | None:
    """Mean of the values that are not None; None when none is known."""
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def weighted_score(values: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """Weighted mean of the known values (None ones and weights <= 0 left out), clamped to [0, 1];
    None when nothing is left."""
    pairs = [(v, weights.get(k, 0.0)) for k, v in values.items() if v is not None and weights.get(k, 0.0) > 0]
    total = sum(w for _, w in pairs)
    return clamp(sum(v * w for v, w in pairs) / total) if total else None
