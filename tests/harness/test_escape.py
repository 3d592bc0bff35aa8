"""Hostile commands: each must be contained, get the right verdict, and leave nothing running."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from trajsift.harness.sandbox.base import SandboxResult
from trajsift.harness.sandbox.bubblewrap import BubblewrapSandbox

from .sandbox_helpers import PYTHON_PATHS, SMALL, assert_nothing_left, needs_bwrap, python_cmd

pytestmark = needs_bwrap


@pytest.fixture(scope="module")
def sandbox() -> BubblewrapSandbox:
    return BubblewrapSandbox()


@pytest.fixture
def marker() -> str:
    return f"TSMARK{uuid.uuid4().hex}"


@pytest.fixture
def run(sandbox, tmp_path, marker):
    """Run a hostile command with the test's marker in its environment, then check nothing is left."""
    workdir = tmp_path / "work"
    workdir.mkdir()

    def go(command: str, limits=SMALL, **kwargs) -> SandboxResult:
        result = sandbox.run(command, workdir, limits, env={"TS_MARK": marker}, ro_paths=PYTHON_PATHS, **kwargs)
        assert_nothing_left(marker)
        return result

    go.workdir = workdir
    return go


def test_host_loopback_listener_is_unreachable(run):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    source = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)\nprint('CONNECTED')\n"
    result = run(python_cmd(run.workdir, source))
    assert result.verdict == "nonzero_exit"
    assert "CONNECTED" not in result.output and "ConnectionRefusedError" in result.output
    with pytest.raises(BlockingIOError):
        listener.accept()
    listener.close()


def test_dns_lookup_fails(run):
    source = "import socket\nprint(socket.getaddrinfo('pypi.org', 443))\n"
    result = run(python_cmd(run.workdir, source))
    assert result.verdict == "nonzero_exit"
    assert "gaierror" in result.output


def test_no_route_to_the_outside(run):
    # Proven without sending anything: only the loopback interface exists and the routing table is empty.
    result = run("cat /proc/net/dev; echo ROUTES; tail -n +2 /proc/net/route; getent hosts example.com || echo NODNS")
    assert result.verdict == "ok"
    interfaces = [line.split(":")[0].strip() for line in result.output.split("ROUTES")[0].splitlines() if ":" in line]
    assert interfaces == ["lo"]
    assert result.output.split("ROUTES")[1].strip() == "NODNS"


def test_writes_outside_the_work_dir_fail(run, tmp_path, marker):
    targets = ["/", "/etc", "/usr", "/usr/local/bin", str(tmp_path), "/root", "/var"]
    attempts = " ".join(f"{t.rstrip('/')}/{marker}" for t in targets)
    # The work dir's parent may exist inside (in the sandbox's own tmpfs): what matters is the host.
    result = run(f"for f in {attempts}; do echo x > $f; done; exit 0")
    assert result.verdict == "ok", result.output
    assert "Read-only file system" in result.output
    for target in targets:
        assert not Path(target, marker).exists()


def test_host_tmp_is_not_the_sandbox_tmp(run, marker):
    host_file = Path("/tmp") / f"host-{marker}"
    host_file.write_text("host")
    try:
        result = run(f"cat {host_file} || echo MISSING; echo x > /tmp/{marker}-inside")
        assert result.verdict == "ok" and "MISSING" in result.output
        assert not Path(f"/tmp/{marker}-inside").exists()
    finally:
        host_file.unlink()


@pytest.fixture
def host_secret(marker):
    secret = Path("/root") / f".trajsift-test-secret-{marker}"
    secret.write_text(f"SECRET-{marker}")
    yield secret
    secret.unlink()


def test_host_secret_file_is_not_readable(run, host_secret, marker):
    result = run(f"cat {host_secret}; ls -a /root; cat /etc/shadow")
    assert result.verdict == "nonzero_exit"
    assert f"SECRET-{marker}" not in result.output
    assert host_secret.name not in result.output.splitlines()  # not even listed


