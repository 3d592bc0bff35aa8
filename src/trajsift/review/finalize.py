"""`trajsift finalize RUN_DIR`: apply review decisions and write final.parquet atomically.

Per item, the whole-trajectory labels of all its reviewers resolve to one decision: all reject ->
reject, all accept -> accept, anything else (a flag, or reviewers who disagree) -> flag.
- kept rows: rejected by review -> removed; otherwise kept (review_decision = accept / flag / "").
- review rows: accept or flag -> added to the final data; reject or not reviewed -> left out.
- rejected rows stay out (a reviewed rejected sample only informs the agreement page).
The output is written batch by batch to a temporary file and renamed into place.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from trajsift.files import atomic_write
from trajsift.reviewdb import TRAJECTORY_LEVEL, Label, ReviewItem, default_db_url, make_engine, make_sessionmaker
from trajsift.rundir import Decision, RunDir

REVIEW_DECISION = "review_decision"


@dataclass
class FinalizeResult:
    path: Path
    rows: int
    accepted: int
    flagged: int
    removed: int


def resolve(decisions: list[str]) -> str:
    unique = set(decisions)
    if unique == {"reject"}:
        return "reject"
    if unique == {"accept"}:
        return "accept"
    return "flag"


def review_decisions(db_url: str, run_key: str) -> dict[str, str]:
    """trajectory id -> resolved decision, for the reviewed items of one run."""
    sessions = make_sessionmaker(make_engine(db_url))
    with sessions() as db:
        rows = db.execute(
            select(ReviewItem.trajectory_id, Label.decision)
            .join(Label, Label.item_id == ReviewItem.id)
            .where(ReviewItem.run_key == run_key, Label.step_index == TRAJECTORY_LEVEL)
        )
        grouped: dict[str, list[str]] = defaultdict(list)
        for trajectory_id, decision in rows:
            grouped[trajectory_id].append(decision)
    return {trajectory_id: resolve(decisions) for trajectory_id, decisions in grouped.items()}


def finalize_run(run_dir: str | Path, db_url: str | None = None, out: str | Path | None = None) -> FinalizeResult:
    root = Path(run_dir)
    run = RunDir(root)
    decisions = review_decisions(db_url or default_db_url(root), root.resolve().name)
    target = Path(out) if out else run.final
    counts = {"rows": 0, "accepted": 0, "flagged": 0, "removed": 0}

    def write(tmp: str) -> None:
        writer = None
        try:
            for part in (Decision.KEEP.part, Decision.REVIEW.part):
                source = run.output(part)
                if not source.is_file():
                    continue
                parquet = pq.ParquetFile(source)
                metadata = parquet.schema_arrow.metadata
                for batch in parquet.iter_batches(batch_size=256):
                    table = _decide(pa.Table.from_batches([batch]), part, decisions, counts)
                    table = table.replace_schema_metadata(metadata)
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
                    writer.write_table(table.cast(writer.schema))
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            names = " or ".join(run.output(part).name for part in (Decision.KEEP, Decision.REVIEW))
            raise FileNotFoundError(f"{root} has no {names}")

    atomic_write(target, write)
    return FinalizeResult(path=target, **counts)


def _decide(table: pa.Table, part: str, decisions: dict[str, str], counts: dict[str, int]) -> pa.Table:
    ids = table.column("trajectory_id").to_pylist()
    labels = [decisions.get(str(i), "") for i in ids]
    if part == "kept":
        keep = [label != "reject" for label in labels]
        counts["removed"] += keep.count(False)
    else:
        keep = [label in ("accept", "flag") for label in labels]
        counts["accepted"] += sum(1 for label in labels if label == "accept")
    counts["flagged"] += sum(1 for label, k in zip(labels, keep, strict=True) if k and label == "flag")
    mask = pa.array(keep, type=pa.bool_())
    table = table.append_column(REVIEW_DECISION, pa.array(labels, type=pa.string())).filter(mask)
    counts["rows"] += table.num_rows
    return table.combine_chunks() if table.num_rows else table.slice(0, 0)
