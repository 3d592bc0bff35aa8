"""Read-only access to run directories: annotation rows in memory, full trajectories on demand.

Rows are looked up by trajectory id in the data (an index built from the Parquet files), never by
building a file path from an id. A trajectory is read from its Parquet row group when viewed, its id
checked against the one asked for (a rerun may rewrite the files under a served run), and kept in a
small LRU cache. `signature` and `fingerprint` tell a watcher when a run was rewritten.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from trajsift.files import read_json
from trajsift.reviewdb import run_keys

OUTPUT_FILES = {"review": "review.parquet", "kept": "kept.parquet", "rejected": "rejected.parquet"}
TRAJECTORY = "trajectory"
CACHE_SIZE = 8
RUN_INFO = "run.json"


@dataclass
class RowRef:
    part: str
    row: int
    row_group: int
    offset: int


@dataclass
class RunData:
    key: str
    path: Path
    signature: str = ""
    fingerprint: str = ""
    """Recipe fingerprint + input digests of the run that wrote the files (from run.json), hashed."""
    unreadable: bool = False
    """An output file could not be read (being rewritten): the queue is not reconciled against it."""
    tables: dict[str, pa.Table] = field(default_factory=dict)
    index: dict[str, RowRef] = field(default_factory=dict)
    _cache: OrderedDict = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def rows(self, part: str, columns: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        table = self.tables.get(part)
        if table is None:
            return []
        if columns is not None:
            table = table.select([c for c in columns if c in table.column_names])
        return table.to_pylist()

    def column(self, part: str, name: str) -> list[Any]:
        table = self.tables.get(part)
        if table is None or name not in table.column_names:
            return [None] * (table.num_rows if table is not None else 0)
        return table.column(name).to_pylist()

    def annotation(self, trajectory_id: str) -> dict[str, Any] | None:
        ref = self.index.get(trajectory_id)
        if ref is None:
            return None
        return self.tables[ref.part].slice(ref.row, 1).to_pylist()[0]

    def part_of(self, trajectory_id: str) -> str | None:
        ref = self.index.get(trajectory_id)
        return ref.part if ref else None

    def trajectory(self, trajectory_id: str) -> dict[str, Any] | None:
        """The raw Arrow-layout trajectory dict (JSON fields still text), or None if unknown or if the
        file no longer holds that id at the indexed place (rewritten since it was loaded)."""
        ref = self.index.get(trajectory_id)
        if ref is None:
            return None
        with self._lock:
            if trajectory_id in self._cache:
                self._cache.move_to_end(trajectory_id)
                return self._cache[trajectory_id]
        try:
            source = pq.ParquetFile(self.path / OUTPUT_FILES[ref.part])
            group = source.read_row_group(ref.row_group, columns=[TRAJECTORY])
            value = group.column(0).slice(ref.offset, 1).to_pylist()[0]
        except (OSError, IndexError, pa.ArrowException):
            return None
        if not isinstance(value, dict) or str(value.get("id")) != trajectory_id:
            return None
        with self._lock:
            self._cache[trajectory_id] = value
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return value


def run_signature(path: str | Path) -> str:
    """Changes whenever an output file or run.json of the run is written (mtime, size, inode)."""
    parts = []
    for name in (*OUTPUT_FILES.values(), RUN_INFO):
        try:
            stat = (Path(path) / name).stat()
            parts.append(f"{name}:{stat.st_mtime_ns}:{stat.st_size}:{stat.st_ino}")
        except OSError:
            parts.append(f"{name}:-")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def run_fingerprint(path: str | Path) -> str:
    """Hash of run.json's recipe fingerprint and input digests; "" while the run has not finished once."""
    try:
        info = read_json(Path(path) / RUN_INFO)
    except (OSError, ValueError):
        return ""
    if not isinstance(info, dict):
        return ""
    basis = f"{info.get('recipe_fingerprint')}|{info.get('inputs')}"
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def load_run(path: str | Path, key: str) -> RunData:
    root = Path(path)
    run = RunData(key=key, path=root, signature=run_signature(root), fingerprint=run_fingerprint(root))
    for part, name in OUTPUT_FILES.items():
        file = root / name
        if not file.is_file():
            continue
        try:
            _index_part(run, part, pq.ParquetFile(file))
        except (OSError, pa.ArrowException, ValueError):
            run.unreadable = True  # half-written while a rerun replaces it: the next refresh reads it again
    return run


def _index_part(run: RunData, part: str, source: pq.ParquetFile) -> None:
    columns = [c for c in source.schema_arrow.names if c != TRAJECTORY]
    run.tables[part] = source.read(columns=columns)
    ids = iter(run.tables[part].column("trajectory_id").to_pylist())
    row = 0
    for group in range(source.num_row_groups):  # ids in file order, split by row-group sizes
        for offset in range(source.metadata.row_group(group).num_rows):
            run.index.setdefault(str(next(ids)), RowRef(part, row, group, offset))
            row += 1


def load_runs(run_dirs: list[str | Path]) -> dict[str, RunData]:
    """Runs keyed by `run_keys`."""
    return {key: load_run(path, key) for key, path in run_keys(run_dirs).items()}
