"""A run directory read back: one `RunData` for the report, the review app and the dashboard.

`load_run` names files only through `RunDir`. The JSON summaries (`stats`, `info`) and the report's row
samples (`rejected`, `review`, `quarantine`, see `run_samples`) are read when first asked for; the
annotation rows of the outputs are read into memory (`tables=True`), full trajectories on demand.
Rows are looked up by trajectory id in the data (an index built from the Parquet files), never by
building a file path from an id. A trajectory is read from its Parquet row group when viewed, its id
checked against the one asked for (a rerun may rewrite the files under a served run), and kept in a
small LRU cache. `signature` and `fingerprint` tell a watcher when a run was rewritten.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from trajsift.errors import InputError
from trajsift.files import files_signature, read_json
from trajsift.run_samples import RowSample, sample_quarantine, sample_rows
from trajsift.rundir import RunDir

SERVED_PARTS = ("review", "kept", "rejected")
"""Output parts in the order the review app indexes them (an id found twice belongs to the first)."""
TRAJECTORY = "trajectory"
CACHE_SIZE = 8


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
    """Recipe fingerprint + input digests of the run that wrote the files (from `run.json`), hashed."""
    unreadable: bool = False
    """An output file could not be read (being rewritten): the queue is not reconciled against it."""
    tables: dict[str, pa.Table] = field(default_factory=dict)
    index: dict[str, RowRef] = field(default_factory=dict)
    _cache: OrderedDict = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def files(self) -> RunDir:
        return RunDir(self.path)

    @cached_property
    def stats(self) -> dict[str, Any]:
        """`stats.json`; `InputError` when it is missing or unreadable."""
        return read_object(self.files.stats, required=True)

    @cached_property
    def info(self) -> dict[str, Any]:
        """`run.json` (provenance); empty when missing, `InputError` when unreadable."""
        return read_object(self.files.info, required=False)

    @cached_property
    def rejected(self) -> RowSample:
        """A sample of the rejected rows spread over stages and reasons (only the columns the report shows)."""
        return sample_rows(self.files.output("rejected"))

    @cached_property
    def review(self) -> RowSample:
        return sample_rows(self.files.output("review"))

    @cached_property
    def quarantine(self) -> RowSample:
        return sample_quarantine(self.files.quarantine)

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
            source = pq.ParquetFile(self.files.output(ref.part))
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
    """Changes whenever an output file or `run.json` of the run is written (mtime, size, inode)."""
    run = RunDir(path)
    return files_signature([*(run.output(part) for part in SERVED_PARTS), run.info], inode=True)


def run_fingerprint(path: str | Path) -> str:
    """Hash of `run.json`'s recipe fingerprint and input digests; "" while the run has not finished once."""
    try:
        info = read_json(RunDir(path).info)
    except (OSError, ValueError):
        return ""
    if not isinstance(info, dict):
        return ""
    basis = f"{info.get('recipe_fingerprint')}|{info.get('inputs')}"
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def load_run(path: str | Path, key: str | None = None, *, tables: bool = True, partial: bool = False) -> RunData:
    """The run in `path` (keyed by `key`, default its folder name). `tables` reads the annotation rows of the
    outputs; unless `partial` (a run going on, or not finished once), the folder must hold a readable
    `stats.json`, else `InputError`."""
    root = Path(path)
    if not partial and not root.is_dir():
        raise InputError(f"run directory {root} does not exist or is not a directory")
    key = key if key is not None else root.resolve().name or "run"
    run = RunData(key=key, path=root, signature=run_signature(root), fingerprint=run_fingerprint(root))
    if not partial:
        run.stats  # noqa: B018 - read now: a folder without stats is not a run
    for part in SERVED_PARTS if tables else ():
        file = run.files.output(part)
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


def run_key(path: str | Path, taken: Iterable[str]) -> str:
    """The key review items of the run in `path` are stored under: its folder name, `-2`, `-3` when taken."""
    taken = set(taken)
    base = Path(path).resolve().name or "run"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


def run_keys(run_dirs: list[str | Path]) -> dict[str, Path]:
    """Run key -> directory, keys given in order by `run_key` (review app and dashboard)."""
    keys: dict[str, Path] = {}
    for path in run_dirs:
        keys[run_key(path, keys)] = Path(path)
    return keys


def load_runs(run_dirs: list[str | Path]) -> dict[str, RunData]:
    """Runs keyed by `run_keys`, finished or going on."""
    return {key: load_run(path, key, partial=True) for key, path in run_keys(run_dirs).items()}


def read_object(path: Path, required: bool) -> dict[str, Any]:
    """A JSON object file; {} when missing and not `required`; `InputError` when unreadable."""
    if not path.is_file():
        if required:
            raise InputError(f"{path} not found: is this a trajsift run directory?")
        return {}
    try:
        value = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InputError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(value, dict):
        raise InputError(f"{path} does not hold a JSON object")
    return value
