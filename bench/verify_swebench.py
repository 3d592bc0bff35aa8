"""Verify real SWE-bench Lite patches with the harness and compare with the official labels.

Usage (local clones are bare git repositories; nothing is copied into the project):
  python bench/verify_swebench.py --repos sympy/sympy=/path/to/sympy.git --repos pytest-dev/pytest=/path/to/pytest.git \
      [--data ../shared/data] [--limit 4] [--agent-limit 12] [--agent-per-instance 1] [--overhead 2] [--parallel 2]
      [--cache-dir DIR] [--fresh] [--no-build-cache] [--versions 0.20,1.3] [--instances ID,ID] [--per-version]
      [--with-patch]

For the first `--limit` instances of each repository, or of each repository and version with `--per-version`
(instances with at least one resolved agent run first, then the others, each group in a stable pseudo-random order;
only the versions / instances listed with `--versions` / `--instances`): verify the gold patch (it must resolve),
then up to `--agent-limit` distinct agent patches per repository, or version (SWE-agent `.traj.gz`, CodeR,
AutoCodeRover, read with trajsift's readers) and compare `verdict == correct` with the official `resolved` label
in labels.csv. Prints agreement, every disagreement with its evidence, unknown verdicts, a per-repository table
(gold patches that validate, agreement / judged, unknown, false `correct`, median seconds), seconds per
verification, and the sandbox's overhead against running the same test command bare (same work tree, same
environment variables, and a tmpfs for HOME/TMPDIR like the sandbox's /tmp, so that the comparison is not one of
disks).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from trajsift.harness.grading.testrun import test_command
from trajsift.harness.grading.verdict import CORRECT, UNKNOWN, Verdict
from trajsift.harness.patch.patching import apply_patch
from trajsift.harness.patch.worktree import prepare_worktree, remove_worktree
from trajsift.harness.sandbox.base import BASE_ENV
from trajsift.harness.verify import TEST_LIMITS, Verifier, VerifyOptions
from trajsift.readers.read import read_trajectories
from trajsift.schema import Trajectory
from trajsift.tasks import Task


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", action="append", required=True, help="owner/name=PATH of a local clone")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--limit", type=int, default=4, help="instances per repository")
    parser.add_argument("--agent-limit", type=int, default=12, help="agent patches per repository (or version)")
    parser.add_argument("--agent-per-instance", type=int, default=0, help="agent patches per instance (0: no cap)")
    parser.add_argument("--overhead", type=int, default=2, help="gold instances per repository timed bare vs sandbox")
    parser.add_argument("--repeat", type=int, default=3, help="timings per overhead measurement and mode")
    parser.add_argument("--parallel", type=int, default=2, help="verifications at once")
    parser.add_argument("--cache-dir", default="/tmp/trajsift-bench-verify")
    parser.add_argument("--fresh", action="store_true", help="ignore cached verdicts")
    parser.add_argument("--seed", default="trajsift")
    parser.add_argument("--versions", default="", help="comma-separated versions to keep (e.g. 0.20,1.3)")
    parser.add_argument("--instances", default="", help="comma-separated instance ids to keep")
    parser.add_argument("--per-version", action="store_true", help="--limit counts per (repository, version)")
    parser.add_argument("--with-patch", action="store_true", help="pass over agent runs that hold no patch")
    parser.add_argument("--sandbox", default="bubblewrap", help="bubblewrap, docker or podman")
    parser.add_argument("--network", action="store_true", help="let the tests reach the network (off by default)")
    parser.add_argument("--no-build-cache", action="store_true", help="build compiled extensions in every work tree")
    return parser.parse_args()


def stable_order(ids: list[str], seed: str) -> list[str]:
    return sorted(ids, key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).hexdigest())


def load_tasks(data: Path, repos: list[str], args: argparse.Namespace) -> dict[str, Task]:
    """The Lite tasks of `repos`, less those the `--versions` / `--instances` filters leave out."""
    versions = {v for v in args.versions.split(",") if v}
    instances = {i for i in args.instances.split(",") if i}
    tasks = {}
    for line in open(data / "swebench-lite-metadata.jsonl"):
        record = json.loads(line)
        if record["repo"] not in repos or (versions and record["version"] not in versions):
            continue
        if not instances or record["instance_id"] in instances:
            tasks[record["instance_id"]] = Task.from_swebench(record)
    return tasks


def select_instances(data: Path, repos: list[str], args: argparse.Namespace) -> tuple[dict[str, Task], list[dict]]:
    tasks = load_tasks(data, repos, args)
    labels = [row for row in csv.DictReader(open(data / "labels.csv")) if row["instance_id"] in tasks]
    resolved = {row["instance_id"] for row in labels if row["resolved"] == "True"}
    groups = sorted({(t.repo, t.version if args.per_version else "") for t in tasks.values()})
    chosen: dict[str, Task] = {}
    for repo, version in groups:
        ids = [i for i, task in tasks.items() if task.repo == repo and version in ("", task.version)]
        with_resolved = stable_order([i for i in ids if i in resolved], args.seed)
        others = stable_order([i for i in ids if i not in resolved], args.seed)
        ordered = [i for pair in zip(with_resolved, others, strict=False) for i in pair]
        ordered += with_resolved[len(others) :] + others[len(with_resolved) :]
        chosen.update({i: tasks[i] for i in ordered[: args.limit]})
    return chosen, [row for row in labels if row["instance_id"] in chosen]


def agent_patches(data: Path, labels: list[dict]) -> list[tuple[dict, str]]:
    """(label row, patch) for each labelled trajectory of the chosen instances, read with trajsift's readers."""
    wanted = {row["path"]: row for row in labels}
    files = sorted({str(data / row["path"].split(":", 1)[0]) for row in labels})
    found = []
    for item in read_trajectories(files):
        if not isinstance(item, Trajectory):
            continue
        relative = item.source.path.replace(str(data) + "/", "", 1)
        row = wanted.get(relative)
        if row is not None:
            found.append((row, item.final.patch))
    return found


