"""Local stand-ins for the internet services a task's tests call, started inside the sandbox before the tests.

An environment spec names them (`EnvSpec.services`: name -> arguments). The test command is wrapped so that the
service's script, run by the task environment's own interpreter (never the work tree's: no patch code in the
server), starts the service and then execs the command with the variables that point the tests at it. Known:
`httpbin` (`httpbin_service`: the real httpbin application, HTTP/1.1 keep-alive, HTTP and HTTPS on one port).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from trajsift.harness.environments import EnvironmentUnavailable

SCRIPTS = {"httpbin": Path(__file__).resolve().with_name("httpbin_service.py")}


def check_services(services: Mapping[str, Sequence[str]]) -> None:
    """Raise `EnvironmentUnavailable` for a service trajsift does not provide."""
    unknown = sorted(set(services) - set(SCRIPTS))
    if unknown:
        raise EnvironmentUnavailable(f"unknown test service(s) {', '.join(unknown)}; known: {', '.join(SCRIPTS)}")


def with_services(command: str, services: Mapping[str, Sequence[str]], python: Path) -> str:
    """`command`, run after each service has started (the innermost service starts last)."""
    for name, args in sorted(services.items()):
        words = [str(python), "-I", "-B", str(SCRIPTS[name]), *args, command]
        command = " ".join(shlex.quote(word) for word in words)
    return command


def service_paths(services: Mapping[str, Sequence[str]]) -> list[Path]:
    """The scripts the sandbox mounts read-only."""
    return [SCRIPTS[name] for name in sorted(services)]
