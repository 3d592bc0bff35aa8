"""How a run reports progress: the `Progress` protocol that every executor's driver reports to.

The CLI plugs in rich bars and the live run files (`dashboard.live.LiveProgress`, which writes the
run directory's progress and live-stats files); tests and libraries plug in nothing (`NullProgress`).
Besides phases and counts, the driver reports every finished shard (`ShardDone`: which stage, which
shard, and the annotation file it just wrote): the live dashboard and the live alert rules read a run's
partial metrics from these reports, never by scanning the executor's work folder.
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
    def phase(self, name: str, total: int, done: int = 0) -> None:
        """A phase starts (`read`, then one per stage): `total` units, `done` of them already complete."""

    def advance(self, n: int) -> None:
        """`n` more units of the current phase are complete."""


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
