"""The on-disk state of a run: atomic writes, completion by existence, and fault injection.

Every file is written to a temporary name and renamed into place, so a file that exists is
complete. A run killed at any point resumes from the files that exist.
"""

from __future__ import annotations

import hashlib
import os
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from trajsift.readers.sources.names import printable

KILL_ENV = "TRAJSIFT_KILL_AT_CHECKPOINT"
COUNT_ENV = "TRAJSIFT_COUNT_CHECKPOINTS"
_checkpoints = 0
_UMASK = os.umask(0)
os.umask(_UMASK)


def checkpoint() -> None:
    """Fault injection for the resume tests: SIGKILL this process at the Nth checkpoint.

    Checkpoints are counted per process, only around writes of the run's state (never around the
    wall-clock throttled `progress.json`), so a run over the same inputs passes the same count."""
    global _checkpoints
    target = os.environ.get(KILL_ENV)
    count_file = os.environ.get(COUNT_ENV)
    if not target and not count_file:
        return
    _checkpoints += 1
    if count_file:
        with open(count_file, "w") as handle:
            handle.write(str(_checkpoints))
    if target and _checkpoints == int(target):
        os.kill(os.getpid(), signal.SIGKILL)


def atomic_write(path: Path, write: Callable[[str], None], checkpointed: bool = True) -> None:
    """Call `write(tmp_path)` then rename onto `path`; `checkpointed=False` for writes made on a timer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)
        if checkpointed:
            checkpoint()
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if checkpointed:
        checkpoint()


def write_bytes(path: Path, data: bytes, checkpointed: bool = True) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            handle.write(data)

    atomic_write(path, write, checkpointed)


def write_json(path: Path, value: Any, checkpointed: bool = True) -> None:
    data = orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    write_bytes(path, data, checkpointed)


def read_json(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def write_table(path: Path, table: pa.Table) -> None:
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def read_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    return pq.read_table(path, columns=columns)


def clean_temporaries(root: Path) -> None:
    """Remove leftovers of writes interrupted by a kill."""
    if root.exists():
        for tmp in root.rglob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def digest(*parts: Any) -> str:
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()


def inputs_digest(inputs: list[str]) -> list[dict[str, Any]]:
    """Per input: path, total size and a digest of (relative path, size, mtime) of every file."""
    result = []
    for item in inputs:
        entries = []
        paths = [Path(item)] if not Path(item).is_dir() else sorted(Path(item).rglob("*"))
        for path in paths:
            if path.is_file() and not path.is_symlink():
                stat = path.stat()
                name = str(path.relative_to(item)) if path != Path(item) else path.name
                entries.append((printable(name), stat.st_size, stat.st_mtime_ns))
        size = sum(e[1] for e in entries)
        result.append({"path": printable(item), "files": len(entries), "bytes": size, "digest": digest(entries)})
    return result
