"""Verification results cached by (task fingerprint, patch hash), and task validation results, in SQLite.

One database file `results.sqlite` under the cache dir, in WAL mode with a busy timeout, so several processes
(pipeline workers) and threads can read and write it at once. Each call opens its own short-lived connection.
Only judged verdicts (correct / partially correct / incorrect) are cached: an unknown verdict comes from an
infrastructure problem that may be gone next time.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import msgspec

from trajsift.harness.grading.verdict import Verdict
from trajsift.tasks import Task

HARNESS_VERSION = "8"
"""Bumped when the verification logic changes in a way that changes verdicts: old entries are then ignored.
2: the task's own pytest plugins no longer count as test tampering; validation also runs without the fix.
4, 5: hypothesis's import-time patch of pytest (an environment plugin) is no longer tampering.
6: pytest stopping before any test (a conftest that cannot import) is no longer tampering.
8: pytest 3's `Class::()::test` ids match the listed `Class::test` (astropy 1.3: class tests were missing)."""
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS results (task_fp TEXT NOT NULL, patch_hash TEXT NOT NULL, verdict TEXT NOT NULL,"
    " created REAL NOT NULL, PRIMARY KEY (task_fp, patch_hash))",
    "CREATE TABLE IF NOT EXISTS validations (task_fp TEXT PRIMARY KEY, task_id TEXT NOT NULL, status TEXT NOT NULL,"
    " detail TEXT NOT NULL, created REAL NOT NULL)",
)

INIT_ATTEMPTS = 40
"""Tries to open a new cache file while other processes create it (about 40 s of back-off in all)."""


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/trajsift` (else `~/.cache/trajsift`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "trajsift"


def patch_hash(patch: str) -> str:
    return hashlib.sha256(patch.encode("utf-8", "surrogatepass")).hexdigest()


def task_fingerprint(task: Task, repo_key: str = "", env_key: str = "") -> str:
    """Everything about a task that can change a verdict (not its instruction or metadata), plus the harness
    version. `repo_key` identifies the repository when the base commit alone does not (no base commit);
    `env_key` the environment the task resolves to (a SWE-bench task's comes from trajsift's table)."""
    relevant = msgspec.structs.replace(task, instruction="", metadata={}, category="", difficulty="")
    canonical = msgspec.json.encode([HARNESS_VERSION, relevant, "" if task.base_commit else repo_key, env_key])
    return hashlib.sha256(canonical).hexdigest()[:32]


class ResultCache:
    def __init__(self, cache_dir: Path) -> None:
        self.path = Path(cache_dir) / "results.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(INIT_ATTEMPTS):
            try:
                self._create()
                return
            except sqlite3.OperationalError as exc:
                # switching a new file to WAL takes the lock without waiting on the busy timeout: processes that
                # open a new cache together retry instead of failing
                if "locked" not in str(exc) or attempt == INIT_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _create(self) -> None:
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            for statement in SCHEMA:
                db.execute(statement)
            db.commit()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        db.execute("PRAGMA busy_timeout=60000")
        return db

    def get(self, task_fp: str, patch_digest: str) -> Verdict | None:
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT verdict FROM results WHERE task_fp=? AND patch_hash=?", (task_fp, patch_digest)
            ).fetchone()
        if row is None:
            return None
        try:
            return Verdict.from_json(row[0]).with_(cached=True)
        except (ValueError, TypeError):
            return None

    def put(self, task_fp: str, patch_digest: str, verdict: Verdict) -> None:
        if not verdict.is_judged:
            return
        with closing(self._connect()) as db:
            db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)",
                (task_fp, patch_digest, verdict.to_json(), time.time()),
            )

    def get_validation(self, task_fp: str) -> dict[str, Any] | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT status, detail FROM validations WHERE task_fp=?", (task_fp,)).fetchone()
        return None if row is None else {"status": row[0], **json.loads(row[1])}

    def put_validation(self, task_fp: str, task_id: str, status: str, detail: dict[str, Any]) -> None:
        with closing(self._connect()) as db:
            db.execute(
                "INSERT OR REPLACE INTO validations VALUES (?, ?, ?, ?, ?)",
                (task_fp, task_id, status, json.dumps(detail, sort_keys=True, default=str), time.time()),
            )
