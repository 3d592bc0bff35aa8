"""`trajsift report RUN_DIR`: write one self-contained HTML report of a run."""

from __future__ import annotations

from pathlib import Path

import typer

from trajsift.cli.errors import fail_on_error
from trajsift.report import write_report


def report(
    run_dir: Path = typer.Argument(..., help="A run directory written by `trajsift run`."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output HTML file (default: RUN_DIR/report.html)."),
) -> None:
    """Write an offline HTML report (funnel, reasons, distributions, scores, examples) of a run."""
    with fail_on_error():
        target = write_report(run_dir, out)
    typer.echo(f"Report written to {target}")
