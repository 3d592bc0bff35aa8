"""A container image the contract tests can run without a registry: busybox's static binary imported as an image.

Built once per engine from `/bin/busybox` (Debian's busybox-static) with `<engine> import`; the tests' commands
are plain /bin/sh, which busybox provides with every applet they use.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

IMAGE = "localhost/trajsift-contract:busybox"
APPLETS = ("sh", "cat", "echo", "printf", "sleep", "touch", "ls", "true")


def contract_image(engine: str, scratch: Path) -> str:
    """The image's name, imported into `engine` if it is not there yet; skips when busybox is missing."""
    binary = shutil.which(engine) or engine
    if subprocess.run([binary, "image", "exists", IMAGE], capture_output=True, check=False).returncode == 0:
        return IMAGE
    busybox = shutil.which("busybox")
    if busybox is None or not _is_static(Path(busybox)):
        pytest.skip(f"{engine} answers but no static busybox is installed to build a local image (busybox-static)")
    archive = scratch / "rootfs.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(busybox, arcname="bin/busybox")
        for applet in APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(link)
        for folder in ("tmp", "proc", "sys", "dev"):
            entry = tarfile.TarInfo(folder)
            entry.type, entry.mode = tarfile.DIRTYPE, 0o1777 if folder == "tmp" else 0o755
            tar.addfile(entry)
    imported = subprocess.run([binary, "import", str(archive), IMAGE], capture_output=True, text=True, check=False)
    if imported.returncode != 0:
        pytest.fail(f"{engine} import failed: {imported.stderr[-500:]}")
    return IMAGE


def _is_static(path: Path) -> bool:
    """True for a statically linked ELF (an image with nothing else in it can run it)."""
    probe = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False)
    return "not a dynamic executable" in probe.stdout + probe.stderr
