"""`quality.relative`: per-row evidence read against the run's own cohort (same scaffold + model).

How often an agent runs tests after its edit, ends confidently, hits a limit or hesitates in its reasoning is
partly a habit of the scaffold and the model: a fitted weight on the raw value learns which agent a row came
from as much as whether the run is right. Each column here is the row's value minus the mean of the known
values in its cohort (the input's transform applied first, e.g. `exit_status == submitted` as 0/1): positive
means "more than this agent usually does". Null when the row's value is null. The inputs are
`trajsift.calibration.RELATIVE_INPUTS`; they are computed earlier in the same stage (`quality.evidence`,
`quality.wording`) or before it (`basic_filter`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

import pyarrow as pa

from trajsift.calibration import RELATIVE_INPUTS
from trajsift.checks.base import CheckContext, CheckOutput, Scores
from trajsift.checks.cohort import cohort_of
from trajsift.checks.global_check import GlobalCheck
from trajsift.facts.scoring import mean_known
from trajsift.schema import Trajectory


class RelativeCheck(GlobalCheck):
    id: ClassVar[str] = "quality.relative"
    description: ClassVar[str] = (
        "Evidence columns relative to the run's cohort (value minus the scaffold + model's mean): compare an "
        "agent's run with its own habit, not with another agent's."
    )
    columns: ClassVar[dict[str, pa.DataType]] = {name: pa.float64() for name in RELATIVE_INPUTS}
    signature_columns: ClassVar[dict[str, pa.DataType]] = {
        "cohort": pa.string(),
        **{name: pa.float64() for name in RELATIVE_INPUTS},
    }

    def signature(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> dict[str, Any]:
        return {"cohort": cohort_of(traj), **{name: spec.value(scores) for name, spec in RELATIVE_INPUTS.items()}}

    def reduce(self, signatures: pa.Table) -> dict[str, Any]:
        data = signatures.to_pydict()
        cohorts = data.get(self.sig_col("cohort"), [])
        members: dict[str, list[int]] = defaultdict(list)
        for i, cohort in enumerate(cohorts):
            members[cohort or ""].append(i)
        means = {
            cohort: {name: mean_known([data[self.sig_col(name)][i] for i in rows]) for name in RELATIVE_INPUTS}
            for cohort, rows in members.items()
        }
        return {"means": means}

    def assign(self, traj_id: str, signature: dict[str, Any], scores: Scores, state: Any) -> CheckOutput:
        means = state["means"].get(signature.get(self.sig_col("cohort")) or "", {})
        values = {}
        for name in RELATIVE_INPUTS:
            value, mean = signature.get(self.sig_col(name)), means.get(name)
            values[name] = None if value is None or mean is None else value - mean
        return self.output(**values)
