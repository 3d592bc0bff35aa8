"""Where the runner finds things: the overlay's packages ahead of the shared environment's (what the install
resolved for this commit wins, as in the overlay's own interpreter), and listed test ids that embed another
machine's checkout path matched to ours."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trajsift.harness.grading.checkout_paths import alias_checkout_paths
from trajsift.harness.grading.pytest_command import runner_command, runner_config

HARNESS_ROOT = "/n/fs/bench/tmpab12/pylint-dev__pylint__2.15"
OURS = "/tmp/cache/worktrees/7080-x"


def stdin_id(root: str) -> str:
    return f"tests/test_self.py::TestRunTC::test_stdin[{root}/tests/mymodule.py-mymodule-{root}/tests/mymodule.py]"


def test_a_listed_id_with_the_harness_checkout_path_takes_our_status():
    status = {stdin_id(OURS): "PASSED", "tests/test_self.py::test_other": "FAILED"}
    aliased = alias_checkout_paths(status, OURS, [stdin_id(HARNESS_ROOT), "/testbed/x.py::test_gone"])
    assert aliased[stdin_id(HARNESS_ROOT)] == "PASSED" and aliased[stdin_id(OURS)] == "PASSED"
    assert "/testbed/x.py::test_gone" not in aliased  # nothing of ours answers it: still missing


def test_two_different_roots_or_a_changed_tail_do_not_match():
    status = {stdin_id(OURS): "PASSED"}
    mixed = "tests/test_self.py::TestRunTC::test_stdin[/a/tests/mymodule.py-mymodule-/b/tests/mymodule.py]"
    tail = stdin_id(HARNESS_ROOT).replace("mymodule-", "yourmodule-")
    assert alias_checkout_paths(status, OURS, [mixed, tail]) == status
    assert alias_checkout_paths({"t.py::test_x": "PASSED"}, OURS, [stdin_id(HARNESS_ROOT)]) == {
        "t.py::test_x": "PASSED"
    }


def test_the_overlay_shadows_the_environment_for_what_the_runner_has_not_imported(tmp_path):
    env_site, overlay, work = tmp_path / "env", tmp_path / "overlay", tmp_path / "work"
    for folder, version in ((env_site, 1), (overlay, 2)):
        folder.mkdir()
        (folder / "shadowme.py").write_text(f"VERSION = {version}\n")
    work.mkdir()
    (work / "test_x.py").write_text("import shadowme\n\n\ndef test_x():\n    assert shadowme.VERSION == 2\n")
    pytest_site = Path(pytest.__file__).resolve().parents[1]
    original = "pytest -q test_x.py"
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    read_end, write_end = os.pipe()
    env = {
        "PATH": os.environ["PATH"],
        "TRAJSIFT_RUNNER": runner_config(original, [pytest_site, env_site], [overlay], []),
        "TRAJSIFT_EVIDENCE_FD": str(write_end),
    }
    command = runner_command(original, Path(sys.executable), version)
    done = subprocess.run(
        command, shell=True, cwd=work, env=env, input=b"k" * 64, capture_output=True, pass_fds=(write_end,)
    )
    os.close(write_end)
    os.close(read_end)
    assert done.returncode == 0, done.stdout.decode()[-2000:]
