"""Write a run's outputs: kept / rejected / review Parquet (and JSONL copies), shard by shard.

Each output row holds the annotation columns (ids, source fields, every score column,
`quality_score`, `decision`, `reasons`, `decided_by`, findings, errors) and the full
`trajectory` record, so the kept file is a training-ready dataset on its own.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trajsift import annotations as ann
from trajsift.arrow import SCHEMA_KEY, TRAJECTORY, to_row
from trajsift.columns import QUALITY_SCORE
from trajsift.files import atomic_write, checkpoint
from trajsift.parquet_concat import ParquetConcat, ParquetPart, split_parquet
from trajsift.rundir import Decision, RunDir, partial_path
from trajsift.schema import SCHEMA_VERSION, Trajectory


def output_schema(score_types: dict[str, pa.DataType]) -> pa.Schema:
    types = dict(score_types)
    types.setdefault(QUALITY_SCORE, pa.float64())
    base = ann.annotation_schema(types)
    return pa.schema([*base, pa.field("trajectory", TRAJECTORY)], metadata={SCHEMA_KEY: SCHEMA_VERSION.encode()})


def output_table(rows: list[ann.Annotation], trajs: list[Trajectory], score_types: dict[str, pa.DataType]) -> pa.Table:
    return output_table_of(rows, pa.array([to_row(t) for t in trajs], type=TRAJECTORY), score_types)


def output_table_of(rows: list[ann.Annotation], column: pa.Array, score_types: dict[str, pa.DataType]) -> pa.Table:
    """`output_table` from the rows' `trajectory` column already in the Arrow layout (`TRAJECTORY`)."""
    types = dict(score_types)
    types.setdefault(QUALITY_SCORE, pa.float64())
    table = ann.to_table(rows, types)
    return table.append_column("trajectory", column).replace_schema_metadata({SCHEMA_KEY: SCHEMA_VERSION.encode()})


PARQUET_OPTIONS = {"compression": "zstd"}
"""How every output Parquet file is written, by the driver (`write_outputs`) or by a worker (`parquet_bytes`)."""


def decision_parts(table: pa.Table) -> Iterator[tuple[Decision, pa.Table]]:
    """The rows of `table` for each decision, in `Decision` order."""
    for decision in Decision:
        yield decision, table.filter(pc.equal(table["decision"], decision.value))


def parquet_bytes(table: pa.Table | None, schema: pa.Schema) -> bytes:
    """A whole Parquet file of `table` (None: no row group), as `write_outputs` would write its rows."""
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, schema, **PARQUET_OPTIONS) as writer:
        if table is not None:
            writer.write_table(table)
    return sink.getvalue().to_pybytes()


def jsonl_bytes(table: pa.Table) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in table.to_pylist())


def write_outputs(out_dir: Path, tables: Iterable[pa.Table], score_types: dict, jsonl: bool) -> dict[str, int]:
    """Stream each shard's output table (`output_table`) into the three outputs; every file appears atomically
    at the end."""
    run = RunDir(out_dir)
    schema = output_schema(score_types)
    writers = {d: pq.ParquetWriter(partial_path(run.output(d)), schema, **PARQUET_OPTIONS) for d in Decision}
    json_handles = {d: open(partial_path(run.output_jsonl(d)), "wb") for d in Decision} if jsonl else {}
    counts = {d.part: 0 for d in Decision}
    try:
        for table in tables:
            for decision, part in decision_parts(table):
                counts[decision.part] += part.num_rows
                writers[decision].write_table(part)
                if decision in json_handles:
                    json_handles[decision].write(jsonl_bytes(part))
    finally:
        for writer in writers.values():
            writer.close()
        for handle in json_handles.values():
            handle.close()
    _publish(run, jsonl)
    return counts


PieceFiles = tuple[Mapping[str, ParquetPart], Mapping[str, bytes]]
"""A shard's outputs, written by a worker: per decision value a Parquet file (`parquet_bytes`, `split_parquet`)
and its JSONL lines (`jsonl_bytes`; empty unless the run writes JSONL)."""


def write_pieces(out_dir: Path, pieces: Iterable[PieceFiles], score_types: dict, jsonl: bool) -> dict[str, int]:
    """The three outputs from each shard's pieces, in order: the bytes `write_outputs` writes from the same rows,
    without encoding a row here (`ParquetConcat`); every file appears atomically at the end."""
    run = RunDir(out_dir)
    sinks = {d: open(partial_path(run.output(d)), "wb") for d in Decision}
    json_handles = {d: open(partial_path(run.output_jsonl(d)), "wb") for d in Decision} if jsonl else {}
    try:
        outputs = {d: ParquetConcat(sink) for d, sink in sinks.items()}
        for parquet, lines in pieces:
            for decision, output in outputs.items():
                output.append(parquet[decision.value])
                if decision in json_handles:
                    json_handles[decision].write(lines[decision.value])
        empty = parquet_bytes(None, output_schema(score_types))
        for output in outputs.values():
            if output.footer is None:  # no shard: the file a writer given no rows writes
                output.append(split_parquet(empty))
            output.close()
    finally:
        for handle in [*sinks.values(), *json_handles.values()]:
            handle.close()
    _publish(run, jsonl)
    return {d.part: output.rows for d, output in outputs.items()}


def _publish(run: RunDir, jsonl: bool) -> None:
    """Every output written in full: rename them into place."""
    checkpoint()
    for decision in Decision:
        for path in [run.output(decision)] + ([run.output_jsonl(decision)] if jsonl else []):
            os.replace(partial_path(path), path)
    checkpoint()


def write_quarantine(out_dir: Path, source: Path) -> None:
    atomic_write(RunDir(out_dir).quarantine, lambda tmp: shutil.copyfile(source, tmp))
