"""Measuring one pipeline run for bench/scale.py: phases, process-tree CPU and memory, planted-copy recall.

`run_child` starts `python bench/scale_measure.py CONFIG_JSON` (a fresh process per run: imports, Ray and
the pool are its own) and samples its whole process tree every `interval` seconds from /proc: the CPU
time of every process seen (utime + stime, last value per pid, so a worker that exits keeps what it used up
to its last sample) and the sum of the tree's PSS (proportional set size: pages shared by the Ray object
store or fork are split between processes, not counted once per process). The child runs
`run_pipeline` with a `PhaseTimer` and prints the phases' wall times as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


class PhaseTimer:
    """A `Progress` that records the wall time of each phase (the read, each stage)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._current: tuple[str, float] | None = None

    def phase(self, name: str, total: int, done: int = 0) -> None:
        self.close()
        self._current = (name, time.perf_counter())

    def advance(self, n: int) -> None:
        pass

    def close(self) -> None:
        if self._current:
            name, start = self._current
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start
            self._current = None


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _tree(root: int) -> list[int]:
    tree, todo, out = _children(), [root], []
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(tree.get(pid, []))
    return out


def _cpu_and_pss(pid: int) -> tuple[float, int]:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICKS
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            pss = next((int(line.split()[1]) for line in handle if line.startswith("Pss:")), 0)
    except (OSError, StopIteration, IndexError):
        return 0.0, 0
    return cpu, pss * 1024


class TreeSampler:
    """Samples a process tree from /proc in a thread: CPU per pid (last value seen) and the peak sum of PSS."""

    def __init__(self, root: int, interval: float = 0.5) -> None:
        self.root, self.interval = root, interval
        self.cpu_by_pid: dict[int, float] = {}
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            total = 0
            for pid in _tree(self.root):
                cpu, pss = _cpu_and_pss(pid)
                if cpu:
                    self.cpu_by_pid[pid] = cpu
                total += pss
            self.peak = max(self.peak, total)
            if self._stop.wait(self.interval):
                return

    def stop(self) -> tuple[float, int]:
        """(CPU seconds of every process seen, peak PSS in bytes)."""
        self._stop.set()
        self._thread.join()
        return sum(self.cpu_by_pid.values()), self.peak


def run_child(config: dict) -> dict:
    """Run `child_main(config)` in a fresh process; its JSON result plus wall, tree CPU and peak tree PSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, json.dumps(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    sampler = TreeSampler(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    cpu, peak = sampler.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"run failed ({proc.returncode}): {err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result.update(wall=wall, cpu=cpu, peak_pss=peak)
    return result


RECIPES = {
    "dedup": "what `trajsift dedup` runs: the diversity stages (exact, near, novelty; sampling)",
    "minhash": "`trajsift dedup` without diversity.novelty: exact + MinHash near duplicates, sampling",
    "run": "the default recipe without the correctness stage",
}


def make_recipe(name: str):
    from trajsift.cli.dedup_cmd import diversity_only
    from trajsift.config import load_recipe

    if name == "run":
        return load_recipe(None, ["stages.1.enabled=false"])
    recipe = diversity_only(load_recipe())
    if name == "minhash":
        stages = []
        for stage in recipe.stages:
            checks = [c for c in stage.checks if c.id != "diversity.novelty"]
            stages.append(stage.model_copy(update={"checks": checks}))
        recipe = recipe.model_copy(update={"stages": stages})
    return recipe


def _time_write_phase(timer: PhaseTimer) -> None:
    """The executors report no phase for the write: mark it by wrapping the driver's `write_phase`."""
    from trajsift.executors import driver

    original = driver.write_phase

    def timed(*args, **kwargs):
        timer.phase("write", 0)
        try:
            return original(*args, **kwargs)
        finally:
            timer.close()

    driver.write_phase = timed


def child_main(config: dict) -> dict:
    """One `run_pipeline` with the config's recipe, executor and workers (Ray started with `ray_cpus`)."""
    from trajsift.run import run_pipeline

    ray_cpus = config.get("ray_cpus")
    if config["executor"] == "ray":
        import ray

        ray.init(num_cpus=ray_cpus, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    timer = PhaseTimer()
    _time_write_phase(timer)
    start = time.perf_counter()
    try:
        result = run_pipeline(
            config["inputs"], config["out"], make_recipe(config["recipe"]), config["executor"],
            workers=config["workers"], progress=timer, overwrite=True, lean=config.get("lean", False),
        )  # fmt: skip
    finally:
        if config["executor"] == "ray":
            import ray

            ray.shutdown()
    timer.close()
    total = time.perf_counter() - start
    timer.times["finish"] = total - sum(timer.times.values())
    return {"n": result.stats["total"], "run_s": total, "phases": timer.times}


def planted_scores(out_dir: Path, truth_csv: Path) -> dict[str, float]:
    """Precision / recall of the dropped rows against the planted copies (`truth.csv` of the generator)."""
    import csv

    import pyarrow.parquet as pq

    dropped = set(pq.read_table(out_dir / "rejected.parquet", columns=["trajectory_id"]).column(0).to_pylist())
    planted = set()
    with open(truth_csv, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] != "unique":
                planted.add(row["id"])
    hits = len(dropped & planted)
    return {
        "dropped": len(dropped),
        "planted": len(planted),
        "precision": hits / len(dropped) if dropped else 1.0,
        "recall": hits / len(planted) if planted else 1.0,
    }


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    print(json.dumps(child_main(json.loads(sys.argv[1]))))
