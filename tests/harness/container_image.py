"""A container image the contract tests can run without a registry: busybox's static binary imported as an image.

Built once per engine from `/bin/busybox` (Debian's busybox-static) with `<engine> import`; the tests' commands
are plain /bin/sh, which busybox provides with every applet they use.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import uuid
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
        _add_busybox(tar, busybox, APPLETS)
    imported = subprocess.run([binary, "import", str(archive), IMAGE], capture_output=True, text=True, check=False)
    if imported.returncode != 0:
        pytest.fail(f"{engine} import failed: {imported.stderr[-500:]}")
    return IMAGE


def _is_static(path: Path) -> bool:
    """True for a statically linked ELF (an image with nothing else in it can run it)."""
    probe = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False)
    return "not a dynamic executable" in probe.stdout + probe.stderr


INSTANCE_IMAGE = "localhost/trajsift-instance:test"
"""Tag prefix: each build gets its own tag, so suites running side by side never remove each other's image."""
STDLIB_SKIP = {"test", "site-packages", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "__pycache__"}
PYTEST_PACKAGES = ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "pygments", "py.py")


def instance_image(engine: str, scratch: Path, repo: Path) -> str:
    """An image laid out as SWE-bench's instance images: the repository at `/testbed` (its files and history),
    an interpreter with pytest on the PATH, git and a shell; built from this host's own binaries (busybox, git,
    the running Python with its standard library and pytest, and the shared libraries they load)."""
    busybox = shutil.which("busybox")
    if busybox is None or not _is_static(Path(busybox)):
        pytest.skip(f"{engine} answers but no static busybox is installed to build a local image (busybox-static)")
    archive = scratch / "instance.tar"
    prefix = Path(sys.base_prefix).resolve()
    python = Path(sys.executable).resolve()
    with tarfile.open(archive, "w") as tar:
        _add_busybox(tar, busybox)
        binaries = [python, Path(shutil.which("git") or "/usr/bin/git")]
        binaries += sorted((prefix / "lib" / python.name / "lib-dynload").glob("*.so"))
        for library in sorted({lib for binary in binaries for lib in _shared_libraries(binary)}):
            _add_library(tar, library)
        for binary in binaries[:2]:
            _add_file(tar, str(binary), str(binary).lstrip("/"))
        _add_link(tar, "usr/local/bin/python", str(python))
        _add_link(tar, "usr/local/bin/git", binaries[1].as_posix())
        stdlib = prefix / "lib" / python.name
        _add_file(tar, str(stdlib), str(stdlib).lstrip("/"), filter=_skip_stdlib_extras)
        site = stdlib / "site-packages"
        for module in PYTEST_PACKAGES:
            source = Path(pytest.__file__).resolve().parents[1] / module
            if source.exists():
                _add_file(tar, str(source), str(site / module).lstrip("/"), filter=_skip_caches)
        tar.add(str(repo), arcname="testbed")
    return _import(engine, archive, f"{INSTANCE_IMAGE}-{uuid.uuid4().hex[:12]}")  # one tag per build: removed after


def _add_busybox(tar: tarfile.TarFile, busybox: str, applets=(*APPLETS, "cp", "mkdir", "rm", "cd", "grep")) -> None:
    _add_file(tar, busybox, "bin/busybox")
    for applet in applets:
        _add_link(tar, f"bin/{applet}", "busybox")
    for folder in ("tmp", "proc", "sys", "dev"):
        entry = tarfile.TarInfo(folder)
        entry.type, entry.mode = tarfile.DIRTYPE, 0o1777 if folder == "tmp" else 0o755
        tar.addfile(entry)


def _add_parents(tar: tarfile.TarFile, name: str) -> None:
    """Directory entries (0755) for `name`'s parents not in the archive yet: Docker's import creates a missing
    parent with mode 0600, which root without capabilities (`--cap-drop ALL`) cannot search."""
    names = set(tar.getnames())
    for parent in reversed(Path(name).parents[:-1]):
        if parent.as_posix() not in names:
            entry = tarfile.TarInfo(parent.as_posix())
            entry.type, entry.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(entry)


def _add_file(tar: tarfile.TarFile, source: str, name: str, **options) -> None:
    _add_parents(tar, name)
    tar.add(source, arcname=name, **options)


def _add_link(tar: tarfile.TarFile, name: str, target: str) -> None:
    if name in tar.getnames():
        return
    _add_parents(tar, name)
    link = tarfile.TarInfo(name)
    link.type, link.linkname = tarfile.SYMTYPE, target
    tar.addfile(link)


def _shared_libraries(binary: Path) -> set[Path]:
    """The libraries `ldd` resolves for binary, the dynamic loader included, as ldd spells them."""
    found: set[Path] = set()
    for line in subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=False).stdout.splitlines():
        path = next((part for part in line.split() if part.startswith("/")), "")
        if path:
            found.add(Path(path))
    return found


def _add_library(tar: tarfile.TarFile, spelled: Path) -> None:
    """The library's file at its real path, and a link from the name the loader asks for when that differs."""
    real = spelled.resolve()
    if str(real).lstrip("/") not in tar.getnames():
        _add_file(tar, str(real), str(real).lstrip("/"))
    if spelled != real:
        _add_link(tar, str(spelled).lstrip("/"), str(real))


def _skip_stdlib_extras(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    parts = Path(info.name).parts
    return None if STDLIB_SKIP & set(parts[parts.index("lib") + 2 :] if "lib" in parts else ()) else info


def _skip_caches(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    return None if "__pycache__" in info.name else info


def _import(engine: str, archive: Path, image: str) -> str:
    binary = shutil.which(engine) or engine
    imported = subprocess.run([binary, "import", str(archive), image], capture_output=True, text=True, check=False)
    if imported.returncode != 0:
        pytest.fail(f"{engine} import failed: {imported.stderr[-500:]}")
    return image


def remove_image(engine: str, image: str) -> None:
    subprocess.run([shutil.which(engine) or engine, "rmi", "-f", image], capture_output=True, check=False)