def choose_agent_patches(data: Path, tasks: dict[str, Task], labels: list[dict], args: argparse.Namespace) -> list:
    """Up to `--agent-limit` distinct (label row, patch) per repository (or version), by instance and path, and
    with `--agent-per-instance` at most that many per instance (spreads the sample over more instances);
    with `--with-patch`, trajectories that hold no patch are passed over (they can only be `unknown(no_patch)`)."""
    pairs, seen, per_group, per_instance = [], set(), Counter(), Counter()
    cap = args.agent_per_instance or float("inf")
    for row, patch in sorted(agent_patches(data, labels), key=lambda p: (p[0]["instance_id"], p[0]["path"])):
        task = tasks[row["instance_id"]]
        group = (task.repo, task.version if args.per_version else "")
        if args.with_patch and not patch.strip():
            continue
        if (row["instance_id"], patch) in seen or per_instance[row["instance_id"]] >= cap:
            continue
        if per_group[group] < args.agent_limit:
            seen.add((row["instance_id"], patch))
            per_group[group] += 1
            per_instance[row["instance_id"]] += 1
            pairs.append((row, patch))
    return pairs


def verify_all(verifier: Verifier, jobs: list[tuple[Task, str]], parallel: int, fresh: bool) -> list[Verdict]:
    """Every job's verdict, in job order; each one is reported on stderr as it lands (long runs show progress)."""
    done = itertools.count(1)  # `next` on a count is atomic: the pool's threads share it

    def one(job: tuple[Task, str]) -> Verdict:
        verdict = verifier.verify(job[0], job[1], use_cache=not fresh)
        line = f"[{next(done)}/{len(jobs)}] {job[0].task_id} {verdict.kind}:{verdict.reason or '-'}"
        print(line, file=sys.stderr, flush=True)
        return verdict

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(one, jobs))


