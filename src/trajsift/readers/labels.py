"""Outcome labels known from outside a trajectory (SWE-bench harness results), matched onto trajectories.

`load_labels(items)` reads label files (every shape is listed in `trajsift.readers.label_files`) or folders of
harness reports (every `report.json`, `results.json` and `final_report.json` below it, and Harbor trials'
`verifier/reward.txt`). An item
`RUN=FILE` binds the file to a run: its labels apply only to trajectories whose `source.run` is RUN.
Results keyed by run inside one file, and rows with a `run` column, are bound the same way.

Per-run result files are kept apart, never merged by instance id:
- several unbound items that label instances without naming a run (three runs' `final_report.json`)
  are bound to the names of the folders they sit in (SWE-agent keeps a run's report in the run folder its
  trajectories are read from, which is also their `source.run`); when those names do not tell the items
  apart, loading fails and asks for `RUN=FILE`;
- two labels for the same key (same path, trajectory, (instance, run) ...) that disagree are an error;
- a report listing only resolved ids, once bound to a run, labels the run's other trajectories not resolved.

Matching (`Labels.apply`), most specific key first; the first kind of key that matches decides:
 1. `path`: the label's path equals the trajectory's `source.path`, or a trailing part of it made of
    whole components (`/` or `:` boundaries; a trailing `:line` / `#row` locator is ignored), or of one
    of its parent folders (a label on a run folder covers the files in it);
 2. the trajectory id;  3. (task id, run);  4. (task id, model);
 5. (task id, a folder on the trajectory's path) for labels bound to a run that no trajectory's `source.run`
    names: a run report bound to its folder's name labels the trajectories read from that folder;
 6. the task id alone, only for labels that name nothing more specific (results files of one run):
    such a label applies to every trajectory of that task, so load one run's results at a time;
 7. a run whose report lists only resolved ids: its unlisted trajectories are not resolved.
Rows that differ in a more specific key but share a less specific one (two agents' run "1") make that
less specific key ambiguous: it leaves `outcome.resolved` unset (None), as does no match.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec

from trajsift.errors import InputError
from trajsift.readers.label_files import LabelFile, is_harbor_reward, parse_resolved, read_label_file
from trajsift.schema import Outcome, Trajectory

__all__ = ["Labels", "label_path", "load_labels", "parse_resolved", "split_binding"]

LABEL_FILE_NAMES = ("report.json", "results.json", "final_report.json")
LOCATOR = re.compile(r"(?::\d+|#\d+)$")


class _Sentinel(enum.Enum):
    AMBIGUOUS = "ambiguous"


AMBIGUOUS = _Sentinel.AMBIGUOUS
"""A key two labels disagree on; an enum member, so `is` holds in worker processes that unpickle `Labels`."""
KINDS = ("path", "trajectory", "task_run", "task_model", "task_folder", "task")
KEY_FIELDS = ("path", "trajectory_id", "task_id", "run", "model")


class Labels:
    """Resolved labels indexed by key kind; build with `load_labels`, or `add` directly."""

    def __init__(self) -> None:
        self.keys: dict[str, dict[Any, Any]] = {kind: {} for kind in KINDS}
        self.exact: dict[tuple[str, ...], tuple[bool, str]] = {}
        self.bound_runs: set[str] = set()
        self.closed_runs: dict[str, str] = {}
        """Run -> label source, for runs whose report lists only resolved ids."""
        self.rows = 0

    def __len__(self) -> int:
        return self.rows

    def add(self, resolved: bool, source: str, where: str = "", **key: str) -> None:
        """Add one label. Keys: `path`, `trajectory_id`, `task_id`, `run`, `model` (empty = not given).

        Raises `InputError` when the same key was already given the other value (`where`: the file, for
        that message; `source` by default)."""
        self._check_conflict(resolved, where or source, key)
        self.rows += 1
        task, run, model = key.get("task_id", ""), key.get("run", ""), key.get("model", "")
        entries = {
            "path": _normal_path(key.get("path", "")),
            "trajectory": key.get("trajectory_id", ""),
            "task_run": (task, run) if task and run else None,
            "task_model": (task, model) if task and model else None,
            "task_folder": (task, run) if task and run else None,
        }
        if run:
            self.bound_runs.add(run)
        if task and not (run or model or entries["path"]) and entries["trajectory"] in ("", task):
            entries["task"] = task
        for kind, value in entries.items():
            if value:
                self._bind(kind, value, (resolved, source))

    def close_run(self, run: str, source: str) -> None:
        """Trajectories of `run` that no label names are not resolved (a resolved-only report of that run)."""
        self.bound_runs.add(run)
        known = self.closed_runs.setdefault(run, source)
        if known != source:
            raise InputError(f"two reports listing only resolved ids for run {run!r}: {known} and {source}")

    def _check_conflict(self, resolved: bool, source: str, key: dict[str, str]) -> None:
        full = tuple(key.get(name, "") for name in KEY_FIELDS)
        known = self.exact.setdefault(full, (resolved, source))
        if known[0] != resolved:
            named = ", ".join(f"{name} {value!r}" for name, value in zip(KEY_FIELDS, full, strict=True) if value)
            raise InputError(
                f"conflicting labels for {named}: {_word(known[0])} in {known[1]}, {_word(resolved)} in {source}"
            )

    def _bind(self, kind: str, value: Any, label: tuple[bool, str]) -> None:
        table = self.keys[kind]
        known = table.get(value)
        if known is None:
            table[value] = label
        elif known is not AMBIGUOUS and known[0] != label[0]:
            table[value] = AMBIGUOUS

    def lookup(self, trajectory: Trajectory) -> tuple[bool, str] | None:
        """The (resolved, label source) for a trajectory, or None if unknown or ambiguous."""
        task, source = trajectory.task.task_id, trajectory.source
        runs = self._runs_of(source.run, source.path) if task else []
        candidates: dict[str, Iterable[Any]] = {
            "path": _path_candidates(source.path),
            "trajectory": [trajectory.id],
            "task_run": [(task, source.run)] if task and source.run else [],
            "task_model": [(task, source.model)] if task and source.model else [],
            "task_folder": [(task, run) for run in runs if run != source.run],
            "task": [task] if task else [],
        }
        for kind, values in candidates.items():
            table = self.keys[kind]
            for value in values:
                if value in table:
                    label = table[value]
                    return None if label is AMBIGUOUS else (label[0], f"{label[1]}:{kind}")
        closed = next((run for run in runs if run in self.closed_runs), None)
        return None if closed is None else (False, f"{self.closed_runs[closed]}:unlisted")

    def _runs_of(self, run: str, path: str) -> list[str]:
        """The bound runs a trajectory can belong to: its own run when a label names it, else the
        folders its path goes through (a run report sits in the folder of the run it reports on)."""
        if run in self.bound_runs:
            return [run]
        folders = re.split(r"[/:]", LOCATOR.sub("", _normal_path(path)))[:-1]
        return [name for name in reversed(folders) if name in self.bound_runs]

    def apply(self, trajectory: Trajectory) -> Trajectory:
        """The trajectory with `outcome` set from its label; unchanged when there is none."""
        found = self.lookup(trajectory)
        if found is None:
            return trajectory
        outcome = Outcome(resolved=found[0], label_source=found[1])
        return msgspec.structs.replace(trajectory, outcome=outcome)


def _word(resolved: bool) -> str:
    return "resolved" if resolved else "not resolved"


def _normal_path(path: str) -> str:
    path = path.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def _path_candidates(path: str) -> Iterator[str]:
    """The path and its parent folders, each with every trailing part on a `/` or `:` boundary."""
    path = LOCATOR.sub("", _normal_path(path))
    while path:
        yield path
        yield from (path[m.end() :] for m in re.finditer(r"[/:]", path) if m.end() < len(path))
        cut = max(path.rfind("/"), path.rfind(":"))
        path = path[:cut] if cut > 0 else ""


def split_binding(item: str | os.PathLike) -> tuple[str, str]:
    """`RUN=FILE` -> (RUN, FILE); a path that exists (even with `=` in its name) -> ("", path)."""
    text = os.fspath(item)
    run, sep, path = text.partition("=")
    if not sep or os.path.exists(text) or not run or not path:
        return "", text
    return run, path


def label_path(item: str | os.PathLike) -> str:
    """The file or folder of a `--labels` item (without its `RUN=` binding)."""
    return split_binding(item)[1]


def load_labels(items: str | os.PathLike | Iterable[str | os.PathLike]) -> Labels:
    """Read label items (`FILE`, `FOLDER` or `RUN=FILE`); raise `InputError` on unreadable or ambiguous ones."""
    if isinstance(items, (str, os.PathLike)):
        items = [items]
    groups = [group for item in items for group in _load_item(item)]
    _bind_indistinct(groups)
    labels = Labels()
    for _, files in groups:
        for file in files:
            for resolved, key in file.rows:
                labels.add(resolved, file.source, file.path, **key)
            if file.closed and file.run:
                labels.close_run(file.run, file.source)
    return labels


def _load_item(item: str | os.PathLike) -> list[tuple[str, list[LabelFile]]]:
    """The item's files in groups that may describe different runs: each run report (a results file in
    its run's folder) alone, the item's other files (per-instance reports, rows) together."""
    run, path = split_binding(item)
    files = [found for name in _label_files(path) for found in read_label_file(name)]
    if run:
        for file in files:
            file.bind(run)
    groups = [(file.path, [file]) for file in files if file.run_report]
    rest = [file for file in files if not file.run_report]
    return groups + ([(path, rest)] if rest else [])


def _bind_indistinct(groups: list[tuple[str, list[LabelFile]]]) -> None:
    """With several groups that label instances without naming a run, each is bound to its folder's name.

    Refused when those names do not tell the groups apart."""
    shared = [index for index, (_, files) in enumerate(groups) if any(_run_level(file) for file in files)]
    if len(shared) < 2:
        return
    names = {index: _run_folder(groups[index][0]) for index in shared}
    if len(set(names.values())) < len(shared) or "" in names.values():
        listed = ", ".join(groups[index][0] for index in shared)
        raise InputError(
            f"label files for different runs cannot be told apart ({listed}): they label instances "
            "without naming a run, from folders of the same name; bind each to its run with --labels RUN=FILE"
        )
    for index in shared:
        for file in groups[index][1]:
            if not file.run:
                file.bind(names[index])


def _run_level(file: LabelFile) -> bool:
    """An unbound file that reports on a whole run: task labels without a run, or a resolved-only report."""
    return not file.run and (file.closed or bool(file.task_only_ids()))


def _run_folder(path: str) -> str:
    """The run a label item sits in: the folder itself, or a file's folder."""
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    return os.path.basename(os.path.normpath(folder))


def _label_files(path: str) -> list[str]:
    if not os.path.exists(path):
        raise InputError(f"label file not found: {path}")
    if not os.path.isdir(path):
        return [path]
    found = [
        os.path.join(root, name)
        for root, _, names in os.walk(path)
        for name in names
        if (name in LABEL_FILE_NAMES or is_harbor_reward(os.path.join(root, name)))
        and not os.path.islink(os.path.join(root, name))
    ]
    if not found:
        raise InputError(f"no label file ({', '.join(LABEL_FILE_NAMES)}, verifier/reward.txt) under {path}")
    return sorted(found)
