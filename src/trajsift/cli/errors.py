"""How a command fails: one `fail()` that prints a one-line `error: ...` to stderr and exits with an `ExitCode`.

Our own errors (`TrajsiftError`) never show a traceback: `fail_on_error` turns them into `fail()`. What each
exit code means is documented once, in the `trajsift.cli.main` docstring (and README's CLI section).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import NoReturn

import typer
from rich.console import Console
from rich.text import Text

from trajsift.errors import TrajsiftError


class ExitCode(IntEnum):
    """Exit codes of `trajsift`; see the `trajsift.cli.main` docstring for when each is used."""

    OK = 0
    FAILED = 1
    ERROR = 2
    ALERT = 3
    NOTHING_READ = 4


def fail(message: str, code: ExitCode = ExitCode.ERROR) -> NoReturn:
    """Print `error: message` on one line to stderr (never as rich markup) and exit with `code`."""
    Console(stderr=True, highlight=False).print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)
    raise typer.Exit(int(code))


@contextmanager
def fail_on_error(code: ExitCode = ExitCode.ERROR) -> Iterator[None]:
    """Inside the block, a `TrajsiftError` becomes `fail(str(error), code)`."""
    try:
        yield
    except TrajsiftError as exc:
        fail(str(exc), code)
