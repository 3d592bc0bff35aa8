"""Write training records as OpenAI / ShareGPT JSONL, Parquet, or a Hugging Face `datasets` folder.

Every target uses `TRAINING_SCHEMA` (or, for ShareGPT, its `conversations` equivalent), so one file
mixing scaffolds has one type per field. The `datasets` folder is the `save_to_disk` layout (Arrow
stream shards, `dataset_info.json` with the features, `state.json`), written by pyarrow directly:
`datasets.load_from_disk` reads it. Files appear atomically when complete; a folder is built next to
the target and renamed into place.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from trajsift.errors import ConfigError
from trajsift.export.training import TRAINING_SCHEMA, to_sharegpt
from trajsift.files import atomic_write

BATCH_ROWS = 256
SHARD_ROWS = 4096


class ExportTarget(str, Enum):
    hf = "hf"
    openai = "openai"
    sharegpt = "sharegpt"
    parquet = "parquet"


def write_records(target: ExportTarget, out: Path, records: Iterator[dict[str, Any]]) -> int:
    """Write `records` (see `trajsift.export.training`) to `out`; returns how many were written."""
    if target is ExportTarget.hf:
        return write_hf(out, records)
    if target is ExportTarget.parquet:
        return write_parquet(out, records)
    encode = (lambda r: orjson.dumps(to_sharegpt(r))) if target is ExportTarget.sharegpt else orjson.dumps
    return write_jsonl(out, records, encode)


def write_jsonl(out: Path, records: Iterator[dict[str, Any]], encode: Callable[[dict[str, Any]], bytes]) -> int:
    if not out.name.endswith((".jsonl", ".jsonl.gz")):
        raise ConfigError(f"JSONL output must end in .jsonl or .jsonl.gz, not {out.name!r}")
    count = 0

    def write(temp: str) -> None:
        nonlocal count
        with open(temp, "wb") as raw:
            compressed = out.name.endswith(".gz")
            with gzip.GzipFile("", "wb", fileobj=raw) if compressed else contextlib.nullcontext(raw) as handle:
                for record in records:
                    handle.write(encode(record) + b"\n")
                    count += 1

    atomic_write(out, write)
    return count


def _batches(records: Iterator[dict[str, Any]], size: int) -> Iterator[pa.RecordBatch]:
    batch: list[dict[str, Any]] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield pa.RecordBatch.from_pylist(batch, schema=TRAINING_SCHEMA)
            batch = []
    if batch:
        yield pa.RecordBatch.from_pylist(batch, schema=TRAINING_SCHEMA)


def write_parquet(out: Path, records: Iterator[dict[str, Any]]) -> int:
    count = 0

    def write(temp: str) -> None:
        nonlocal count
        with pq.ParquetWriter(temp, TRAINING_SCHEMA, compression="zstd") as writer:
            for batch in _batches(records, BATCH_ROWS):
                writer.write_batch(batch)
                count += batch.num_rows

    atomic_write(out, write)
    return count


def hf_features() -> dict[str, Any]:
    """The `datasets` features of `TRAINING_SCHEMA` (needs the `datasets` package: the `train` extra)."""
    try:
        from datasets import Features
    except ImportError as exc:
        raise ConfigError("--to hf needs the `datasets` package: pip install 'trajsift[train]'") from exc
    return Features.from_arrow_schema(TRAINING_SCHEMA).to_dict()


def write_hf(out: Path, records: Iterator[dict[str, Any]]) -> int:
    """A `save_to_disk` folder at `out` (an existing `datasets` folder there is replaced)."""
    features = hf_features()
    if out.exists() and not (out.is_dir() and ((out / "state.json").is_file() or not any(out.iterdir()))):
        raise ConfigError(f"{out} exists and is not a datasets folder: choose an empty or new path")
    building = out.with_name(f".{out.name}.{secrets.token_hex(4)}.partial")
    building.mkdir(parents=True)
    try:
        schema = TRAINING_SCHEMA.with_metadata({"huggingface": json.dumps({"info": {"features": features}})})
        shards, count = _write_shards(building, schema, records)
        _write_json(building / "dataset_info.json", {"citation": "", "description": "", "features": features})
        state = {
            "_data_files": [{"filename": name} for name in shards],
            "_fingerprint": secrets.token_hex(8),
            "_format_columns": None,
            "_format_kwargs": {},
            "_format_type": None,
            "_output_all_columns": False,
            "_split": None,
        }
        _write_json(building / "state.json", state)
        _replace_dir(building, out)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return count


def _write_shards(folder: Path, schema: pa.Schema, records: Iterator[dict[str, Any]]) -> tuple[list[str], int]:
    """Arrow stream shards of up to `SHARD_ROWS` rows, renamed `data-0000i-of-0000n.arrow` at the end."""
    shards: list[Path] = []
    writer, in_shard, count = None, 0, 0
    try:
        for batch in _batches(records, BATCH_ROWS):
            if writer is None or in_shard >= SHARD_ROWS:
                if writer is not None:
                    writer.close()
                shards.append(folder / f"shard-{len(shards)}.arrow")
                writer, in_shard = pa.ipc.new_stream(str(shards[-1]), schema), 0
            writer.write_batch(batch)
            in_shard += batch.num_rows
            count += batch.num_rows
        if writer is None:  # no rows: one empty shard keeps the features
            shards.append(folder / "shard-0.arrow")
            writer = pa.ipc.new_stream(str(shards[-1]), schema)
    finally:
        if writer is not None:
            writer.close()
    names = [f"data-{i:05d}-of-{len(shards):05d}.arrow" for i in range(len(shards))]
    for shard, name in zip(shards, names, strict=True):
        shard.rename(folder / name)
    return names, count


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")


def _replace_dir(building: Path, out: Path) -> None:
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.{secrets.token_hex(4)}.old")
        os.replace(out, old)
    os.replace(building, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
