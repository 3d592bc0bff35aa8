"""Files on disk: atomic writes, JSON and Parquet helpers, digests, and the kill-point hook.

Every file is written to a temporary name and renamed into place, so a file that exists is
complete. A run killed at any point resumes from the files that exist.

`checkpoint()` marks the moments around each write of a run's state (before and after its rename).
It does nothing unless a test installed a kill point with `set_kill_point` / `kill_point`: the resume
tests use that to SIGKILL a run at the Nth checkpoint.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    import pyarrow as pa

FILE_MODE = 0o644
"""Mode of every file written here (set explicitly; the process umask is never changed)."""
_kill_point: Callable[[], None] | None = None


def set_kill_point(hook: Callable[[], None] | None) -> Callable[[], None] | None:
    """Install `hook` to be called at every checkpoint (None removes it); returns the previous hook."""
    global _kill_point
    previous, _kill_point = _kill_point, hook
    return previous


@contextmanager
def kill_point(hook: Callable[[], None]) -> Iterator[None]:
    """Call `hook` at every checkpoint while the block runs."""
    previous = set_kill_point(hook)
    try:
        yield
    finally:
        set_kill_point(previous)


def checkpoint() -> None:
    """A moment where a kill must leave a resumable state; calls the installed kill point, if any.

    Checkpoints surround writes of the run's state only (never the wall-clock throttled live files),
    so a run over the same inputs passes the same sequence of checkpoints."""
    if _kill_point is not None:
        _kill_point()


def atomic_write(path: Path, write: Callable[[str], None], checkpointed: bool = True) -> None:
    """Call `write(tmp_path)` then rename onto `path`; `checkpointed=False` for writes made on a timer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, FILE_MODE)
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


def read_json_dict(path: Path) -> dict[str, Any] | None:
    """A JSON object from `path`; None when the file is missing, unreadable, not JSON or not an object."""
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def files_signature(paths: Iterator[Path] | list[Path], inode: bool = False) -> str:
    """A short hash that changes when any of `paths` is written (mtime, size, optionally inode) or appears."""
    parts = []
    for file in paths:
        try:
            stat = file.stat()
            parts.append(f"{file.name}:{stat.st_mtime_ns}:{stat.st_size}" + (f":{stat.st_ino}" if inode else ""))
        except OSError:
            parts.append(f"{file.name}:-")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def write_table(path: Path, table: pa.Table) -> None:
    import pyarrow.parquet as pq

    atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def read_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    """One Parquet file, read directly: `pq.read_table` goes through `pyarrow.dataset`, whose import pulls in
    pandas (~0.4 cpu-s in every process that reads a table: the driver and each pool worker)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).read(columns=columns)


def clean_temporaries(root: Path) -> None:
    """Remove leftovers of writes interrupted by a kill."""
    if root.exists():
        for tmp in root.rglob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def digest(*parts: Any) -> str:
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()
