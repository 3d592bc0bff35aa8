"""git for the harness: every call without system/global config, with hooks, fsmonitor and external helpers
disabled, a fixed identity and locale, and a timeout."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from trajsift.errors import TrajsiftError

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "trajsift",
    "GIT_AUTHOR_EMAIL": "trajsift@localhost",
    "GIT_COMMITTER_NAME": "trajsift",
    "GIT_COMMITTER_EMAIL": "trajsift@localhost",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00+0000",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00+0000",
}
# Command-line `-c` settings override anything a repository's own config says.
SAFE_GIT_CONFIG = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.symlinks=true",
    "core.autocrlf=false",
    "core.pager=cat",
    "core.editor=true",
    "safe.directory=*",
    "protocol.ext.allow=never",
    "advice.detachedHead=false",
    "gc.auto=0",
    "maintenance.auto=false",
)
PASSED_ENV = ("PATH", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY")
CLONE_TIMEOUT_S = 1800.0
GIT_TIMEOUT_S = 600.0


class WorktreeError(TrajsiftError):
    """The task's repository cannot be checked out (missing, unreachable, unsafe archive, unknown commit)."""


def git_env() -> dict[str, str]:
    """A clean environment for git: no system/global config, no prompts, fixed identity and locale."""
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    env.update(GIT_IDENTITY)
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_SSH_COMMAND="ssh -o BatchMode=yes",
        HOME=os.devnull,
        LC_ALL="C",
    )
    return env


def git_argv(args: list[str]) -> list[str]:
    """`git` with the safe `-c` settings, then `args`."""
    return ["git", *(item for setting in SAFE_GIT_CONFIG for item in ("-c", setting)), *args]


def run_git(
    args: list[str], cwd: Path | None = None, timeout: float = GIT_TIMEOUT_S, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run git with the safe config and env; never raises for a non-zero exit (callers check `returncode`)."""
    try:
        return subprocess.run(
            git_argv(args),
            cwd=cwd,
            env=git_env(),
            input=stdin,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise WorktreeError(f"git {args[0]} timed out after {timeout:.0f}s") from exc


def git_checked(
    args: list[str], cwd: Path | None = None, timeout: float = GIT_TIMEOUT_S, stdin: str | None = None
) -> str:
    done = run_git(args, cwd=cwd, timeout=timeout, stdin=stdin)
    if done.returncode != 0:
        raise WorktreeError(f"git {' '.join(args[:2])} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def git_bytes(
    args: list[str],
    cwd: Path,
    stdin: bytes | None = None,
    timeout: float = GIT_TIMEOUT_S,
    env: dict[str, str] | None = None,
) -> bytes:
    """`git_checked` for binary input and output (packs, binary diffs); `env` replaces `git_env()`."""
    try:
        done = subprocess.run(
            git_argv(args), cwd=cwd, env=env or git_env(), input=stdin, capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise WorktreeError(f"git {args[0]} timed out after {timeout:.0f}s") from exc
    if done.returncode != 0:
        raise WorktreeError(f"git {args[0]} failed: {done.stderr.decode('utf-8', 'replace')[-300:]}")
    return done.stdout
