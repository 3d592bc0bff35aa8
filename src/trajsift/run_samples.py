"""Small samples of a run's rows for the report: examples spread over stages and reasons, quarantined rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

EXAMPLE_COLUMNS = ("trajectory_id", "task_id", "model", "decided_by", "reasons")
MAX_EXAMPLES = 50
MAX_QUARANTINE = 20
MAX_PER_REASON = 5
MAX_GROUPS = 500


@dataclass
class RowSample:
    """The first rows of one output file, and how many rows it holds in total (None if unreadable)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int | None = None
    problem: str = ""


def sample_rows(path: Path, limit: int = MAX_EXAMPLES) -> RowSample:
    """Up to `limit` rows of a Parquet output spread over (stage, first reason) groups, reading only
    the few columns the report shows; rows keep their file order."""
    if not path.is_file():
        return RowSample(problem=f"{path.name} not found")
    try:
        handle = pq.ParquetFile(path)
        columns = [c for c in EXAMPLE_COLUMNS if c in handle.schema_arrow.names]
        groups: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
        index = 0
        for batch in handle.iter_batches(batch_size=4096, columns=columns):
            for row in batch.to_pylist():
                _bucket(groups, index, row, limit)
                index += 1
        return RowSample(rows=_round_robin(groups, limit), total=handle.metadata.num_rows)
    except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError) on corrupt files
        return RowSample(problem=f"{path.name} cannot be read: {exc}")


def _bucket(groups: dict, index: int, row: dict[str, Any], limit: int) -> None:
    reasons = row.get("reasons") or [""]
    key = (str(row.get("decided_by") or ""), str(reasons[0]))
    bucket = groups.get(key)
    if bucket is None:
        if len(groups) >= MAX_GROUPS:
            return
        bucket = groups[key] = []
    if len(bucket) < limit:
        bucket.append((index, row))


def _round_robin(groups: dict, limit: int) -> list[dict[str, Any]]:
    picked: list[tuple[int, dict[str, Any]]] = []
    depth = 0
    while len(picked) < limit and any(len(b) > depth for b in groups.values()):
        picked.extend(b[depth] for b in groups.values() if len(b) > depth)
        depth += 1
    return [row for _, row in sorted(picked[:limit], key=lambda item: item[0])]


def sample_quarantine(path: Path, limit: int = MAX_QUARANTINE) -> RowSample:
    """Up to `limit` quarantined rows (at most a few per reason) and the total line count, streaming the file."""
    if not path.is_file():
        return RowSample(problem=f"{path.name} not found")
    rows: list[dict[str, Any]] = []
    per_reason: Counter[str] = Counter()
    total = 0
    with path.open("rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            total += 1
            if len(rows) < limit:
                row = _quarantine_row(line)
                per_reason[str(row.get("reason"))] += 1
                if per_reason[str(row.get("reason"))] <= MAX_PER_REASON:
                    rows.append(row)
    return RowSample(rows=rows, total=total)


def _quarantine_row(line: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return {"reason": "unparseable_line", "origin": "", "detail": line[:200].decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {"reason": "not_an_object", "detail": str(value)[:200]}
