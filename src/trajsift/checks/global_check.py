"""Checks that need the whole dataset: signature (per shard) -> reduce (global) -> assign (per shard).

Executors know this one shape; a global check never sees more than its own signatures in the
reduce, so it scales to datasets that do not fit in memory as trajectories.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pyarrow as pa

from trajsift.checks.base import Check, CheckContext, CheckOutput, P, Scores
from trajsift.schema import Trajectory


class GlobalCheck(Check[P]):
    """A check over the whole dataset; subclasses name their params model as in `Check`: `GlobalCheck[MyParams]`."""

    signature_columns: ClassVar[dict[str, pa.DataType]] = {}
    """Signature name -> Arrow type; stored as `_sig.<id>.<name>` between phases."""

    def sig_col(self, name: str) -> str:
        return f"_sig.{self.id}.{name}"

    @classmethod
    def signature_types(cls) -> dict[str, pa.DataType]:
        return {f"_sig.{cls.id}.{name}": dtype for name, dtype in cls.signature_columns.items()}

    def signature(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> dict[str, Any]:
        """Small per-row data the reduce needs (names from `signature_columns`)."""
        raise NotImplementedError

    def reduce(self, signatures: pa.Table) -> Any:
        """Global state from every live row's signature (`trajectory_id` + `_sig.*` columns).

        Must be JSON-serialisable: it is written to disk so a resumed run need not reduce again."""
        raise NotImplementedError

    def assign(self, traj_id: str, signature: dict[str, Any], scores: Scores, state: Any) -> CheckOutput:
        """This row's columns and findings, given the global state."""
        raise NotImplementedError

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        return CheckOutput()
