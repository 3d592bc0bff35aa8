"""Task environments: a virtualenv with the task's Python and pinned packages, built once per fingerprint.

`build_environment` creates `cache_dir/envs/<fingerprint>` with the spec's interpreter and `pip install`s its
packages (from the package registry). `install` and `pre_install` run in the task's work tree (they need the
repository) and are left to the runner. A completion marker is written atomically last, so a half-built env is
never reused, and a file lock keeps two processes from building the same env. Whatever prevents a build (no
such Python, pip failure, timeout) raises `EnvironmentUnavailable`: an infrastructure verdict, never
"incorrect".
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from functools import lru_cache
from pathlib import Path

import msgspec

from trajsift.errors import UnavailableError

MARKER = ".trajsift-env-complete"
_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")
_PYENV_ROOTS = ("/root/.pyenv",)
_PIP_BOOTSTRAP = {"3.6": "pip==21.3.1"}
"""A newer pip first where the venv's bundled one (3.6: pip 18.1) takes a package index's newest release even when
its metadata says it needs a newer Python (an index without `data-requires-python`), instead of discarding it."""
_PROBE = "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.base_prefix)"


class EnvironmentUnavailable(UnavailableError):
    """The task's environment cannot be built here; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EnvSpec(msgspec.Struct, kw_only=True, frozen=True):
    python: str
    packages: list[str] = []
    install: str = ""
    """Run by the runner in the work tree after the packages are installed (e.g. `pip install -e .`)."""
    pre_install: list[str] = []
    """Run by the runner in the work tree before `install`."""
    env: dict[str, str] = {}
    skipped: list[str] = []
    """Steps of the source spec that set up the host system (apt-get, locale-gen, downloads, /etc, /tmp): not
    run here, and not part of the fingerprint; `tasks prepare` lists them beside the environment."""
    services: dict[str, list[str]] = {}
    """Local stand-ins for internet services the tests call, started in the sandbox before them: name ->
    arguments (`grading.services`, e.g. `httpbin` for requests' tests written against httpbin.org)."""

    def fingerprint(self) -> str:
        parts: list = [self.python, sorted(self.packages), self.install, self.pre_install, sorted(self.env.items())]
        if self.services:  # only then: every other environment keeps its fingerprint
            parts.append(sorted(self.services.items()))
        return hashlib.sha256(msgspec.json.encode(parts)).hexdigest()[:20]


class Environment(msgspec.Struct, kw_only=True, frozen=True):
    path: Path
    python: Path
    ro_paths: list[Path]
    """Host paths the sandbox must mount read-only: the venv and its base interpreter's prefix."""
    python_version: str = ""
    """The interpreter's full version (`3.9.18`)."""
    python_note: str = ""
    """Set when the spec's Python was not on this machine and a neighbour stood in (`asked 3.5, using 3.6.15`)."""

    @property
    def bin_dir(self) -> Path:
        return self.path / "bin"


# --- interpreters ---------------------------------------------------------------------------------------------
def find_python(version: str) -> Path | None:
    """An interpreter of exactly `version` (`major.minor`, or `major.minor.patch`): pyenv builds, then
    uv-managed Pythons, then `pythonX.Y` on PATH. Each candidate is run once to confirm its version."""
    match = _VERSION.match(version.strip())
    if not match:
        return None
    wanted = version.strip()
    for candidate in (*_pyenv_candidates(match), *_uv_candidates(match), *_path_candidates(match)):
        found = _probe(str(candidate))
        if found and (found[0] == wanted or found[0].startswith(wanted + ".")):
            return candidate
    return None


def resolve_python(version: str) -> tuple[Path, str]:
    """(interpreter, note) for a spec's `major.minor`: that version when the machine has it, else the nearest
    newer minor of the same major (at most two minors away; older code usually runs there), else the nearest
    older one. The note says which stood in; `EnvironmentUnavailable` when none is near."""
    found = find_python(version)
    if found is not None:
        return found, ""
    match = _VERSION.match(version.strip())
    if not match:
        raise EnvironmentUnavailable(f"python {version!r} is not a version")
    major, minor = int(match[1]), int(match[2])
    if major < 3:
        raise EnvironmentUnavailable(f"python {version} not found (pyenv, uv or PATH)")
    for other in (minor + 1, minor + 2, minor - 1):
        found = find_python(f"{major}.{other}") if other >= 0 else None
        probe = _probe(str(found)) if found else None
        if found and probe:
            return found, f"asked {version}, using {probe[0]}"
    raise EnvironmentUnavailable(f"python {version} not found (pyenv, uv or PATH), nor a neighbouring minor")


