"""`trajsift demo OUT_DIR`: write the built-in demo dataset."""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated

import typer
from rich.console import Console

from trajsift.cli.errors import fail_on_error
from trajsift.demo import write_demo


def demo(out_dir: Annotated[str, typer.Argument(help="Folder to create (must be empty or absent).")]) -> None:
    """Write a small demo dataset: git repos, tasks.jsonl, trajectories in native formats, a labelled manifest."""
    console = Console(highlight=False)
    with fail_on_error():
        paths = write_demo(out_dir)
    rows = [json.loads(line) for line in paths.manifest.read_text().splitlines()]
    labels = Counter(row["label"] for row in rows)
    formats = Counter(row["format"] for row in rows)
    console.print(f"wrote the demo to {paths.root}")
    console.print(f"  tasks:        {paths.tasks} ({len(paths.repos)} repositories in {paths.root / 'repos'})")
    console.print(f"  trajectories: {paths.trajectories} ({len(rows)}: " + _counts(formats) + ")")
    console.print(f"  manifest:     {paths.manifest} (" + _counts(labels) + ")")


def _counts(counter: Counter) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counter.items()))
