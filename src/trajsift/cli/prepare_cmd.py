"""`trajsift tasks prepare`: build and cache every environment a task file needs, with a per-repo summary."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from trajsift.cli.errors import fail_on_error
from trajsift.cli.verify_cmd import parse_repos, tasks_app


@tasks_app.command("prepare")
def prepare(
    tasks: str = typer.Argument(..., help="Task file (trajsift tasks or SWE-bench instances)."),
    repos: list[str] = typer.Option(None, "--repos", help="Local clone of a repository: owner/name=PATH."),
    workers: int = typer.Option(2, "--workers", "-w", min=1, help="Environments built at once."),
    timeout: float = typer.Option(1800, "--timeout", help="Seconds allowed for one environment build."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Harness cache (default: the user cache)."),
) -> None:
    """Build every environment the tasks need (once, cached); print what is runnable per repository."""
    from trajsift.harness.cache import default_cache_dir
    from trajsift.harness.prepare import READY, plan_environments, prepare_environments, summarize
    from trajsift.tasks import load_tasks

    console = Console()
    with fail_on_error():
        parse_repos(repos)  # validated here; the clones are used by verify / validate
        plans = plan_environments(load_tasks(tasks).values())
        cache = cache_dir or default_cache_dir() / "harness"
        bars = Progress(TextColumn("[bold]environments"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with bars:
            bar = bars.add_task("environments", total=len(plans))

            def done(result) -> None:
                bars.advance(bar)
                if result.plan.spec is not None:
                    state = "[green]ready[/]" if result.status == READY else f"[red]{result.status}[/]"
                    where = f"{escape(result.plan.repo)} {escape(', '.join(result.plan.versions))}"
                    bars.console.print(f"{where}: {state} {escape(result.python)} ({result.seconds:.0f}s)")
                    if result.status == READY and result.detail:
                        bars.console.print(f"  {escape(result.detail[:600])}")

            results = prepare_environments(plans, cache, workers, timeout, on_result=done)
        print_summary(console, summarize(results))


def print_summary(console: Console, summaries: list) -> None:
    table = Table("repository", "tasks", "runnable", "environments", "python", "not runnable (tasks)", title="Prepared")
    for summary in summaries:
        problems = "; ".join(f"{escape(reason)} ({count})" for reason, count in summary.problems.most_common(3))
        table.add_row(
            escape(summary.repo),
            str(summary.tasks),
            str(summary.runnable),
            f"{summary.ready}/{summary.environments}",
            escape(", ".join(sorted(summary.pythons))),
            problems,
        )
    console.print(table)
    total, runnable = sum(s.tasks for s in summaries), sum(s.runnable for s in summaries)
    console.print(f"runnable: {runnable}/{total} tasks")
