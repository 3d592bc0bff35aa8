"""`trajsift run`: the main job, with progress bars and a terminal summary."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from trajsift.alerts.evaluate import AlertReport, check_run
from trajsift.cli.errors import ExitCode, fail, fail_on_error
from trajsift.cli.progress import RichProgress
from trajsift.config import load_recipe
from trajsift.executors import EXECUTORS
from trajsift.live.progress import FAILED, ComposedProgress, LiveProgress
from trajsift.run import claim_out, run_pipeline
from trajsift.rundir import PARTS, RunDir

OVERRIDE = re.compile(r"^[A-Za-z_][\w.-]*=")
EXECUTOR_HELP = f"Where the work runs: {' or '.join(EXECUTORS)} (ray: pip install 'trajsift[ray]')."
ADDRESS_HELP = "Ray cluster address (`auto`, ray://host:10001); default: a local Ray instance."


def run(
    args: list[str] = typer.Argument(None, help="Inputs (files, folders, globs) and key=value recipe overrides."),
    out: Path = typer.Option(Path("trajsift-out"), "--out", "-o", help="Output directory."),
    recipe: Path | None = typer.Option(None, "--recipe", "-r", help="Recipe YAML (default: the five-stage recipe)."),
    labels: list[str] = typer.Option(
        None,
        "--labels",
        help="Outcome label files (SWE-bench results, CSV); RUN=FILE binds a file to the trajectories of one run.",
    ),
    tasks: str | None = typer.Option(None, "--tasks", help="Task file (trajsift tasks or SWE-bench instances)."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes."),
    fmt: str | None = typer.Option(None, "--format", help="Force one reader instead of sniffing."),
    jsonl: bool = typer.Option(False, "--jsonl", help="Also write JSONL copies of the outputs."),
    executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
    address: str | None = typer.Option(None, "--address", help=ADDRESS_HELP),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace the outputs of a different run (other inputs) found in --out."
    ),
    fail_on_alert: bool = typer.Option(
        False, "--fail-on-alert", help=f"Exit with code {ExitCode.ALERT:d} when a recipe alert fires."
    ),
) -> None:
    """Run the quality pipeline; with no input, on the built-in demo data."""
    console = Console(stderr=True)
    with fail_on_error():
        inputs = [a for a in args or [] if not (OVERRIDE.match(a) and not os.path.exists(a))]
        overrides = [a for a in args or [] if a not in inputs]
        if tasks:
            overrides.append(f"tasks={tasks}")
        if fmt:
            overrides.append(f"read.format={fmt}")
        if jsonl:
            overrides.append("output.jsonl=true")
        if labels:
            overrides.append(f"labels={list(labels)}")
        if not inputs:
            inputs, demo_overrides = _demo_inputs(out, console)
            overrides = demo_overrides + overrides
        resolved = load_recipe(str(recipe) if recipe else None, overrides)
        claim_out(inputs, out, resolved, overwrite)  # before progress.json: a refused run leaves --out as it was
        live = LiveProgress(out, alerts=resolved.alerts)
        try:
            with RichProgress(console) as progress:
                result = run_pipeline(
                    inputs,
                    out,
                    resolved,
                    executor=executor,
                    address=address,
                    workers=workers,
                    progress=ComposedProgress(progress, live),
                    overwrite=overwrite,
                )
            print_summary(Console(), result.stats, result.counts, out)
            live.settle_alerts()  # alerts fired mid-run are delivered once; the final check sees them
            fired = print_alerts(Console(), check_run(out, resolved.alerts))
        except BaseException:
            live.finish(FAILED)
            raise
        live.finish()
    exit_if_nothing_read(result.stats, out)
    if fired and fail_on_alert:
        raise typer.Exit(int(ExitCode.ALERT))


def exit_if_nothing_read(stats: dict[str, Any], out: Path) -> None:
    """A run that read no trajectory still wrote its (empty) outputs and quarantine, but exits non-zero."""
    read = stats["input"]
    if read["trajectories"]:
        return
    fail(
        f"no readable trajectory in the inputs ({read['quarantined']} quarantined, "
        f"{read.get('not_read', 0)} of them files not read); see {RunDir(out).quarantine}",
        ExitCode.NOTHING_READ,
    )


def _demo_inputs(out: Path, console: Console) -> tuple[list[str], list[str]]:
    from trajsift.demo import write_demo

    demo_dir = out / "demo-data"
    paths = write_demo(demo_dir)
    console.print(f"[bold]No input given:[/] running on the built-in demo data written to {demo_dir}")
    return [str(paths.trajectories)], [f"tasks={paths.tasks}"]


def print_summary(console: Console, stats: dict[str, Any], counts: dict[str, int], out: Path) -> None:
    read = stats["input"]
    console.print(
        f"\n[bold]Read[/] {read['trajectories']} trajectories from {read['units']} units; "
        f"quarantined {read['quarantined']}"
        + (f" ({read['not_read']} of them files not read)" if read.get("not_read") else "")
        + (f" {read['quarantine_reasons']}" if read["quarantined"] else "")
    )
    table = Table("stage", "status", "in", "dropped", "review", "pass rate", "top reasons", title="Funnel")
    for stage in stats["funnel"]:
        if stage["status"] == "skipped":
            table.add_row(stage["name"], "[bold yellow]SKIPPED[/]", "", "", "", "", "")
            continue
        reasons = ", ".join(f"{k} ({v})" for k, v in list(stage["top_reasons"].items())[:3])
        rate = f"{stage['pass_rate']:.1%}" if stage["pass_rate"] is not None else "-"
        table.add_row(stage["name"], "ran", *map(str, (stage["in"], stage["dropped"], stage["review"])), rate, reasons)
    console.print(table)
    for stage in stats["funnel"]:
        if stage["status"] == "skipped":
            console.print(f"[bold yellow]Warning: stage {stage['name']} SKIPPED[/]: {escape(stage['skip_reason'])}")
        elif stage.get("unknown", {}).get("count"):
            style = "bold yellow" if stage["unknown"]["infrastructure"] else "yellow"
            console.print(f"[{style}]Warning: {escape(unknown_line(stage))}[/]")
    run = RunDir(out)
    names = ", ".join(path.name for path in (*(run.output(part) for part in PARTS), run.stats))
    console.print(
        f"[bold green]kept {counts['kept']}[/], [bold red]rejected {counts['rejected']}[/], "
        f"[bold blue]review {counts['review']}[/] -> {out}/{names}"
    )


def unknown_line(stage: dict[str, Any]) -> str:
    """`correctness: 32 of 32 verdicts unknown (sandbox_unavailable 32)`: tests that could not run, said aloud."""
    unknown = stage["unknown"]
    reasons = ", ".join(f"{reason} {n}" for reason, n in unknown["reasons"].items())
    line = f"{stage['name']}: {unknown['count']} of {stage['in']} verdicts unknown ({reasons})"
    if unknown["infrastructure"]:
        line += f"; {unknown['infrastructure']} because this host could not run the tests"
    return line


def print_alerts(console: Console, report: AlertReport) -> int:
    """Print every alert that fired (and those that could not be evaluated); returns how many fired."""
    colours = {"critical": "bold red", "warning": "bold yellow", "info": "bold blue"}
    for result in report.results:
        if result.fired:
            colour = colours.get(result.severity, "bold")
            console.print(f"[{colour}]ALERT {result.severity.upper()}[/] {escape(result.message)}")
            if result.webhook and not result.webhook["delivered"]:
                console.print(f"  [yellow]webhook not delivered:[/] {escape(result.webhook['error'])}")
        elif result.status == "no_data":
            console.print(f"[dim]alert not evaluated: {escape(result.message)}[/]")
    if report.results and not report.fired:
        console.print(f"[green]{len(report.results)} alert rule(s) checked, none fired[/]")
    return len(report.fired)
