"""The versioned Arrow / Parquet layout of `Trajectory` and lossless conversion both ways.

Free-form maps (`action.arguments`, `metadata`) are stored as JSON text so the schema stays
stable whatever a scaffold puts in them. The schema version is kept in the schema metadata.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
import orjson
import pyarrow as pa

from trajsift.schema import SCHEMA_VERSION, Trajectory

SCHEMA_KEY = b"trajsift.schema_version"
TRAJECTORY_COLUMN = "trajectory"
ROW_KEY = "__trajsift_row__"
"""Key tagging a `trajectory` column value for the native reader (`rows_from_batch`)."""

ACTION = pa.struct(
    [
        ("type", pa.string()),
        ("tool", pa.string()),
        ("command", pa.string()),
        ("arguments", pa.string()),
        ("target", pa.string()),
    ]
)
OBSERVATION = pa.struct(
    [
        ("text", pa.large_string()),
        ("exit_code", pa.int64()),
        ("is_error", pa.bool_()),
        ("truncated", pa.bool_()),
    ]
)
STEP = pa.struct(
    [
        ("index", pa.int64()),
        ("thought", pa.large_string()),
        ("action", ACTION),
        ("observation", OBSERVATION),
        ("agent", pa.string()),
        ("timestamp", pa.string()),
    ]
)
TRAJECTORY = pa.struct(
    [
        ("id", pa.string()),
        (
            "source",
            pa.struct(
                [
                    ("format", pa.string()),
                    ("scaffold", pa.string()),
                    ("model", pa.string()),
                    ("run", pa.string()),
                    ("temperature", pa.float64()),
                    ("prompt_variant", pa.string()),
                    ("path", pa.string()),
                ]
            ),
        ),
        (
            "task",
            pa.struct(
                [
                    ("task_id", pa.string()),
                    ("category", pa.string()),
                    ("difficulty", pa.string()),
                    ("repo", pa.string()),
                    ("base_commit", pa.string()),
                    ("instruction", pa.large_string()),
                ]
            ),
        ),
        ("steps", pa.large_list(STEP)),
        (
            "final",
            pa.struct(
                [
                    ("patch", pa.large_string()),
                    ("submitted", pa.bool_()),
                    ("exit_status", pa.string()),
                    ("patch_source", pa.string()),
                ]
            ),
        ),
        (
            "usage",
            pa.struct(
                [
                    ("input_tokens", pa.int64()),
                    ("output_tokens", pa.int64()),
                    ("cost", pa.float64()),
                    ("api_calls", pa.int64()),
                    ("duration_s", pa.float64()),
                    ("started_at", pa.string()),
                    ("finished_at", pa.string()),
                ]
            ),
        ),
        ("outcome", pa.struct([("resolved", pa.bool_()), ("label_source", pa.string())])),
        ("metadata", pa.large_string()),
        ("schema_version", pa.string()),
    ]
)


def trajectory_schema(extra: list[pa.Field] | None = None) -> pa.Schema:
    """Schema of a trajsift table: annotation columns (optional) plus the full record."""
    fields = list(extra or []) + [pa.field(TRAJECTORY_COLUMN, TRAJECTORY)]
    return pa.schema(fields, metadata={SCHEMA_KEY: SCHEMA_VERSION.encode()})


def is_trajsift_schema(schema: pa.Schema) -> bool:
    return bool(schema.metadata and SCHEMA_KEY in schema.metadata) and TRAJECTORY_COLUMN in schema.names


def to_row(trajectory: Trajectory) -> dict[str, Any]:
    """Plain dict in the Arrow layout (JSON fields encoded, every key present)."""
    data = msgspec.to_builtins(trajectory)
    data["metadata"] = _dumps(data.get("metadata", {}))
    for step in data.get("steps", []):
        action = step.setdefault("action", {})
        action["arguments"] = _dumps(action.get("arguments", {}))
    return data


def to_table(trajectories: Iterable[Trajectory], extra: dict[str, list[Any]] | None = None) -> pa.Table:
    rows = [to_row(t) for t in trajectories]
    columns: dict[str, Any] = dict(extra or {})
    columns[TRAJECTORY_COLUMN] = pa.array(rows, type=TRAJECTORY)
    table = pa.table(columns)
    return table.replace_schema_metadata({SCHEMA_KEY: SCHEMA_VERSION.encode()})


def from_row(row: dict[str, Any]) -> Trajectory:
    """Inverse of `to_row`; raises `msgspec.ValidationError` on a malformed row."""
    data = _drop_nulls(row)
    data["metadata"] = orjson.loads(data.get("metadata") or "{}")
    for step in data.get("steps", []):
        action = step.get("action", {})
        action["arguments"] = orjson.loads(action.get("arguments") or "{}")
    return Trajectory.from_dict(data)


def rows_from_batch(batch: pa.RecordBatch, native: bool) -> Iterator[dict[str, Any]]:
    """Rows of a batch; for trajsift tables, the `trajectory` column tagged for the native reader."""
    if native:
        for row in batch.column(TRAJECTORY_COLUMN).to_pylist():
            yield {ROW_KEY: row}
        return
    yield from batch.to_pylist()


class _NoPandas:
    """A meta path finder that refuses `pandas` (installed only while pyarrow probes for it)."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas":
            raise ImportError("pandas is not needed to build Arrow arrays of Python objects")


def skip_pandas() -> bool:
    """Settle pyarrow's pandas probes as "absent" unless pandas is already imported: pyarrow imports pandas
    (~0.4 cpu-s) on its first array or scalar of Python objects only to ask whether they are pandas objects,
    which ours never are. Explicit pandas use (`to_pandas`, `pa.array` of a Series) still imports it; only
    `pd.NA` inside a Python list is no longer recognised in this process. True if the probes were settled."""
    shim = getattr(pa.lib, "_pandas_api", None)
    if shim is None or "pandas" in sys.modules:
        return False
    sys.meta_path.insert(0, _NoPandas)
    try:
        pa.array([0])  # pyarrow probes here (its Python shim and its C++ converter), and remembers
    finally:
        sys.meta_path.remove(_NoPandas)
    return True


@contextmanager
def without_pandas() -> Iterator[None]:
    """`skip_pandas` for the block; afterwards pyarrow probes again, so a caller's pandas objects convert as usual."""
    settled = skip_pandas()
    try:
        yield
    finally:
        if settled:
            pa.lib._pandas_api.__init__()  # back to "not probed yet"


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS).decode()


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value
