"""Run the trajsift CLI with a kill point installed: count checkpoints, SIGKILL the process at the Nth.

Usage: python kill_points.py [--kill-at N] [--kill-when GLOB:K] [--count-file PATH] -- <trajsift arguments>
The count is written to PATH at every checkpoint, so it survives the kill. `--kill-when` kills at the first
checkpoint where at least K files match GLOB (e.g. the read's part files: a kill mid-read).
"""

from __future__ import annotations

import argparse
import glob
import os
import signal
import sys
from pathlib import Path


class CountingKillPoint:
    """Counts checkpoints in this process; writes the count to `count_file`; kills at `kill_at`."""

    def __init__(self, kill_at: int | None, count_file: Path | None, kill_when: str | None = None) -> None:
        self.kill_at, self.count_file, self.count = kill_at, count_file, 0
        self.pattern, _, files = (kill_when or "").rpartition(":")
        self.files = int(files or 0)

    def __call__(self) -> None:
        self.count += 1
        if self.count_file is not None:
            self.count_file.write_text(str(self.count))
        if self.count == self.kill_at or (self.pattern and len(glob.glob(self.pattern)) >= self.files):
            os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kill-at", type=int)
    parser.add_argument("--count-file", type=Path)
    parser.add_argument("--kill-when")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    from trajsift import files
    from trajsift.cli.main import app

    files.set_kill_point(CountingKillPoint(options.kill_at, options.count_file, options.kill_when))
    sys.argv = ["trajsift", *args]
    app()


if __name__ == "__main__":
    main()
