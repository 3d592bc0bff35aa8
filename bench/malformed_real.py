"""Run `trajsift run` on every malformed-input kind of the corpus, embedded between real trajectories.

Usage: python bench/malformed_real.py [DATA_DIR] [--kinds SUBSTRING ...] [--small]
DATA_DIR defaults to ../shared/data relative to the project root (or $TRAJSIFT_DATA_DIR).

Six real trajectories (two SWE-agent, two CodeR, two mini-swe-agent; the smallest of each source) are
copied into a temporary folder as JSONL lines and each kind of `tests/corpus*.py` is built around them
at full size (1 GB lines and blank-line bombs, a sparse 20 GB file, a tar of 100,000 members; `--small`
keeps the unit-test sizes). Per kind, one `trajsift run` in a subprocess; printed: crashed (exit code
other than 0, or 4 when no valid trajectory is expected, or a traceback), valid trajectories lost, bad
units unaccounted (expected reasons missing from quarantine.jsonl), unexpected reasons, peak RSS of
the run (RUSAGE_CHILDREN of a small wrapper process), seconds. Then the totals. Nothing is
written outside the temporary folder.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT / "tests"))  # the corpus lives beside the unit tests that use it

import corpus  # noqa: E402
import corpus_archives  # noqa: E402
import corpus_files  # noqa: E402

DEFAULT_DATA_DIR = os.environ.get("TRAJSIFT_DATA_DIR", str(PROJECT_ROOT.parent / "shared" / "data"))
SOURCES = [
    "swe-agent-gpt4-lite/results/swe-agent-results/cost_2_1/*.traj.gz",
    "coder-gpt4-lite/trajs/*.traj.gz",
    "format-samples/mini-swe-agent/*/*.traj.json.gz",
]
TIMEOUT_S = 300
NATIVE = b'{"id":"native-base","schema_version":"1","task":{"task_id":"octo__repo-1"},"steps":[{"index":0}]}'


def real_lines(data_dir: str) -> list[bytes]:
    """The two smallest trajectories of each source, each as one compact JSON line."""
    found: list[bytes] = []
    for pattern in SOURCES:
        paths = sorted(glob.glob(os.path.join(data_dir, pattern)), key=os.path.getsize)[:2]
        if len(paths) < 2:
            raise SystemExit(f"no real trajectories under {data_dir}/{pattern}")
        for path in paths:
            raw = Path(path).read_bytes()
            found.append(orjson.dumps(orjson.loads(gzip.decompress(raw) if path.endswith(".gz") else raw)))
    return found


def run_kind(name: str, build: corpus.Kind, valid: list[bytes], work: Path) -> dict:
    root, out = work / name / "in", work / name / "out"
    root.mkdir(parents=True)
    case = build(root, valid)
    inputs = [str(root / p) for p in case.inputs] or [str(root)]
    started = time.monotonic()
    code, rss_kb, stderr = _run([sys.executable, "-m", "trajsift", "run", *inputs, "--out", str(out)])
    seconds = time.monotonic() - started
    result = _judge(case, out, code, stderr)
    shutil.rmtree(work / name, ignore_errors=True)
    return {"kind": name, **result, "rss_mb": rss_kb / 1024, "seconds": seconds}


MEASURE = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
"""Runs the command from a small process: a child forked from this (large) bench would count its
parent's memory in its own peak."""


def _run(command: list[str]) -> tuple[int, int, str]:
    """Exit code, peak RSS (KB) of the run and its children, stderr tail; killed after TIMEOUT_S."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", MEASURE, *command], stdout=subprocess.PIPE, stderr=err, start_new_session=True
        )
        try:
            out, _ = proc.communicate(timeout=TIMEOUT_S)
            code, rss_kb = (int(x) for x in out.split())
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code, rss_kb = -9, 0
        err.seek(0)
        return code, rss_kb, err.read()[-4000:].decode("utf-8", "replace")


def _judge(case: corpus.Case, out: Path, code: int, stderr: str) -> dict:
    stats_path, quarantine_path = out / "stats.json", out / "quarantine.jsonl"
    expected_code = 0 if case.valid else 4
    crashed = code != expected_code or "Traceback" in stderr or not stats_path.exists()
    read = orjson.loads(stats_path.read_bytes())["input"]["trajectories"] if stats_path.exists() else 0
    seen: set[str] = set()
    if quarantine_path.exists():
        seen = {orjson.loads(row)["reason"] for row in quarantine_path.read_bytes().splitlines() if row.strip()}
    return {
        "crashed": crashed,
        "valid_lost": max(0, case.valid - read),
        "unaccounted": len(case.reasons - seen),
        "unexpected": sorted(seen - case.reasons),
        "error": stderr.strip().splitlines()[-1] if crashed and stderr.strip() else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=DEFAULT_DATA_DIR)
    parser.add_argument("--kinds", nargs="*", default=[], help="only kinds whose name holds one of these")
    parser.add_argument("--small", action="store_true", help="unit-test sizes instead of full sizes")
    args = parser.parse_args()
    if not args.small:
        corpus_files.SPARSE_BYTES, corpus_files.BOMB_BYTES = 20 * 1024**3, 1024**3
        corpus_archives.MANY_MEMBERS = 100_000
    valid = real_lines(args.data_dir)
    kinds = {k: v for k, v in corpus.all_kinds(NATIVE).items() if not args.kinds or any(s in k for s in args.kinds)}
    rows = []
    with tempfile.TemporaryDirectory(prefix="trajsift-malformed-") as work:
        for name, build in sorted(kinds.items()):
            rows.append(run_kind(name, build, valid, Path(work)))
            _print_row(rows[-1])
    _print_totals(rows)


def _print_row(row: dict) -> None:
    flags = f"{'CRASH' if row['crashed'] else 'ok':5} lost={row['valid_lost']} unaccounted={row['unaccounted']}"
    extra = f" unexpected={row['unexpected']}" if row["unexpected"] else ""
    error = f"  [{row['error'][:100]}]" if row["error"] else ""
    print(f"{row['kind']:42} {flags} rss={row['rss_mb']:7.0f}MB {row['seconds']:6.1f}s{extra}{error}", flush=True)


def _print_totals(rows: list[dict]) -> None:
    print(
        f"\nTOTAL kinds={len(rows)} crashed={sum(r['crashed'] for r in rows)} "
        f"valid_lost={sum(r['valid_lost'] for r in rows)} unaccounted={sum(r['unaccounted'] for r in rows)} "
        f"with_unexpected_reasons={sum(bool(r['unexpected']) for r in rows)} "
        f"over_1GB={sum(r['rss_mb'] > 1024 for r in rows)} max_rss={max(r['rss_mb'] for r in rows):.0f}MB "
        f"over_300s={sum(r['seconds'] > TIMEOUT_S for r in rows)} total_s={sum(r['seconds'] for r in rows):.0f}"
    )


if __name__ == "__main__":
    main()
