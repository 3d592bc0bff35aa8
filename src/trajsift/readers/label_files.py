"""Outcome label files parsed into rows: every supported shape, one `LabelFile` per run it describes.

Shapes (see `trajsift.readers.labels` for how rows match trajectories):
- `results.json` of the SWE-bench experiments layout: lists of instance ids (`resolved`, `applied`,
  `no_generation`, ...). Ids in `resolved` are resolved; ids in any other list are not, except ids seen
  only in infrastructure-failure lists (`install_fail`, `error_ids`, ...), which stay unlabelled.
- harness / sb-cli run reports (`final_report.json`, `<model>.<run_id>.json`): `resolved_ids`,
  `unresolved_ids`, `empty_patch_ids`, `completed_ids` (`submitted_ids` judges nothing, `error_ids` and
  `incomplete_ids` stay unlabelled); an id the report does not list is unlabelled.
- a report listing only resolved ids (SWE-agent's `final_report.json`: `stats`, `resolved`): `closed`, so
  once bound to a run every other trajectory of that run is not resolved.
- per-instance harness `report.json`: `{instance_id: {"resolved": bool, ...}}`.
- reports keyed by run: `{run: <one of the reports above>}`, one `LabelFile` per run.
- a Harbor trial's `verifier/reward.txt` / `reward.json`: the trial folder (`<job>/<trial>`, which holds the
  trial's `agent/trajectory.json`) is resolved when the reward is 1, not resolved below.
- CSV, JSONL or a JSON list of rows with a `resolved` column (true/false/1/0/yes/no) and key columns:
  `instance_id` or `task_id`, `trajectory_id`, `id`, `path`, `run` (or `source`), `model`.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from trajsift.errors import InputError

INFRA_LISTS = frozenset({"install_fail", "reset_failed", "test_errored", "error_ids", "incomplete_ids", "error"})
"""Lists of ids the harness could not judge (environment broke): those ids stay unlabelled."""
UNJUDGED_LISTS = frozenset({"submitted_ids", "submitted"})
"""Lists of ids sent for evaluation: listing an id there says nothing about its outcome."""
RESOLVED_LISTS = ("resolved", "resolved_ids")
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "resolved"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "unresolved"})
TASK_COLUMNS = ("instance_id", "task_id")
HARBOR_REWARDS = ("reward.txt", "reward.json")
TRAILING_COMMA = re.compile(rb",(\s*[\]}])")

Row = tuple[bool, dict[str, str]]


@dataclass
class LabelFile:
    """The labels one file gives for one run (`run` empty: the file does not say which run)."""

    path: str
    rows: list[Row] = field(default_factory=list)
    run: str = ""
    closed: bool = False
    """The file lists only resolved ids: every other trajectory of its run is not resolved."""
    run_report: bool = False
    """Id lists summing up one run (`results.json`, `final_report.json`), as opposed to rows or per-instance reports."""

    @property
    def source(self) -> str:
        """The label source shown on trajectories: the file name, `RUN=file` once bound to a run."""
        name = os.path.basename(self.path)
        return f"{self.run}={name}" if self.run else name

    def task_only_ids(self) -> set[str]:
        """Task ids of rows that name no run, model, path or trajectory: they would match every run."""
        return {key["task_id"] for _, key in self.rows if _task_only(key)}

    def bind(self, run: str) -> None:
        """Scope every row to `run`; a row naming another run is an error."""
        for _, key in self.rows:
            if key.get("run") and key["run"] != run:
                raise InputError(f"{self.path}: bound to run {run!r} but has a row for run {key['run']!r}")
            key["run"] = run
        self.run = run


def _task_only(key: dict[str, str]) -> bool:
    task = key.get("task_id", "")
    extra = key.get("run") or key.get("model") or key.get("path")
    return bool(task) and not extra and key.get("trajectory_id", "") in ("", task)


def read_label_file(path: str) -> list[LabelFile]:
    """The label files (one per run described) in `path`; raise `InputError` when it cannot be read."""
    try:
        with open(path, "rb") as raw:
            data = gzip.decompress(raw.read()) if path.endswith(".gz") else raw.read()
        name = path.removesuffix(".gz")
        if is_harbor_reward(name):
            return [_harbor_reward_file(path, data)]
        if name.endswith(".csv"):
            return [_rows_file(path, csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))]
        if name.endswith((".jsonl", ".ndjson")):
            return [_rows_file(path, _jsonl_rows(data))]
        return _document_files(path, _loads_lenient(data))
    except (OSError, UnicodeDecodeError, orjson.JSONDecodeError, csv.Error, EOFError) as exc:
        raise InputError(f"cannot read label file {path}: {type(exc).__name__}: {exc}") from exc
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from exc


def is_harbor_reward(path: str) -> bool:
    """A Harbor trial's verifier output, `<job>/<trial>/verifier/reward.txt` (or `reward.json`)."""
    return os.path.basename(path) in HARBOR_REWARDS and os.path.basename(os.path.dirname(path)) == "verifier"


