"""Engine options for hosts that a container engine's defaults do not fit, learnt from the engine's own refusal.

A container engine started inside another container (a CI runner, a dev box) can refuse every `run` for reasons
that have nothing to do with the command:
- `crun` (podman's default runtime) does not support a cgroup v1 + v2 hybrid host; `runc` with podman's
  `cgroupfs` manager does;
- the engine asks for resource limits above the host's hard limits (crun: `setrlimit RLIMIT_NOFILE / RLIMIT_NPROC:
  Operation not permitted`; runc names the limit by number: `error setting rlimit type 7`); podman also caps its
  own process count limit at 32,768 before it starts the runtime (seen with podman 4.3), so the container's must
  not exceed that.

`adapt` reads such a refusal and returns the options that avoid it; the backend retries once per new option and
keeps what worked for the rest of the process. Options only ever get added for a refusal seen, so a host where the
defaults work runs with the defaults.
"""

from __future__ import annotations

import resource
import shutil
from collections.abc import Callable
from dataclasses import dataclass

PODMAN_NPROC_CAP = 32_768


@dataclass(frozen=True)
class EngineOptions:
    """Options before the `run` verb (`global_args`) and after it (`run_args`)."""

    global_args: tuple[str, ...] = ()
    run_args: tuple[str, ...] = ()

    def with_global(self, *args: str) -> EngineOptions:
        return EngineOptions((*self.global_args, *args), self.run_args)

    def with_run(self, *args: str) -> EngineOptions:
        return EngineOptions(self.global_args, (*self.run_args, *args))


def _hard_limit(kind: int, cap: int) -> int:
    hard = resource.getrlimit(kind)[1]
    return cap if hard == resource.RLIM_INFINITY else min(hard, cap)


Fix = Callable[[EngineOptions], EngineOptions]


def _fixes(engine: str) -> list[tuple[str, str, Fix]]:
    """(text in the refusal, marker of the fix in the options, how to add the fix)."""
    nofile = _hard_limit(resource.RLIMIT_NOFILE, 1 << 20)
    nproc = _hard_limit(resource.RLIMIT_NPROC, PODMAN_NPROC_CAP if engine == "podman" else 1 << 22)
    return [
        *_limit_fixes(resource.RLIMIT_NOFILE, "NOFILE", f"nofile={nofile}:{nofile}"),
        *_limit_fixes(resource.RLIMIT_NPROC, "NPROC", f"nproc={nproc}:{nproc}"),
        *(_podman_fixes() if engine == "podman" else []),
    ]


def _limit_fixes(number: int, name: str, ulimit: str) -> list[tuple[str, str, Fix]]:
    """crun names a refused limit (`RLIMIT_NOFILE`), runc gives its number (`rlimit type 7:`)."""
    marker = ulimit.split("=", 1)[0] + "="

    def fix(options: EngineOptions) -> EngineOptions:
        return options.with_run("--ulimit", ulimit)

    return [(f"RLIMIT_{name}", marker, fix), (f"rlimit type {number}:", marker, fix)]


def _podman_fixes() -> list[tuple[str, str, Fix]]:
    runc = ["--runtime", "runc"] if shutil.which("runc") else []
    return [
        (
            "cgroups in hybrid mode",
            "--cgroup-manager",
            lambda o: o.with_global(*runc, "--cgroup-manager", "cgroupfs"),
        )
    ]


def adapt(engine: str, refusal: str, options: EngineOptions) -> EngineOptions | None:
    """The options that avoid the refusal the engine printed, or None when it is not one this module knows (or
    its fix is already in `options`, so retrying would not help)."""
    present = " ".join((*options.global_args, *options.run_args))
    for needle, marker, fix in _fixes(engine):
        if needle.lower() in refusal.lower() and marker not in present:
            return fix(options)
    return None
