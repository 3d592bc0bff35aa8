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
import pyarrow.parquet as pq

from trajsift import annotations as ann
from trajsift.arrow import SCHEMA_KEY, TRAJECTORY, to_row
from trajsift.columns import QUALITY_SCORE
from trajsift.files import atomic_write, checkpoint
from trajsift.schema import SCHEMA_VERSION, Trajectory

OUTPUTS = {ann.KEEP: "kept", ann.DROP: "rejected", ann.REVIEW: "review"}


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


def write_outputs(
    out_dir: Path, shards: Iterable[tuple[list[ann.Annotation], list[Trajectory]]], score_types: dict, jsonl: bool
) -> dict[str, int]:
    """Stream shards into the three outputs; every file appears atomically at the end."""
    schema = output_schema(score_types)
    tmp = {name: out_dir / f".{name}.parquet.partial" for name in OUTPUTS.values()}
    writers = {name: pq.ParquetWriter(path, schema, compression="zstd") for name, path in tmp.items()}
    json_handles = {name: open(out_dir / f".{name}.jsonl.partial", "wb") for name in OUTPUTS.values()} if jsonl else {}
    counts = dict.fromkeys(OUTPUTS.values(), 0)
    try:
        for rows, trajs in shards:
            table = output_table(rows, trajs, score_types)
            for decision, name in OUTPUTS.items():
                part = table.filter(pa.compute.equal(table["decision"], decision))
                counts[name] += part.num_rows
                writers[name].write_table(part)
                if name in json_handles:
                    json_handles[name].writelines(orjson.dumps(r) + b"\n" for r in part.to_pylist())
    finally:
        for writer in writers.values():
            writer.close()
        for handle in json_handles.values():
            handle.close()
    checkpoint()
    for name, path in tmp.items():
        os.replace(path, out_dir / f"{name}.parquet")
        if jsonl:
            os.replace(out_dir / f".{name}.jsonl.partial", out_dir / f"{name}.jsonl")
    checkpoint()
    return counts


def write_quarantine(out_dir: Path, source: Path) -> None:
    atomic_write(out_dir / "quarantine.jsonl", lambda tmp: shutil.copyfile(source, tmp))
