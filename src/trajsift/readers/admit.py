"""Admit a trajectory into a run only if every later step can store it.

Readers build records from untrusted values, and some decode fine yet break a later step: integers
beyond ±2^53 (int64 Arrow columns overflow once checks add them up), free-form maps nested deeper
than the JSON encoder allows (the `metadata` and `arguments` JSON columns), text that is not valid
Unicode (surrogates from a file name that is not UTF-8). `inadmissible` checks these once, at read
time, so such a value quarantines its own unit instead of ending the run in a later phase.
"""

from __future__ import annotations

import msgspec

from trajsift import reasons
from trajsift.arrow import to_row
from trajsift.readers.sources.records import quarantine
from trajsift.schema import Quarantined, Trajectory

SAFE_INT = 2**53
"""Integer fields must lie within ±2^53: exact in every JSON consumer, and sums or products of a few
of them (token totals, costs per step) stay inside the int64 score columns."""
_ENCODER = msgspec.json.Encoder()
_admitted: tuple[Trajectory, dict] | None = None
"""The last trajectory `inadmissible` admitted and the Arrow row it built for it (see `admitted_row`)."""


def inadmissible(trajectory: Trajectory, where: str) -> Quarantined | None:
    """None when every later step can store the trajectory, else the quarantined row saying which value cannot."""
    try:
        _ENCODER.encode(trajectory)
    except UnicodeEncodeError as exc:
        return quarantine(reasons.UNENCODABLE_TEXT, where, f"text is not valid Unicode: {exc}")
    except RecursionError:
        return quarantine(reasons.NESTING_TOO_DEEP, where, "a value is nested too deep to encode")
    except Exception as exc:  # noqa: BLE001 - any encoder failure is this unit's, never the run's
        return quarantine(reasons.UNSERIALISABLE, where, f"{type(exc).__name__}: {exc}")
    if field := _int_out_of_range(trajectory):
        return quarantine(reasons.NUMBER_OUT_OF_RANGE, where, f"{field} is beyond ±2^53")
    global _admitted
    try:
        _admitted = None
        _admitted = (trajectory, to_row(trajectory))
    except RecursionError:
        return quarantine(reasons.NESTING_TOO_DEEP, where, "metadata or tool arguments nested too deep to store")
    except Exception as exc:  # noqa: BLE001 - orjson raises TypeError for depth and for numbers it cannot store
        reason = reasons.NESTING_TOO_DEEP if "ecursion" in str(exc) else reasons.UNSERIALISABLE
        return quarantine(reason, where, f"metadata or tool arguments cannot be stored: {type(exc).__name__}: {exc}")
    return None


def admitted_row(trajectory: Trajectory) -> dict:
    """`to_row(trajectory)`: the row `inadmissible` built if `trajectory` is the last one it admitted (a reader
    yields each trajectory right after admitting it), else built now. Hands the held row over once."""
    global _admitted
    held, _admitted = _admitted, None
    return held[1] if held is not None and held[0] is trajectory else to_row(trajectory)


def _int_out_of_range(trajectory: Trajectory) -> str:
    """Name of the first integer field outside ±2^53, or ''."""
    usage = trajectory.usage
    for name in ("input_tokens", "output_tokens", "api_calls"):
        if not _fits(getattr(usage, name)):
            return f"usage.{name}"
    for position, step in enumerate(trajectory.steps):
        if not _fits(step.index):
            return f"steps[{position}].index"
        if not _fits(step.observation.exit_code):
            return f"steps[{position}].observation.exit_code"
    return ""


def _fits(value: int | None) -> bool:
    return value is None or -SAFE_INT <= value <= SAFE_INT
