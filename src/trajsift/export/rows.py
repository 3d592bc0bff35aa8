"""Which rows of a run directory an export takes, each with its step labels.

- `kept` (default): the rows of `kept.parquet`.
- `kept+approved`: the rows of `final.parquet` (written by `trajsift finalize`): kept rows review did not
  reject (subset `kept`) and review rows reviewers approved (subset `approved`).
- `failed-masked`: the kept rows plus the failed runs of `rejected.parquet` (subset `failed`): every
  rejected row except duplicates of a better run and runs broken by the infrastructure or the format,
  which say nothing about the agent. Their mistakes are masked like everyone's.
Step labels come from `trajsift.steplabels`; reviewers' step labels (review database) override them.
A row whose trajectory cannot be decoded is counted as skipped with its reason, never exported half-read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import msgspec
import orjson
import pyarrow.parquet as pq

from trajsift import reasons as r
from trajsift.arrow import TRAJECTORY_COLUMN, from_row
from trajsift.errors import ConfigError
from trajsift.rundir import Decision, RunDir
from trajsift.schema import Trajectory
from trajsift.steplabels import HumanLabels, StepLabel, apply_human, label_steps

BATCH_ROWS = 128
NOT_FROM_THE_AGENT = frozenset(
    {
        r.EXACT_DUPLICATE,
        r.NEAR_DUPLICATE,
        r.APPROACH_DUPLICATE,
        r.OVER_QUOTA,
        r.INFRA_FAILURE,
        r.FORMAT_ERROR,
        r.EMPTY_RUN,
    }
)


SubsetOf = Callable[[tuple[str, list[str]]], "str | None"]
"""(decision, reasons) of a row -> its subset name, or None to leave it out."""


class RowSet(str, Enum):
    kept = "kept"
    kept_approved = "kept+approved"
    failed_masked = "failed-masked"


@dataclass
class RowCounts:
    rows: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    """reason -> rows left out (`excluded:<reason>` for failed runs not taken, `undecodable`)."""

    def add(self, bucket: dict[str, int], key: str) -> None:
        bucket[key] = bucket.get(key, 0) + 1


@dataclass
class LabelledRow:
    trajectory: Trajectory
    labels: list[StepLabel]
    subset: str


def iter_labelled(run_dir: str | Path, rows: RowSet, human: HumanLabels, counts: RowCounts) -> Iterator[LabelledRow]:
    """The chosen rows of a run, in file order, with their step labels."""
    root = Path(run_dir)
    for part, subset_of in _parts(root, rows):
        for trajectory, decision in _read(part, counts):
            subset = subset_of(decision)
            if subset is None:
                continue
            labels = label_steps(trajectory)
            if trajectory.id in human:
                labels = apply_human(labels, human[trajectory.id])
            counts.add(counts.rows, subset)
            yield LabelledRow(trajectory, labels, subset)


def _parts(root: Path, rows: RowSet) -> list[tuple[Path, SubsetOf]]:
    run = RunDir(root)
    kept, rejected = run.output(Decision.KEEP), run.output(Decision.DROP)
    if rows is RowSet.kept_approved:
        if not run.final.is_file():
            raise ConfigError(f"{root} has no {run.final.name}: run `trajsift finalize {root}` first")
        return [(run.final, lambda d: "kept" if d[0] == Decision.KEEP else "approved")]
    if not kept.is_file():
        raise ConfigError(f"{root} is not a run directory (no {kept.name})")
    parts: list[tuple[Path, SubsetOf]] = [(kept, lambda _d: "kept")]
    if rows is RowSet.failed_masked and rejected.is_file():
        parts.append((rejected, _failed_subset))
    return parts


def _failed_subset(decision: tuple[str, list[str]]) -> str | None:
    return None if NOT_FROM_THE_AGENT.intersection(decision[1]) else "failed"


def _read(path: Path, counts: RowCounts) -> Iterator[tuple[Trajectory, tuple[str, list[str]]]]:
    """(trajectory, (decision, reasons)) per row; undecodable rows counted, not raised."""
    source = pq.ParquetFile(path)
    names = set(source.schema_arrow.names)
    columns = [c for c in ("decision", "reasons", TRAJECTORY_COLUMN) if c in names]
    if TRAJECTORY_COLUMN not in columns:
        raise ConfigError(f"{path} has no `{TRAJECTORY_COLUMN}` column: not a trajsift run output")
    for batch in source.iter_batches(batch_size=BATCH_ROWS, columns=columns):
        for row in batch.to_pylist():
            decision = (row.get("decision") or "", list(row.get("reasons") or []))
            if path == RunDir(path.parent).output(Decision.DROP) and _failed_subset(decision) is None:
                counts.add(counts.skipped, f"excluded:{min(NOT_FROM_THE_AGENT.intersection(decision[1]))}")
                continue
            try:
                trajectory = from_row(row[TRAJECTORY_COLUMN])
            except (msgspec.ValidationError, orjson.JSONDecodeError, TypeError):
                counts.add(counts.skipped, "undecodable")
                continue
            yield trajectory, decision
