"""The runs a server shows: run folders named on the command line, or parent folders of runs, watched.

`RunRegistry.refresh()` (at most once per `min_interval`, from requests and from `serve`'s watcher
thread) finds new run folders, reloads runs whose files were rewritten (a rerun into a served folder)
and reconciles the review queue: new review rows become items; known items keep their id and labels
(items are keyed by run key + trajectory id, never by position) and are updated to the new run's
fingerprint; trajectories that left the queue are marked as such, their labels kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path

from trajsift.review.queue import QueueConfig, queue_items, sync_items
from trajsift.reviewdb import Sessions
from trajsift.rundata import RunData, load_run, run_key, run_signature
from trajsift.rundir import RunDir


def is_run_dir(path: Path) -> bool:
    return RunDir(path).is_run()


def find_run_dirs(roots: Iterable[Path]) -> list[Path]:
    """Each root that is a run folder, else the run folders directly inside it (a parent of runs)."""
    found: list[Path] = []
    for root in roots:
        if is_run_dir(root):
            found.append(root)
        elif root.is_dir():
            try:
                children = sorted(child for child in root.iterdir() if child.is_dir())
            except OSError:
                continue
            found.extend(child for child in children if is_run_dir(child))
    return found


class RunRegistry:
    """Run key -> `RunData` (in `runs`, mutated in place so holders of the dict see new runs)."""

    def __init__(self, roots: Iterable[str | Path], sessions: Sessions, queue: QueueConfig, min_interval=1.0):
        self.roots = [Path(root) for root in roots]
        self.sessions = sessions
        self.queue = queue
        self.min_interval = min_interval
        self.runs: dict[str, RunData] = {}
        self.paths: dict[str, Path] = {}
        self.reloads = 0
        """How many times a run's files were (re)loaded; lets tests and pages see a refresh happened."""
        self._last = float("-inf")
        self._lock = threading.Lock()

    def refresh(self, force: bool = False) -> list[str]:
        """Pick up new and rewritten runs; returns the keys (re)loaded. Cheap when nothing changed."""
        if not force and time.monotonic() - self._last < self.min_interval:
            return []
        if not self._lock.acquire(blocking=force):
            return []  # another thread is refreshing right now
        try:
            self._last = time.monotonic()
            for path in find_run_dirs(self.roots):
                self._key_of(path)
            return self._reload_changed()
        finally:
            self._lock.release()

    def _key_of(self, path: Path) -> str:
        """A stable key per folder (`rundata.run_key`: its name, `-2`, `-3` when names repeat)."""
        resolved = path.resolve()
        for key, known in self.paths.items():
            if known.resolve() == resolved:
                return key
        key = run_key(path, self.paths)
        self.paths[key] = path
        return key

    def _reload_changed(self) -> list[str]:
        changed = []
        for key, path in list(self.paths.items()):
            run = self.runs.get(key)
            if run is None or run.signature != run_signature(path):
                self.runs[key] = load_run(path, key, partial=True)
                self.reloads += 1
                changed.append(key)
        if changed:
            fresh = {key: self.runs[key] for key in changed}
            readable = [key for key in changed if not self.runs[key].unreadable]
            sync_items(self.sessions, queue_items(fresh, self.queue), reconcile=readable)
        return changed

    def watch(self, interval: float = 1.0) -> threading.Thread:
        """Refresh every `interval` seconds in a daemon thread (a run started after `serve` shows up)."""

        def loop() -> None:
            while True:
                time.sleep(interval)
                try:
                    self.refresh(force=True)
                except Exception:  # noqa: BLE001 - a bad folder must not stop the watcher; the next pass retries
                    continue

        thread = threading.Thread(target=loop, name="trajsift-run-watcher", daemon=True)
        thread.start()
        return thread
