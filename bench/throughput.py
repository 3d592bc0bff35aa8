"""Throughput of `trajsift run` (read + stage 1 basic filter + stage 3 quality scoring) on real data.

Usage: python bench/throughput.py [DATA_DIR] [--scale 10] [--repeat 3] [--speedup-scale 5]

`--speedup-scale K` runs the same pairs again over the dev set written K times as trajsift JSONL (ids renamed;
default 5, ~10,000 trajectories: the pool's fixed start-up, ~0.5 cpu-s of fork-server imports, weighs on the
2,003-trajectory dev set's ~4 s runs; 1 skips it).

Prints trajectories/s with 1 and 2 workers (`--repeat` pairs, each run in a fresh process; wall time of
`run_pipeline`, i.e. read + stages 1, 3 + writing the outputs, imports excluded), the CPU time of each run
(its process and its pool workers, their start-up included) and the machine's load before it, and the 2-vs-1
speedup of each pair, the ratio to bare reading (read_trajectories alone),
and peak RSS of each run (each in its own process); then peak RSS for the dev set written as
trajsift JSONL at 1x and at `--scale`x (ids renamed) to show memory stays flat as input grows.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

SOURCES = [
    "swe-agent-gpt4-lite/results/swe-agent-results",
    "coder-gpt4-lite/trajs",
    "autocoderover-gpt4-lite.tar.gz",
    "format-samples",
]
STAGES = ("basic_filter", "quality")
"""Stages 1 and 3 exactly as the default recipe defines them."""


DEFAULT_DATA = str(Path(__file__).resolve().parents[1] / "../shared/data")


def dev_inputs(data: str) -> list[str]:
    """The dev sources present under `data`."""
    return [str(Path(data) / source) for source in SOURCES if (Path(data) / source).exists()]


def write_recipe(folder: Path) -> Path:
    """The stages-1-and-3 recipe, written into `folder`."""
    recipe = folder / "recipe.yaml"
    recipe.write_text(stages_1_and_3_recipe())
    return recipe


def stages_1_and_3_recipe() -> str:
    from trajsift.config import load_recipe

    data = load_recipe().model_dump(mode="json")
    data["stages"] = [stage for stage in data["stages"] if stage["name"] in STAGES]
    data["shard_size"] = 250
    return yaml.safe_dump(data)


CHILD_READ = """
import resource, sys, time
from trajsift.readers.read import read_trajectories
from trajsift.schema import Trajectory
start = time.perf_counter()
n = sum(isinstance(item, Trajectory) for item in read_trajectories(sys.argv[1:]))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(n, time.perf_counter() - start, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""

CHILD_RUN = """
import resource, sys, time
from trajsift.config import load_recipe
from trajsift.run import run_pipeline
if __name__ == "__main__":
    recipe, out, workers, *inputs = sys.argv[1:]
    start = time.perf_counter()
    result = run_pipeline(inputs, out, load_recipe(recipe), workers=int(workers))
    from multiprocessing import forkserver
    forkserver._forkserver._stop()  # reaps the pool's fork server, so its workers' CPU is counted (Linux)
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)  # the pool is shut down by now: its CPU is counted
    print(result.stats["total"], time.perf_counter() - start, max(u.ru_maxrss for u in usage), cpu)
"""


def child(code: str, args: list[str], tmp: Path) -> tuple[int, float, float]:
    count, seconds, rss_mb, _ = child_cpu(code, args, tmp)
    return count, seconds, rss_mb


def child_cpu(code: str, args: list[str], tmp: Path) -> tuple[int, float, float, float]:
    """(count, wall seconds, peak RSS MB, CPU seconds of the process and its children) of `code` run fresh."""
    script = tmp / f"child_{abs(hash(code))}.py"
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, check=True)
    count, seconds, rss_kb, cpu = out.stdout.split()[-4:]
    return int(count), float(seconds), int(rss_kb) / 1024, float(cpu)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def write_scaled(inputs: list[str], path: Path, scale: int) -> int:
    from trajsift.readers.read import read_trajectories
    from trajsift.schema import Trajectory

    written = 0
    with gzip.open(path, "wb") as handle:
        for copy in range(scale):
            for item in read_trajectories(inputs):
                if isinstance(item, Trajectory):
                    item.id = f"{item.id}#{copy}"
                    handle.write(item.to_json() + b"\n")
                    written += 1
    return written