def _harbor_reward_file(path: str, data: bytes) -> LabelFile:
    """The trial's label, keyed by its folder (`<job>/<trial>`, which holds `agent/trajectory.json`): resolved
    when the reward is 1 (every test passed), not resolved below that."""
    text = data.decode("utf-8").strip()
    value: Any = _loads_lenient(data) if path.endswith(".json") else text
    if isinstance(value, dict):
        value = value.get("reward")
    try:
        reward = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        reward = math.nan
    if math.isnan(reward):
        raise InputError(f"reward {text[:40]!r} is not a number")
    trial = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    folder = f"{os.path.basename(os.path.dirname(trial))}/{os.path.basename(trial)}"
    key = {"task_id": "", "trajectory_id": "", "path": folder, "run": "", "model": ""}
    return LabelFile(path, [(reward >= 1.0, key)])


def _loads_lenient(data: bytes) -> Any:
    """JSON, tolerating the trailing commas hand-edited results files carry (`"id",\n]`)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "trailing comma" not in str(exc):
            raise
        return orjson.loads(TRAILING_COMMA.sub(rb"\1", data))


def _jsonl_rows(data: bytes) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(data.splitlines(), 1):
        if line.strip():
            row = orjson.loads(line)
            if not isinstance(row, dict):
                raise InputError(f"line {number} is not a JSON object")
            yield row


def _document_files(path: str, document: Any) -> list[LabelFile]:
    if isinstance(document, list) and all(isinstance(row, dict) for row in document):
        return [_rows_file(path, document)]
    if isinstance(document, dict) and document and all(_has_resolved_list(v) for v in document.values()):
        files = [_report_file(path, report) for report in document.values()]
        for run, file in zip(document, files, strict=True):
            file.bind(str(run))
        return files
    return [_report_file(path, document)]


def _is_run_report(value: Any) -> bool:
    return isinstance(value, dict) and any(isinstance(v, list) for v in value.values())


def _has_resolved_list(value: Any) -> bool:
    """A value of a report keyed by run: a run report with its list of resolved ids."""
    return isinstance(value, dict) and any(isinstance(value.get(key), list) for key in RESOLVED_LISTS)


def _report_file(path: str, document: Any) -> LabelFile:
    if _is_run_report(document):
        return _id_lists_file(path, document)
    if isinstance(document, dict) and document and all(_is_instance_report(v) for v in document.values()):
        rows = [(report["resolved"], {"task_id": str(task_id)}) for task_id, report in document.items()]
        return LabelFile(path, rows)
    raise InputError("not a label file: expected id lists, per-instance reports or rows with 'resolved'")


def _is_instance_report(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("resolved"), bool)


def _id_lists_file(path: str, document: dict[str, Any]) -> LabelFile:
    """`results.json` / run reports: resolved ids, and ids the harness judged not resolved.

    An id in an infrastructure-failure list is left unlabelled unless it is also resolved."""
    resolved = {task for key in RESOLVED_LISTS for task in _id_list(document, key)}
    infra: set[str] = set()
    judged: set[str] = set()
    for key in document:
        if key not in UNJUDGED_LISTS:
            (infra if key in INFRA_LISTS else judged).update(_id_list(document, key))
    lists = {key for key, value in document.items() if isinstance(value, list)}
    if not judged and not lists & set(RESOLVED_LISTS):
        raise InputError("no instance id list found")
    rows = [(task in resolved, {"task_id": task}) for task in sorted(resolved | (judged - infra))]
    return LabelFile(path, rows, closed=lists <= set(RESOLVED_LISTS), run_report=True)


def _id_list(document: dict[str, Any], key: str) -> list[str]:
    value = document.get(key)
    return [str(item) for item in value if isinstance(item, (str, int))] if isinstance(value, list) else []


def _rows_file(path: str, rows: Iterable[dict[str, Any]]) -> LabelFile:
    found: list[Row] = []
    for row in rows:
        if "resolved" not in row:
            raise InputError(f"row without a 'resolved' column: {sorted(row)[:8]}")
        resolved = parse_resolved(row["resolved"])
        key = _row_key(row)
        if resolved is not None and any(key.values()):
            found.append((resolved, key))
    if not found:
        raise InputError("no usable label row (need 'resolved' and one of instance_id, task_id, id, path)")
    return LabelFile(path, found)


def _row_key(row: dict[str, Any]) -> dict[str, str]:
    def text(*names: str) -> str:
        for name in names:
            value = row.get(name)
            if value not in (None, ""):
                return str(value).strip()
        return ""

    task = text(*TASK_COLUMNS)
    return {
        "task_id": task or text("id"),
        "trajectory_id": text("trajectory_id", "id"),
        "path": text("path"),
        "run": text("run", "source"),
        "model": text("model"),
    }


def parse_resolved(value: Any) -> bool | None:
    """`True`/`False` from a bool, 0/1, or a yes/no style word; None when it says neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower() if value is not None else ""
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None
