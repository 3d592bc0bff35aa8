"""Memory stays bounded on inputs built to blow it up: a line of hundreds of MB inside .jsonl.gz and
.jsonl.zst, hundreds of MB of blank lines, a sparse file of GBs, a tar of tens of thousands of members.

Each case is built cheaply (sparse files, compressed generators) and read in a subprocess; its peak
resident set comes from `getrusage(RUSAGE_CHILDREN)` in a wrapper process that runs only that read, and
is compared with the same read of a small valid file: the bad input may cost at most the record limit
plus buffers on top of it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import corpus_archives
import corpus_files
from corpus import VALID_NEEDED, synthetic_record
from trajsift.readers.sources.units import DEFAULT_MAX_RECORD_BYTES

pytestmark = pytest.mark.timeout(180)

READ = """
import json, sys
from trajsift.readers.read import read_trajectories
from trajsift.schema import Trajectory
items = list(read_trajectories(sys.argv[1:]))
print(json.dumps({"read": sum(isinstance(i, Trajectory) for i in items),
                  "reasons": sorted({i.reason for i in items if not isinstance(i, Trajectory)})}))
"""
WRAPPER = """
import json, resource, subprocess, sys
done = subprocess.run([sys.executable, "-c", sys.argv[1], *sys.argv[2:]], capture_output=True, text=True, check=True)
result = json.loads(done.stdout)
result["peak_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps(result))
"""
VALID = [synthetic_record(f"valid-{i}") for i in range(VALID_NEEDED)]
ALLOWANCE_KB = (DEFAULT_MAX_RECORD_BYTES + 96 * 1024 * 1024) // 1024
"""What a bad input may add to the peak: one record at the limit plus stream and chunk buffers."""


def measured_read(path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, READ, str(path)], capture_output=True, text=True, check=True, timeout=170
    )
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def baseline_kb(tmp_path_factory) -> int:
    folder = tmp_path_factory.mktemp("baseline")
    (folder / "a.jsonl").write_bytes(b"\n".join(VALID) + b"\n")
    return measured_read(folder)["peak_kb"]


BIG_KINDS = ["gz_line_bomb", "zst_line_bomb", "gz_blank_line_bomb", "sparse_jsonl", "tar_of_many_members"]


@pytest.mark.parametrize("kind", BIG_KINDS)
def test_peak_memory_is_bounded(tmp_path, monkeypatch, baseline_kb, kind):
    monkeypatch.setattr(corpus_files, "BOMB_BYTES", 4 * DEFAULT_MAX_RECORD_BYTES)  # 256 MB expanded
    monkeypatch.setattr(corpus_files, "SPARSE_BYTES", 512 * 1024**2)
    monkeypatch.setattr(corpus_archives, "MANY_MEMBERS", 10_000)
    kinds = {**corpus_files.FILE_KINDS}
    case = kinds[kind](tmp_path, VALID)
    result = measured_read(tmp_path)
    assert result["read"] == case.valid
    assert set(result["reasons"]) == case.reasons
    print(f"{kind}: peak {result['peak_kb'] // 1024} MB, baseline {baseline_kb // 1024} MB")
    assert result["peak_kb"] < baseline_kb + ALLOWANCE_KB


def test_measurement_sees_a_large_record_held(tmp_path, baseline_kb):
    """Control: a valid record near the limit is held whole, and the probe sees it."""
    record = VALID[0][:-1] + b',"metadata":{"blob":"' + b"x" * (DEFAULT_MAX_RECORD_BYTES - 4096) + b'"}}'
    (tmp_path / "big.jsonl").write_bytes(record + b"\n")
    result = measured_read(tmp_path)
    assert result["read"] == 1
    assert result["peak_kb"] > baseline_kb + DEFAULT_MAX_RECORD_BYTES // 1024
