"""Recovering patches by replaying edits onto the base commit, on real runs whose log holds no patch.

Usage: python bench/patch_replay.py [DATA_DIR] [--mirrors DIR] [--source NAME ...]

For every trajectory of the named sources (default: the Verified OpenHands runs, whose logs end without a
patch) whose patch is not recorded, and whose repository is available as a git directory under `--mirrors`
(`owner+name/repo`, e.g. what the search tool's `fetch` writes to /work/.mirror), the edits are replayed
onto the task's base commit (`trajsift.harness.patch.replay`). Printed per source: runs, replayed, refused by
reason, replayed patches `git apply --check` accepts on the base commit (a temporary index, nothing checked
out), and for replayed patches of resolved vs unresolved runs the share touching every file of the reference
patch (a sanity check that the recovered patch is the agent's fix, not noise), with the machine's load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sources import DEFAULT_DATA_DIR, SOURCES, load_tasks, read_source  # noqa: E402
from trajsift.harness.patch.replay import GitTree, replay_patch  # noqa: E402
from trajsift.patches import parse_patch  # noqa: E402


def applies(tree: GitTree, patch: str) -> bool:
    """`git apply --check --cached` against the base commit in a throwaway index."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "GIT_INDEX_FILE": os.path.join(folder, "index")}
        git = ["git", "--git-dir", tree.git_dir]
        subprocess.run([*git, "read-tree", tree.commit], env=env, check=True, capture_output=True)
        done = subprocess.run(
            [*git, "apply", "--check", "--cached", "-"], input=patch.encode(), env=env, capture_output=True
        )
        return done.returncode == 0


def covers_reference(patch: str, reference: str) -> bool:
    wanted = {d.path for d in parse_patch(reference)}
    return bool(wanted) and wanted <= {d.path for d in parse_patch(patch)}


def mirror_of(mirrors: str, repo: str) -> str | None:
    path = os.path.join(mirrors, repo.replace("/", "+"), "repo")
    return path if os.path.isdir(path) else None


def measure(spec, data_dir: str, mirrors: str) -> None:
    tasks = load_tasks(data_dir, spec.metadata)
    counts: Counter[str] = Counter()
    covered: Counter[tuple[bool, bool]] = Counter()
    trees: dict[tuple[str, str], GitTree] = {}
    started = time.process_time()
    for traj in read_source(spec, data_dir):
        counts["runs"] += 1
        task = tasks.get(traj.task.task_id)
        if traj.final.patch_source == "recorded" or task is None:
            continue
        repo = mirror_of(mirrors, task.repo)
        if repo is None:
            counts["no repository"] += 1
            continue
        key = (repo, task.base_commit)
        if key not in trees:
            trees[key] = GitTree(repo, task.base_commit)
        result = replay_patch(traj.steps, trees[key])
        counts["tried"] += 1
        if result.reason:
            counts["refused: " + result.reason.split(":")[0]] += 1
            continue
        counts["replayed"] += 1
        counts["git apply --check ok"] += applies(trees[key], result.patch)
        covered[(bool(traj.outcome.resolved), covers_reference(result.patch, task.reference_patch))] += 1
    print(f"\n{spec.name}  (cpu {time.process_time() - started:.1f} s, load {os.getloadavg()[0]:.1f})")
    for name, value in counts.most_common():
        print(f"  {name:34s} {value}")
    for resolved in (True, False):
        total = covered[(resolved, True)] + covered[(resolved, False)]
        if total:
            share = covered[(resolved, True)] / total
            print(f"  resolved={resolved!s:5s} replayed {total:4d}, touching every reference file {share:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=DEFAULT_DATA_DIR)
    parser.add_argument("--mirrors", default="/work/.mirror")
    parser.add_argument("--source", action="append", default=[])
    args = parser.parse_args()
    names = args.source or [s.name for s in SOURCES if "openhands" in s.name]
    for spec in SOURCES:
        if spec.name in names:
            measure(spec, args.data_dir, args.mirrors)


if __name__ == "__main__":
    main()
