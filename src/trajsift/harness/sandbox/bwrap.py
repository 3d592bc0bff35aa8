"""The bubblewrap command line: namespaces, a read-only minimal host view, one writable work dir."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

# Top-level host dirs that are symlinks into /usr on merged-/usr systems, or real dirs elsewhere.
SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# The /etc entries programs need; secrets (shadow, ssh, sudoers, ...) stay out.
ETC_ENTRIES = (
    "passwd",
    "group",
    "hosts",
    "nsswitch.conf",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "alternatives",
    "ssl",
    "ca-certificates",
    "mime.types",
    "os-release",
    "debian_version",
    "protocols",
    "services",
    "gitconfig",
)
NAMESPACES = ("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try")


def system_mounts() -> list[str]:
    """Read-only /usr, the merged-/usr top dirs (as symlinks when they are), a few /etc files."""
    args = ["--ro-bind", "/usr", "/usr"]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC_ENTRIES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def path_binds(workdir: Path, ro_paths: Sequence[Path]) -> list[str]:
    """Bind the work dir read-write (its .git read-only) and ro_paths read-only, shallowest first."""
    binds = [(str(workdir), "--bind")] + [(str(Path(p).absolute()), "--ro-bind") for p in ro_paths]
    git = workdir / ".git"
    if git.exists() and not git.is_symlink():
        # Host code runs git in this tree afterwards: a hostile .git/config (core.fsmonitor, ...) would run there.
        binds.append((str(git), "--ro-bind"))
    binds.sort(key=lambda item: (item[0].rstrip("/").count("/"), item[1] == "--ro-bind"))
    args: list[str] = []
    for path, flag in binds:
        args += [flag, path, path]
    return args


def bwrap_argv(
    command: str,
    workdir: Path,
    ro_paths: Sequence[Path],
    tmp_bytes: int,
    status_fd: int,
    network: bool = False,
    unshare_user: bool = False,
) -> list[str]:
    """The full `bwrap ... /bin/sh -c command` argv."""
    args = ["bwrap", *NAMESPACES, "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    args += [] if network else ["--unshare-net"]
    args += ["--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf"] if network else []  # DNS when allowed
    args += ["--unshare-user"] if unshare_user else []
    args += ["--hostname", "sandbox"]
    args += system_mounts()
    # /proc/sys is writable by uid 0 even without capabilities (core_pattern, ...): cover it read-only.
    args += ["--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys", "--dev", "/dev"]
    args += ["--size", str(tmp_bytes), "--tmpfs", "/tmp"]
    args += path_binds(workdir, ro_paths)
    args += ["--chdir", str(workdir), "--remount-ro", "/", "--json-status-fd", str(status_fd)]
    return [*args, "/bin/sh", "-c", command]


def read_status(fd: int) -> dict:
    """bwrap's --json-status-fd stream: one JSON object per line ({"child-pid": ..}, {"exit-code": ..})."""
    chunks = []
    with os.fdopen(fd, "rb") as stream:
        chunks.append(stream.read())
    status: dict = {}
    for line in b"".join(chunks).decode(errors="replace").splitlines():
        try:
            status.update(json.loads(line))
        except ValueError:
            continue
    return status


def wait_gone(pid: int, timeout_s: float = 5.0) -> None:
    """Wait until the namespace's init (host pid) is gone: the kernel then killed every process inside."""
    deadline = time.monotonic() + timeout_s
    while _alive(pid) and time.monotonic() < deadline:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            return
        time.sleep(0.002)


def _alive(pid: int) -> bool:
    """True while pid exists and is not a zombie (a zombie init has already emptied its namespace)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False
