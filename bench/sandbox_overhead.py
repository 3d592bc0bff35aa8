"""Measure what the sandbox costs: the same commands bare and inside the bubblewrap sandbox.

Usage: python bench/sandbox_overhead.py [REPETITIONS]   (default 15)

Workloads: `python -c pass`, and a small pytest run (a generated test module with 40 tests) in a fresh work dir.
For each, prints the median wall time bare and sandboxed, the overhead in ms and %, and whether it meets the
target (under 10 % or under 100 ms), then which mechanism enforces each limit on this host.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from trajsift.harness.sandbox.base import Limits
from trajsift.harness.sandbox.bubblewrap import BubblewrapSandbox

PYTHON = str(Path(sys.executable).resolve())
RO_PATHS = sorted({Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()})
LIMITS = Limits(wall_s=120, memory_mb=2048, pids=256, disk_mb=512)
TEST_MODULE = "\n".join(
    [
        "import pytest",
        "",
        "@pytest.mark.parametrize('n', range(40))",
        "def test_square(n):",
        "    assert n * n >= 0",
        "",
    ]
)
WORKLOADS = {
    "python -c pass": f"{PYTHON} -c pass",
    "pytest, 40 tests": f"{PYTHON} -m pytest -q -p no:cacheprovider test_small.py",
}
# Same environment both ways; plugin autoload off keeps the pytest run small (this env has heavy plugins).
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def time_bare(command: str, workdir: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, shell=True, cwd=workdir, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - started


def time_sandboxed(sandbox: BubblewrapSandbox, command: str, workdir: Path) -> float:
    started = time.perf_counter()
    result = sandbox.run(command, workdir, LIMITS, env=ENV, ro_paths=RO_PATHS)
    elapsed = time.perf_counter() - started
    if result.verdict != "ok":
        raise SystemExit(f"sandboxed run failed ({result.verdict}): {result.output[-2000:]}")
    return elapsed


def measure(sandbox: BubblewrapSandbox, command: str, workdir: Path, repetitions: int) -> tuple[list, list]:
    """Bare and sandboxed seconds, alternating the two so both share any load from other processes."""
    time_bare(command, workdir)  # warm caches once
    bare, boxed = [], []
    for _ in range(repetitions):
        bare.append(time_bare(command, workdir))
        boxed.append(time_sandboxed(sandbox, command, workdir))
    return bare, boxed


def main() -> None:
    repetitions = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    sandbox = BubblewrapSandbox()
    print(f"sandbox overhead over {repetitions} runs each (median; min in brackets)")
    print(f"{'workload':<20} {'bare ms':>16} {'sandbox ms':>16} {'overhead ms':>12} {'overhead %':>11}  target")
    with tempfile.TemporaryDirectory(prefix="trajsift-bench-") as tmp:
        workdir = Path(tmp)
        (workdir / "test_small.py").write_text(TEST_MODULE)
        for name, command in WORKLOADS.items():
            bare_runs, boxed_runs = measure(sandbox, command, workdir, repetitions)
            bare, boxed = statistics.median(bare_runs), statistics.median(boxed_runs)
            extra_ms, extra_pct = (boxed - bare) * 1000, (boxed - bare) / bare * 100
            verdict = "met" if extra_ms < 100 or extra_pct < 10 else "MISSED"
            bare_text = f"{bare * 1000:.1f} [{min(bare_runs) * 1000:.1f}]"
            boxed_text = f"{boxed * 1000:.1f} [{min(boxed_runs) * 1000:.1f}]"
            print(f"{name:<20} {bare_text:>16} {boxed_text:>16} {extra_ms:12.1f} {extra_pct:10.1f}%  {verdict}")
    print("limits enforced by:")
    for limit, mechanism in sandbox.enforcement.items():
        print(f"  {limit:<10} {mechanism}")


if __name__ == "__main__":
    main()
