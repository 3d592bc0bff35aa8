"""`trajsift readers list`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from trajsift.readers.registry import FOLDER_READERS, READERS

readers_app = typer.Typer(no_args_is_help=True, help="Input formats trajsift reads.")


@readers_app.command("list")
def list_readers() -> None:
    """Print every reader with what it reads."""
    table = Table("name", "unit", "reads")
    for name, cls in READERS.items():
        table.add_row(name, "record", cls.description)
    for name, cls in FOLDER_READERS.items():
        table.add_row(name, "folder", cls.description)
    Console().print(table)