def workers_speedup(recipe: Path, inputs: list[str], tmp: Path, bare_s: float) -> float:
    """One 1-worker run and one 2-worker run (each a fresh process); the ratio of their traj/s."""
    tmp.mkdir()
    rates = {}
    for workers in (1, 2):
        before = load()
        n, secs, rss, cpu = child_cpu(CHILD_RUN, [str(recipe), str(tmp / f"out{workers}"), str(workers), *inputs], tmp)
        rates[workers] = n / secs
        print(
            f"run (read + stages 1, 3), {workers} worker(s): {n / secs:.0f} traj/s ({secs:.2f}s wall, "
            f"{cpu:.2f} cpu-s in all processes), ratio to bare read {secs / bare_s:.2f}x, peak RSS {rss:.0f} MB, "
            f"load {before}"
        )
    return round(rates[2] / rates[1], 2)


def scaled_speedup(recipe: Path, inputs: list[str], tmp: Path, scale: int, repeat: int, bare_s: float) -> None:
    """The 1-vs-2-worker pairs over the dev set written `scale` times as trajsift JSONL: the pool's fixed start-up
    (fork server imports, worker start) spread over more trajectories."""
    data = tmp / f"speedup{scale}.jsonl.gz"
    count = write_scaled(inputs, data, scale)
    print(f"the same pairs over the dev set written {scale} times ({count} trajectories, trajsift JSONL):")
    speedups = [workers_speedup(recipe, [str(data)], tmp / f"scaled-run{r}", bare_s * scale) for r in range(repeat)]
    print(f"speedup at {scale}x --workers 2 / --workers 1 (traj/s): {speedups}, median {sorted(speedups)[repeat // 2]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", default=DEFAULT_DATA)
    parser.add_argument("--scale", type=int, default=10, help="memory check at this scale; 1 skips it")
    parser.add_argument("--repeat", type=int, default=3, help="1-vs-2-worker pairs to run (the machine is shared)")
    parser.add_argument(
        "--speedup-scale", type=int, default=5, help="also the pairs over the dev set written this many times"
    )
    args = parser.parse_args()
    inputs = dev_inputs(args.data)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        recipe = write_recipe(tmp)
        n, bare_s, bare_rss = child(CHILD_READ, inputs, tmp)
        print(f"bare read: {n} trajectories in {bare_s:.2f}s = {n / bare_s:.0f}/s, peak RSS {bare_rss:.0f} MB")
        speedups = [workers_speedup(recipe, inputs, tmp / f"run{r}", bare_s) for r in range(args.repeat)]
        print(f"speedup --workers 2 / --workers 1 (traj/s): {speedups}, median {sorted(speedups)[len(speedups) // 2]}")
        if args.speedup_scale > 1:
            scaled_speedup(recipe, inputs, tmp, args.speedup_scale, args.repeat, bare_s)
        if args.scale <= 1:
            return
        report = {}
        for scale in (1, args.scale):
            data = tmp / f"scaled{scale}.jsonl.gz"
            count = write_scaled(inputs, data, scale)
            n, secs, rss = child(CHILD_RUN, [str(recipe), str(tmp / f"scaled-out{scale}"), "1", str(data)], tmp)
            report[scale] = rss
            print(f"scale {scale}x: {count} trajectories, {n / secs:.0f} traj/s, peak RSS {rss:.0f} MB")
        print(json.dumps({"peak_rss_growth": round(report[args.scale] / report[1], 2)}))


if __name__ == "__main__":
    main()
