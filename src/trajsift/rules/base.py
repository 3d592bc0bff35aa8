"""What every rule node shares: the row it reads, the verdict it gives, and the `Rule` interface."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, PrivateAttr

LEAVES = ("min", "max", "equals", "in", "no_findings", "top_fraction")
GROUPS = ("all", "any", "not")


@dataclass(frozen=True)
class RuleResult:
    """One rule node's answer for a row: passed (None when it cannot tell, e.g. a missing column) and why not."""

    passed: bool | None
    reasons: tuple[str, ...] = ()


@dataclass
class Row:
    """What a rule sees of one row: its columns (scores and metadata) and this stage's findings."""

    id: str
    columns: Mapping[str, Any]
    findings: list[str] = field(default_factory=list)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class Rule(Strict):
    """One node of a rule tree; `key` is its position (`stage.keep.0.min`), naming a global leaf's state."""

    op: ClassVar[str]
    reason: str = ""
    _key: str = PrivateAttr("")

    @property
    def key(self) -> str:
        return self._key

    @property
    def children(self) -> tuple[Rule, ...]:
        return ()

    def evaluate(self, row: Row, state: Mapping[str, Any]) -> RuleResult:
        raise NotImplementedError

    def global_leaves(self) -> list[Rule]:
        """The leaves that need a reduce over the whole dataset (`top_fraction`)."""
        return [leaf for child in self.children for leaf in child.global_leaves()]

    def columns(self) -> set[str]:
        """Columns this rule reads (for the reduce phase and validation)."""
        return set().union(*(child.columns() for child in self.children))

    def _place(self, key: str) -> None:
        self._key = key


def missing(value: Any) -> bool:
    """No value to judge: absent, None or NaN (a score a check could not compute)."""
    return value is None or (isinstance(value, float) and math.isnan(value))
