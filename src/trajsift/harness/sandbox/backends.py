"""The sandbox backend a run asks for by name: bubblewrap (the default), docker or podman."""

from __future__ import annotations

from trajsift.harness.sandbox.base import Sandbox, SandboxUnavailable
from trajsift.harness.sandbox.bubblewrap import default_sandbox
from trajsift.harness.sandbox.docker import DockerSandbox


def select_sandbox(name: str = "") -> Sandbox:
    """The backend called `name`: `bubblewrap` (default), `docker` or `podman`; SandboxUnavailable otherwise."""
    name = (name or "bubblewrap").strip().lower()
    if name in ("bubblewrap", "bwrap"):
        return default_sandbox()
    if name in ("docker", "podman"):
        return DockerSandbox(name)
    raise SandboxUnavailable(f"unknown sandbox backend {name!r}: bubblewrap, docker or podman")
