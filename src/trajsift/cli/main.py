"""`trajsift` entry point: one typer app; each subcommand family lives in its own module, imported lazily.

`COMMANDS` names every subcommand with its module, attribute and one-line help, so `trajsift --help` lists them
without importing any (no pyarrow, numpy or web framework); a command's module is imported when it runs (or
shows its own `--help`). Adding a command: write `cli/<name>_cmd.py` and add one line to `COMMANDS`.

Exit codes (`trajsift.cli.errors.ExitCode`; every error is one `error: ...` line on stderr, never a traceback):

- 0: success.
- 1: `inspect`, `convert` or `users add` could not do what was asked (an input missing or unreadable, no
  trajectory to show, an account that exists).
- 2: any other command refused its inputs, recipe, options or run directory, or a needed extra is missing;
  also a command-line usage error.
- 3: `run --fail-on-alert` and a recipe alert fired.
- 4: `run` / `dedup` read no trajectory at all (the empty outputs and the quarantine are still written).
"""

from __future__ import annotations

import importlib
from typing import Any

import click
import typer
from typer.core import TyperGroup

SERVE_HELP = "Serve the review app and the dashboard for RUN_DIR (log in with an account from `trajsift users add`)."
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("run_cmd", "run", "Run the quality pipeline; with no input, on the built-in demo data."),
    "inspect": (
        "inspect_cmd",
        "inspect",
        "Show a trajectory step by step (without --id: list the trajectories, then show the first).",
    ),
    "convert": ("convert_cmd", "convert", "Convert trajectories; print how many were read, quarantined and written."),
    "export": ("export_cmd", "export", "Export a run's rows as training data with per-step labels and loss masks."),
    "demo": (
        "demo_cmd",
        "demo",
        "Write a small demo dataset: git repos, tasks.jsonl, trajectories in native formats, a labelled manifest.",
    ),
    "report": (
        "report_cmd",
        "report",
        "Write an offline HTML report (funnel, reasons, distributions, scores, examples) of a run.",
    ),
    "reward": (
        "reward_cmd",
        "reward",
        "Write rewards.parquet (one row per trajectory) and step_rewards.parquet (one row per step).",
    ),
    "plan": (
        "plan_cmd",
        "plan",
        "Plan the next generation round: tasks for under-represented cells, models, temperatures, prompts.",
    ),
    "dedup": (
        "dedup_cmd",
        "dedup",
        "Deduplicate and sample: run only the recipe's diversity stages (those whose checks are all `diversity.*`).",
    ),
    "verify": (
        "verify_cmd",
        "verify",
        "Run each trajectory's final patch against its task's tests in the sandbox; print the verdicts.",
    ),
    "serve": ("serve_cmd", "serve", SERVE_HELP),
    "review": ("serve_cmd", "serve", SERVE_HELP),
    "dashboard": ("serve_cmd", "serve", SERVE_HELP),
    "finalize": (
        "serve_cmd",
        "finalize",
        "Apply review decisions to the kept rows and write the final dataset with a `review_decision` column.",
    ),
    "readers": ("readers_cmd", "readers_app", "Input formats trajsift reads."),
    "checks": ("checks_cmd", "checks_app", "Checks a recipe can use."),
    # prepare_cmd adds `tasks prepare` to verify_cmd's tasks_app: importing it gives the whole group
    "tasks": ("prepare_cmd", "tasks_app", "Task files: validation of reference patches."),
    "users": ("serve_cmd", "users_app", "Reviewer accounts of the review app (stored in its database)."),
}
"""Subcommand -> (module in `trajsift.cli`, function or typer sub-app in it, one-line help for `trajsift --help`)."""


class LazyGroup(TyperGroup):
    """Lists `COMMANDS` from the table; imports a command's module only to run it (or show its own help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A light stand-in carrying the help line: enough to list commands without importing them."""
        if cmd_name not in COMMANDS:
            return None
        return click.Command(cmd_name, help=COMMANDS[cmd_name][2])

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, _, rest = super().resolve_command(ctx, args)
        return name, load_command(name) if name else None, rest


def load_command(name: str) -> click.Command:
    """The real click command behind `name`, its module imported now."""
    module, attribute, _ = COMMANDS[name]
    target: Any = getattr(importlib.import_module(f"trajsift.cli.{module}"), attribute)
    if isinstance(target, typer.Typer):
        command: click.Command = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


app = typer.Typer(
    cls=LazyGroup, no_args_is_help=True, add_completion=False, help="Quality pipeline for coding-agent trajectories."
)


@app.callback()
def _main() -> None:
    """Quality pipeline for coding-agent trajectories."""