def describe(verdict: Verdict) -> str:
    evidence = verdict.evidence
    parts = [f"{verdict.kind}:{verdict.reason or '-'}"]
    parts.append(f"F2P {verdict.f2p_passed}/{verdict.f2p_passed + verdict.f2p_failed}")
    parts.append(f"P2P {verdict.p2p_passed}/{verdict.p2p_passed + verdict.p2p_failed}")
    for key in ("f2p_failed", "p2p_failed", "tampered_files", "detail", "cause", "flaky", "build_cache"):
        if evidence.get(key):
            parts.append(f"{key}={evidence[key] if isinstance(evidence[key], str) else evidence[key][:3]}")
    return "  ".join(parts)


def report_gold(tasks: dict[str, Task], verdicts: list[Verdict]) -> None:
    print("\n== gold patches ==")
    for task, verdict in zip(tasks.values(), verdicts, strict=True):
        cached = " (cached: time of the original run)" if verdict.cached else ""
        print(f"  {task.task_id:32} {task.version:5} {describe(verdict)}  {verdict.duration_s:.1f}s{cached}")
    ok = sum(v.kind == CORRECT for v in verdicts)
    print(f"gold resolved: {ok}/{len(verdicts)}")


def report_agents(pairs: list[tuple[dict, str]], verdicts: list[Verdict]) -> None:
    print("\n== agent patches vs official labels ==")
    judged = [(row, v) for (row, _), v in zip(pairs, verdicts, strict=True) if v.kind != UNKNOWN]
    agree = [(row, v) for row, v in judged if (v.kind == CORRECT) == (row["resolved"] == "True")]
    by_source = Counter((row["source"], (v.kind == CORRECT) == (row["resolved"] == "True")) for row, v in judged)
    print(f"agreement: {len(agree)}/{len(judged)} judged ({len(pairs) - len(judged)} unknown)")
    for (source, same), count in sorted(by_source.items()):
        print(f"  {source:32} {'agree' if same else 'DISAGREE':8} {count}")
    print(f"verdicts: {dict(Counter(v.kind for v in verdicts))}")
    for (row, _), verdict in zip(pairs, verdicts, strict=True):
        label = row["resolved"] == "True"
        if verdict.kind == UNKNOWN or (verdict.kind == CORRECT) != label:
            tag = "UNKNOWN" if verdict.kind == UNKNOWN else "DISAGREE"
            print(f"  {tag} {row['instance_id']} {row['source']} run {row['run']} label resolved={label}")
            print(f"      {describe(verdict)}")
            if verdict.kind != UNKNOWN and verdict.evidence.get("log_tail"):
                print("      log: " + verdict.evidence["log_tail"][-400:].replace("\n", "\n           "))


def report_per_repo(tasks: dict[str, Task], gold: list[Verdict], pairs: list, verdicts: list[Verdict]) -> None:
    """Per repository: gold patches that validate, agreement with the labels on agent patches, median seconds."""
    print("\n== per repository ==")
    print(
        f"  {'repository':28} {'gold ok':>9} {'agree/judged':>13} {'unknown':>8} {'false correct':>14} {'median s':>9}"
    )
    for repo in sorted({t.repo for t in tasks.values()}):
        golds = [v for t, v in zip(tasks.values(), gold, strict=True) if t.repo == repo]
        mine = [(row, v) for (row, _), v in zip(pairs, verdicts, strict=True) if tasks[row["instance_id"]].repo == repo]
        judged = [(row, v) for row, v in mine if v.kind != UNKNOWN]
        agree = sum((v.kind == CORRECT) == (row["resolved"] == "True") for row, v in judged)
        false_correct = sum(v.kind == CORRECT and row["resolved"] != "True" for row, v in judged)
        fresh = [v.duration_s for v in [*golds, *(v for _, v in mine)] if not v.cached and v.duration_s > 0]
        median = f"{statistics.median(fresh):.1f}" if fresh else "-"
        gold_ok = f"{sum(v.kind == CORRECT for v in golds)}/{len(golds)}"
        print(
            f"  {repo:28} {gold_ok:>9} {agree:>6}/{len(judged):<6} {len(mine) - len(judged):>8}"
            f" {false_correct:>14} {median:>9}"
        )


