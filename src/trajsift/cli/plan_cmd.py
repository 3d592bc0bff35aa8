"""`trajsift plan RUN_DIR --tasks TASKS`: write the next generation plan (JSONL)."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from rich.console import Console

from trajsift.cli.errors import fail_on_error
from trajsift.config import load_recipe
from trajsift.llm.client import ChatClient
from trajsift.planner import load_spec, load_state, make_plan, write_plan
from trajsift.tasks import load_tasks


def plan(
    run_dir: Path = typer.Argument(..., help="A run directory written by `trajsift run` (the current dataset)."),
    tasks: Path = typer.Option(..., "--tasks", help="Task pool: trajsift tasks or SWE-bench instances (JSONL)."),
    target: Path | None = typer.Option(None, "--target", help="Target distribution and knobs (YAML)."),
    recipe: Path | None = typer.Option(None, "--recipe", help="Recipe whose `llm:` section rephrases prompts."),
    out: Path = typer.Option(Path("plan.jsonl"), "--out", "-o", help="Plan file to write."),
) -> None:
    """Plan the next generation round: tasks for under-represented cells, models, temperatures, prompts."""
    console = Console(stderr=True)
    with fail_on_error():
        spec = load_spec(str(target) if target else None)
        llm = load_recipe(str(recipe)).llm if recipe else None
        client = ChatClient(llm) if llm else None
        try:
            result = make_plan(load_state(run_dir), load_tasks(str(tasks)), spec, client)
        finally:
            if client is not None:
                client.close()
        write_plan(result, out)
    console.print(orjson.dumps(result.summary, option=orjson.OPT_INDENT_2).decode())
    if client is not None:
        console.print(f"LLM usage: {client.accounting.snapshot()}")
    typer.echo(f"Plan written to {out} ({len(result.rows)} rows)")
