"""Server time of the web pages (target < 300 ms each), in-process through FastAPI's TestClient (no network).

- trajectory page: a run of 150-step trajectories (2 KB observations, one 5 MB observation, a 400-line
  patch); GET /item/N cold (trajectory read from Parquet) and warm (cached).
- dashboard: a synthetic 100k-row run directory (outputs with the columns the dashboard reads, stats.json)
  served by the review app with the dashboard feature: first page view (cache warmed in the background at
  start), cold (files changed: read and computed again), warm, and the live JSON endpoint.
- run2000: a real 2,000-trajectory run written by `run_pipeline` (or `--run DIR`, any run directory, e.g.
  one made from ../shared/data), served like `trajsift serve` does (review app + the app's dashboard):
  trajectory page, dashboard, queue (sorted, filtered, full-text search) and the side-by-side page, warm.

Usage: python bench/ui_latency.py [--part item|dashboard|run2000|all] [--repeat 20] [--rows 100000] [--run DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from tests.dashboard.synthetic import make_run  # noqa: E402
from tests.review.helpers import PASSWORD, build_run, login  # noqa: E402

from trajsift.config import load_recipe  # noqa: E402
from trajsift.dashboard.routes import dashboard_feature  # noqa: E402
from trajsift.review.app import ReviewSettings, create_app  # noqa: E402
from trajsift.review.queue import QueueConfig  # noqa: E402
from trajsift.run import run_pipeline  # noqa: E402
from trajsift.schema import Action, ActionType, FinalState, Observation, Step, TaskRef, Trajectory  # noqa: E402

TARGET_MS = 300


def long_trajectory(i: int, steps: int = 150) -> Trajectory:
    patch = "diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n" + "".join(
        f"@@ -{k},2 +{k},2 @@\n-old line {k}\n+new line {k}\n context\n" for k in range(100)
    )
    return Trajectory(
        id=f"long-{i}",
        task=TaskRef(task_id=f"task-{i}", category="bug_fix", difficulty="hard", instruction="Fix it. " * 200),
        steps=[
            Step(
                index=k,
                thought=f"Step {k}: I will look at the module and run the tests. " * 4,
                action=Action(type=ActionType.RUN_COMMAND, tool="bash", command=f"pytest tests/test_{k}.py -x"),
                observation=Observation(text=("line of output\n" * 140) + ("z" * 5_000_000 if k == 75 else "")),
            )
            for k in range(steps)
        ],
        final=FinalState(patch=patch, submitted=True),
    )


def timed(call, repeat: int = 1) -> list[float]:
    """Milliseconds of each of `repeat` calls of `call()` (a request that must answer 200)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return times


