"""Build the quarantined row that stands for one unit of input that did not become a trajectory."""

from __future__ import annotations

from typing import Any

from trajsift.schema import Quarantined

Decoded = tuple[str, Any, Quarantined | None]
"""(origin, decoded record or None, quarantined row or None): one step of decoding an input file."""


def quarantine(reason: str, origin: str, detail: str = "", raw: bytes | str = b"") -> Quarantined:
    if isinstance(raw, bytes):
        raw = raw[:200].decode("utf-8", "replace")
    return Quarantined(reason=reason, origin=origin, detail=detail[:500], excerpt=raw[:200])