def _pyenv_candidates(match: re.Match) -> list[Path]:
    minor = f"{match[1]}.{match[2]}"
    roots = [os.environ.get("PYENV_ROOT", ""), *_PYENV_ROOTS, str(Path.home() / ".pyenv")]
    found: list[tuple[tuple[int, ...], Path]] = []
    for root in dict.fromkeys(filter(None, roots)):
        versions = Path(root) / "versions"
        for entry in sorted(versions.iterdir()) if versions.is_dir() else ():
            parts = _VERSION.match(entry.name)
            if parts and f"{parts[1]}.{parts[2]}" == minor and (match[3] is None or parts[3] == match[3]):
                binary = entry / "bin" / f"python{minor}"
                if binary.exists():
                    found.append((tuple(int(p or 0) for p in parts.groups()), binary))
    return [binary for _, binary in sorted(found, reverse=True)]


def _uv_candidates(match: re.Match) -> list[Path]:
    uv = shutil.which("uv")
    if not uv:
        return []
    try:
        done = subprocess.run(
            [uv, "python", "find", "--no-python-downloads", match[0]], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return []
    path = done.stdout.strip()
    return [Path(path)] if done.returncode == 0 and path else []


def _path_candidates(match: re.Match) -> list[Path]:
    found = shutil.which(f"python{match[1]}.{match[2]}")
    return [Path(found)] if found else []


@lru_cache(maxsize=64)
def _probe(python: str) -> tuple[str, str] | None:
    """(full version, base prefix) of an interpreter, or None when it does not run."""
    try:
        done = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.split()
    return (lines[0], lines[1]) if done.returncode == 0 and len(lines) == 2 else None


# --- building -------------------------------------------------------------------------------------------------
def build_environment(
    spec: EnvSpec, cache_dir: Path, timeout_s: float = 1800, lock_timeout_s: float | None = None
) -> Environment:
    """The spec's venv under `cache_dir/envs/<fingerprint>`, built on first use (under a file lock)."""
    python, note = resolve_python(spec.python)
    probe = _probe(str(python))
    if probe is None:
        raise EnvironmentUnavailable(f"python {spec.python} at {python} does not run")
    envs = Path(cache_dir) / "envs"
    envs.mkdir(parents=True, exist_ok=True)
    path = envs / spec.fingerprint()
    environment = Environment(
        path=path,
        python=path / "bin" / "python",
        ro_paths=[path, Path(probe[1])],
        python_version=probe[0],
        python_note=note,
    )
    if _is_complete(environment):
        return environment
    with _locked(envs / f"{spec.fingerprint()}.lock", timeout_s if lock_timeout_s is None else lock_timeout_s):
        if _is_complete(environment):  # another process built it while we waited
            return environment
        shutil.rmtree(path, ignore_errors=True)  # a half-built env is never reused
        _run([str(python), "-m", "venv", str(path)], timeout_s, "venv creation")
        bootstrap = _PIP_BOOTSTRAP.get(".".join(probe[0].split(".")[:2]))
        if bootstrap:
            _pip_install(environment.python, [bootstrap], timeout_s)
        if spec.packages:
            _pip_install(environment.python, spec.packages, timeout_s)
        _write_marker(path, spec, python)
    return environment


def _is_complete(environment: Environment) -> bool:
    return (environment.path / MARKER).is_file() and environment.python.exists()


def _pip_install(python: Path, packages: list[str], timeout_s: float) -> None:
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", *packages]
    _run(command, timeout_s, "pip install", env={**os.environ, "PIP_NO_INPUT": "1"})


def _write_marker(path: Path, spec: EnvSpec, python: Path) -> None:
    temporary = path / f"{MARKER}.tmp"
    temporary.write_bytes(msgspec.json.encode({"spec": spec, "base_python": str(python), "built_at": time.time()}))
    os.replace(temporary, path / MARKER)


def _run(command: list[str], timeout_s: float, what: str, env: dict[str, str] | None = None) -> None:
    """Run a build step in its own process group (killed whole on timeout); failures carry the log tail."""
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
    except OSError as exc:
        raise EnvironmentUnavailable(f"{what} could not start: {exc}") from exc
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise EnvironmentUnavailable(f"{what} timed out after {timeout_s:.0f}s") from None
    if process.returncode != 0:
        tail = output.decode("utf-8", "replace").strip()[-2000:]
        raise EnvironmentUnavailable(f"{what} failed (exit {process.returncode}): {tail}")


class _locked:
    """An exclusive `flock` on `path`, waited for up to `timeout_s`."""

    def __init__(self, path: Path, timeout_s: float) -> None:
        self.path, self.timeout_s = path, timeout_s

    def __enter__(self) -> None:
        self.handle = open(self.path, "a+b")  # noqa: SIM115 - closed in __exit__
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.handle.close()
                    raise EnvironmentUnavailable(f"timed out waiting for the build lock {self.path}") from None
                time.sleep(0.2)

    def __exit__(self, *exc_info: object) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()
