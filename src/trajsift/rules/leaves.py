"""Leaf rules: one column compared to a value (`min`, `max`, `equals`, `in`), the stage's findings
(`no_findings`), or a group's top fraction (`top_fraction`, global: its cut-offs come from a reduce)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from trajsift.rules.base import Row, Rule, RuleResult, Strict, missing


class Threshold(Strict):
    column: str
    value: Any


class Membership(Strict):
    column: str
    values: list[Any]


class FindingsFilter(Strict):
    ignore: list[str] = Field(default_factory=list)
    only: list[str] = Field(default_factory=list)
    """When set, only these finding codes fail the rule."""


class TopFraction(Strict):
    column: str
    fraction: float = Field(gt=0, le=1)
    by: list[str] = Field(default_factory=list)
    """Group columns: the top fraction is taken within each group."""


class _ColumnRule(Rule):
    """A leaf that reads one column: unknown when it is missing, else `_passes` decides."""

    default_suffix: ClassVar[str]

    @property
    def column(self) -> str:
        return getattr(self, self.op).column

    def columns(self) -> set[str]:
        return {self.column}

    def failure_reason(self) -> str:
        return self.reason or f"{self.column.replace('.', '_')}_{self.default_suffix}"

    def evaluate(self, row: Row, state: Mapping[str, Any]) -> RuleResult:
        value = row.columns.get(self.column)
        if missing(value):
            return RuleResult(None, (f"missing_{self.column.replace('.', '_')}",))
        return self._judge(value, row, state)

    def _judge(self, value: Any, row: Row, state: Mapping[str, Any]) -> RuleResult:
        passed = bool(self._passes(value))
        return RuleResult(passed, () if passed else (self.failure_reason(),))

    def _passes(self, value: Any) -> bool:
        raise NotImplementedError

    def _place(self, key: str) -> None:
        self._key = f"{key}.{self.op}"


class MinRule(_ColumnRule):
    op: ClassVar[str] = "min"
    default_suffix: ClassVar[str] = "too_low"
    min: Threshold

    def _passes(self, value: Any) -> bool:
        return value >= self.min.value


class MaxRule(_ColumnRule):
    op: ClassVar[str] = "max"
    default_suffix: ClassVar[str] = "too_high"
    max: Threshold

    def _passes(self, value: Any) -> bool:
        return value <= self.max.value


class EqualsRule(_ColumnRule):
    op: ClassVar[str] = "equals"
    default_suffix: ClassVar[str] = "mismatch"
    equals: Threshold

    def _passes(self, value: Any) -> bool:
        return value == self.equals.value


class InRule(_ColumnRule):
    op: ClassVar[str] = "in"
    default_suffix: ClassVar[str] = "not_allowed"
    in_: Membership = Field(alias="in")

    @property
    def column(self) -> str:
        return self.in_.column

    def _passes(self, value: Any) -> bool:
        return value in self.in_.values


class TopFractionRule(_ColumnRule):
    """Global: the reduce phase finds each group's cut-off (`reduce_top_fraction`), rows then compare to it."""

    op: ClassVar[str] = "top_fraction"
    default_suffix: ClassVar[str] = "below_top_fraction"
    top_fraction: TopFraction

    @property
    def by(self) -> list[str]:
        return self.top_fraction.by

    def columns(self) -> set[str]:
        return {self.column, *self.by}

    def global_leaves(self) -> list[Rule]:
        return [self]

    def _judge(self, value: Any, row: Row, state: Mapping[str, Any]) -> RuleResult:
        cutoff = state.get(self.key, {}).get(group_key(self, row.columns))
        if cutoff is None:
            return RuleResult(None, ("top_fraction_not_reduced",))
        passed = (-value, row.id) <= (-cutoff[0], cutoff[1])
        return RuleResult(passed, () if passed else (self.failure_reason(),))


class NoFindingsRule(Rule):
    """Fails with the stage's finding codes (or `reason` when one is given)."""

    op: ClassVar[str] = "no_findings"
    no_findings: FindingsFilter | None = None

    def evaluate(self, row: Row, state: Mapping[str, Any]) -> RuleResult:
        wanted = self.no_findings or FindingsFilter()
        only, ignore = set(wanted.only), set(wanted.ignore)
        found = [f for f in row.findings if f not in ignore and (not only or f in only)]
        if not found:
            return RuleResult(True)
        return RuleResult(False, (self.reason,) if self.reason else tuple(dict.fromkeys(found)))

    def _place(self, key: str) -> None:
        self._key = f"{key}.{self.op}"


# --- top_fraction: the global part (reduce -> cut-off per group; assign -> compare) ---------


def group_key(rule: TopFractionRule, columns: Mapping[str, Any]) -> str:
    return "\x1f".join(str(columns.get(col, "")) for col in rule.by)


def reduce_top_fraction(rule: TopFractionRule, rows: list[tuple[str, str, float | None]]) -> dict[str, list[Any]]:
    """rows: (group, trajectory id, value). Returns group -> cut-off `[value, id]` (inclusive).

    Ranking is by value descending, then id ascending, so ties break deterministically."""
    by_group: dict[str, list[tuple[float, str]]] = {}
    for group, traj_id, value in rows:
        if not missing(value):
            by_group.setdefault(group, []).append((-value, traj_id))  # type: ignore[operator]
    cutoffs: dict[str, list[Any]] = {}
    for group, ranked in by_group.items():
        ranked.sort()
        keep = max(1, math.ceil(rule.top_fraction.fraction * len(ranked)))
        neg_value, traj_id = ranked[keep - 1]
        cutoffs[group] = [-neg_value, traj_id]
    return cutoffs
