"""`trajsift dedup`: only the diversity stage of a recipe (duplicates, novelty, sampling) over the inputs."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

from trajsift.cli.errors import fail_on_error
from trajsift.cli.progress import RichProgress
from trajsift.cli.run_cmd import ADDRESS_HELP, EXECUTOR_HELP, OVERRIDE, exit_if_nothing_read, print_summary
from trajsift.config import Recipe, load_recipe
from trajsift.errors import ConfigError
from trajsift.run import run_pipeline

FAMILY = "diversity."


def dedup(
    args: list[str] = typer.Argument(..., help="Inputs (files, folders, globs) and key=value recipe overrides."),
    out: Path = typer.Option(Path("trajsift-dedup"), "--out", "-o", help="Output directory."),
    recipe: Path | None = typer.Option(None, "--recipe", "-r", help="Recipe YAML (default: the default recipe)."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes (Ray: actors per stage)."),
    executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
    address: str | None = typer.Option(None, "--address", help=ADDRESS_HELP),
) -> None:
    """Deduplicate and sample: run only the recipe's diversity stages (those whose checks are all
    `diversity.*`). Without the quality stage, keep-best falls back to the smallest id."""
    console = Console(stderr=True)
    with fail_on_error():
        inputs = [a for a in args if not (OVERRIDE.match(a) and not os.path.exists(a))]
        overrides = [a for a in args if a not in inputs]
        if not inputs:
            raise ConfigError("trajsift dedup needs at least one input")
        resolved = diversity_only(load_recipe(str(recipe) if recipe else None, overrides))
        with RichProgress(console) as progress:
            result = run_pipeline(
                inputs, out, resolved, executor, workers=workers, address=address, progress=progress, lean=True
            )
        print_summary(Console(), result.stats, result.counts, out)
    exit_if_nothing_read(result.stats, out)


def diversity_only(recipe: Recipe) -> Recipe:
    """The recipe with its diversity stages alone (dedup, novelty, then sampling)."""
    stages = [s for s in recipe.stages if s.checks and all(c.id.startswith(FAMILY) for c in s.checks)]
    if not stages:
        raise ConfigError("the recipe has no stage of diversity.* checks")
    return recipe.model_copy(update={"stages": stages})
