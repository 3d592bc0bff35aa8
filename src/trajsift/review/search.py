"""Full-text search of the trajectories of the served runs (task, thoughts, commands, observations, patch).

Reads only the `trajectory` column, one row group at a time, and matches with Arrow kernels; results are
cached per run version and needle.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trajsift.rundata import SERVED_PARTS, TRAJECTORY, RunData

STEP_FIELDS = (("thought",), ("action", "command"), ("observation", "text"))
TOP_FIELDS = (("task", "instruction"), ("final", "patch"))
CACHE_SIZE = 32
_cache: OrderedDict[tuple[str, str, str], frozenset[str]] = OrderedDict()
_lock = threading.Lock()


def full_text_ids(runs: dict[str, RunData], needle: str) -> set[tuple[str, str]]:
    """(run key, trajectory id) of every trajectory whose text contains `needle` (case-insensitive)."""
    found: set[tuple[str, str]] = set()
    for key, run in list(runs.items()):
        found.update((key, trajectory_id) for trajectory_id in _run_hits(run, needle))
    return found


def _run_hits(run: RunData, needle: str) -> frozenset[str]:
    cache_key = (run.key, run.signature, needle)
    with _lock:
        if cache_key in _cache:
            _cache.move_to_end(cache_key)
            return _cache[cache_key]
    hits: set[str] = set()
    for part in SERVED_PARTS:
        path = run.files.output(part)
        if path.is_file():
            hits.update(_file_hits(pq.ParquetFile(path), needle))
    result = frozenset(hits)
    with _lock:
        _cache[cache_key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def _file_hits(source: pq.ParquetFile, needle: str) -> set[str]:
    hits: set[str] = set()
    for group in range(source.num_row_groups):
        table = source.read_row_group(group, columns=["trajectory_id", TRAJECTORY])
        ids = table.column(0).combine_chunks()
        traj = table.column(1).combine_chunks()
        rows = _matching_rows(traj, needle)
        hits.update(str(ids[i].as_py()) for i in rows)
    return hits


def _field(array: pa.Array, path: tuple[str, ...]) -> pa.Array | None:
    for name in path:
        if not pa.types.is_struct(array.type) or array.type.get_field_index(name) < 0:
            return None
        array = pc.struct_field(array, name)
    return array


def _matching_rows(traj: pa.Array, needle: str) -> set[int]:
    rows: set[int] = set()
    for path in TOP_FIELDS:
        column = _field(traj, path)
        if column is not None:
            rows.update(_true_positions(pc.match_substring(column, needle, ignore_case=True)))
    steps = _field(traj, ("steps",))
    if steps is None:
        return rows
    flat, parents = pc.list_flatten(steps), pc.list_parent_indices(steps)
    for path in STEP_FIELDS:
        column = _field(flat, path)
        if column is not None:
            hit = pc.match_substring(column, needle, ignore_case=True)
            rows.update(pc.filter(parents, pc.fill_null(hit, False)).to_pylist())
    return rows


def _true_positions(mask: pa.Array) -> list[int]:
    return pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()