def test_symlink_in_workdir_to_host_files_reveals_nothing(run, host_secret, marker):
    (run.workdir / "link").symlink_to(host_secret)
    (run.workdir / "shadow").symlink_to("/etc/shadow")
    result = run("cat link; cat shadow; ln -s /root/.bashrc mine && cat mine")
    assert result.verdict == "nonzero_exit"
    assert f"SECRET-{marker}" not in result.output and "root:" not in result.output


def test_environment_token_is_not_visible(run, monkeypatch, marker):
    token = f"TOKEN-{uuid.uuid4().hex}"
    monkeypatch.setenv("TRAJSIFT_TEST_TOKEN", token)
    result = run("env; cat /proc/*/environ | tr '\\0' '\\n'")
    assert result.verdict == "ok"
    assert token not in result.output and "TRAJSIFT_TEST_TOKEN" not in result.output
    assert f"TS_MARK={marker}" in result.output  # the given env does arrive


def test_host_processes_are_invisible(run):
    result = run(f"ls /proc | grep -x {os.getpid()} || echo HIDDEN; tr '\\0' ' ' < /proc/1/environ")
    assert result.verdict == "ok" and "HIDDEN" in result.output
    assert "TRAJSIFT" not in result.output and "/root/.pyenv/shims" not in result.output


def test_cannot_kill_or_ptrace_host_processes(run, marker):
    victim = subprocess.Popen(["sleep", "60"])
    try:
        source = (
            "import ctypes, os, signal\n"
            f"pid = {victim.pid}\n"
            "try:\n    os.kill(pid, signal.SIGKILL); print('KILLED')\nexcept OSError as e: print('kill', e)\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "print('ptrace', libc.ptrace(16, pid, 0, 0), ctypes.get_errno())\n"  # PTRACE_ATTACH
            "os.kill(-1, signal.SIGKILL)\n"  # everything this process may signal: only the sandbox
        )
        result = run(python_cmd(run.workdir, source))
        assert "KILLED" not in result.output and "ptrace -1" in result.output
        assert result.verdict == "nonzero_exit"  # kill(-1) took the sandbox's own shell down
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


def test_mount_and_remount_attempts_fail(run, marker):
    command = (
        "mount -o remount,rw /usr; mount -t tmpfs none /usr/local; "
        f"unshare -rm sh -c 'mount -o remount,rw /usr && touch /usr/{marker}'; "
        "mount --bind / /tmp; cat /proc/mounts | grep -c ' / ' ; "
        f"touch /usr/{marker}"
    )
    result = run(command)
    assert result.verdict == "nonzero_exit"
    assert not Path("/usr", marker).exists()


def test_proc_sys_and_sysrq_are_read_only(run):
    hostname = socket.gethostname()
    result = run(
        "echo pwned > /proc/sys/kernel/hostname; echo '|/bin/false' > /proc/sys/kernel/core_pattern; "
        "echo h > /proc/sysrq-trigger; ls /sys/fs/cgroup 2>&1 | head -1"
    )
    assert result.verdict == "ok"
    assert socket.gethostname() == hostname
    assert Path("/proc/sys/kernel/core_pattern").read_text().strip() != "|/bin/false"


def test_dev_is_minimal_and_no_device_nodes_can_be_made(run):
    result = run(
        "ls /dev; mknod /dev/myvda b 254 0 && echo MKNOD; for d in /dev/vda /dev/sda /dev/mem; do "
        "test -e $d && echo FOUND $d; done; echo x > /dev/null"
    )
    assert result.verdict == "ok"
    assert "MKNOD" not in result.output and "FOUND" not in result.output


def test_changing_permissions_cannot_open_the_parent(run, tmp_path):
    before = tmp_path.stat().st_mode
    result = run(
        "chmod 777 .. ; chmod 000 . ; chmod 777 / /usr /usr/bin/env /etc; chown nobody .. ; chmod 755 .; exit 0"
    )
    assert result.verdict == "ok"
    assert tmp_path.stat().st_mode == before
    assert Path("/usr/bin/env").stat().st_mode & 0o777 == 0o755


