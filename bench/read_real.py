"""Read every real trajectory source and compare reading cost with bare decoding of the same bytes.

Usage: python bench/read_real.py [DATA_DIR] [--repeat N]
DATA_DIR defaults to ../shared/data relative to the project root (or $TRAJSIFT_DATA_DIR).

Per source: trajectories read, quarantined rows by reason (rows from files that are not trajectories,
e.g. harness reports, are listed apart as sidecars), parse rate, median steps, the ActionType
distribution, and throughput (trajectories/s, MB/s of decompressed input) next to bare decoding
(gzip decompress + orjson.loads of every file / archive member, same process) with the ratio.
labels.csv is used to check that every labelled trajectory was read (matched by path).
"""

from __future__ import annotations

import argparse
import collections
import csv
import glob
import gzip
import os
import statistics
import sys
import tarfile
import time
from dataclasses import dataclass, field

import orjson

from trajsift.readers.read import read_trajectories
from trajsift.schema import Quarantined, Trajectory

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA_DIR = os.environ.get("TRAJSIFT_DATA_DIR", os.path.join(PROJECT_ROOT, "..", "shared", "data"))
SOURCES = {
    "swe-agent-gpt4-lite": ["swe-agent-gpt4-lite/results/swe-agent-results/cost_2_*/*.traj.gz"],
    "coder-gpt4-lite": ["coder-gpt4-lite/trajs/*.traj.gz"],
    "autocoderover-gpt4-lite": ["autocoderover-gpt4-lite.tar.gz"],
}
JSON_SUFFIXES = (".json", ".traj", ".jsonl")


@dataclass
class ReadResult:
    trajectories: list[Trajectory] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    seconds: float = 0.0


def discover_sources(data_dir: str) -> dict[str, list[str]]:
    sources = {name: [os.path.join(data_dir, p) for p in patterns] for name, patterns in SOURCES.items()}
    for sample in sorted(glob.glob(os.path.join(data_dir, "format-samples", "*"))):
        if os.path.isdir(sample):
            sources[f"format-samples/{os.path.basename(sample)}"] = [sample]
    return sources


def expand(inputs: list[str]) -> list[str]:
    paths = []
    for pattern in inputs:
        matches = sorted(glob.glob(pattern))
        for path in matches:
            if os.path.isdir(path):
                paths += sorted(os.path.join(d, f) for d, _, files in os.walk(path) for f in files)
            else:
                paths.append(path)
    return paths


def bare_decode(paths: list[str]) -> tuple[int, float]:
    """Decompress and JSON-decode every file or archive member; return (decompressed bytes, seconds)."""
    start = time.perf_counter()
    total = 0
    for path in paths:
        if path.endswith((".tar.gz", ".tgz", ".tar")):
            total += _bare_tar(path)
        else:
            with open(path, "rb") as handle:
                total += _bare_member(os.path.basename(path), handle.read())
    return total, time.perf_counter() - start


def _bare_tar(path: str) -> int:
    total = 0
    with tarfile.open(path, mode="r|*") as archive:
        for member in archive:
            if member.isfile():
                total += _bare_member(member.name, archive.extractfile(member).read())  # type: ignore[union-attr]
    return total


def _bare_member(name: str, data: bytes) -> int:
    if name.endswith(".gz"):
        data, name = gzip.decompress(data), name[:-3]
    if name.endswith(".jsonl"):
        for line in data.splitlines():
            if line.strip():
                orjson.loads(line)
    elif name.endswith(JSON_SUFFIXES):
        try:
            orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # lenient files (e.g. trailing commas) still cost their decode attempt
    return len(data)


def read_source(inputs: list[str]) -> ReadResult:
    result = ReadResult()
    start = time.perf_counter()
    for item in read_trajectories(inputs):
        if isinstance(item, Quarantined):
            result.quarantined.append(item)
        else:
            result.trajectories.append(item)
    result.seconds = time.perf_counter() - start
    return result


def load_labels(data_dir: str) -> list[dict[str, str]]:
    path = os.path.join(data_dir, "labels.csv")
    if not os.path.exists(path):
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def relative(path: str, data_dir: str) -> str:
    prefix = os.path.abspath(data_dir) + os.sep
    path = os.path.abspath(path.split(":", 1)[0]) + (":" + path.split(":", 1)[1] if ":" in path else "")
    return path[len(prefix) :] if path.startswith(prefix) else path


def labelled_rows(labels: list[dict[str, str]], inputs: list[str], data_dir: str) -> list[dict[str, str]]:
    roots = [relative(p, data_dir).split("*", 1)[0] for p in inputs]
    return [row for row in labels if any(row["path"].startswith(root) for root in roots)]


