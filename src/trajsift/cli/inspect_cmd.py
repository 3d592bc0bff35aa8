"""`trajsift inspect FILE`: a readable, per-step view of one trajectory in the terminal.

Every piece of text from the input goes through `rich.text.Text` (never markup), so a trajectory cannot
inject rich markup or styles into the view.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from trajsift.cli.errors import ExitCode, fail
from trajsift.errors import TrajsiftError
from trajsift.readers.read import ReadOptions, TrajectoryReader
from trajsift.schema import Quarantined, Step, Trajectory

DEFAULT_MAX_CHARS = 300
MAX_QUARANTINE_ROWS = 50
FormatOption = Annotated[str | None, typer.Option("--format", help="Force a reader (see `trajsift readers list`).")]


def inspect(
    file: Annotated[str, typer.Argument(help="Input file, folder or archive.")],
    trajectory_id: Annotated[str | None, typer.Option("--id", help="Show the trajectory with this id.")] = None,
    format: FormatOption = None,
    max_chars: Annotated[int, typer.Option("--max-chars", min=20, help="Truncate each text to this length.")] = (
        DEFAULT_MAX_CHARS
    ),
) -> None:
    """Show a trajectory step by step (without --id: list the trajectories, then show the first)."""
    console = Console(highlight=False)
    try:
        chosen, listed, quarantined = _collect(file, format, trajectory_id)
    except TrajsiftError as exc:
        fail(str(exc), ExitCode.FAILED)
    if quarantined:
        console.print(_quarantine_table(quarantined))
    if chosen is None:
        missing = f"no trajectory with id {trajectory_id!r}" if trajectory_id else "no trajectory could be read"
        fail(f"{missing} in {file}", ExitCode.FAILED)
    if trajectory_id is None and len(listed) > 1:
        console.print(_listing_table(listed))
    console.print(_header(chosen))
    for step in chosen.steps:
        console.print(_step_view(step, max_chars))


def _collect(
    file: str, format: str | None, wanted: str | None
) -> tuple[Trajectory | None, list[tuple[str, str, int, str]], list[Quarantined]]:
    """The trajectory to show, a summary row per trajectory read, and the quarantined rows."""
    chosen: Trajectory | None = None
    listed: list[tuple[str, str, int, str]] = []
    quarantined: list[Quarantined] = []
    for item in TrajectoryReader(ReadOptions(format=format)).read([file]):
        if isinstance(item, Quarantined):
            quarantined.append(item)
            continue
        listed.append((item.id, item.task.task_id, len(item.steps), item.final.exit_status))
        if wanted is not None and item.id == wanted:
            return item, listed, quarantined
        if wanted is None and chosen is None:
            chosen = item
    return chosen, listed, quarantined


def _listing_table(listed: list[tuple[str, str, int, str]]) -> Table:
    table = Table(title=f"{len(listed)} trajectories (showing the first)")
    table.add_column("id", overflow="fold")
    for name in ("task", "steps", "exit status"):
        table.add_column(name)
    for trajectory_id, task_id, steps, exit_status in listed:
        table.add_row(Text(trajectory_id), Text(task_id), str(steps), Text(exit_status))
    return table


def _quarantine_table(quarantined: list[Quarantined]) -> Table:
    table = Table("origin", "reason", "detail", title=f"{len(quarantined)} quarantined", title_style="yellow")
    for row in quarantined[:MAX_QUARANTINE_ROWS]:
        table.add_row(Text(row.origin), Text(row.reason, style="yellow"), Text(_clip(row.detail, 160)))
    if len(quarantined) > MAX_QUARANTINE_ROWS:
        table.add_row(Text(f"... and {len(quarantined) - MAX_QUARANTINE_ROWS} more"), "", "")
    return table


def _header(trajectory: Trajectory) -> Table:
    source, task, final, usage = trajectory.source, trajectory.task, trajectory.final, trajectory.usage
    resolved = trajectory.outcome.resolved
    fields = {
        "id": trajectory.id,
        "task": " ".join(filter(None, [task.task_id, task.repo, task.base_commit[:12]])),
        "source": " ".join(filter(None, [source.format, source.scaffold, source.model, source.path])),
        "final": f"exit={final.exit_status or '-'} submitted={final.submitted} patch={len(final.patch)} chars",
        "usage": _usage_text(usage.input_tokens, usage.output_tokens, usage.cost, usage.api_calls),
        "outcome": "unknown" if resolved is None else ("resolved" if resolved else "not resolved"),
        "steps": str(len(trajectory.steps)),
    }
    table = Table.grid(padding=(0, 2))
    for name, value in fields.items():
        table.add_row(Text(name, style="bold"), Text(value))
    return table


def _usage_text(tokens_in: int | None, tokens_out: int | None, cost: float | None, calls: int | None) -> str:
    parts = [
        f"in={tokens_in}" if tokens_in is not None else "",
        f"out={tokens_out}" if tokens_out is not None else "",
        f"cost={cost:.4f}" if cost is not None else "",
        f"calls={calls}" if calls is not None else "",
    ]
    return " ".join(filter(None, parts)) or "-"


def _step_view(step: Step, max_chars: int) -> Text:
    action, observation = step.action, step.observation
    error = observation.is_error or (observation.exit_code not in (None, 0))
    head_style = "bold red" if error else "bold cyan"
    view = Text.assemble(
        (f"[{step.index}] ", head_style),
        (action.type.value, head_style),
        (f"  {action.tool}" if action.tool else "", "magenta"),
        (f"  agent={step.agent}" if step.agent else "", "dim"),
    )
    if action.command:
        view.append("\n  $ ").append(_clip(action.command, max_chars), style="green")
    if step.thought:
        view.append("\n  thought: ", style="dim").append(_clip(step.thought, max_chars))
    if observation.text or error:
        flags = f" exit={observation.exit_code}" if observation.exit_code is not None else ""
        flags += " error" if observation.is_error else ""
        view.append(f"\n  observation{flags}: ", style="red" if error else "dim")
        view.append(_clip(observation.text, max_chars), style="red" if error else "")
    return view


def _clip(text: str, max_chars: int) -> str:
    """At most `max_chars` characters; long text is flattened to one line, short text keeps its lines."""
    flat = " ".join(text.split()) if len(text) > max_chars else text.strip()
    clipped = flat if len(flat) <= max_chars else flat[: max_chars - 1] + "…"
    return clipped.replace("\n", "\n    ")
