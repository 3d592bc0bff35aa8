"""A stage groups checks and rules. It annotates rows and records a decision; it never drops.

Per shard: `annotate` runs the checks (and global checks' signatures). If the stage is global
(global checks or `top_fraction` rules), the executor then runs `reduce` over every shard's
signatures and `assign` per shard; otherwise `decide` runs right after `annotate`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from trajsift.annotations import Annotation
from trajsift.checks.base import Check, CheckContext, CheckOutput
from trajsift.checks.global_check import GlobalCheck
from trajsift.rules.base import Row, Rule, RuleResult
from trajsift.rules.leaves import TopFractionRule, group_key, reduce_top_fraction
from trajsift.rundir import Decision
from trajsift.schema import Trajectory

STAGE_ERROR = "check_error"


@dataclass
class Stage:
    name: str
    checks: list[Check] = field(default_factory=list)
    keep: Rule | None = None
    """Rows failing this rule are dropped with its reasons (unknown -> review)."""
    review: Rule | None = None
    """Rows passing `keep` but failing this rule go to human review."""
    skip_dropped: bool = True
    skipped: str = ""
    """Why the stage does not run (capability missing, no inputs); empty when it runs."""

    @property
    def global_checks(self) -> list[GlobalCheck]:
        return [c for c in self.checks if isinstance(c, GlobalCheck)]

    @property
    def global_rules(self) -> list[TopFractionRule]:
        leaves = [leaf for rule in (self.keep, self.review) if rule for leaf in rule.global_leaves()]
        return [leaf for leaf in leaves if isinstance(leaf, TopFractionRule)]

    @property
    def is_global(self) -> bool:
        return bool(self.global_checks or self.global_rules)

    def column_types(self) -> dict[str, pa.DataType]:
        types: dict[str, pa.DataType] = {}
        for check in self.checks:
            types.update(check.column_types())
        return types

    def signature_types(self) -> dict[str, pa.DataType]:
        types: dict[str, pa.DataType] = {}
        for check in self.global_checks:
            types.update(check.signature_types())
        return types

    def live(self, row: Annotation) -> bool:
        return not (self.skip_dropped and row.decision == Decision.DROP)

    def annotate(self, trajs: list[Trajectory], rows: list[Annotation], ctx: CheckContext) -> list[dict[str, Any]]:
        """Run the checks on live rows; return each row's global signatures ({} if none)."""
        live = [i for i, row in enumerate(rows) if self.live(row)]
        batch = [trajs[i] for i in live]
        for check in self.checks:
            outputs = _run_guarded(check, batch, ctx, [rows[i].columns() for i in live])
            for i, out in zip(live, outputs, strict=True):
                _merge(rows[i], out, self.name)
        signatures: list[dict[str, Any]] = [{} for _ in rows]
        for check in self.global_checks:
            for i in live:
                signatures[i].update(_signature_guarded(check, trajs[i], ctx, rows[i]))
        return signatures

    def reduce(self, signatures: pa.Table) -> dict[str, Any]:
        """Global state for this stage from the live rows' signatures and rule columns."""
        return self.reduce_from(signatures.select)

    def reduce_columns(self, check: GlobalCheck) -> list[str]:
        """The signature columns `check`'s reduce is given: the id, its own signatures and the rules' columns."""
        return list(dict.fromkeys(["trajectory_id", *check.signature_types(), *sorted(self.rule_columns())]))

    def reduce_from(self, load: Callable[[list[str]], pa.Table]) -> dict[str, Any]:
        """`reduce`, each check given only the columns it may read (`load(names)`: the signatures' table of
        those columns), so no two checks' signatures need to be in memory at once."""
        state: dict[str, Any] = {}
        for check in self.global_checks:
            state[check.id] = check.reduce(load(self.reduce_columns(check)))
        if self.global_rules:
            signatures = load(["trajectory_id", *sorted(self.rule_columns())])
            data = signatures.to_pydict()
            for leaf in self.global_rules:
                keys = [group_key(leaf, {c: data[c][i] for c in leaf.by}) for i in range(signatures.num_rows)]
                rows = zip(keys, data["trajectory_id"], data[leaf.column], strict=True)
                state[leaf.key] = reduce_top_fraction(leaf, list(rows))
        return state

    def assign(self, rows: list[Annotation], signatures: list[dict[str, Any]], state: dict[str, Any]) -> None:
        for check in self.global_checks:
            for row, sig in zip(rows, signatures, strict=True):
                if self.live(row):
                    _merge(row, check.assign(row.id, sig, row.columns(), state[check.id]), self.name)
        self.decide(rows, state)

    def decide(self, rows: list[Annotation], state: dict[str, Any] | None = None) -> None:
        for row in rows:
            if self.live(row):
                _apply(row, self, state or {})

    def rule_columns(self) -> set[str]:
        return set().union(*(leaf.columns() for leaf in self.global_rules)) if self.global_rules else set()


def _apply(row: Annotation, stage: Stage, state: dict[str, Any]) -> None:
    findings = [f.split(":", 1)[1] for f in row.findings if f.startswith(stage.name + ":")]
    view = Row(id=row.id, columns=row.columns(), findings=findings)
    keep = stage.keep.evaluate(view, state) if stage.keep else RuleResult(True)
    if keep.passed is False:
        row.decision, row.reasons, row.decided_by = Decision.DROP.value, list(keep.reasons), stage.name
        return
    if keep.passed is None:
        _to_review(row, stage.name, keep.reasons)
        return
    review = stage.review.evaluate(view, state) if stage.review else RuleResult(True)
    if review.passed is not True:
        _to_review(row, stage.name, review.reasons)


def _to_review(row: Annotation, stage: str, reasons: tuple[str, ...]) -> None:
    if row.decision == Decision.KEEP:
        row.decision, row.decided_by = Decision.REVIEW.value, stage
    row.reasons = list(dict.fromkeys([*row.reasons, *reasons]))


def _merge(row: Annotation, out: CheckOutput, stage: str) -> None:
    row.scores.update(out.scores)
    row.findings.extend(f"{stage}:{code}" for code in out.findings)
    if out.error:
        row.errors.append(out.error)


def _run_guarded(check: Check, batch: list[Trajectory], ctx: CheckContext, scores: list) -> list[CheckOutput]:
    """Run a check on a batch; if it fails, rerun row by row so one bad row cannot sink the rest."""
    try:
        return check.run(batch, ctx, scores)
    except Exception:  # noqa: BLE001 - isolate the failing rows below
        pass
    outputs = []
    for traj, row_scores in zip(batch, scores, strict=True):
        try:
            outputs.append(check.run([traj], ctx, [row_scores])[0])
        except Exception as exc:  # noqa: BLE001 - recorded as a per-row error, never raised
            error = f"{check.id}: {type(exc).__name__}: {exc}"[:500]
            outputs.append(CheckOutput(findings=[STAGE_ERROR], error=error))
    return outputs


def _signature_guarded(check: GlobalCheck, traj: Trajectory, ctx: CheckContext, row: Annotation) -> dict[str, Any]:
    try:
        return {check.sig_col(k): v for k, v in check.signature(traj, ctx, row.columns()).items()}
    except Exception as exc:  # noqa: BLE001
        row.errors.append(f"{check.id}.signature: {type(exc).__name__}: {exc}"[:500])
        return {}
