"""Group rules (`all`, `any`, `not`), the tagged union of every node, and `compile_rule`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import Discriminator, Field, Tag, TypeAdapter, ValidationError

from trajsift.errors import ConfigError
from trajsift.rules.base import GROUPS, LEAVES, Row, Rule, RuleResult
from trajsift.rules.leaves import EqualsRule, InRule, MaxRule, MinRule, NoFindingsRule, TopFractionRule


class _GroupRule(Rule):
    """`all` / `any`: three-valued over the children; fails with `reason` or the children's reasons."""

    def evaluate(self, row: Row, state: Mapping[str, Any]) -> RuleResult:
        verdicts = [child.evaluate(row, state) for child in self.children]
        passed = self._combine([v.passed for v in verdicts])
        return _group_verdict(self, passed, verdicts)

    def _combine(self, values: list[bool | None]) -> bool | None:
        raise NotImplementedError

    def _place(self, key: str) -> None:
        self._key = key
        for i, child in enumerate(self.children):
            child._place(f"{key}.{i}")


class AllRule(_GroupRule):
    op: ClassVar[str] = "all"
    all: list[RuleSpec] = Field(min_length=1)

    @property
    def children(self) -> tuple[Rule, ...]:
        return tuple(self.all)

    def _combine(self, values: list[bool | None]) -> bool | None:
        return False if False in values else (None if None in values else True)


class AnyRule(_GroupRule):
    op: ClassVar[str] = "any"
    any: list[RuleSpec] = Field(min_length=1)

    @property
    def children(self) -> tuple[Rule, ...]:
        return tuple(self.any)

    def _combine(self, values: list[bool | None]) -> bool | None:
        return True if True in values else (None if None in values else False)


class NotRule(Rule):
    op: ClassVar[str] = "not"
    not_: RuleSpec = Field(alias="not")
    reason: str = Field(min_length=1, description="required: the reason code when the inner rule passes")

    @property
    def children(self) -> tuple[Rule, ...]:
        return (self.not_,)

    def evaluate(self, row: Row, state: Mapping[str, Any]) -> RuleResult:
        inner = self.not_.evaluate(row, state).passed
        return RuleResult(None if inner is None else not inner, () if inner is False else (self.reason,))

    def _place(self, key: str) -> None:
        self._key = key
        self.not_._place(f"{key}.not")


def _group_verdict(rule: Rule, passed: bool | None, verdicts: list[RuleResult]) -> RuleResult:
    failed = tuple(dict.fromkeys(r for v in verdicts if v.passed is not True for r in v.reasons))
    return RuleResult(passed, () if passed else ((rule.reason,) if rule.reason else failed))


def _operator(spec: Any) -> str | None:
    """The one operator key of a rule node, or None when there is not exactly one known operator."""
    if isinstance(spec, Rule):
        return spec.op
    ops = [key for key in spec if key != "reason"] if isinstance(spec, dict) else []
    return ops[0] if len(ops) == 1 and ops[0] in LEAVES + GROUPS else None


RuleSpec = Annotated[
    Annotated[MinRule, Tag("min")]
    | Annotated[MaxRule, Tag("max")]
    | Annotated[EqualsRule, Tag("equals")]
    | Annotated[InRule, Tag("in")]
    | Annotated[NoFindingsRule, Tag("no_findings")]
    | Annotated[TopFractionRule, Tag("top_fraction")]
    | Annotated[AllRule, Tag("all")]
    | Annotated[AnyRule, Tag("any")]
    | Annotated[NotRule, Tag("not")],
    Discriminator(
        _operator,
        custom_error_type="rule_operator",
        custom_error_message=f"needs exactly one of {', '.join(LEAVES + GROUPS)} (plus an optional reason)",
    ),
]
for _node in (AllRule, AnyRule, NotRule):
    _node.model_rebuild()
_ADAPTER: TypeAdapter[Rule] = TypeAdapter(RuleSpec)


def compile_rule(spec: Any, key: str = "r") -> Rule:
    """Validate a rule spec and build the tree; raises `ConfigError` naming the bad node."""
    try:
        rule = _ADAPTER.validate_python(spec)
    except ValidationError as exc:
        raise ConfigError(f"rule {key}: {_describe(exc)}") from exc
    rule._place(key)
    return rule


def _describe(exc: ValidationError) -> str:
    """Pydantic's errors with the node path (`all.0.min.value`), the union tag not repeated."""
    parts = []
    for error in exc.errors():
        path = [str(p) for p in error["loc"]]
        where = ".".join(p for i, p in enumerate(path) if i == 0 or p != path[i - 1])
        message = error["msg"]
        if error["type"] == "rule_operator":
            given = error["input"]
            message += f"; got {sorted(map(str, given)) if isinstance(given, dict) else type(given).__name__}"
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)