def test_git_metadata_of_the_work_tree_is_read_only(run):
    git = run.workdir / ".git"
    git.mkdir()
    (git / "config").write_text("[core]\n")
    (git / "hooks").mkdir()
    result = run(
        "printf '[core]\\n\\tfsmonitor = touch /tmp/pwned\\n' >> .git/config; "
        "echo 'touch /tmp/pwned' > .git/hooks/post-checkout; rm -rf .git; mv .git gone; echo data > file.txt"
    )
    assert result.verdict == "ok"
    assert (git / "config").read_text() == "[core]\n" and list((git / "hooks").iterdir()) == []
    assert (run.workdir / "file.txt").read_text() == "data\n"  # the tree itself stays writable


def test_fork_bomb_hits_the_pids_limit(run):
    result = run("bomb() { bomb | bomb & }; bomb; sleep 10")
    assert result.verdict == "pids_exceeded"  # stopped by the pids watcher, not by the wall clock
    assert result.duration_s < SMALL.wall_s + 8  # and the whole tree ended (load-tolerant bound)


def test_memory_hog_is_oom_killed(run):
    source = "chunks = []\nwhile True:\n    chunks.append(bytearray(32 << 20))\n"
    result = run(python_cmd(run.workdir, source))
    assert result.verdict == "memory_exceeded"


def test_disk_fill_in_workdir_is_stopped(run):
    result = run("for i in 1 2 3 4 5 6 7 8; do dd if=/dev/zero of=big$i bs=1M count=40 2>/dev/null; done; sleep 5")
    assert result.verdict == "disk_exceeded"  # the disk watcher, not the wall clock (that would be `timeout`)
    assert all(f.stat().st_size <= (SMALL.disk_mb + 1) << 20 for f in run.workdir.glob("big*"))


def test_one_huge_file_is_capped(run):
    result = run("dd if=/dev/zero of=huge bs=1M count=1000")
    assert result.verdict == "disk_exceeded"
    assert (run.workdir / "huge").stat().st_size <= (SMALL.disk_mb + 1) << 20


def test_a_million_files_are_stopped(run):
    source = "import os\nos.mkdir('many')\nfor i in range(1_000_000):\n    open(f'many/{i}', 'w').close()\n"
    result = run(python_cmd(run.workdir, source), limits=replace(SMALL, wall_s=20))
    assert result.verdict == "disk_exceeded"
    assert result.duration_s < 20  # before the run's own deadline
    assert len(os.listdir(run.workdir / "many")) < 200_000


def test_tmp_is_a_small_tmpfs(run):
    result = run("head -c 200M /dev/zero > /tmp/fill")
    assert result.verdict == "nonzero_exit"
    assert "No space left" in result.output


def test_sleep_forever_ignoring_sigterm_times_out(run):
    result = run("trap '' TERM INT HUP; while :; do sleep 1; done")
    assert result.verdict == "timeout" and result.exit_code is None
    assert SMALL.wall_s <= result.duration_s < SMALL.wall_s + 1.5


@pytest.mark.parametrize("main", ["exit 0", "sleep 30"])
def test_setsid_and_double_fork_do_not_survive(run, main):
    command = (
        "setsid sh -c 'trap \"\" TERM HUP; sleep 1000' & "
        "(sh -c 'sleep 1000 & exit 0' &) ; "
        "nohup sh -c 'sleep 1000' >/dev/null 2>&1 & "
        f"sleep 0.3; {main}"
    )
    result = run(command)
    assert result.verdict == ("ok" if main == "exit 0" else "timeout")


def test_output_flood_is_cut(run):
    result = run("yes flood")
    assert result.verdict == "output_exceeded" and result.truncated
    assert len(result.output) < SMALL.output_bytes + 200
    assert result.output.startswith("flood\n")
