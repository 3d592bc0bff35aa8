"""`trajsift convert INPUT... -o OUT`: native formats to trajsift Parquet / JSONL, or OpenAI chat JSONL.

OpenAI records have one shape for every source (`to_openai_stable`: fixed keys, `tools` as a JSON string) so
files mixing sources load in `datasets`; for training files with step labels and loss masks, use
`trajsift export` on a run directory.

Output is streamed (Parquet in row-group batches) to a temporary file next to OUT and renamed into place
only when complete; quarantined rows go to `OUT.quarantine.jsonl` the same way.
"""

from __future__ import annotations

import contextlib
import gzip
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO, Annotated

import orjson
import pyarrow.parquet as pq
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from trajsift.arrow import to_table, trajectory_schema
from trajsift.cli.errors import ExitCode, fail
from trajsift.errors import ConfigError, TrajsiftError
from trajsift.export.openai import to_openai_stable
from trajsift.files import atomic_write
from trajsift.readers.read import Item, ReadOptions, TrajectoryReader
from trajsift.schema import Quarantined, Trajectory

PARQUET_BATCH_ROWS = 256
QUARANTINE_SUFFIX = ".quarantine.jsonl"


class Target(str, Enum):
    trajsift = "trajsift"
    openai = "openai"


@dataclass
class Counts:
    units: int = 0
    read: int = 0
    quarantined: int = 0


def convert(
    inputs: Annotated[list[str], typer.Argument(help="Input files, folders, globs or archives.")],
    output: Annotated[str, typer.Option("--output", "-o", help="Output: .parquet, .jsonl or .jsonl.gz.")],
    to: Annotated[Target, typer.Option("--to", help="Record shape written.")] = Target.trajsift,
    format: Annotated[
        str | None, typer.Option("--format", help="Force a reader (see `trajsift readers list`).")
    ] = None,
) -> None:
    """Convert trajectories; print how many were read, quarantined and written."""
    console = Console(stderr=True, highlight=False)
    counts = Counts()
    try:
        write = _writer_for(output, to)
        reader = TrajectoryReader(ReadOptions(format=format, on_entry=lambda _entry: _count_unit(counts)))
        with _progress(console, counts) as tick:
            _write_split(_tracked(reader.read(inputs), counts, tick), write, output + QUARANTINE_SUFFIX)
    except (TrajsiftError, OSError) as exc:
        fail(str(exc), ExitCode.FAILED)
    if not counts.quarantined:
        with contextlib.suppress(FileNotFoundError):
            os.remove(output + QUARANTINE_SUFFIX)
    summary = f"read {counts.read} trajectories from {counts.units} input units; "
    summary += f"{counts.quarantined} quarantined; {counts.read} written to {output}"
    if counts.quarantined:
        summary += f" (quarantine: {output + QUARANTINE_SUFFIX})"
    Console(highlight=False).print(Text(summary), soft_wrap=True)


def _count_unit(counts: Counts) -> None:
    counts.units += 1


def _writer_for(output: str, to: Target) -> Callable[[Iterator[Trajectory]], None]:
    if output.endswith(".parquet"):
        if to is Target.openai:
            raise ConfigError("--to openai writes JSONL: use an output ending in .jsonl or .jsonl.gz")
        return lambda trajectories: _write_parquet(output, trajectories)
    if output.endswith((".jsonl", ".jsonl.gz")):
        encode = (lambda t: orjson.dumps(to_openai_stable(t))) if to is Target.openai else (lambda t: t.to_json())
        return lambda trajectories: _write_jsonl(output, trajectories, encode)
    raise ConfigError(f"unsupported output {output!r}: use .parquet, .jsonl or .jsonl.gz")


def _write_split(items: Iterator[Item], write: Callable[[Iterator[Trajectory]], None], quarantine_path: str) -> None:
    """Trajectories to `write`, quarantined rows to `quarantine_path`: each file appears only when complete."""

    def write_both(temp: str) -> None:
        with open(temp, "wb") as quarantine_file:
            write(_split_quarantine(items, quarantine_file))

    atomic_write(Path(quarantine_path), write_both)


def _write_jsonl(output: str, trajectories: Iterator[Trajectory], encode: Callable[[Trajectory], bytes]) -> None:
    def write(temp: str) -> None:
        with open(temp, "wb") as raw:
            # filename "": the gzip header names no file (not the temporary one)
            with gzip.GzipFile("", "wb", fileobj=raw) if output.endswith(".gz") else contextlib.nullcontext(raw) as out:
                for trajectory in trajectories:
                    out.write(encode(trajectory) + b"\n")

    atomic_write(Path(output), write)


def _write_parquet(output: str, trajectories: Iterator[Trajectory]) -> None:
    def write(temp: str) -> None:
        batch: list[Trajectory] = []
        with pq.ParquetWriter(temp, trajectory_schema()) as writer:
            for trajectory in trajectories:
                batch.append(trajectory)
                if len(batch) >= PARQUET_BATCH_ROWS:
                    writer.write_table(to_table(batch))
                    batch = []
            if batch:
                writer.write_table(to_table(batch))

    atomic_write(Path(output), write)


def _split_quarantine(items: Iterator[Item], quarantine_file: IO[bytes]) -> Iterator[Trajectory]:
    for item in items:
        if isinstance(item, Quarantined):
            quarantine_file.write(orjson.dumps(item.to_dict()) + b"\n")
        else:
            yield item


def _tracked(items: Iterator[Item], counts: Counts, tick: Callable[[], None]) -> Iterator[Item]:
    for item in items:
        if isinstance(item, Quarantined):
            counts.quarantined += 1
        else:
            counts.read += 1
        tick()
        yield item


@contextlib.contextmanager
def _progress(console: Console, counts: Counts) -> Iterator[Callable[[], None]]:
    """A live line on stderr (terminals only): units read, trajectories, quarantined."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("reading")

        def tick() -> None:
            text = f"{counts.units} units, {counts.read} trajectories, {counts.quarantined} quarantined"
            progress.update(task, description=text)

        yield tick
