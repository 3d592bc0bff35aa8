"""Parquet files concatenated by `ParquetConcat` are the bytes one `ParquetWriter` writes from the same tables."""

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trajsift.config import load_recipe
from trajsift.parquet_concat import ParquetConcat, encode, read_footer, split_parquet
from trajsift.run import run_pipeline
from trajsift.rundir import Decision, RunDir
from trajsift.writer import parquet_bytes

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("score", pa.float64()),
        ("tags", pa.list_(pa.string())),
        ("row", pa.struct([("text", pa.large_string()), ("n", pa.int64()), ("ok", pa.bool_())])),
    ],
    metadata={b"k": b"v"},
)


def table(start, n):
    ids = [f"id-{i}" for i in range(start, start + n)]
    rows = [{"text": "x" * (i % 50) if i % 7 else None, "n": i, "ok": i % 2 == 0} for i in range(start, start + n)]
    scores = [i / 3 if i % 5 else None for i in range(start, start + n)]
    tags = [["a", "b"][: i % 3] for i in range(start, start + n)]
    return pa.table({"id": ids, "score": scores, "tags": tags, "row": rows}, schema=SCHEMA)


def one_writer(tables):
    sink = io.BytesIO()
    with pq.ParquetWriter(sink, SCHEMA, compression="zstd") as writer:
        for part in tables:
            writer.write_table(part)
    return sink.getvalue()


def concatenated(tables):
    sink = io.BytesIO()
    output = ParquetConcat(sink)
    for part in tables:
        output.append(split_parquet(parquet_bytes(part, SCHEMA)))
    output.close()
    return sink.getvalue()


@pytest.mark.parametrize("sizes", [[5], [0, 40, 0, 3000, 17], [0, 0], [1] * 20])
def test_concatenation_is_the_single_writers_bytes(sizes):
    tables, start = [], 0
    for n in sizes:
        tables.append(table(start, n))
        start += n
    data = concatenated(tables)
    assert data == one_writer(tables)
    assert pq.read_table(io.BytesIO(data)).equals(pa.concat_tables(tables))


def test_a_file_without_row_groups():
    assert concatenated([None]) == one_writer([])


def test_footer_round_trips_byte_for_byte():
    data = one_writer([table(0, 30), table(30, 0), table(30, 9)])
    footer, start = read_footer(data)
    assert encode(footer) == data[start:-8]


def test_refuses_what_is_not_parquet():
    with pytest.raises(ValueError, match="not a Parquet file"):
        split_parquet(b"PAR1 not really")


def test_jsonl_outputs_hold_every_row_of_their_parquet(dataset, recipe_file, tmp_path):
    """Workers write the JSONL copies too; same bytes for any worker count."""
    recipe = load_recipe(str(recipe_file))
    recipe.output.jsonl = True
    outs = {}
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        run_pipeline([str(dataset)], out, recipe, workers=workers)
        run = RunDir(out)
        outs[workers] = {d: (run.output(d).read_bytes(), run.output_jsonl(d).read_bytes()) for d in Decision}
        for decision in Decision:
            lines = run.output_jsonl(decision).read_bytes().splitlines()
            assert len(lines) == pq.read_metadata(run.output(decision)).num_rows
    assert outs[1] == outs[2]
