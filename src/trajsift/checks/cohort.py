"""`quality.cohort`: counts read against the run's own cohort, and agreement between runs of one task.

Steps, tokens, cost, observation volume and the size of the change (lines, files) depend on the scaffold
and the model: an absolute threshold tuned on one agent inverts on another. Here each is a mid-rank
percentile within the cohort (same scaffold + model), so 0.9 means "longer than 90 % of this agent's runs",
whatever the agent. Runs of one task (k rollouts, or several agents) also say something about each other:
- `task_steps_pct`: the mean steps percentile of the *other* runs of the task (how hard the task looked to
  them; null when the run is alone).
- `steps_task_pct`: the steps percentile among the same cohort's runs of the same task (null below 2 runs).
- `agreement`: mean Jaccard overlap of the changed-file set with the other runs' sets;
  `removed_line_agreement` / `added_line_agreement`: the same over the removed / added lines (whitespace
  normalised): runs that change the same code as the others are more often right; `same_patch_share`: share
  of the other runs with the same normalised patch. Null when the run is alone on its task.
"""

from __future__ import annotations

import bisect
import posixpath
import zlib
from collections import defaultdict
from typing import Any, ClassVar

import pyarrow as pa

from trajsift.checks.base import CheckContext, CheckOutput, Scores
from trajsift.checks.exact_dedup import patch_hash
from trajsift.checks.global_check import GlobalCheck
from trajsift.facts import steps as st
from trajsift.facts.changes import changes
from trajsift.facts.scoring import mean_known
from trajsift.schema import Trajectory

METRICS = ("steps", "tokens", "cost", "observation_chars", "changed_lines", "changed_files")
OUTPUTS = (
    "steps_pct",
    "tokens_pct",
    "cost_pct",
    "observation_pct",
    "changed_lines_pct",
    "changed_files_pct",
    "task_steps_pct",
    "steps_task_pct",
    "agreement",
    "removed_line_agreement",
    "added_line_agreement",
    "same_patch_share",
    "task_runs",
)
MAX_LINES = 500


def cohort_of(traj: Trajectory) -> str:
    """Scaffold + model (a leading `@` on the model name, as some configs write it, is not a new model). A
    record that names no scaffold (a generic chat format) stands with the runs read from the same place
    instead: one agent's export is one file or folder, and a mix of agents in one cohort compares apples
    with pears (with no model named either, every chat run would be one cohort)."""
    source = traj.source
    scaffold = source.scaffold or f"{source.format}@{_location(source.path)}"
    return f"{scaffold}|{source.model.strip().lstrip('@')}"


def _location(path: str) -> str:
    """The file a `file:line` row came from; the folder of a file that is one run."""
    file, _, line = path.rpartition(":")
    return file if file and line.isdigit() else posixpath.dirname(path.replace("\\", "/"))


