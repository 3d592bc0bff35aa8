"""Write a run's outputs: kept / rejected / review Parquet (and JSONL copies), shard by shard.

Each output row holds the annotation columns (ids, source fields, every score column,
`quality_score`, `decision`, `reasons`, `decided_by`, findings, errors) and the full
`trajectory` record, so the kept file is a training-ready dataset on its own.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trajsift import annotations as ann
from trajsift.arrow import SCHEMA_KEY, TRAJECTORY, to_row
from trajsift.columns import QUALITY_SCORE
from trajsift.files import atomic_write, checkpoint
from trajsift.rundir import Decision, RunDir, partial_path
from trajsift.schema import SCHEMA_VERSION, Trajectory


def output_schema(score_types: dict[str, pa.DataType]) -> pa.Schema:
    types = dict(score_types)
    types.setdefault(QUALITY_SCORE, pa.float64())
    base = ann.annotation_schema(types)
    return pa.schema([*base, pa.field("trajectory", TRAJECTORY)], metadata={SCHEMA_KEY: SCHEMA_VERSION.encode()})


def output_table(rows: list[ann.Annotation], trajs: list[Trajectory], score_types: dict[str, pa.DataType]) -> pa.Table:
    types = dict(score_types)
    types.setdefault(QUALITY_SCORE, pa.float64())
    table = ann.to_table(rows, types)
    column = pa.array([to_row(t) for t in trajs], type=TRAJECTORY)
    return table.append_column("trajectory", column).replace_schema_metadata({SCHEMA_KEY: SCHEMA_VERSION.encode()})


def write_outputs(out_dir: Path, tables: Iterable[pa.Table], score_types: dict, jsonl: bool) -> dict[str, int]:
    """Stream each shard's output table (`output_table`) into the three outputs; every file appears atomically
    at the end."""
    run = RunDir(out_dir)
    schema = output_schema(score_types)
    targets = {d: [run.output(d)] + ([run.output_jsonl(d)] if jsonl else []) for d in Decision}
    writers = {d: pq.ParquetWriter(partial_path(run.output(d)), schema, compression="zstd") for d in Decision}
    json_handles = {d: open(partial_path(run.output_jsonl(d)), "wb") for d in Decision} if jsonl else {}
    counts = {d.part: 0 for d in Decision}
    try:
        for table in tables:
            for decision in Decision:
                part = table.filter(pc.equal(table["decision"], decision.value))
                counts[decision.part] += part.num_rows
                writers[decision].write_table(part)
                if decision in json_handles:
                    json_handles[decision].writelines(orjson.dumps(r) + b"\n" for r in part.to_pylist())
    finally:
        for writer in writers.values():
            writer.close()
        for handle in json_handles.values():
            handle.close()
    checkpoint()
    for paths in targets.values():
        for path in paths:
            os.replace(partial_path(path), path)
    checkpoint()
    return counts


def write_quarantine(out_dir: Path, source: Path) -> None:
    atomic_write(RunDir(out_dir).quarantine, lambda tmp: shutil.copyfile(source, tmp))
