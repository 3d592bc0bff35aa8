"""`trajsift reward`: trajectory and per-step rewards for RL trainers, from a run directory or raw inputs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from trajsift.checks.base import CheckContext
from trajsift.cli.errors import fail_on_error
from trajsift.cli.run_cmd import OVERRIDE
from trajsift.config import Recipe, apply_override, load_recipe
from trajsift.errors import ConfigError
from trajsift.rewards.export import RewardSummary, is_run_dir, iter_inputs, iter_run_dir, score_all, write_rewards
from trajsift.rundir import RunDir
from trajsift.tasks import load_tasks


def reward(
    args: list[str] = typer.Argument(
        ..., help="A run directory, or inputs (files, folders, globs); key=value overrides."
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output directory (default: the run dir, or ./rewards)."),
    recipe: Path | None = typer.Option(None, "--recipe", "-r", help="Recipe YAML (default: the run's recipe)."),
    jsonl: bool = typer.Option(False, "--jsonl", help="Also write rewards.jsonl and step_rewards.jsonl."),
) -> None:
    """Write rewards.parquet (one row per trajectory) and step_rewards.parquet (one row per step)."""
    console = Console(stderr=True)
    with fail_on_error():
        inputs = [a for a in args if not (OVERRIDE.match(a) and not os.path.exists(a))]
        overrides = [a for a in args if a not in inputs]
        if not inputs:
            raise ConfigError("trajsift reward needs a run directory or at least one input")
        run_dir = inputs[0] if len(inputs) == 1 and is_run_dir(inputs[0]) else None
        resolved = resolve_recipe(recipe, run_dir, overrides)
        ctx = CheckContext(tasks=load_tasks(resolved.tasks) if resolved.tasks else {})
        summary = RewardSummary()
        rows = iter_run_dir(run_dir) if run_dir else iter_inputs(inputs, resolved, summary)
        target = out or (Path(run_dir) if run_dir else Path("rewards"))
        client = _judge_client(resolved, console)
        try:
            write_rewards(target, score_all(rows, resolved, ctx, client), jsonl, summary)
        finally:
            if client is not None:
                client.close()
        console.print(f"{summary.trajectories} trajectories, {summary.steps} steps -> {escape(str(target))}")
        if summary.quarantined:
            console.print(f"[yellow]{summary.quarantined} input records could not be read (quarantined)[/]")


def resolve_recipe(recipe: Path | None, run_dir: str | None, overrides: list[str]) -> Recipe:
    """The given recipe; else the recipe recorded in the run's `run.json`; else the default recipe."""
    info = RunDir(run_dir).info if run_dir is not None else None
    if recipe is not None or info is None or not info.exists():
        return load_recipe(str(recipe) if recipe else None, overrides)
    try:
        data: dict[str, Any] = orjson.loads(info.read_bytes())["recipe"]
        for override in overrides:
            apply_override(data, override)
        return Recipe.model_validate(data)
    except (OSError, KeyError, orjson.JSONDecodeError, ValidationError) as exc:
        raise ConfigError(f"cannot use the recipe recorded in {info}: {exc}") from exc


def _judge_client(recipe: Recipe, console: Console) -> Any:
    if not recipe.rewards.judge_reasoning:
        return None
    if recipe.llm is None:
        console.print("[yellow]rewards.judge_reasoning is set but no llm is configured: heuristic reasoning only[/]")
        return None
    from trajsift.llm.client import ChatClient

    return ChatClient(recipe.llm)