class CohortCheck(GlobalCheck):
    id: ClassVar[str] = "quality.cohort"
    description: ClassVar[str] = (
        "Steps, tokens, cost, observation volume as percentiles within the run's cohort (scaffold + model); "
        "task difficulty seen by the other runs; agreement with the other runs of the task."
    )
    columns: ClassVar[dict[str, pa.DataType]] = {
        **{name: pa.float64() for name in OUTPUTS[:-1]},
        "task_runs": pa.int32(),
    }
    signature_columns: ClassVar[dict[str, pa.DataType]] = {
        "cohort": pa.string(),
        "task": pa.string(),
        **{name: pa.float64() for name in METRICS},
        "files": pa.list_(pa.string()),
        "removed": pa.list_(pa.int64()),
        "added": pa.list_(pa.int64()),
        "patch": pa.string(),
    }

    def signature(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> dict[str, Any]:
        tokens = st.total_tokens(traj.usage)
        change = changes(traj)
        return {
            "cohort": cohort_of(traj),
            "task": traj.task.task_id,
            "steps": float(len(traj.steps)),
            "tokens": float(tokens) if tokens is not None else None,
            "cost": traj.usage.cost,
            "observation_chars": float(sum(len(step.observation.text) for step in traj.steps)),
            "changed_lines": float(len(change.removed) + len(change.added)),
            "changed_files": float(len(change.files)),
            "files": sorted({st.file_key(path) for path in change.files})[:200],
            "removed": line_hashes(change.removed),
            "added": line_hashes(change.added),
            "patch": patch_hash(traj.final.patch),
        }

    def reduce(self, signatures: pa.Table) -> dict[str, Any]:
        data = signatures.to_pydict()
        ids = data["trajectory_id"]
        cohorts = data[self.sig_col("cohort")]
        pct = {metric: _percentiles(cohorts, data[self.sig_col(metric)]) for metric in METRICS}
        tasks = data[self.sig_col("task")]
        by_task: dict[str, list[int]] = defaultdict(list)
        for i, task in enumerate(tasks):
            if task:
                by_task[task].append(i)
        removed = [set(values or ()) for values in data[self.sig_col("removed")]]
        added = [set(values or ()) for values in data[self.sig_col("added")]]
        rows = {}
        for i, traj_id in enumerate(ids):
            peers = [j for j in by_task.get(tasks[i], []) if j != i]
            rows[traj_id] = [
                *(pct[metric][i] for metric in METRICS),
                mean_known([pct["steps"][j] for j in peers]),
                _task_rank(i, peers, cohorts, data[self.sig_col("steps")]),
                mean_known([_jaccard(data[self.sig_col("files")][i], data[self.sig_col("files")][j]) for j in peers]),
                mean_known([_set_jaccard(removed[i], removed[j]) for j in peers]),
                mean_known([_set_jaccard(added[i], added[j]) for j in peers]),
                _same_patch(i, peers, data[self.sig_col("patch")]),
                len(peers),
            ]
        return {"rows": rows}

    def assign(self, traj_id: str, signature: dict[str, Any], scores: Scores, state: Any) -> CheckOutput:
        values = state["rows"].get(traj_id)
        return self.output(**dict(zip(OUTPUTS, values, strict=True))) if values else self.output()


def _percentiles(cohorts: list[str], values: list[float | None]) -> list[float | None]:
    """Mid-rank percentile of each value among the known values of its cohort (0.5 when alone)."""
    known: dict[str, list[float]] = defaultdict(list)
    for cohort, value in zip(cohorts, values, strict=True):
        if value is not None:
            known[cohort].append(value)
    for series in known.values():
        series.sort()
    return [_mid_rank(known[c], v) if v is not None else None for c, v in zip(cohorts, values, strict=True)]


def _mid_rank(ordered: list[float], value: float) -> float:
    below = bisect.bisect_left(ordered, value)
    equal = bisect.bisect_right(ordered, value) - below
    return (below + 0.5 * equal) / len(ordered)


def _task_rank(i: int, peers: list[int], cohorts: list[str], steps: list[float | None]) -> float | None:
    own = [steps[j] for j in peers if cohorts[j] == cohorts[i] and steps[j] is not None]
    if not own or steps[i] is None:
        return None
    return _mid_rank(sorted([*own, steps[i]]), steps[i])


def _jaccard(one: list[str], other: list[str]) -> float | None:
    """Overlap of two changed-file sets, paths matched by suffix (absolute workspace paths vs repo paths)."""
    if not one and not other:
        return None
    shared = sum(1 for path in one if any(st.same_file(path, theirs) for theirs in other))
    return shared / (len(one) + len(other) - shared)


def line_hashes(lines: list[str]) -> list[int]:
    """Whitespace-normalised non-blank lines as stable 32-bit hashes (at most `MAX_LINES`, sorted)."""
    normalised = {" ".join(line.split()) for line in lines[: MAX_LINES * 4]}
    normalised.discard("")
    return sorted(zlib.crc32(line.encode("utf-8", "replace")) for line in normalised)[:MAX_LINES]


def _set_jaccard(one: set[int], other: set[int]) -> float | None:
    union = len(one | other)
    return len(one & other) / union if union else None


def _same_patch(i: int, peers: list[int], patches: list[str]) -> float | None:
    if not patches[i] or not peers:
        return None
    return sum(1 for j in peers if patches[j] == patches[i]) / len(peers)
