"""How executors report progress; the CLI plugs in rich bars and the live run files, tests and libraries
plug in nothing.

Besides phases and counts, an executor reports every finished shard (`ShardDone`: which stage, which
shard, and the annotation file it just wrote) through `report_shard`. A `Progress` that has a
`shard_done` method receives them: the live dashboard and the live alert rules read a run's partial
metrics from these reports, never by scanning the work directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class ShardDone:
    stage_index: int
    stage: str
    shard: int
    shards: int
    """How many shards the stage has."""
    path: Path
    """The shard's decided annotations (a non-global stage's `ann-N`, a global stage's `final-N`)."""


class Progress(Protocol):
    def phase(self, name: str, total: int, done: int = 0) -> None: ...

    def advance(self, n: int) -> None: ...


class NullProgress:
    def phase(self, name: str, total: int, done: int = 0) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def shard_done(self, report: ShardDone) -> None:
        pass


def report_shard(progress: Progress, report: ShardDone) -> None:
    """Hand `report` to `progress` if it listens for finished shards (optional part of the protocol)."""
    listener = getattr(progress, "shard_done", None)
    if listener is not None:
        listener(report)
