"""What the sandbox watches from the host while a command runs: its output and its disk use."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Sequence
from pathlib import Path

# A run may write one inode per this many bytes of its disk allowance (with a floor): 64 MB -> 16384 files.
BYTES_PER_INODE = 4096
MIN_INODES = 10_000
MAX_SCAN_INTERVAL_S = 1.0  # an overrun is seen within this (plus one scan) however slow the scans get


class OutputCapture:
    """Keeps the first and last `limit // 2` bytes of a stream, counting everything fed."""

    def __init__(self, limit: int) -> None:
        self.head_limit = max(limit // 2, 0)
        self.tail_limit = max(limit - self.head_limit, 0)
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if not data or not self.tail_limit:
            return
        self.tail += data
        if len(self.tail) > 2 * self.tail_limit:  # trim rarely: amortised O(1) per byte
            del self.tail[: len(self.tail) - self.tail_limit]

    @property
    def truncated(self) -> bool:
        return self.total > self.head_limit + self.tail_limit

    def text(self) -> str:
        tail = bytes(self.tail[-self.tail_limit :]) if self.tail_limit else b""
        if not self.truncated:
            return (bytes(self.head) + bytes(self.tail)).decode("utf-8", errors="replace")
        dropped = self.total - len(self.head) - len(tail)
        marker = f"\n[... {dropped} bytes truncated ...]\n".encode()
        return (bytes(self.head) + marker + tail).decode("utf-8", errors="replace")


def disk_usage(roots: Sequence[Path], max_bytes: int | None = None, max_inodes: int | None = None) -> tuple[int, int]:
    """(bytes allocated, entries) under roots, never following symlinks; stops early past either cap."""
    bytes_cap = max_bytes if max_bytes is not None else float("inf")
    inodes_cap = max_inodes if max_inodes is not None else float("inf")
    used = entries = 0
    seen: set[tuple[int, int]] = set()
    stack = [str(root) for root in roots]
    while stack:
        try:
            scan = os.scandir(stack.pop())
        except OSError:
            continue
        with scan:
            for entry in scan:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                entries += 1
                is_dir = stat.S_ISDIR(info.st_mode)
                if is_dir:
                    stack.append(entry.path)
                if is_dir or info.st_nlink == 1 or (info.st_dev, info.st_ino) not in seen:
                    used += info.st_blocks * 512
                    if info.st_nlink > 1 and not is_dir:
                        seen.add((info.st_dev, info.st_ino))
                if used > bytes_cap or entries > inodes_cap:
                    return used, entries
    return used, entries


class DiskWatch:
    """Measures growth of the writable dirs against an allowance of bytes and inodes.

    A statvfs of the dirs' filesystems is the cheap first test: unless the whole filesystem grew by more than
    the allowance, the dirs cannot have. Only then are the dirs scanned (at most ~10 % of a core, and at least
    once a second, so an overrun is seen within a second on a loaded host)."""

    def __init__(self, roots: Sequence[Path], limit_bytes: int, min_interval_s: float = 0.05) -> None:
        self.roots = list(roots)
        self.limit_bytes = limit_bytes
        self.limit_inodes = max(MIN_INODES, limit_bytes // BYTES_PER_INODE)
        self.min_interval_s = min_interval_s
        self.fs_base = _fs_used(self.roots)
        self.base_bytes, self.base_inodes = disk_usage(self.roots)
        self.next_check = time.monotonic() + min_interval_s

    def exceeded(self) -> bool:
        self.next_check = time.monotonic() + self.min_interval_s
        fs_bytes, fs_inodes = _fs_used(self.roots)
        if fs_bytes - self.fs_base[0] <= self.limit_bytes and fs_inodes - self.fs_base[1] <= self.limit_inodes:
            return False
        started = time.monotonic()
        used, inodes = disk_usage(self.roots, self.base_bytes + self.limit_bytes, self.base_inodes + self.limit_inodes)
        backoff = min(MAX_SCAN_INTERVAL_S, 10 * (time.monotonic() - started))  # slow scans on a loaded host:
        self.next_check = time.monotonic() + max(self.min_interval_s, backoff)  # never more than 1 s apart
        return used - self.base_bytes > self.limit_bytes or inodes - self.base_inodes > self.limit_inodes

    def due(self, now: float) -> bool:
        return now >= self.next_check


def _fs_used(roots: Sequence[Path]) -> tuple[int, int]:
    """(bytes, inodes) in use on the distinct filesystems holding roots."""
    used_bytes = used_inodes = 0
    seen: set[int] = set()
    for root in roots:
        try:
            device = os.stat(root).st_dev
            if device in seen:
                continue
            seen.add(device)
            info = os.statvfs(root)
        except OSError:
            continue
        used_bytes += (info.f_blocks - info.f_bfree) * info.f_frsize
        used_inodes += info.f_files - info.f_ffree
    return used_bytes, used_inodes
