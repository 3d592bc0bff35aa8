"""`quality.coherence`: does each action follow from what the agent saw and said?

Three families of signals, each its own column:
- action/observation consistency: acting on a file an observation said is missing, moving on from a
  failed command or edit as if nothing happened, re-running the same failing command unchanged;
- logical progression: edits of files seen before (read, searched or mentioned), thoughts whose stated
  next move matches the action taken, switches to files nothing pointed at;
- backtracking: reverted edits, A-B-A-B oscillation and stuck loops (the same action getting the same
  observation again and again -> `stuck_loop`).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import pyarrow as pa

from trajsift import reasons
from trajsift.checks.base import Check, CheckContext, CheckOutput, Params, Scores
from trajsift.facts import steps as st
from trajsift.facts.coherence import LOOP_REPEATS, STUCK_REPEATS, measure
from trajsift.facts.scoring import clamp, mean_known, weighted_score
from trajsift.schema import Trajectory


class CoherenceParams(Params):
    stuck_repeats: int = STUCK_REPEATS
    """A trajectory that ends in a loop (the same action, or a cycle of up to 3 actions, getting the same
    observation) repeated this many times is stuck."""
    loop_repeats: int = LOOP_REPEATS
    """A loop repeated this many times anywhere in the trajectory is stuck even if the agent got out of it."""
    weights: dict[str, float] = {"consistency": 0.5, "progression": 0.5, "backtrack": 0.5, "drift": 1.0}
    """Weights in `score` of consistency, progression, backtracking and drift (thoughts growing longer: a
    struggling agent deliberates more and more; 1 at no growth, 0 at 4x)."""
    stuck_penalty: float = 0.5
    """Factor applied to the score of a stuck trajectory."""


class CoherenceCheck(Check[CoherenceParams]):
    id = "quality.coherence"
    description = "Actions follow observations and stated plans; little backtracking, no stuck loops."
    columns: ClassVar[dict[str, pa.DataType]] = {
        "score": pa.float64(),
        "acted_on_missing_file": pa.int32(),
        "ignored_errors": pa.int32(),
        "repeated_failing_commands": pa.int32(),
        "read_before_edit": pa.float64(),
        "plan_action_match": pa.float64(),
        "unexplained_switches": pa.int32(),
        "reverted_edits": pa.int32(),
        "oscillations": pa.int32(),
        "backtrack_ratio": pa.float64(),
        "longest_loop": pa.int32(),
        "thought_growth": pa.float64(),
    }

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        params = self.params
        metrics, stuck = measure(traj, params.stuck_repeats, params.loop_repeats)
        findings = [
            code
            for flagged, code in (
                (metrics["acted_on_missing_file"], reasons.ACTED_ON_MISSING_FILE),
                (metrics["ignored_errors"], reasons.IGNORED_ERROR),
                (metrics["repeated_failing_commands"], reasons.REPEATED_FAILING_COMMAND),
                (metrics["read_before_edit"] not in (None, 1.0), reasons.EDIT_WITHOUT_CONTEXT),
                (metrics["oscillations"], reasons.OSCILLATION),
                (stuck, reasons.STUCK_LOOP),
            )
            if flagged
        ]
        score = weighted_score(families(metrics, traj), params.weights)
        if score is not None and stuck:
            score *= params.stuck_penalty
        return self.output(findings=findings, score=score, **metrics)


def families(metrics: dict[str, Any], traj: Trajectory) -> dict[str, float | None]:
    """The four parts of `score`, each in [0, 1] (None when there is nothing to judge)."""
    actions = len(st.acting(traj.steps))
    slips = metrics["acted_on_missing_file"] + metrics["ignored_errors"] + metrics["repeated_failing_commands"]
    switches = metrics["unexplained_switches"]
    growth = metrics["thought_growth"]
    return {
        "consistency": 1.0 - min(1.0, 2.0 * slips / actions) if actions else None,
        "progression": mean_known(
            [
                metrics["read_before_edit"],
                metrics["plan_action_match"],
                1.0 - min(1.0, 2.0 * switches / actions) if actions else None,
            ]
        ),
        "backtrack": 1.0 - metrics["backtrack_ratio"],
        "drift": None if growth is None else clamp(1.0 - math.log2(max(growth, 1.0)) / 2.0),
    }