def report_seconds(verdicts: list[Verdict]) -> None:
    fresh = [v.duration_s for v in verdicts if not v.cached and v.duration_s > 0]
    if fresh:
        print(
            f"\nseconds per verification (not cached, n={len(fresh)}): median {statistics.median(fresh):.1f}, "
            f"mean {statistics.mean(fresh):.1f}, max {max(fresh):.1f}"
        )


def measure_overhead(verifier: Verifier, task: Task, repeat: int) -> tuple[float, float] | None:
    """Median seconds of the task's test command with the gold patch: (bare, sandboxed)."""
    task = verifier._with_test_command(task)
    runner = verifier._runner(task)
    worktree = prepare_worktree(task, verifier.options.cache_dir, None, verifier.options.local_repos)
    try:
        for patch in (task.reference_patch, task.test_patch):
            if not apply_patch(worktree, patch).ok:
                return None
        if runner.prepare(worktree) is not None:
            return None
        command, env = test_command(task), {**BASE_ENV, **runner.env_vars(worktree)}
        bare, boxed = [], []
        for _ in range(repeat):
            # the sandbox's /tmp (also HOME) is a tmpfs: give the bare run one too, or the comparison is of disks
            with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as scratch:
                started = time.perf_counter()
                bare_env = {**env, "HOME": scratch, "TMPDIR": scratch}
                subprocess.run(
                    ["/bin/sh", "-c", command], cwd=worktree, env=bare_env, capture_output=True, timeout=3600
                )
                bare.append(time.perf_counter() - started)
            started = time.perf_counter()
            runner.sandbox.run(
                command, worktree, runner.limits, env=runner.env_vars(worktree), ro_paths=runner.ro_paths(worktree)
            )
            boxed.append(time.perf_counter() - started)
        return statistics.median(bare), statistics.median(boxed)
    finally:
        remove_worktree(worktree)


def report_overhead(verifier: Verifier, tasks: list[Task], repeat: int) -> None:
    print("\n== sandbox overhead (same test command, same work tree and env) ==")
    for task in tasks:
        timing = measure_overhead(verifier, task, repeat)
        if timing is None:
            print(f"  {task.task_id}: could not prepare")
            continue
        bare, boxed = timing
        extra = boxed - bare
        verdict = "meets target" if extra < 0.1 or extra / bare < 0.10 else "ABOVE target"
        print(
            f"  {task.task_id:32} bare {bare:7.2f}s  sandbox {boxed:7.2f}s  overhead {extra * 1000:+7.0f} ms "
            f"({extra / bare:+.1%})  {verdict}"
        )


def main() -> None:
    args = parse_args()
    data = Path(args.data)
    local = dict(item.split("=", 1) for item in args.repos)
    repos = {k: Path(v) for k, v in local.items()}
    options = VerifyOptions(
        cache_dir=Path(args.cache_dir),
        local_repos=repos,
        sandbox=args.sandbox,
        build_cache=not args.no_build_cache,
        limits=dataclasses.replace(TEST_LIMITS, network=args.network),
    )
    verifier = Verifier(options)
    tasks, labels = select_instances(data, list(local), args)
    print(f"instances: {len(tasks)} ({dict(Counter(t.repo for t in tasks.values()))}); labelled runs: {len(labels)}")
    started = time.monotonic()
    gold = verify_all(verifier, [(t, t.reference_patch) for t in tasks.values()], args.parallel, args.fresh)
    report_gold(tasks, gold)
    pairs = choose_agent_patches(data, tasks, labels, args)
    jobs = [(tasks[row["instance_id"]], patch) for row, patch in pairs]
    verdicts = verify_all(verifier, jobs, args.parallel, args.fresh)
    report_agents(pairs, verdicts)
    report_per_repo(tasks, gold, pairs, verdicts)
    report_seconds(gold + verdicts)
    print(f"wall time for the verifications: {time.monotonic() - started:.0f}s")
    chosen = [t for repo in local for t in [t for t in tasks.values() if t.repo == repo][: args.overhead]]
    report_overhead(verifier, chosen, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
