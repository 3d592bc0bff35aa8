"""Live state of a run in progress: `progress.json` written by the run, partial funnel read from `_work/`.

`LiveProgress` is a `Progress` (see executors/progress.py) that the run command composes with its rich
bars; every write is atomic and throttled. `partial_funnel` only reads, tolerating files that appear,
vanish or are half-written while it looks. Neither imports FastAPI: the run command uses this module.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from trajsift.executors.workspace import read_json, write_json

PROGRESS_FILE = "progress.json"
RUNNING, DONE, FAILED = "running", "done", "failed"
_STAGE_DIR = re.compile(r"^stage(\d+)-(.+)-[0-9a-f]{12}$")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class LiveProgress:
    """Writes `<run_dir>/progress.json`: status, phases with done/total, timestamps, rows read so far."""

    def __init__(self, run_dir: str | Path, min_interval: float = 0.5) -> None:
        self.path = Path(run_dir) / PROGRESS_FILE
        self.min_interval = min_interval
        self.state: dict[str, Any] = {
            "status": RUNNING,
            "pid": os.getpid(),
            "started_at": _now(),
            "updated_at": _now(),
            "phase": None,
            "phases": [],
            "rows": None,
        }
        self._last_write = 0.0
        self._write()

    def phase(self, name: str, total: int, done: int = 0) -> None:
        self._close_phase()
        entry = {"name": name, "total": total, "done": done, "started_at": _now(), "finished": False}
        self.state["phases"].append(entry)
        self.state["phase"] = name
        if name != "read" and self.state["rows"] is None:
            self.state["rows"] = _rows_read(self.path.parent)
        self._write()

    def advance(self, n: int) -> None:
        if self.state["phases"]:
            self.state["phases"][-1]["done"] += n
        if time.monotonic() - self._last_write >= self.min_interval:
            self._write()

    def finish(self, status: str = DONE) -> None:
        self._close_phase()
        self.state["status"] = status
        self.state["phase"] = None
        self._write()

    def _close_phase(self) -> None:
        if self.state["phases"]:
            self.state["phases"][-1]["finished"] = True

    def _write(self) -> None:
        self.state["updated_at"] = _now()
        try:
            write_json(self.path, self.state, checkpointed=False)  # timed writes: no fault-injection point
        except OSError:
            return  # progress is a convenience: a full disk must not fail the run here
        self._last_write = time.monotonic()


class ComposedProgress:
    """Forwards every call to several `Progress` implementations (rich bars + the live file)."""

    def __init__(self, *targets: Any) -> None:
        self.targets = targets

    def phase(self, name: str, total: int, done: int = 0) -> None:
        for target in self.targets:
            target.phase(name, total, done)

    def advance(self, n: int) -> None:
        for target in self.targets:
            target.advance(n)


def read_progress(run_dir: str | Path) -> dict[str, Any] | None:
    try:
        data = read_json(Path(run_dir) / PROGRESS_FILE)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _rows_read(run_dir: Path) -> int | None:
    done = sorted((run_dir / "_work").glob("read-*/DONE.json"), key=_mtime)
    try:
        return int(read_json(done[-1])["trajectories"]) if done else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def stage_dirs(run_dir: str | Path) -> list[tuple[int, str, Path]]:
    """(index, name, dir) of the newest work directory of each stage, in stage order."""
    newest: dict[int, tuple[float, str, Path]] = {}
    for path in (Path(run_dir) / "_work").glob("stage*-*"):
        match = _STAGE_DIR.match(path.name)
        if match and path.is_dir():
            index, stamp = int(match.group(1)), _mtime(path)
            if index not in newest or stamp > newest[index][0]:
                newest[index] = (stamp, match.group(2), path)
    return [(i, newest[i][1], newest[i][2]) for i in sorted(newest)]


def partial_funnel(run_dir: str | Path) -> list[dict[str, Any]]:
    """Per stage seen so far: shards annotated and rows passed / dropped / sent to review by that stage."""
    funnel = []
    for index, name, directory in stage_dirs(run_dir):
        counts: Counter[tuple[bool, str]] = Counter()
        shards = 0
        kind = "final" if (directory / "state.json").exists() else "ann"  # global stages decide in final-*
        for path in sorted(directory.glob(f"{kind}-*.parquet")):
            table = _read_decisions(path)
            if table is None:
                continue
            shards += 1
            pairs = zip(table["decision"].to_pylist(), table["decided_by"].to_pylist(), strict=True)
            counts.update((by == name, decision) for decision, by in pairs)
        earlier_drops = counts[(False, "drop")]
        alive = sum(counts.values()) - earlier_drops
        dropped, review = counts[(True, "drop")], counts[(True, "review")]
        entry = {"index": index, "name": name, "shards": shards, "in": alive, "dropped": dropped, "review": review}
        entry["passed"] = alive - dropped
        entry["pass_rate"] = round((alive - dropped) / alive, 4) if alive else None
        funnel.append(entry)
    return funnel


def _read_decisions(path: Path) -> pa.Table | None:
    try:
        return pq.read_table(path, columns=["decision", "decided_by"])
    except (OSError, pa.ArrowException, ValueError):
        return None  # vanished or still being renamed into place: the next poll sees it