def trajectory_page(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = build_run(Path(tmp), [long_trajectory(i) for i in range(6)], fraction=1.0)
        app = create_app([run_dir], f"sqlite:///{tmp}/review.db", ReviewSettings(queue=QueueConfig(kept_share=1.0)))
        app.state.store.add_user("bench", PASSWORD)
        client = TestClient(app)
        login(client, "bench")
        run = next(iter(app.state.runs.values()))
        cold, warm = [], []
        for _ in range(repeat):
            run._cache.clear()
            cold += timed(lambda: client.get("/item/1"))
            warm += timed(lambda: client.get("/item/1"))
        size = len(client.get("/item/1").content)
    print(f"150-step trajectory page ({size / 1024:.0f} KiB HTML, one 5 MB observation sent as a 4 KB chunk)")
    for name, values in (("cold (read from Parquet)", cold), ("warm (cached)", warm)):
        print(f"  {name:26s} median {statistics.median(values):6.1f} ms   max {max(values):6.1f} ms")
    print(f"target < {TARGET_MS} ms: {'OK' if statistics.median(cold) < TARGET_MS else 'SLOW'}")


def dashboard(rows: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        run = make_run(Path(tmp) / "run-100k", rows, drift_after=int(rows * 0.8))
        print(f"synthetic run: {rows:,} rows in {time.perf_counter() - started:.1f} s")
        app = create_app([run], f"sqlite:///{tmp}/review.db", features=[dashboard_feature([run])])
        app.state.store.add_user("bench", PASSWORD)
        client = TestClient(app)
        login(client, "bench")
        time.sleep(2)  # the server's start: the router reads the runs in the background meanwhile
        first = timed(lambda: client.get("/dashboard"))[0]
        cold = []
        for i in range(5):  # the run's files changed: everything is read and computed again
            os.utime(run / "stats.json", ns=(i, i))
            cold += timed(lambda: client.get("/dashboard"))
        warm = timed(lambda: client.get("/dashboard"), repeat)
        live = timed(lambda: client.get("/api/dashboard/live", params={"v": ""}), repeat)
        version = client.get("/api/dashboard/live").json()["version"]
        idle = timed(lambda: client.get("/api/dashboard/live", params={"v": version}), repeat)
    print(f"dashboard page, first request after start:       {first:7.1f} ms (cache warmed in the background at start)")
    print(f"dashboard page, cold (files changed; median of 5): {statistics.median(cold):7.1f} ms (max {max(cold):.1f})")
    print(f"dashboard page, warm (median of {repeat}):            {statistics.median(warm):7.1f} ms")
    print(f"live endpoint, fragments re-rendered (median):   {statistics.median(live):7.1f} ms")
    print(f"live endpoint, unchanged (median):               {statistics.median(idle):7.1f} ms")
    slowest = max(statistics.median(cold), statistics.median(warm))
    print(f"target < {TARGET_MS} ms: {'PASS' if slowest < TARGET_MS else 'FAIL'}")


RUN_RECIPE = """
shard_size: 250
stages:
  - name: basic_filter
    checks: [{id: basic.status}, {id: basic.content}, {id: basic.limits}]
    keep: {no_findings: {}}
  - name: review
    checks: [{id: review.sample, params: {fraction: 0.3, strata: [category]}}]
    review: {no_findings: {}}
"""


def realistic_trajectory(i: int) -> Trajectory:
    """A 30-step run of one of 400 tasks (five runs per task), with a patch and 1-3 KB observations."""
    steps = [
        Step(
            index=k,
            thought=f"Looking at module {k % 7} to find the failing branch. " * 3,
            action=Action(type=ActionType.RUN_COMMAND, tool="bash", command=f"grep -n 'def f{k}' src/m{k % 7}.py"),
            observation=Observation(text=f"src/m{k % 7}.py:{k}: def f{k}(x):\n" * (20 + (i + k) % 60)),
        )
        for k in range(30)
    ]
    patch = "diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n-old\n+new\n ctx\n"
    task = TaskRef(task_id=f"task-{i % 400}", category=["bug_fix", "feature", "refactor"][i % 3], difficulty="medium")
    return Trajectory(id=f"traj-{i:05d}", task=task, steps=steps, final=FinalState(patch=patch, submitted=True))


def served_run(run_dir: Path | None, tmp: str, trajectories: int) -> Path:
    if run_dir is not None:
        return run_dir
    root = Path(tmp)
    data = root / "in.jsonl"
    data.write_bytes(b"\n".join(realistic_trajectory(i).to_json() for i in range(trajectories)) + b"\n")
    (root / "recipe.yaml").write_text(RUN_RECIPE)
    started = time.perf_counter()
    run_pipeline([str(data)], root / "run", load_recipe(str(root / "recipe.yaml")))
    print(f"run of {trajectories:,} trajectories written in {time.perf_counter() - started:.1f} s")
    return root / "run"


def run_pages(run_dir: Path | None, trajectories: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run = served_run(run_dir, tmp, trajectories)
        app = create_app([run], f"sqlite:///{tmp}/review.db", features=[dashboard_feature()])
        app.state.store.add_user("bench", PASSWORD)
        client = TestClient(app)
        login(client, "bench")
        item = client.get("/queue").text.split('href="/item/', 1)[1].split('"', 1)[0]
        key = next(iter(app.state.runs))
        ids = list(app.state.runs[key].index)[:2]
        pages = {
            "trajectory page": f"/item/{item}",
            "dashboard": "/dashboard",
            "queue (sorted by score)": "/queue?sort=score&dir=desc",
            "queue (filter + search)": "/queue?category=bug_fix&q=traj-00",
            "queue (full-text search)": "/queue?text=def+f7",
            "side by side": f"/compare?ra={key}&ta={ids[0]}&rb={key}&tb={ids[1]}",
        }
        results = {}
        for name, url in pages.items():
            timed(lambda url=url: client.get(url))  # warm: first read of the run data and caches
            results[name] = statistics.median(timed(lambda url=url: client.get(url), repeat))
    what = f"given run {run_dir}" if run_dir else f"{trajectories:,}-trajectory run"
    print(f"{what}, warm, median of {repeat}:")
    for name, value in results.items():
        print(f"  {name:26s} {value:7.1f} ms")
    slowest = max(results["trajectory page"], results["dashboard"])
    print(f"trajectory page and dashboard target <= {TARGET_MS} ms: {'PASS' if slowest <= TARGET_MS else 'FAIL'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("item", "dashboard", "run2000", "all"), default="all")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the dashboard's synthetic run")
    parser.add_argument("--trajectories", type=int, default=2000, help="trajectories of the run2000 part")
    parser.add_argument("--run", type=Path, default=None, help="measure run2000 on this run directory instead")
    args = parser.parse_args()
    parts = ("item", "dashboard", "run2000") if args.part == "all" else (args.part,)
    for n, part in enumerate(parts):
        if n:
            print()
        if part == "item":
            trajectory_page(args.repeat)
        elif part == "dashboard":
            dashboard(args.rows, args.repeat)
        else:
            run_pages(args.run, args.trajectories, args.repeat)


if __name__ == "__main__":
    main()
