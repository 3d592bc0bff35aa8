"""The sandbox contract: verdicts, output capture, env, mounts, fallbacks, and the pieces it is built from."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from trajsift.harness.sandbox.backends import select_sandbox
from trajsift.harness.sandbox.base import VERDICTS, Limits, SandboxUnavailable
from trajsift.harness.sandbox.bubblewrap import BubblewrapSandbox, default_sandbox
from trajsift.harness.sandbox.bwrap import path_binds
from trajsift.harness.sandbox.docker import DockerSandbox, engine_problem
from trajsift.harness.sandbox.watchers import DiskWatch, OutputCapture, disk_usage

from .sandbox_helpers import PYTHON, PYTHON_PATHS, SMALL, assert_nothing_left, fork_bomb, needs_bwrap


@pytest.fixture(scope="module")
def sandbox() -> BubblewrapSandbox:
    return BubblewrapSandbox()


@pytest.fixture
def workdir(tmp_path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def test_limits_defaults_match_the_contract():
    assert Limits() == Limits(wall_s=900, memory_mb=4096, pids=1024, disk_mb=4096, output_bytes=4_000_000)
    assert Limits().network is False
    assert set(VERDICTS) >= {"ok", "nonzero_exit", "timeout", "sandbox_error"} and len(VERDICTS) == 8


def test_output_capture_keeps_head_and_tail():
    capture = OutputCapture(10)
    for chunk in (b"abc", b"defgh", b"ijklmnop", b"qrstuvwxyz"):
        capture.feed(chunk)
    assert capture.truncated and capture.total == 26
    assert capture.text().startswith("abcde") and capture.text().endswith("vwxyz")
    assert "[... 16 bytes truncated ...]" in capture.text()


def test_output_capture_untruncated_and_invalid_utf8():
    capture = OutputCapture(100)
    capture.feed(b"hello \xff world")
    assert not capture.truncated and capture.text() == "hello \ufffd world"


def test_output_capture_memory_stays_bounded():
    capture = OutputCapture(1000)
    for _ in range(10_000):
        capture.feed(b"x" * 997)
    assert len(capture.head) + len(capture.tail) <= 3 * 1000


def test_disk_usage_counts_bytes_inodes_and_hardlinks_once(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 100_000)
    os.link(tmp_path / "a", tmp_path / "b")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "link").symlink_to("/usr")
    used, entries = disk_usage([tmp_path])
    assert entries == 4 and 100_000 <= used < 200_000
    assert disk_usage([tmp_path], max_inodes=1)[1] == 2  # stops early


def test_disk_watch_measures_growth_not_size(tmp_path):
    (tmp_path / "existing").write_bytes(b"x" * 3_000_000)
    watch = DiskWatch([tmp_path], limit_bytes=1_000_000)
    assert not watch.exceeded()
    watch.limit_inodes = 50
    for index in range(55):
        (tmp_path / f"f{index}").touch()
    watch.fs_base = (0, 0)  # force the scan whatever else the filesystem did meanwhile
    assert watch.exceeded()


def test_path_binds_put_shallow_paths_first(tmp_path):
    args = path_binds(tmp_path / "w", [tmp_path / "w" / "venv", tmp_path])
    paths = args[1::3]
    assert paths == [str(tmp_path), str(tmp_path / "w"), str(tmp_path / "w" / "venv")]
    assert args[0::3] == ["--ro-bind", "--bind", "--ro-bind"]


def test_docker_backend_is_optional():
    if engine_problem("docker"):  # no engine answers here: a clear error, never a silent fallback
        with pytest.raises(SandboxUnavailable, match="docker"):
            DockerSandbox()
    with pytest.raises(SandboxUnavailable, match="unknown sandbox backend"):
        select_sandbox("qemu")


@needs_bwrap
def test_default_sandbox_works_here():
    sandbox = default_sandbox()
    assert sandbox.name == "bubblewrap"
    assert set(sandbox.enforcement) >= {"memory", "pids", "disk", "wall", "network", "filesystem"}


@needs_bwrap
def test_ok_and_output(sandbox, workdir):
    result = sandbox.run("echo hello; echo err >&2", workdir, SMALL)
    assert (result.verdict, result.exit_code, result.truncated) == ("ok", 0, False)
    assert result.output == "hello\nerr\n" and 0 < result.duration_s < 2


@needs_bwrap
def test_nonzero_exit_and_signal(sandbox, workdir):
    result = sandbox.run("exit 3", workdir, SMALL)
    assert (result.verdict, result.exit_code) == ("nonzero_exit", 3)
    assert sandbox.run("kill -SEGV $$", workdir, SMALL).verdict == "nonzero_exit"


@needs_bwrap
def test_workdir_is_writable_at_its_own_path_and_writes_persist(sandbox, workdir):
    result = sandbox.run("pwd; echo data > out.txt; mkdir -p sub && touch sub/x", workdir, SMALL)
    assert result.verdict == "ok" and result.output.strip() == str(workdir)
    assert (workdir / "out.txt").read_text() == "data\n" and (workdir / "sub" / "x").exists()


@needs_bwrap
def test_clean_environment_plus_given_env(sandbox, workdir, monkeypatch):
    monkeypatch.setenv("HOST_ONLY", "1")
    result = sandbox.run("env | sort", workdir, SMALL, env={"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"})
    names = {line.split("=")[0] for line in result.output.splitlines()}
    assert names == {"HOME", "LANG", "PATH", "PWD", "PYTHONHASHSEED", "TMPDIR"}
    assert "PATH=/usr/bin:/bin" in result.output


@needs_bwrap
def test_ro_paths_make_a_python_usable_read_only(sandbox, workdir):
    result = sandbox.run(
        f"{PYTHON} -c 'import sys; print(sys.version_info[:2])'", workdir, SMALL, ro_paths=PYTHON_PATHS
    )
    assert result.verdict == "ok" and result.output.startswith("(3, ")
    denied = sandbox.run(f"touch {PYTHON_PATHS[0]}/x", workdir, SMALL, ro_paths=PYTHON_PATHS)
    assert denied.verdict == "nonzero_exit" and "Read-only" in denied.output
    assert sandbox.run(f"{PYTHON} -c pass", workdir, SMALL).verdict == "nonzero_exit"  # not bound: absent


@needs_bwrap
def test_large_output_is_truncated_but_ok(sandbox, workdir):
    result = sandbox.run("seq 1 200000", workdir, SMALL)
    assert result.verdict == "ok" and result.truncated
    assert result.output.startswith("1\n2\n") and result.output.endswith("199999\n200000\n")
    assert len(result.output) < SMALL.output_bytes + 100


@needs_bwrap
def test_command_that_closes_stdout_still_times_out(sandbox, workdir):
    result = sandbox.run("exec >/dev/null 2>&1; sleep 60", workdir, replace(SMALL, wall_s=1))
    assert result.verdict == "timeout" and 1 <= result.duration_s < 20  # the 1 s limit, not the 60 s sleep


@needs_bwrap
def test_background_children_die_with_the_command(sandbox, workdir):
    start = time.monotonic()
    result = sandbox.run("sleep 100 & echo started", workdir, SMALL, env={"TS_MARK": "bgchild-" + workdir.name})
    assert result.verdict == "ok" and time.monotonic() - start < 30  # not the child's 100 s (a loaded machine)
    assert_nothing_left("bgchild-" + workdir.name)


@needs_bwrap
def test_concurrent_runs_from_threads_stay_separate(sandbox, tmp_path):
    dirs = [tmp_path / f"w{i}" for i in range(4)]
    for path in dirs:
        path.mkdir()
    command = "echo $RUN_ID > id.txt; cat id.txt; exit $RUN_ID"
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: sandbox.run(command, dirs[i], SMALL, env={"RUN_ID": str(i)}), range(4)))
    assert [r.output.strip() for r in results] == ["0", "1", "2", "3"]
    assert [r.exit_code for r in results] == [0, 1, 2, 3]
    assert [r.verdict for r in results] == ["ok"] + ["nonzero_exit"] * 3


@needs_bwrap
def test_given_path_does_not_break_the_wrapper(sandbox, workdir):
    result = sandbox.run("/bin/echo fine", workdir, SMALL, env={"PATH": "/nowhere"})
    assert result.verdict == "ok" and result.output == "fine\n"


@needs_bwrap
def test_missing_workdir_or_ro_path_is_a_sandbox_error(sandbox, tmp_path, workdir):
    assert sandbox.run("true", tmp_path / "absent", SMALL).verdict == "sandbox_error"
    result = sandbox.run("true", workdir, SMALL, ro_paths=[tmp_path / "absent"])
    assert result.verdict == "sandbox_error" and "absent" in result.output


@needs_bwrap
def test_network_flag_keeps_the_host_network(sandbox, workdir):
    result = sandbox.run("cat /proc/net/dev | grep -c :", workdir, replace(SMALL, network=True))
    assert result.verdict == "ok" and int(result.output) >= 1


@pytest.fixture
def open_workdir():
    """A work dir the unprivileged uid of the rlimit fallback can reach and write."""
    path = Path(tempfile.mkdtemp(prefix="trajsift-open-", dir="/tmp"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path)


@needs_bwrap
def test_rlimit_fallback_drops_to_nobody_and_caps_memory(open_workdir):
    sandbox = BubblewrapSandbox(use_cgroups=False)
    assert "RLIMIT" in sandbox.enforcement["memory"] and "RLIMIT_NPROC" in sandbox.enforcement["pids"]
    # Bounded against load: the deadlines below are far from what the commands need, and the command's own shell
    # forks once, before any bomb process exists (`bomb & exec sleep`): a refused fork cannot end it early.
    roomy = replace(SMALL, wall_s=60)
    result = sandbox.run("id -u; touch made", open_workdir, roomy)
    assert result.verdict == "ok" and result.output.strip() == "65534" and (open_workdir / "made").exists()
    hog = sandbox.run("head -c 1G /dev/zero | tail -n 1 | wc -c", open_workdir, roomy)
    assert "memory exhausted" in hog.output
    bomb = fork_bomb()
    bombed = sandbox.run(f"{bomb} exec sleep 10", open_workdir, replace(SMALL, wall_s=2))
    assert bombed.verdict == "timeout"
    assert_nothing_left(bomb.split("(")[0] + "()")
