"""The executor protocol: what an executor implements, and the plan and results the driver shares with it.

An executor decides only *where* the read's per-group work runs (`map_units`), *where* the per-shard work of a
stage runs (`map_shards`) and *how* a global
stage's state is computed (`reduce`). The phases, their order, the work files and the progress reports
belong to the one driver (`executors.driver.drive`), the same for every executor, so every executor writes
the same files and a run resumes from whatever any executor completed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from trajsift.config import Recipe
from trajsift.executors.read_parts import ReadJob, UnitStep
from trajsift.executors.reading import ReadResult
from trajsift.executors.shard_work import StageJob, WorkerState
from trajsift.pipeline import Pipeline
from trajsift.readers.read import ReadOptions
from trajsift.rundir import RunDir
from trajsift.stages import Stage
from trajsift.tasks import Task

ShardStep = Callable[[WorkerState, StageJob, int], None]
"""Per-shard work (`shard_work.annotate_shard`, `shard_work.assign_shard`): a module-level function, so that
it pickles by reference to any worker process or cluster node."""


@dataclass(kw_only=True)
class RunPlan:
    """Everything a run depends on; its pieces key the work files."""

    inputs: list[str]
    out_dir: Path
    recipe: Recipe
    read_options: ReadOptions = field(default_factory=ReadOptions)
    tasks: Mapping[str, Task] = field(default_factory=dict)
    """The tasks of `recipe.tasks`, loaded once by the caller (worker processes load their own)."""

    @cached_property
    def recipe_data(self) -> dict[str, Any]:
        """The recipe as plain JSON data: what worker processes and cluster nodes rebuild the pipeline from."""
        return self.recipe.model_dump(mode="json")

    @property
    def tasks_path(self) -> str | None:
        return self.recipe.tasks

    @property
    def work(self) -> Path:
        return RunDir(self.out_dir).work

    @property
    def cache_dir(self) -> Path:
        """Content-addressed caches of expensive checks (embeddings, test runs), shared across reruns."""
        return RunDir(self.out_dir).cache


@dataclass(frozen=True, kw_only=True)
class ExecutorSettings:
    """What a user chooses about where a run goes (`--workers`, `--address`); each executor takes what applies."""

    workers: int = 1
    address: str | None = None


class Executor(Protocol):
    """Where the per-shard work of a run happens; `drive` calls `start`, then maps and reduces, then `close`."""

    def start(self, plan: RunPlan, pipeline: Pipeline) -> None:
        """Before the first map: connect, remember the plan (pools may start lazily)."""

    def map_units(self, step: UnitStep, job: ReadJob, groups: Sequence[int]) -> Iterator[int]:
        """Run the read's `step` on every group of input units (in any order, anywhere, e.g. where the inputs
        are); yield each group once its part file exists."""
        ...

    def map_shards(self, step: ShardStep, job: StageJob, shards: Sequence[int]) -> Iterator[int]:
        """Run `step` on every shard of `shards` (in any order, anywhere); yield each shard once its files exist."""
        ...

    def reduce(self, stage: Stage, job: StageJob, shards: Sequence[int]) -> dict[str, Any]:
        """The global state of `stage` from the signature files of `shards` (JSON-serialisable)."""
        ...

    def close(self) -> None:
        """After the last map or on failure: stop pools (idempotent)."""


@dataclass
class StageRun:
    name: str
    directory: Path | None
    skipped: str = ""


@dataclass
class Phases:
    """What `drive` leaves for the write phase: the read shards, each stage's work folder, the output pieces."""

    read: ReadResult
    stages: list[StageRun]
    pieces: Path
    """Each shard's output table, built by the workers (`executors.output_pieces`)."""

    def folders(self) -> list[Path]:
        """The work folders of this run's settings (the rest of `_work/` is stale)."""
        return [self.read.directory, *(run.directory for run in self.stages if run.directory), self.pieces]
