"""What reading test results out of observations costs: `parse_test_counts` + `test_statuses` on real observations.

Usage: python bench/observation_parse.py [DATA_DIR] [--runs 150] [--repeat 3]

Reads the first `--runs` trajectories of three real sources (mini-swe-agent and OpenHands on Verified, SWE-agent on
Lite) and times both functions over every step's observation in this process (best of `--repeat`, CPU seconds),
with how many observations yield test counts. Every observation of a run goes through them (evidence, coherence,
step labels), so this is a hot path: compare two versions of `trajsift.facts.testruns` with it.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sources import DEFAULT_DATA_DIR  # noqa: E402
from trajsift.facts.testruns import parse_test_counts, test_statuses  # noqa: E402
from trajsift.readers.read import read_trajectories  # noqa: E402
from trajsift.schema import Trajectory  # noqa: E402

SOURCES = (
    "verified-dev/mini-swe-agent-gemini3/trajs",
    "verified-dev/openhands-fncall-claude35/trajs",
    "swe-agent-gpt4-lite/results/swe-agent-results",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=DEFAULT_DATA_DIR)
    parser.add_argument("--runs", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = []
    for source in SOURCES:
        for item in itertools.islice(read_trajectories([os.path.join(args.data_dir, source)]), args.runs):
            if isinstance(item, Trajectory):
                texts += [step.observation.text for step in item.steps]
    best = float("inf")
    for _ in range(args.repeat):
        start = time.process_time()
        for text in texts:
            parse_test_counts(text)
            test_statuses(text)
        best = min(best, time.process_time() - start)
    counted = sum(parse_test_counts(text) is not None for text in texts)
    print(f"machine load: {os.getloadavg()[0]:.1f}")
    print(
        f"{len(texts):,} observations: {best:.3f} CPU-s (best of {args.repeat}), {best / len(texts) * 1e6:.1f} us each;"
    )
    print(f"{counted:,} show test counts")


if __name__ == "__main__":
    main()
