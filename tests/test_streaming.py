"""Memory stays flat: reading 10x more records must not raise the peak resident memory.

Each read runs in a fresh subprocess that consumes `read_trajectories` without keeping items and
reports its peak resident set (`VmHWM`, or `ru_maxrss` where /proc is missing); the larger input's
peak must stay within a small factor of the smaller one's.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from trajsift.arrow import to_table, trajectory_schema
from trajsift.schema import Action, ActionType, Observation, Step, TaskRef, Trajectory

pytestmark = pytest.mark.timeout(60)

SMALL, LARGE = 2_000, 20_000
SLACK_KB = 8 * 1024

MEASURE = """
import json, resource, sys
from trajsift.readers.read import read_trajectories
from trajsift.schema import Trajectory


def peak_rss_kb():
    # VmHWM is this process image's own peak; ru_maxrss also counts the parent's peak before exec.
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


count = sum(isinstance(item, Trajectory) for item in read_trajectories(sys.argv[1:]))
print(json.dumps({"count": count, "maxrss_kb": peak_rss_kb()}))
"""


def make_record(n: int) -> Trajectory:
    steps = [
        Step(
            index=i,
            thought=f"step {i} of trajectory {n}: looking at the failing test " * 3,
            action=Action(type=ActionType.RUN_COMMAND, tool="bash", command=f"python -m pytest tests/test_{i}.py"),
            observation=Observation(text=f"output line {n}-{i}\n" * 20, exit_code=i % 2),
        )
        for i in range(4)
    ]
    return Trajectory(id=f"t{n}", task=TaskRef(task_id=f"octo__repo-{n % 300}"), steps=steps)


def write_jsonl_gz(path, count: int) -> None:
    with gzip.open(path, "wb", compresslevel=1) as out:
        for n in range(count):
            out.write(make_record(n).to_json() + b"\n")


def write_parquet(path, count: int, batch: int = 1000) -> None:
    with pq.ParquetWriter(path, trajectory_schema()) as writer:  # one row group per batch
        for start in range(0, count, batch):
            writer.write_table(to_table(make_record(n) for n in range(start, min(count, start + batch))))


KEEP_ALL = MEASURE.replace("count = sum(", "items = list(read_trajectories(sys.argv[1:]))\ncount = sum(").replace(
    "for item in read_trajectories(sys.argv[1:])", "for item in items"
)


def measure(path, script: str = MEASURE) -> dict:
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


@pytest.mark.parametrize(("suffix", "write"), [(".jsonl.gz", write_jsonl_gz), (".parquet", write_parquet)])
def test_peak_memory_does_not_grow_with_input_size(tmp_path, suffix, write):
    small, large = tmp_path / f"small{suffix}", tmp_path / f"large{suffix}"
    write(small, SMALL)
    write(large, LARGE)
    small_run, large_run = measure(small), measure(large)
    assert (small_run["count"], large_run["count"]) == (SMALL, LARGE)
    print(f"{suffix}: {SMALL} records -> {small_run['maxrss_kb']} KB, {LARGE} -> {large_run['maxrss_kb']} KB")
    assert large_run["maxrss_kb"] < 1.5 * small_run["maxrss_kb"] + SLACK_KB


def test_measurement_sees_growth_when_items_are_kept(tmp_path):
    """Control: the same probe does see memory grow when the consumer keeps every item."""
    write_jsonl_gz(tmp_path / "large.jsonl.gz", LARGE)
    flat, kept = measure(tmp_path / "large.jsonl.gz"), measure(tmp_path / "large.jsonl.gz", KEEP_ALL)
    assert kept["count"] == LARGE
    assert kept["maxrss_kb"] > flat["maxrss_kb"] + 40 * 1024, (flat, kept)