def timed(inputs: list[str], paths: list[str], repeat: int) -> tuple[ReadResult, float, int]:
    """Best of `repeat` runs of bare decoding and of reading, interleaved; returns (read, bare s, bytes)."""
    bare_seconds, read, size = float("inf"), ReadResult(seconds=float("inf")), 0
    for _ in range(repeat):
        size, seconds = bare_decode(paths)
        bare_seconds = min(bare_seconds, seconds)
        attempt = read_source(inputs)
        read = attempt if attempt.seconds < read.seconds else read
    return read, bare_seconds, size


def report(name: str, inputs: list[str], labels: list[dict[str, str]], data_dir: str, repeat: int) -> dict:
    paths = expand(inputs)
    read, bare_seconds, size = timed(inputs, paths, repeat)
    by_path = {relative(t.source.path, data_dir): t for t in read.trajectories}
    wanted = labelled_rows(labels, inputs, data_dir)
    found = [row for row in wanted if row["path"] in by_path]
    sidecars = [q for q in read.quarantined if not _is_labelled_origin(q.origin, wanted, data_dir)]
    quarantined = [q for q in read.quarantined if q not in sidecars]
    n, mb = len(read.trajectories), size / 1e6
    steps = [len(t.steps) for t in read.trajectories]
    types = collections.Counter(step.action.type.value for t in read.trajectories for step in t.steps)
    same_steps = sum(1 for row in found if row.get("n_steps") == str(len(by_path[row["path"]].steps)))
    ratio = read.seconds / bare_seconds if bare_seconds else float("inf")
    print(f"\n== {name}  ({len(paths)} input files, {mb:.1f} MB decompressed)")
    print(f"  trajectories read     {n}")
    print(f"  quarantined           {len(quarantined)}  {_reasons(quarantined)}")
    if sidecars:
        print(f"  sidecar rows (not trajectories, quarantined) {len(sidecars)}  {_sidecar_summary(sidecars)}")
    print(f"  parse rate            {n / (n + len(quarantined)) if n + len(quarantined) else 0.0:.1%}")
    print(
        f"  labelled rows found   {len(found)}/{len(wanted)}   n_steps equal to labels.csv: {same_steps}/{len(found)}"
    )
    print(f"  median steps          {statistics.median(steps) if steps else 0}")
    total_steps = sum(types.values()) or 1
    print("  action types          " + ", ".join(f"{k} {v / total_steps:.1%}" for k, v in types.most_common()))
    print(f"  read                  {read.seconds:.3f}s  {n / read.seconds:.0f} traj/s  {mb / read.seconds:.1f} MB/s")
    print(f"  bare decode           {bare_seconds:.3f}s  {mb / bare_seconds:.1f} MB/s   ratio read/bare {ratio:.2f}x")
    keys = ("read", "quarantined", "found", "wanted", "read_s", "bare_s", "mb")
    values = (n, len(quarantined), len(found), len(wanted), read.seconds, bare_seconds, mb)
    return dict(zip(keys, values, strict=True))


def _is_labelled_origin(origin: str, rows: list[dict[str, str]], data_dir: str) -> bool:
    where = relative(origin, data_dir)
    return any(where == row["path"] or where.startswith(row["path"] + "/") for row in rows)


def _reasons(items: list[Quarantined]) -> str:
    counts = collections.Counter(q.reason for q in items)
    return ", ".join(f"{reason} x{count}" for reason, count in counts.most_common())


def _sidecar_summary(items: list[Quarantined]) -> str:
    names = collections.Counter((q.reason, q.origin.rsplit("/", 1)[-1].split("#", 1)[0]) for q in items)
    return ", ".join(f"{name} ({reason}) x{count}" for (reason, name), count in names.most_common())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("data_dir", nargs="?", default=DEFAULT_DATA_DIR)
    parser.add_argument("--repeat", type=int, default=2, help="best of N timings (default 2)")
    parser.add_argument("--only", default="", help="run only sources whose name contains this")
    args = parser.parse_args(argv)
    data_dir = os.path.abspath(args.data_dir)
    labels = load_labels(data_dir)
    print(f"data dir {data_dir}; labels.csv rows {len(labels)}")
    results = [
        report(name, inputs, labels, data_dir, max(1, args.repeat))
        for name, inputs in discover_sources(data_dir).items()
        if args.only in name
    ]
    found, wanted = sum(r["found"] for r in results), sum(r["wanted"] for r in results)
    read_s, bare_s, mb = (sum(r[k] for r in results) for k in ("read_s", "bare_s", "mb"))
    print(
        f"\nTOTAL  trajectories {sum(r['read'] for r in results)}  quarantined {sum(r['quarantined'] for r in results)}"
        f"  labelled rows found {found}/{wanted}  read {read_s:.2f}s vs bare {bare_s:.2f}s"
        f" ({mb:.0f} MB): ratio {read_s / bare_s:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
