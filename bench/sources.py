"""The labelled real sources under ../shared/data, read into trajectories with their official outcome.

Used by the real-data benchmarks (`transfer.py`, ...). Five primary sources: three 2024 GPT-4 agents on
SWE-bench Lite and two 2025 agents on SWE-bench Verified. Each trajectory gets `outcome.resolved` from the
official labels, and the task fields (repo, base commit, instruction, difficulty) from the metadata file.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

from trajsift.readers.read import read_trajectories
from trajsift.schema import Trajectory
from trajsift.tasks import Task

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA_DIR = os.environ.get("TRAJSIFT_DATA_DIR", os.path.join(PROJECT_ROOT, "..", "shared", "data"))


@dataclass(frozen=True)
class SourceSpec:
    name: str
    path: str
    """Inputs to read, relative to the data dir."""
    labels: str
    """`labels.csv` (by path) or a per-source `labels.csv` of instance_id,resolved (by task id)."""
    metadata: str


LITE = "swebench-lite-metadata.jsonl"
VERIFIED = "verified-dev/verified_metadata.jsonl"
SOURCES = (
    SourceSpec("lite/swe-agent", "swe-agent-gpt4-lite/results/swe-agent-results", "labels.csv", LITE),
    SourceSpec("lite/coder", "coder-gpt4-lite/trajs", "labels.csv", LITE),
    SourceSpec("lite/autocoderover", "autocoderover-gpt4-lite.tar.gz", "labels.csv", LITE),
    SourceSpec(
        "verified/mini-swe-agent",
        "verified-dev/mini-swe-agent-gemini3/trajs",
        "verified-dev/mini-swe-agent-gemini3/labels.csv",
        VERIFIED,
    ),
    SourceSpec(
        "verified/openhands",
        "verified-dev/openhands-fncall-claude35/trajs",
        "verified-dev/openhands-fncall-claude35/labels.csv",
        VERIFIED,
    ),
)


def load_tasks(data_dir: str, metadata: str) -> dict[str, Task]:
    tasks = {}
    with open(os.path.join(data_dir, metadata), "rb") as handle:
        for line in handle:
            record = orjson.loads(line)
            tasks[record["instance_id"]] = Task.from_swebench(record)
    return tasks


def _path_labels(data_dir: str) -> dict[str, bool]:
    with open(os.path.join(data_dir, "labels.csv"), newline="") as handle:
        return {row["path"].split(".tar.gz:", 1)[-1]: row["resolved"] == "True" for row in csv.DictReader(handle)}


def _id_labels(path: str) -> dict[str, bool]:
    with open(path, newline="") as handle:
        return {row["instance_id"]: row["resolved"] == "True" for row in csv.DictReader(handle)}


def _label_by_path(traj: Trajectory, labels: dict[str, bool], data_dir: str) -> bool | None:
    path = traj.source.path.split(".tar.gz:", 1)[-1]
    absolute, root = os.path.abspath(path), os.path.abspath(data_dir)
    if absolute.startswith(root + os.sep):  # a file of the data folder, however the folder was named
        path = os.path.relpath(absolute, root)
    while path and path not in labels:
        path = os.path.dirname(path)  # AutoCodeRover: a member file inside the labelled folder
    return labels.get(path)


def _instance_of(traj: Trajectory) -> str:
    parts = traj.source.path.replace("\\", "/").split("/")
    return parts[-2] if len(parts) >= 2 else traj.task.task_id


def read_source(spec: SourceSpec, data_dir: str) -> Iterator[Trajectory]:
    """The source's labelled trajectories with `outcome.resolved` and task fields set."""
    tasks = load_tasks(data_dir, spec.metadata)
    by_path = spec.labels == "labels.csv"
    labels = _path_labels(data_dir) if by_path else _id_labels(os.path.join(data_dir, spec.labels))
    for item in read_trajectories([os.path.join(data_dir, spec.path)]):
        if not isinstance(item, Trajectory):
            continue
        if not by_path:
            item.task.task_id = _instance_of(item)
        label = _label_by_path(item, labels, data_dir) if by_path else labels.get(item.task.task_id)
        if label is None:
            continue
        item.outcome.resolved = label
        task = tasks.get(item.task.task_id)
        if task is not None:
            item.task.repo = item.task.repo or task.repo
            item.task.base_commit = item.task.base_commit or task.base_commit
            item.task.instruction = item.task.instruction or task.instruction
            item.task.difficulty = item.task.difficulty or task.difficulty
        yield item


def load_all(data_dir: str, names: list[str] | None = None) -> dict[str, list[Trajectory]]:
    return {spec.name: list(read_source(spec, data_dir)) for spec in SOURCES if not names or spec.name in names}
