"""Shared pieces of the sandbox tests: a skip when bubblewrap is missing, the host Python, a leftover scan."""

from __future__ import annotations

import os
import shutil
import sys
import time
import uuid
from pathlib import Path

import pytest

from trajsift.harness.sandbox.base import Limits
from trajsift.harness.sandbox.cgroups import CGROUP_ROOT, PARENT_NAME

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")

SMALL = Limits(wall_s=3, memory_mb=256, pids=64, disk_mb=64, output_bytes=64_000)
PYTHON = str(Path(sys.executable).resolve())
PYTHON_PATHS = sorted({Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()})


def python_cmd(workdir: Path, source: str) -> str:
    """Write source into the work dir and return the command running it with the host's Python."""
    (workdir / "probe.py").write_text(source)
    return f"{PYTHON} probe.py"


def fork_bomb() -> str:
    """A fork bomb started in the background (`f"{fork_bomb()} exec sleep 10"`), its function named uniquely: a
    leftover scan must not see the bomb of another test session running beside this one (two CI clones)."""
    name = f"bomb_{uuid.uuid4().hex[:10]}"
    return f"{name}() {{ {name} | {name} & }}; {name} &"


def processes_with(marker: str) -> list[int]:
    """Host pids (other than ours) whose command line or environment carries marker."""
    needle = marker.encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        for name in ("cmdline", "environ"):
            try:
                with open(f"/proc/{entry}/{name}", "rb") as handle:
                    if needle in handle.read():
                        found.append(int(entry))
                        break
            except OSError:
                continue
    return found


def run_cgroups_left() -> list[Path]:
    """Per-run cgroups of this test process still present."""
    prefix = f"run-{os.getpid()}-"
    left = []
    for controller in ("memory", "pids"):
        parent = CGROUP_ROOT / controller / PARENT_NAME
        if parent.is_dir():
            left += [p for p in parent.iterdir() if p.name.startswith(prefix)]
    return left


def assert_nothing_left(marker: str) -> None:
    """Nothing carrying marker runs once run() has returned, and the run's cgroups are gone."""
    assert processes_with(marker) == []
    time.sleep(0.2)  # a late escapee would show up now
    assert processes_with(marker) == []
    assert run_cgroups_left() == []
